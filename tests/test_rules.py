"""Each rule on a small hand-built world, with exactly the expected events and numbers."""

from __future__ import annotations

import pytest
from worlds import entity, events, world

from sim.policies.config import ConstraintParams, PolicyConfig
from sim.policies.decoupling import DecouplingParams
from sim.policies.dispositions import DisposalParams
from sim.policies.efficiency import EfficiencyParams
from sim.policies.loss_cutting import LossCuttingParams
from sim.policies.quality import QualityParams
from sim.policies.slimming import SlimmingParams
from sim.policies.synergy import SynergyParams

LOSS = {"revenue": 120.0, "operating_cost": 240.0}
"""Loses about 10 mn yuan a month, at any demand."""


def loss_cutting(**params: float) -> PolicyConfig:
    return PolicyConfig(name="test", loss_cutting=LossCuttingParams(enabled=True, **params))


# -- 止损 loss-cutting ------------------------------------------------------------------------


def test_zombie_is_merged_into_the_largest_healthy_entity_of_its_sector():
    m = world(
        [entity("G", assets=1000.0, revenue=1200.0, operating_cost=1000.0),
         entity("A", "G"), entity("Z", "G", cash=1.0, loss_years=3, support_last_year=10.0, **LOSS),
         entity("C", "G", sector="commerce")],
        loss_cutting(),
    )  # fmt: skip
    m.step()
    assert m.state.zombie[m.row_of("Z")] or not m.state.alive[m.row_of("Z")]
    assert events(m, "merge", "exit") == [("merge", "Z", "G", "loss_cutting")]
    reason = m.events.to_frame().query("op == 'merge'")["reason"].iloc[0]
    assert "zombie" in reason and "兼并重组" in reason
    m.run_for(6)  # the merger's synergy is credited to the rule that made the merger
    assert [e[3] for e in events(m, "synergy")] == ["loss_cutting"]


def test_core_structural_loss_maker_gets_a_turnaround_that_cuts_costs():
    small_loss = {"revenue": 120.0, "operating_cost": 125.0}  # a cost cut of 8% turns it round
    m = world(
        [entity("G", assets=1000.0), entity("L", "G", cash=500.0, assets=600.0, **small_loss)],
        loss_cutting(turnaround_success=1.0, turnaround_months=2, turnaround_cost=0.0),
    )
    row = m.row_of("L")
    fixed, var = m.state.fixed_cost[row], m.state.var_cost_ratio[row]
    m.step()
    assert events(m) == [("turnaround", "L", "", "loss_cutting")]
    m.run_for(4)
    assert [e[0] for e in events(m)] == ["turnaround", "turnaround"]  # started, succeeded
    assert m.state.alive[row]  # now profitable at normal demand: left alone
    assert m.state.fixed_cost[row] == pytest.approx(0.92 * fixed)
    assert m.state.var_cost_ratio[row] == pytest.approx(0.92 * var)


def test_failed_turnaround_leads_to_closure_with_severance_and_creditor_loss():
    m = world(
        [
            entity("G", assets=1000.0),
            entity("L", "G", sector="services", cash=500.0, assets=600.0, **LOSS),
        ],
        loss_cutting(turnaround_success=0.0, turnaround_months=1, turnaround_cost=0.0,
                     sell_core=False),
    )  # fmt: skip
    m.run_for(2)
    row = m.row_of("L")
    exits = m.events.to_frame().query("op == 'exit'")
    assert list(exits["entity_id"]) == ["L"] and list(exits["fate"]) == ["closed"]
    ev = exits.iloc[0]
    d = DisposalParams()
    assert ev["cost"] == pytest.approx(
        d.severance_per_employee * 10 + d.liquidation_fee * ev["assets"]
    )
    recovered = d.liquidation_recovery * ev["assets"]
    assert ev["proceeds"] == pytest.approx(max(recovered - ev["liabilities"], 0.0))
    assert ev["creditor_loss"] == pytest.approx(max(ev["liabilities"] - recovered, 0.0))
    assert not m.state.alive[row]
    assert m.ledger.jobs_affected == 10


def test_core_solvent_loss_maker_is_sold_rather_than_liquidated_when_sell_core():
    rows = [entity("G", assets=1000.0),
            entity("L", "G", sector="services", cash=500.0, assets=600.0, **LOSS)]  # fmt: skip
    m = world(rows, loss_cutting(turnaround_success=0.0, turnaround_months=1, turnaround_cost=0.0))
    m.run_for(2)
    exits = m.events.to_frame().query("op == 'exit'")
    assert list(exits["fate"]) == ["transferred_out"]
    assert "core: transferred out" in exits["reason"].iloc[0]


def test_non_core_solvent_loss_maker_is_transferred_out_at_its_valuation():
    m = world(
        [
            entity("G", assets=1000.0),
            entity("N", "G", sector="services", core=False, cash=500.0, assets=600.0, **LOSS),
        ],
        loss_cutting(),
    )
    m.step()
    ev = m.events.to_frame().query("op == 'exit'").iloc[0]
    assert (ev["entity_id"], ev["fate"]) == ("N", "transferred_out")
    assert ev["proceeds"] == pytest.approx(0.9 * ev["equity"])


