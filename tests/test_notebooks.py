"""Notebooks run top to bottom on a tiny ensemble and define no model code."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbclient
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_cells(path: Path) -> list[str]:
    """The code cells as Python (IPython syntax such as ``%matplotlib inline`` translated)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    python = TransformerManager().transform_cell
    return [python("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_in_a_kernel(path, monkeypatch, tmp_path):
    """Each notebook is executed as a notebook (nbclient, a fresh IPython kernel of this
    environment), on small settings read from the environment, from the notebooks folder."""
    monkeypatch.setenv("SOE_SIM_SEEDS", "2")
    monkeypatch.setenv("SOE_SIM_MONTHS", "6")
    monkeypatch.setenv("SOE_SIM_TRAJECTORIES", "4")  # sensitivity.ipynb: Morris trajectories
    monkeypatch.setenv("SOE_SIM_TRIALS", "8")  # sensitivity.ipynb: plans the search evaluates
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("SOE_SIM_WORK", str(tmp_path))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]  # fmt: skip
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_defines_no_model_code(path):
    for source in code_cells(path):
        tree = ast.parse(source)
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef)]
