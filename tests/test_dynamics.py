"""Restructuring as a process: criteria rather than target counts, dispositions that take time,
capacity shared by declared shares, mergers that carry their losses, and reported loss shares."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from worlds import entity, events, world

from sim.model import SOEModel
from sim.policies.config import ConstraintParams, PolicyConfig
from sim.policies.dispositions import DisposalParams
from sim.policies.loss_cutting import LossCuttingParams
from sim.policies.quality import QualityParams
from sim.policies.slimming import SlimmingParams
from sim.population.roster import validate_roster

LOSS = {"revenue": 120.0, "operating_cost": 240.0}
"""Loses about 10 mn yuan a month, at any demand."""


def groups_of(sizes: list[float]) -> list[dict[str, object]]:
    """One single-entity group per size (assets, mn yuan), all profitable manufacturers."""
    return [
        entity(f"G{i}", assets=a, liabilities=0.4 * a, revenue=1.2 * a, operating_cost=1.1 * a)
        for i, a in enumerate(sizes)
    ]


def quality(**params: object) -> PolicyConfig:
    return PolicyConfig(
        name="test",
        quality=QualityParams(enabled=True, integrations_per_month=0, **params),  # type: ignore[arg-type]
    )


# -- criteria, not counts --------------------------------------------------------------------


def test_group_mergers_go_on_while_the_criteria_find_candidates():
    """Nothing stops at a count: every small group joins the largest sound one, month by month,
    and then consolidation stops because no group meets the criteria any more."""
    sizes = [5000.0, 100.0, 200.0, 300.0, 400.0, 500.0]
    m = world(groups_of(sizes), quality(small_assets=1000.0, weak_roe=-1.0,
                                        group_mergers_per_month=2))  # fmt: skip
    counts = []
    for _ in range(5):
        m.step()
        counts.append(int((m.state.alive & (m.state.parent < 0)).sum()))
    assert counts == [4, 2, 1, 1, 1]
    assert [e[1] for e in events(m, "merge")] == ["G1", "G2", "G3", "G4", "G5"]  # smallest first


def test_no_candidates_no_group_mergers():
    m = world(groups_of([5000.0, 100.0, 200.0]), quality(small_assets=0.0, weak_roe=-1.0))
    m.run_for(6)
    assert events(m, "merge") == []


def test_a_weak_group_is_a_candidate_by_its_operating_roe():
    """G2 is large but earns nothing: weak; it joins G0, the largest sound group."""
    rows = groups_of([5000.0, 3000.0])
    rows.append(entity("G2", assets=4000.0, liabilities=1600.0, revenue=4000.0,
                       operating_cost=4000.0))  # fmt: skip
    m = world(rows, quality(small_assets=0.0, weak_roe=0.01))
    m.run_for(3)
    assert events(m, "merge") == [("merge", "G2", "G0", "quality")]


# -- dispositions take time ------------------------------------------------------------------


def closing_world(**timing: float) -> tuple:
    disposal = DisposalParams(**timing)  # type: ignore[arg-type]
    policy = PolicyConfig(
        name="test",
        loss_cutting=LossCuttingParams(enabled=True, turnaround_success=0.0),
        disposal=disposal,
        constraints=ConstraintParams(budget=1000.0),
    )
    rows = [entity("G", assets=1000.0), entity("Z", "G", core=False, sector="commerce",
                                                 cash=1.0, **LOSS)]  # fmt: skip
    return world(rows, policy, instant=False), policy


def test_a_closure_completes_after_its_duration():
    m, _ = closing_world(close_months=4, close_failure=0.0, transfer_months=4,
                         transfer_failure=0.0)  # fmt: skip
    z = m.row_of("Z")
    m.step()
    decided = m.events.to_frame().query("op == 'decide'")
    assert list(decided["entity_id"]) == ["Z"] and "due in 4 months" in decided["reason"].iloc[0]
    m.run_for(3)
    assert m.state.alive[z]  # still being liquidated (or sold)
    m.step()
    assert not m.state.alive[z]
    exits = m.events.to_frame().query("op == 'exit'")
    assert list(exits["month"]) == [5]


def test_a_failed_disposition_is_dropped_refunded_and_can_be_tried_again():
    m, _ = closing_world(close_months=2, close_failure=1.0, transfer_months=2,
                              transfer_failure=1.0)  # fmt: skip
    z = m.row_of("Z")
    m.run_for(3)
    frame = m.events.to_frame()
    assert m.state.alive[z]
    assert list(frame.query("op == 'abandon'")["month"]) == [3]
    assert "failed" in frame.query("op == 'abandon'")["reason"].iloc[0]
    # Refunded in full; free again, it is decided anew in the same month (and committed again).
    assert (frame["op"] == "decide").sum() == 2
    again = m.policy.decisions[0]
    assert again.decided == 3 and again.committed > 0
    assert m.policy.budget_left == pytest.approx(1000.0 - again.committed, abs=1e-9)


def test_an_entity_being_disposed_of_is_not_proposed_again():
    m, _ = closing_world(close_months=6, close_failure=0.0, transfer_months=6,
                         transfer_failure=0.0)  # fmt: skip
    m.run_for(5)
    assert (m.events.to_frame()["op"] == "decide").sum() == 1


# -- capacity shares ---------------------------------------------------------------------------


def busy_world(**constraints: object):
    """Many shells (slimming) and many small groups (quality) competing for capacity."""
    rows = groups_of([50000.0] + [100.0 + i for i in range(10)])
    rows += [entity(f"S{i}", "G0", status="shell", revenue=0.0, operating_cost=0.4,
                    assets=1.0, liabilities=0.0, cash=1.0) for i in range(20)]  # fmt: skip
    policy = PolicyConfig(
        name="test",
        slimming=SlimmingParams(enabled=True, per_month=100),
        quality=QualityParams(enabled=True, small_assets=1000.0, group_mergers_per_month=100,
                              integrations_per_month=0),
        constraints=ConstraintParams(**constraints),  # type: ignore[arg-type]
        order=["slimming", "quality"],
    )  # fmt: skip
    return world(rows, policy)


def test_each_family_gets_its_declared_share_of_capacity():
    """Slimming comes first in the order, but quality still gets its share."""
    m = busy_world(capacity_per_month=8, capacity_shares={"slimming": 3, "quality": 1},
                   reallocate_unused=False)  # fmt: skip
    m.step()
    done = m.events.to_frame().query("op in ('merge', 'exit')").groupby("rule").size()
    assert done.to_dict() == {"quality": 2, "slimming": 6}


def test_unused_capacity_goes_to_the_others_in_order():
    m = busy_world(capacity_per_month=8, capacity_shares={"slimming": 1, "quality": 100})
    m.step()  # quality can use 10 but there are 10 small groups and 7.9 of capacity: ...
    done = m.events.to_frame().query("op in ('merge', 'exit')").groupby("rule").size()
    assert done.sum() == 8
    m2 = busy_world(capacity_per_month=30, capacity_shares={"slimming": 1, "quality": 1})
    m2.step()  # quality has only 10 candidates: its unused 5 go to slimming (20 shells)
    done2 = m2.events.to_frame().query("op in ('merge', 'exit')").groupby("rule").size()
    assert done2.to_dict() == {"quality": 10, "slimming": 20}


def test_capacity_shares_must_name_structural_families():
    from sim.errors import ConfigError

    with pytest.raises(ConfigError, match="capacity_shares"):
        ConstraintParams(capacity_shares={"efficiency": 1.0})


# -- mergers carry their losses ---------------------------------------------------------------


def test_a_merger_carries_the_absorbed_loss_into_the_absorber():
    """A barely profitable absorber that takes on a large loss-maker becomes a loss-maker, and
    the group's profit is the same whether the loss sits in one entity or the other."""
    rows = [entity("G", assets=1000.0, sector="commerce"),
            entity("A", "G", revenue=120.0, operating_cost=108.0),
            entity("Z", "G", cash=1.0, loss_years=3, support_last_year=12.0, **LOSS)]  # fmt: skip
    policy = PolicyConfig(
        name="test", loss_cutting=LossCuttingParams(enabled=True, merge_cover=0.0)
    )
    m = world(rows, policy)
    before = world(rows).state
    m.step()
    assert events(m, "merge") == [("merge", "Z", "A", "loss_cutting")]
    a = m.row_of("A")
    m.step()
    assert m.state.profit[a] < 0  # the loss came with the business
    rb = before.revenue_base[m.row_of("A")] + before.revenue_base[m.row_of("Z")]
    assert m.state.revenue_base[a] == pytest.approx(rb)