def test_cyclical_loss_maker_is_left_alone():
    m = world([entity("G", assets=1000.0), entity("C", "G")], loss_cutting())
    row = m.row_of("C")
    m.state.profit_hist[:, row] = -1.0  # a bad year behind it, but profitable at normal demand
    m.step()
    assert events(m) == []


def test_soft_budget_is_hardened_from_the_reform_start():
    m = world([entity("G")], loss_cutting(soft_budget=0.2))
    assert m.economy.soft_budget == pytest.approx(0.75)
    m.step()
    assert m.economy.soft_budget == pytest.approx(0.2)


# -- 瘦身 slimming ----------------------------------------------------------------------------


def slimming(**params: float) -> PolicyConfig:
    return PolicyConfig(name="test", slimming=SlimmingParams(enabled=True, **params))


def test_shells_and_dormant_entities_are_deregistered_into_their_parent():
    m = world(
        [
            entity("G"),
            entity(
                "S",
                "G",
                status="shell",
                assets=5.0,
                liabilities=2.0,
                revenue=0.0,
                operating_cost=1.0,
                employees=0,
                cash=1.0,
            ),
            entity("D", "G", status="dormant"),
        ],
        slimming(sibling_below=0.0),
    )
    cash_before = m.state.cash[0]
    m.step()
    exits = m.events.to_frame().query("op == 'exit'")
    assert sorted(exits["entity_id"]) == ["D", "S"]
    assert set(exits["fate"]) == {"deregistered"}
    assert m.state.alive.sum() == 1
    shell = exits.set_index("entity_id").loc["S"]
    assert shell["proceeds"] == pytest.approx(shell["equity"])
    assert shell["cost"] == pytest.approx(DisposalParams().deregistration_fee)
    assert cash_before != m.state.cash[0]


def test_layer_cap_absorbs_small_and_lifts_large_entities():
    chain = [entity("G"), entity("A", "G"), entity("B", "A"),
             entity("small", "B", assets=20.0, cash=2.0, sector="services"),
             entity("large", "B", assets=900.0, sector="services")]  # fmt: skip
    m = world(chain, slimming(max_layers=3, absorb_below=100.0, sibling_below=0.0))
    m.step()
    assert sorted(events(m, "merge", "move")) == [
        ("merge", "small", "B", "slimming"), ("move", "large", "A", "slimming"),
    ]  # fmt: skip
    assert m.state.layer[m.row_of("large")] == 3
    assert m.state.layer[m.state.alive].max() == 3


def test_layer_cap_of_one_absorbs_into_the_headquarters_and_makes_no_new_groups():
    m = world(
        [entity("G"), entity("big", "G", assets=900.0, sector="services"), entity("x", "big")],
        slimming(max_layers=1, sibling_below=0.0),
    )
    m.run_for(2)
    assert len(m.groups()) == 1
    assert sorted(events(m, "merge")) == [
        ("merge", "big", "G", "slimming"),
        ("merge", "x", "G", "slimming"),
    ]


def test_small_same_sector_siblings_merge_into_the_largest():
    m = world(
        [
            entity("G"),
            entity("a", "G", assets=30.0),
            entity("b", "G", assets=40.0),
            entity("c", "G", assets=20.0),
            entity("x", "G", assets=10.0, sector="services"),
        ],
        slimming(sibling_below=50.0),
    )
    m.step()
    assert sorted(events(m, "merge")) == [
        ("merge", "a", "b", "slimming"),
        ("merge", "c", "b", "slimming"),
    ]


def test_entry_approval_zero_blocks_new_subsidiaries():
    rows = [entity("G", assets=1000.0), *[entity(f"s{i}", "G") for i in range(30)]]
    m = world(rows, slimming(entry_approval=0.0, sibling_below=0.0), entry_rate=1.0)
    m.run_for(6)
    assert events(m, "enter") == []
    free = world(rows, entry_rate=1.0)
    free.run_for(6)
    assert len(events(free, "enter")) > 5


# -- 提质 quality -----------------------------------------------------------------------------


def quality(**params: float) -> PolicyConfig:
    return PolicyConfig(
        name="test",
        quality=QualityParams(enabled=True, **params),
        synergy=SynergyParams(failure=0.0, delay_months=1),
    )


def test_weakest_group_joins_the_largest_group_of_its_sector():
    m = world([entity("BIG", assets=5000.0, revenue=6000.0, operating_cost=5000.0),
               entity("MID", assets=3000.0, revenue=3600.0, operating_cost=3000.0),
               entity("weak", assets=200.0, **LOSS), entity("w1", "weak"),
               entity("OTHER", sector="commerce", assets=9000.0)],
              quality(small_assets=1000.0, weak_roe=-1.0, integrations_per_month=0))  # fmt: skip
    m.step()
    assert events(m, "merge") == [("merge", "weak", "BIG", "quality")]
    w1 = m.row_of("w1")
    assert m.state.layer[w1] == 2 and m.state.group[w1] == m.row_of("BIG")
    assert len(m.groups()) == 3


