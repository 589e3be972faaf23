"""Notebooks run top to bottom on a tiny ensemble and define no model code."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.setenv("SOE_SIM_SEEDS", "2")
    monkeypatch.setenv("SOE_SIM_MONTHS", "6")
    namespace: dict[str, object] = {}
    for source in code_cells(path):
        exec(compile(source, str(path), "exec"), namespace)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_defines_no_model_code(path):
    for source in code_cells(path):
        tree = ast.parse(source)
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef)]