def test_merge_cover_keeps_a_large_loss_out_of_a_small_profit():
    rows = [entity("G", assets=1000.0, sector="commerce"),
            entity("A", "G", revenue=120.0, operating_cost=108.0),
            entity("Z", "G", cash=1.0, loss_years=3, support_last_year=12.0, **LOSS)]  # fmt: skip
    policy = PolicyConfig(
        name="test", loss_cutting=LossCuttingParams(enabled=True, merge_cover=1.0)
    )
    m = world(rows, policy)
    m.step()
    assert events(m, "merge") == []


# -- reported loss shares --------------------------------------------------------------------


def test_one_off_losses_count_in_the_loss_making_share_not_in_the_operating_one():
    """A profitable parent books the loss of closing a subsidiary: loss-making year to date
    (亏损面), not operating at a loss (经营性亏损面)."""
    rows = [entity("G", assets=1000.0), entity("P", "G", assets=200.0, revenue=240.0,
                                                  operating_cost=228.0),
            entity("Z", "P", assets=900.0, liabilities=100.0, core=False, sector="commerce",
                   cash=1.0, **LOSS)]  # fmt: skip
    policy = PolicyConfig(
        name="test", loss_cutting=LossCuttingParams(enabled=True, turnaround_success=0.0)
    )
    m = world(rows, policy)
    m.run_for(2)
    ts = m.timeseries().set_index("month")
    assert ts.loc[2, "loss_making_share"] > ts.loc[2, "operating_loss_share"]
    p = m.row_of("P")
    assert m.state.one_off_ytd[p] < 0 and m.state.profit_ytd[p] < 0
    assert m.state.profit_ytd[p] - m.state.one_off_ytd[p] > 0


