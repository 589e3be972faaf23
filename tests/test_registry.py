"""The rule-family registry is the one place a family is declared.

The README's worked example (a family in one file) is added to the registry alone, in a fresh
interpreter, and must then appear in the config schema, ``policy.order``, ``--help``'s parameter
list, the docs tables and the engine, and be switched off by ``no_reform``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.docs import DOCUMENTS, render
from sim.policies.config import PolicyConfig
from sim.policies.registry import FAMILIES, structural_families

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import sim.policies.registry as registry
from low_return_exit import LowReturnExit
registry.FAMILIES = (*registry.FAMILIES, LowReturnExit)

from sim.compose import compose_config
from sim.config import SimConfig
from sim.docs import BLOCKS
from sim.params import help_text
from sim.runner import run_simulation

base = ["months=9", "output.entities=false", "output.groups=false",
        "policy.low_return_exit.enabled=true", "policy.low_return_exit.roa_floor=0.0",
        "policy.order=[low_return_exit]"]
on = compose_config(*base)
off = compose_config(*base, "policy=no_reform")
events = run_simulation(on).events
off_events = run_simulation(off).events
print(json.dumps({
    "order": on.policy.effective_order(),
    "default_order": compose_config().policy.order,
    "enabled": on.policy.enabled_families(),
    "no_reform_enabled": off.policy.enabled_families(),
    "closures": int(((events.rule == "low_return_exit") & (events.op == "exit")).sum()),
    "closure_cost": float(events.loc[events.rule == "low_return_exit", "cost"].sum()),
    "no_reform_rules": sorted(set(off_events.rule)),
    "family_table": BLOCKS["rule families"](),
    "parameters": BLOCKS["parameters"](),
    "help": help_text(SimConfig),
}))
"""


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- example: new rule family -->")[1].split("<!-- end example -->")[0]
    return re.search(r"```python\n(.*?)```", block, re.S).group(1)


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    folder = tmp_path_factory.mktemp("family")
    (folder / "low_return_exit.py").write_text(readme_example(), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_family_added_to_the_registry_is_in_the_config_and_order(extended):
    assert extended["default_order"][-1] == "low_return_exit"
    assert extended["order"][0] == "low_return_exit"  # the priority given, the rest after
    assert "low_return_exit" in extended["enabled"]


def test_the_new_family_runs_and_its_actions_are_logged_with_their_costs(extended):
    assert extended["closures"] > 0
    assert extended["closure_cost"] > 0


def test_no_reform_switches_the_new_family_off_without_naming_it(extended):
    assert extended["no_reform_enabled"] == []
    assert (
        extended["no_reform_rules"] == ["economy"]
        or "low_return_exit" not in (extended["no_reform_rules"])
    )


def test_the_new_family_appears_in_the_docs_and_help(extended):
    assert "| `low_return_exit` | structural | `low_return_exit.py` |" in extended["family_table"]
    assert "`policy.low_return_exit.roa_floor`" in extended["parameters"]
    assert "policy.low_return_exit.roa_floor=-0.05" in extended["help"]


def test_every_family_declares_kind_params_and_policy_text():
    names = [r.family for r in FAMILIES]
    assert len(set(names)) == len(names)
    for rule in FAMILIES:
        assert rule.kind in ("structural", "programme")
        assert rule.implements and rule.__doc__
        assert isinstance(PolicyConfig().family(rule.family), rule.params_class)
        assert PolicyConfig().family(rule.family).enabled is False
    assert list(PolicyConfig().order) == list(structural_families())


@pytest.mark.parametrize("name", DOCUMENTS)
def test_generated_tables_are_current(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "<!-- generated:" in text
    assert render(text) == text, f"{name} is stale: run `uv run python -m sim.docs`"


def test_the_config_schema_imports_neither_mesa_nor_hydra_nor_the_engine():
    code = (
        "import sys, sim.config; "
        "bad = [m for m in ('mesa', 'hydra', 'omegaconf', 'matplotlib', 'sim.model', "
        "'sim.policies.engine') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