def test_non_core_business_moves_to_the_group_where_it_is_core():
    m = world(
        [
            entity("M", assets=5000.0),
            entity("m-svc", "M", sector="services", core=False),
            entity("S", sector="services", assets=3000.0),
            entity("M2", sector="energy"),
            entity("m2-x", "M2", sector="agriculture"),
        ],
        quality(group_mergers_per_month=0, max_core=1, divest=True),
    )
    m.step()
    assert ("move", "m-svc", "S", "quality") in events(m)
    assert m.state.group[m.row_of("m-svc")] == m.row_of("S")
    exits = m.events.to_frame().query("op == 'exit'")
    assert list(exits["entity_id"]) == ["m2-x"]  # no group has agriculture as core: divested


def test_merger_synergy_cuts_fixed_cost_after_the_delay():
    m = world(
        [
            entity("A", assets=5000.0, liabilities=2500.0, revenue=6000.0, operating_cost=5000.0),
            entity("B", assets=100.0),
        ],
        quality(small_assets=1000.0, integrations_per_month=0),
    )
    b_fixed = m.state.fixed_cost[m.row_of("B")]
    m.step()
    a = m.row_of("A")
    merged_fixed = m.state.fixed_cost[a]
    assert events(m) == [("merge", "B", "A", "quality")]
    m.step()
    assert ("synergy", "A", "", "quality") in events(m)
    assert m.state.fixed_cost[a] == pytest.approx(merged_fixed - 0.10 * b_fixed)


# -- 增效 efficiency and 政企分离 decoupling -----------------------------------------------------


def test_revitalisation_collection_and_repayment_amounts():
    p = EfficiencyParams(
        enabled=True,
        revitalise_rate=0.1,
        cash_share=0.5,
        market_price=0.9,
        central_local_share=0.0,
        collection_rate=0.1,
        repayment_rate=0.0,
        hazard_ratio=10.0,
        productivity_gain=0.0,
    )
    m = world(
        [entity("G", idle_assets=40.0, receivables=20.0)], PolicyConfig(name="test", efficiency=p)
    )
    m.step()
    assert m.ledger.assets_revitalised == pytest.approx(4.0)
    assert m.ledger.cash_recovered == pytest.approx(2.0 * 0.9)
    assert m.ledger.receivables_collected == pytest.approx(2.0)
    assert m.state.idle_assets[0] == pytest.approx(36.0)
    assert m.state.receivables[0] == pytest.approx(18.0)
    assert m.ledger.one_off_results == pytest.approx(-0.2)  # sold 2.0 of book for 1.8


def test_decoupling_takes_the_heaviest_burdens_first():
    m = world(
        [
            entity("G"),
            entity("a", "G", gov_function_cost=12.0),
            entity("b", "G", gov_function_cost=24.0),
            entity("c", "G", gov_function_cost=6.0),
        ],
        PolicyConfig(
            name="test", decoupling=DecouplingParams(enabled=True, per_month=2, one_off_months=3.0)
        ),
    )
    m.step()
    assert [e[1] for e in events(m, "decouple")] == ["b", "a"]
    assert m.state.gov_cost[m.row_of("c")] == pytest.approx(0.5)
    assert m.ledger.decoupled == 2
    assert m.ledger.restructuring_cost == pytest.approx(3 * 2.0 + 3 * 1.0)


# -- constraints ------------------------------------------------------------------------------


def test_capacity_budget_and_job_caps_limit_what_is_done():
    shells = [entity(f"s{i}", "G", status="shell", employees=3) for i in range(5)]
    base = [entity("G"), *shells]

    def run(**caps: float) -> int:
        policy = PolicyConfig(
            name="test", slimming=SlimmingParams(enabled=True), constraints=ConstraintParams(**caps)
        )
        m = world(base, policy)
        m.step()
        return len(events(m, "exit"))

    assert run() == 5
    assert run(capacity_per_month=2) == 2
    assert run(jobs_per_month=7) == 2
    assert run(budget=0.12) == 2  # 0.05 each


def test_small_leaves_are_absorbed_into_their_parent_smallest_first():
    rows = [entity("G", assets=1000.0), entity("A", "G", assets=300.0),
            entity("a1", "A", assets=20.0), entity("a2", "A", assets=10.0, sector="commerce"),
            entity("B", "G", assets=40.0)]  # fmt: skip
    m = world(rows, slimming(leaf_below=50.0, sibling_below=0.0, per_month=2))
    m.step()  # a2 (10) and a1 (20) first; B (40) next month; A is not a leaf until then
    assert events(m, "merge") == [("merge", "a2", "A", "slimming"),
                                  ("merge", "a1", "A", "slimming")]  # fmt: skip
    m.step()
    assert events(m, "merge")[2:] == [("merge", "B", "G", "slimming")]
    off = world(rows, slimming(sibling_below=0.0))
    off.run_for(2)
    assert events(off, "merge") == []
