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


def test_a_merge_charges_the_absorber_once_and_logs_exactly_that():
    """The engine used to cut staff and cash after the merge event was written at cost 0."""
    from worlds import entity, world

    m = world([entity("HQ"), entity("A", "HQ", cash=20.0), entity("B", "HQ", employees=10)])
    a, b = m.row_of("A"), m.row_of("B")
    st = m.state
    before = {c: float(getattr(st, c)[a] + getattr(st, c)[b]) for c in ("cash", "assets", "profit")}
    staff = int(st.employees[a] + st.employees[b])
    m.merge(b, a, rule="test", reason="absorbed", cost=2.0, jobs=3)
    assert st.cash[a] == pytest.approx(before["cash"] - 2.0)
    assert st.assets[a] == pytest.approx(before["assets"] - 2.0)
    assert int(st.employees[a]) == staff - 3
    assert st.profit[a] == pytest.approx(before["profit"] - 2.0)  # the cost booked once
    ev = m.events.to_frame().query("op == 'merge'").iloc[0]
    assert (ev.cost, ev.jobs_affected, ev.one_off) == (2.0, 3.0, -2.0)
    assert ev.assets == pytest.approx(100.0)  # the absorbed entity's last balance sheet
    ledger = m.ledger
    assert (ledger.restructuring_cost, ledger.jobs_affected, ledger.one_off_results) == (
        2.0, 3.0, -2.0,
    )  # fmt: skip


def test_an_exit_pays_the_parent_and_books_the_difference_to_equity_once():
    from worlds import entity, world

    m = world([entity("HQ", cash=30.0), entity("S", "HQ", assets=100.0, liabilities=60.0)])
    hq, s = m.row_of("HQ"), m.row_of("S")
    st = m.state
    cash0, assets0, profit0 = float(st.cash[hq]), float(st.assets[hq]), float(st.profit[hq])
    m.exit(s, fate="closed", rule="test", reason="closed", proceeds=5.0, cost=1.5,
           creditor_loss=7.0, jobs=10)  # fmt: skip
    assert st.cash[hq] == pytest.approx(cash0 + 3.5)
    assert st.assets[hq] == pytest.approx(assets0 + 3.5)
    assert st.profit[hq] - profit0 == pytest.approx(5.0 - 1.5 - 40.0)  # proceeds-cost-equity
    ev = m.events.to_frame().query("op == 'exit'").iloc[0]
    assert (ev.proceeds, ev.cost, ev.creditor_loss, ev.jobs_affected) == (5.0, 1.5, 7.0, 10.0)
    assert ev.one_off == pytest.approx(-36.5)
    assert m.ledger.one_off_results == pytest.approx(-36.5)
    assert m.ledger.creditor_losses == 7.0
