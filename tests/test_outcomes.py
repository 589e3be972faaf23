"""Every indicator a run outputs is declared once in sim.outcomes, and its readers agree."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis import paired_comparison
from sim.compose import compose_config
from sim.metrics import GROUP_COLUMNS
from sim.outcomes import OUTCOMES, outcome
from sim.policies.milestones import TARGETS
from sim.runner import run_simulation
from sim.state import Ledger


@pytest.fixture(scope="module")
def result():
    return run_simulation(compose_config("months=2", "output.entities=false"))


def test_every_timeseries_and_group_column_is_declared(result):
    for column in result.timeseries.columns.drop(["month", "date"]):
        outcome(column)  # raises KeyError naming an undeclared one
    assert result.groups is not None
    for column in GROUP_COLUMNS:
        assert OUTCOMES[column].level == "group", column
    for name in Ledger.__dataclass_fields__:
        assert OUTCOMES[name].level == "ledger", name


def test_targets_read_their_direction_from_the_declaration():
    for name, target in TARGETS.items():
        declared = OUTCOMES[target.indicator]
        assert declared.sense is not None, name
        assert target.sense == ("at_least" if declared.sense == "higher" else "at_most")
    assert TARGETS["groups"].sense == "at_most" and TARGETS["entities_cut"].sense == "at_least"


def test_paired_comparison_takes_better_from_the_declaration():
    ts = pd.DataFrame({
        "scenario": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1], "date": ["2024-12"] * 4,
        "zombies": [10.0, 10.0, 8.0, 12.0], "equity": [1.0, 1.0, 2.0, 0.5],
    })  # fmt: skip
    out = paired_comparison(ts, "a", "2024-12", ["zombies", "equity"]).set_index("indicator")
    assert out.loc["zombies", "chance_better"] == 0.5  # fewer zombies in seed 0 only
    assert out.loc["equity", "chance_better"] == 0.5
    with pytest.raises(ValueError, match="no better direction"):
        paired_comparison(ts.assign(assets=1.0), "a", "2024-12", ["assets"])
