"""The event log is the ledger: every ledger total equals the sum of its event column."""

from __future__ import annotations

import numpy as np
import pytest

from sim.compose import compose_config
from sim.runner import run_simulation
from sim.state import LEDGER_COLUMNS, Ledger

PRESETS = ("chongqing_2024", "no_reform", "loss_cutting_first", "mergers_first", "gradual", "none")


@pytest.mark.parametrize("preset", PRESETS)
def test_ledger_totals_equal_event_sums(preset):
    result = run_simulation(
        compose_config(f"policy={preset}", "months=15", "output.entities=false")
    )
    last, events = result.timeseries.iloc[-1], result.events
    for name, column in LEDGER_COLUMNS.items():
        total, summed = float(last[name]), float(events[column].sum())
        assert summed == pytest.approx(total, rel=1e-9, abs=1e-9), (preset, name, column)
    if preset != "none" and preset != "no_reform":
        assert last["restructuring_cost"] > 0 and last["jobs_affected"] > 0


def test_merges_carry_their_cost_and_job_cuts():
    """Merge events used to be logged at cost 0 before the engine charged the absorber."""
    result = run_simulation(compose_config("months=6", "output.entities=false"))
    merges = result.events[result.events.op == "merge"]
    policy_merges = merges[merges.rule != "economy"]
    assert len(policy_merges) > 0
    assert (policy_merges["cost"] > 0).mean() > 0.5
    assert policy_merges["jobs_affected"].sum() > 0
    assert np.allclose(policy_merges["one_off"], -policy_merges["cost"])


def test_every_ledger_field_has_an_event_column():
    assert set(LEDGER_COLUMNS) == set(Ledger.__dataclass_fields__)


def test_the_invariant_checker_catches_a_ledger_changed_without_an_event():
    from sim.invariants import check_invariants
    from sim.model import SOEModel

    model = SOEModel(compose_config("months=2", "output.entities=false"))
    model.run_for(2)
    check_invariants(model)
    model.ledger.restructuring_cost += 1.0  # what the engine used to do beside the log
    with pytest.raises(AssertionError, match="ledger restructuring_cost"):
        check_invariants(model)
