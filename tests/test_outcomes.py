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
    assert result.zones is not None  # the default scenario runs the parks
    for column in result.zones.columns.drop(["month", "date"]):
        assert OUTCOMES[column].level == "zone", column


def test_targets_read_their_direction_from_the_declaration():
    for name, target in TARGETS.items():
        assert OUTCOMES[target.indicator].sense is not None, name
    senses = {name: t.sense for name, t in TARGETS.items()}
    assert senses == {
        "entities_cut": "at_least", "groups": "at_most", "loss_making_share": "at_most",
        "losses_cut": "at_least", "max_layer": "at_most", "assets_revitalised": "at_least",
        "decoupled": "at_least", "zones": "at_most", "management_bodies": "at_most",
        "idle_land_mu": "at_most", "tax_per_mu": "at_least", "value_added_per_mu": "at_least",
    }  # fmt: skip


def test_paired_comparison_takes_better_from_the_declaration():
    """Zombies: lower is better; equity: higher is better. Plan b has fewer zombies and less
    equity in all three seeds, so it is better on the first and worse on the second."""
    ts = pd.DataFrame({
        "scenario": ["a"] * 3 + ["b"] * 3, "seed": [0, 1, 2] * 2, "date": ["2024-12"] * 6,
        "zombies": [10.0, 10.0, 10.0, 8.0, 9.0, 7.0], "equity": [5.0, 5.0, 5.0, 4.0, 3.0, 4.5],
    })  # fmt: skip
    out = paired_comparison(ts, "a", "2024-12", ["zombies", "equity"]).set_index("indicator")
    assert out.loc["zombies", "chance_better"] == 1.0
    assert out.loc["equity", "chance_better"] == 0.0
    assert out.loc["zombies", "mean_diff"] == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="no better direction"):
        paired_comparison(ts.assign(assets=1.0), "a", "2024-12", ["assets"])