def test_year_to_date_restarts_in_january():
    rows = [entity("G", assets=1000.0), entity("Z", "G", cash=1.0, **LOSS)]
    m = world(rows)  # the run starts in January 2024: month 0 is December 2023
    z = m.row_of("Z")
    assert m.state.profit_ytd[z] == pytest.approx(m.state.ttm_profit()[z])
    m.step()
    assert m.state.profit_ytd[z] == pytest.approx(m.state.profit[z])
    m.run_for(2)  # March: January to March add up
    assert m.state.profit_ytd[z] == pytest.approx(m.state.profit_hist[1:4, z].sum())
    m.run_for(9)
    m.step()  # January 2025
    assert m.date == "2025-01"
    assert m.state.profit_ytd[z] == pytest.approx(m.state.profit[z])


def test_chongqing_roster_holds_2260_operating_entities_and_a_zombie_stock():
    from sim.compose import compose_config
    from sim.model import SOEModel

    cfg = compose_config("population=chongqing_2023", "policy=none", "months=1")
    m = SOEModel(cfg)
    ts = m.timeseries().iloc[0]
    assert ts["operating_entities"] == 2260
    assert ts["entities"] > 2260  # plus the assumed shells and dormant entities
    assert ts["loss_making_share"] == pytest.approx(0.34, abs=0.01)
    assert 0.05 * 2260 < ts["zombies"] < 0.15 * 2260


def test_dataclass_replace_keeps_timing_fields():
    d = dataclasses.replace(DisposalParams(), close_months=9)
    assert d.timing(type("A", (), {"kind": "close"})(), False) == (9, d.close_failure)  # type: ignore[arg-type]
    assert np.isclose(d.timing(type("A", (), {"kind": "merge"})(), True)[0], d.group_merger_months)  # type: ignore[arg-type]


def test_merge_cover_counts_every_loss_an_absorber_takes_on_in_a_month():
    """A's profit covers one of the two zombies' losses, not both: the second is sold instead."""
    zombie = dict(cash=1.0, loss_years=3, support_last_year=12.0, **LOSS)
    rows = [entity("G", assets=1000.0, sector="commerce"),
            entity("A", "G", revenue=1200.0, operating_cost=1000.0, assets=2000.0),
            entity("Z1", "G", assets=300.0, **zombie),
            entity("Z2", "G", assets=300.0, **zombie)]  # fmt: skip
    policy = PolicyConfig(name="test", loss_cutting=LossCuttingParams(enabled=True,
                                                                      merge_cover=1.3))  # fmt: skip
    m = world(rows, policy)
    m.step()
    ops = m.events.to_frame().query("op in ('merge', 'exit')")
    assert sorted(ops["op"]) == ["exit", "merge"]


def test_year_to_date_and_losses_cut_are_right_for_a_mid_year_start():
    """Start in July: month 0 (June) has half a year to date, and without any change the cut in
    losses reads 0 in every month, not 50% in June or 75% in September."""
    rows = [entity("G", assets=1000.0), entity("Z", "G", cash=500.0, assets=600.0, **LOSS)]
    m = world(rows)
    m = SOEModel(dataclasses.replace(m.config, start="2024-07"), roster=validate_roster(
        pd.DataFrame(rows), source="test"))  # fmt: skip
    z = m.row_of("Z")
    assert m.state.profit_ytd[z] == pytest.approx(0.5 * m.state.ttm_profit()[z])
    m.run_for(8)
    ts = m.timeseries()
    assert ts["losses_cut_share"].abs().max() < 0.02


def test_capacity_allowances_are_whole_actions_that_add_up_to_the_capacity():
    c = ConstraintParams(capacity_per_month=2)
    assert c.allowances(["loss_cutting", "slimming", "quality"]) == {
        "loss_cutting": 1.0, "slimming": 1.0, "quality": 0.0}  # fmt: skip
    c = ConstraintParams(capacity_per_month=10, capacity_shares={"slimming": 2})
    out = c.allowances(["loss_cutting", "slimming", "quality"])
    assert out == {"loss_cutting": 3.0, "slimming": 5.0, "quality": 2.0}
    assert sum(out.values()) == 10
