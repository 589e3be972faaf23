"""Tests that pin behaviour no other test pins: each one fails under a named deliberate mutation.

Every expected number is computed by hand from a small hand-built world under a calm,
deterministic economy (no shocks, entries or market exits), or from a small hand-made table. The
worlds are driven through whole model steps (``SOEModel(config, roster).step()``) and read back
through the state arrays, the ledger, the timeseries and the event log.

Hand arithmetic used below (money in mn yuan, flows per month): an entity with the default annual
revenue 120 and operating cost 100 has monthly revenue 10 and operating cost 25/3 (of which 30% is
fixed); management overhead is 1.2 / 12 = 0.1 per entity plus 1% of revenue per layer below the
headquarters; interest is liabilities x 0.5 x 6% / 12 = liabilities x 0.0025.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from worlds import INSTANT

from sim.accounts import neutral_profit
from sim.analysis import paired_comparison
from sim.config import EconomyConfig, PolicyConfig, PopulationConfig, SimConfig
from sim.model import SOEModel
from sim.policies.dispositions import DisposalParams
from sim.policies.efficiency import EfficiencyParams
from sim.policies.loss_cutting import LossCuttingParams
from sim.policies.milestones import Milestone, report_card
from sim.policies.quality import QualityParams
from sim.policies.synergy import SynergyParams
from sim.population.roster import validate_roster

DEFAULTS: dict[str, Any] = {
    "sector": "manufacturing", "assets": 100.0, "liabilities": 50.0, "revenue": 120.0,
    "operating_cost": 100.0, "employees": 10, "cash": 10.0, "status": "operating",
}  # fmt: skip

CALM: dict[str, float] = {
    "demand_vol_scale": 0.0, "idio_vol": 0.0, "entry_rate": 0.0, "bankruptcy_hazard": 0.0,
    "fixed_cost_share": 0.3, "interest_rate": 0.06, "interest_bearing_share": 0.5,
    "entity_overhead": 1.2, "layer_overhead": 0.01, "soft_budget": 0.75,
    "productivity_growth": 0.0,
}  # fmt: skip
"""No shocks, no entry, no exits, no drift: every number below is hand-computable."""

NO_PROGRAMMES: dict[str, float] = {
    "revitalise_rate": 0.0, "collection_rate": 0.0, "repayment_rate": 0.0,
    "hazard_ratio": 10.0, "productivity_gain": 0.0,
}  # fmt: skip
"""Efficiency parameters that switch every 增效/三清 programme off; a test turns one back on."""


def entity(id_: str, parent: str = "", **fields: Any) -> dict[str, Any]:
    """One roster row; unspecified fields take DEFAULTS (a small profitable manufacturer)."""
    return {"id": id_, "parent_id": parent, "name": f"企业{id_}", **DEFAULTS, **fields}


def model(rows: list[dict[str, Any]], policy: PolicyConfig) -> SOEModel:
    """A model of these entities under ``policy`` and the calm economy."""
    cfg = SimConfig(
        seed=7,
        months=24,
        population=PopulationConfig(source="roster", path="-"),
        economy=EconomyConfig(**CALM),  # type: ignore[arg-type]
        policy=policy,
    )
    return SOEModel(cfg, roster=validate_roster(pd.DataFrame(rows), source="test_mutations"))


def events(m: SOEModel, *ops: str) -> list[tuple[str, str, str, str]]:
    """(op, entity, target, rule) of the logged events, optionally only these operations."""
    frame = m.events.to_frame()
    if ops:
        frame = frame[frame["op"].isin(ops)]
    return list(frame[["op", "entity_id", "target_id", "rule"]].itertuples(index=False, name=None))


def efficiency(**params: float) -> PolicyConfig:
    p = EfficiencyParams(enabled=True, **{**NO_PROGRAMMES, **params})  # type: ignore[arg-type]
    return PolicyConfig(name="test", efficiency=p)


def quality(**params: Any) -> PolicyConfig:
    return PolicyConfig(
        name="test",
        quality=QualityParams(enabled=True, integrations_per_month=0, **params),
        disposal=DisposalParams(**INSTANT),
        synergy=SynergyParams(
            failure=0.0, delay_months=1, cost_cut=0.1, productivity_convergence=0.3
        ),
    )


# -- 1. 清除风险隐患: parents pay down their high-risk subsidiaries' debt ------------------------


def test_parent_pays_down_the_debt_of_a_high_risk_subsidiary():
    """Mutation 1 (efficiency ``_clear_hazards`` switched off): the hazard's debt stays put.

    H owes 95 on assets 100 (after the month's profit of 10 - 25/3 - 0.2 - 0.2375 = 1.229..., the
    ratio is 95 / 101.23 = 0.94 > 0.9), so its parent G pays down 5% of it, 4.75, from its cash;
    H then owes G 4.75. S (ratio 0.5) and G itself (a headquarters) are not hazards.
    """
    m = model(
        [
            entity("G", assets=500.0, liabilities=480.0, cash=50.0),  # ratio 0.96, but an HQ
            entity("H", "G", liabilities=95.0),
            entity("S", "G"),
        ],
        efficiency(hazard_ratio=0.9, hazard_paydown=0.05),
    )
    g, h, s = m.row_of("G"), m.row_of("H"), m.row_of("S")
    m.step()
    assert m.state.liabilities[h] == pytest.approx(90.25)
    assert m.state.intra_loan[h] == pytest.approx(4.75)
    assert m.state.liabilities[s] == pytest.approx(50.0)
    assert m.state.liabilities[g] == pytest.approx(480.0)
    assert m.state.intra_loan[s] == 0.0
    # G: 50 + month's profit (10 - 25/3 - 0.1 - 480 x 0.0025 = 0.3666...) - 4.75 paid for H.
    assert m.state.cash[g] == pytest.approx(50.0 + 10.0 - 25.0 / 3.0 - 0.1 - 1.2 - 4.75)
    assert m.ledger.hazards_cleared == pytest.approx(4.75)
    assert m.timeseries()["hazards_cleared"].tolist() == pytest.approx([0.0, 4.75])


# -- 2. 央地合作: sales through central-local cooperation at their own price ---------------------


def test_central_local_sales_are_priced_at_the_central_local_price():
    """Mutation 2 (central-local sales priced at ``market_price``): less cash comes back.

    10% of G's 100 idle assets are revitalised: 10, half of it sold (5); 40% of the sales (2) go
    through central-local cooperation at 1.2 x book, the other 3 at 0.9 x book:
    cash = 3 x 0.9 + 2 x 1.2 = 5.1 for 5 of book, a one-off gain of 0.1.
    """
    m = model(
        [entity("G", assets=300.0, idle_assets=100.0)],
        efficiency(
            revitalise_rate=0.1,
            cash_share=0.5,
            market_price=0.9,
            central_local_share=0.4,
            central_local_price=1.2,
        ),
    )
    m.step()
    assert m.ledger.assets_revitalised == pytest.approx(10.0)
    assert m.ledger.cash_recovered == pytest.approx(5.1)
    assert m.ledger.central_local_cash == pytest.approx(2.4)
    assert m.ledger.one_off_results == pytest.approx(0.1)
    assert m.state.idle_assets[0] == pytest.approx(90.0)
    # 10 + month's profit (10 - 25/3 - 0.1 - 50 x 0.0025) + 5.1 from the sales.
    assert m.state.cash[0] == pytest.approx(10.0 + 10.0 - 25.0 / 3.0 - 0.1 - 0.125 + 5.1)
    assert m.timeseries()["cash_recovered"].tolist() == pytest.approx([0.0, 5.1])


# -- 3. merger synergy: productivity converges to the better of the two ----------------------


def test_merger_synergy_closes_part_of_the_productivity_gap():
    """Mutation 3 (synergy ``realise`` without the productivity convergence).

    A (monthly volume 500, productivity 1.5) absorbs the loss-making B (volume 100, productivity
    1): the merged productivity is the volume-weighted (500 x 1.5 + 100 x 1) / 600 = 17/12. A
    month later the synergy closes 30% of the gap to 1.5: 17/12 + 0.3 x (1.5 - 17/12) = 1.441666.
    It also removes 10% of B's fixed cost (0.3 x 1300 / 12 = 32.5) from the merged 125 + 32.5.
    """
    m = model(
        [
            entity("A", assets=5000.0, liabilities=2500.0, revenue=6000.0, operating_cost=5000.0),
            entity("B", revenue=1200.0, operating_cost=1300.0),
        ],
        quality(small_assets=1000.0),
    )
    a = m.row_of("A")
    m.state.productivity[a] = 1.5
    m.step()
    assert events(m) == [("merge", "B", "A", "quality")]
    assert m.state.productivity[a] == pytest.approx(17.0 / 12.0)
    assert m.state.fixed_cost[a] == pytest.approx(157.5)
    m.step()
    assert events(m, "synergy") == [("synergy", "A", "", "quality")]
    assert m.state.productivity[a] == pytest.approx(17.0 / 12.0 + 0.3 * (1.5 - 17.0 / 12.0))
    assert m.state.productivity[a] == pytest.approx(1.4416666666666667)
    assert m.state.fixed_cost[a] == pytest.approx(157.5 - 3.25)


# -- 4. 战略性重组 in subsidiary mode: the weaker HQ becomes a subsidiary ------------------------


def test_subsidiary_mode_makes_the_weaker_headquarters_a_subsidiary():
    """Mutation 4 (``merger_mode=subsidiary`` ignored: the weaker HQ is absorbed anyway).

    The weak group moves under BIG with its subsidiary: weak at layer 2, w1 at layer 3, both in
    BIG's group; weak stays alive and BIG's equity base (4950) grows by weak's group's equity
    (weak 200 - 50 plus w1 100 - 50 = 200).
    """
    m = model(
        [
            entity("BIG", assets=5000.0, revenue=6000.0, operating_cost=5000.0),
            entity("weak", assets=200.0, cash=50.0, revenue=120.0, operating_cost=240.0),
            entity("w1", "weak"),
        ],
        quality(small_assets=1000.0, merger_mode="subsidiary"),
    )
    big, weak, w1 = m.row_of("BIG"), m.row_of("weak"), m.row_of("w1")
    base_big = m.state.equity_base[big]
    base_weak = m.state.equity_base[weak]
    assert (base_big, base_weak) == (pytest.approx(4950.0), pytest.approx(150.0 + 50.0))
    m.step()
    assert events(m) == [("move", "weak", "BIG", "quality")]
    assert m.state.alive[weak] and m.state.fate[weak] == 0
    assert int(m.state.parent[weak]) == big
    assert (int(m.state.layer[weak]), int(m.state.layer[w1])) == (2, 3)
    assert int(m.state.group[weak]) == big and int(m.state.group[w1]) == big
    assert [g.entity_id for g in m.groups()] == ["BIG"]
    assert m.state.equity_base[big] == pytest.approx(base_big + base_weak)
    assert m.state.equity_base[weak] == 0.0


# -- 5. neutral profit includes interest ------------------------------------------------------


L_ROWS = [
    entity("G"),
    entity("L", "G", assets=1000.0, liabilities=900.0, cash=100.0),
]
"""L earns 10 - 25/3 - (0.1 + 0.1) = 22/15 a month before interest and pays 900 x 0.0025 = 2.25:
loss-making at neutral demand only because of its interest."""


def test_neutral_profit_is_after_interest():
    """Mutation 5 (interest dropped from ``neutral_profit``), read directly."""
    m = model(L_ROWS, PolicyConfig(name="none"))
    got = neutral_profit(m.state, m.config.economy)
    assert got[m.row_of("G")] == pytest.approx(10.0 - 25.0 / 3.0 - 0.1 - 50.0 * 0.0025)
    assert got[m.row_of("L")] == pytest.approx(22.0 / 15.0 - 2.25)
    assert got[m.row_of("L")] == pytest.approx(-0.7833333333333333)


def test_loss_maker_losing_only_through_interest_is_structural_not_cyclical():
    """Mutation 5 (interest dropped from ``neutral_profit``): L would look cyclical (profitable at
    neutral demand) and be left alone.

    With interest L is a structural loss-maker in a core business, not a zombie (never
    supported), so it gets a turnaround costing 1% of a year's operating cost: 0.01 x 100 = 1.
    """
    m = model(
        L_ROWS,
        PolicyConfig(
            name="test",
            loss_cutting=LossCuttingParams(enabled=True, turnaround_cost=0.01),
        ),
    )
    row = m.row_of("L")
    m.step()
    assert not m.state.zombie[row]
    assert m.state.profit_hist[:, row].sum() < 0
    assert events(m) == [("turnaround", "L", "", "loss_cutting")]
    assert m.ledger.turnarounds_started == 1
    assert m.ledger.restructuring_cost == pytest.approx(1.0)
    # L's cash: 100 + the month's profit (22/15 - 2.25) - the turnaround's cost.
    assert m.state.cash[row] == pytest.approx(100.0 + 22.0 / 15.0 - 2.25 - 1.0)


# -- 6. paired comparison: scenario minus baseline, and which way is better -------------------


def test_paired_comparison_is_scenario_minus_baseline_seed_by_seed():
    """Mutation 6 (sign of the paired comparison flipped).

    entities (lower is better): plan - base = [-2, -1, 0] over three seeds: mean -1, 5-95% band
    -1.9 to -0.1, better in two seeds and tied in one: chance 2/3 + 1/2 x 1/3 = 5/6.
    equity (higher is better): [3, -3, 6]: mean 2, band -2.4 to 5.7, chance 2/3.
    """
    rows = []
    for scenario, entities, equity in (
        ("base", [10, 10, 10], [100.0, 100.0, 100.0]),
        ("plan", [8, 9, 10], [103.0, 97.0, 106.0]),
    ):
        for seed in range(3):
            rows.append((scenario, seed, 1, "2024-01", 99, 0.0))  # another date: ignored
            rows.append((scenario, seed, 2, "2024-02", entities[seed], equity[seed]))
    ts = pd.DataFrame(rows, columns=["scenario", "seed", "month", "date", "entities", "equity"])
    out = paired_comparison(ts, "base", "2024-02", ["entities", "equity"])
    assert list(out["scenario"]) == ["plan", "plan"]
    assert list(out["baseline"]) == ["base", "base"]
    assert list(out["indicator"]) == ["entities", "equity"]
    assert list(out["seeds"]) == [3, 3]
    got = out.set_index("indicator")
    assert got.loc["entities", "mean_diff"] == pytest.approx(-1.0)
    assert got.loc["entities", "diff_p5"] == pytest.approx(-1.9)
    assert got.loc["entities", "diff_p95"] == pytest.approx(-0.1)
    assert got.loc["entities", "chance_better"] == pytest.approx(5.0 / 6.0)
    assert got.loc["equity", "mean_diff"] == pytest.approx(2.0)
    assert got.loc["equity", "diff_p5"] == pytest.approx(-2.4)
    assert got.loc["equity", "diff_p95"] == pytest.approx(5.7)
    assert got.loc["equity", "chance_better"] == pytest.approx(2.0 / 3.0)


# -- 7. the report card: milestones before the run --------------------------------------------


def test_report_card_marks_milestones_before_the_run():
    """Mutation 7 (the "before the run" status removed from ``report_card``).

    A run starting 2024-01 with months 0-3 (month 0 is the start state, dated 2023-12): a
    milestone in 2023-06 (month -5) falls before the run, 2024-02 and 2024-03 (months 2, 3) are
    scored, 2025-06 (month 18) falls after the run.
    """
    ts = pd.DataFrame({
        "month": [0, 1, 2, 3],
        "date": ["2023-12", "2024-01", "2024-02", "2024-03"],
        "groups": [10.0, 9.0, 8.0, 7.0],
    })  # fmt: skip
    milestones = [
        Milestone(date="2025-06", targets={"groups": 2.0}),
        Milestone(date="2024-03", targets={"groups": 6.0}),
        Milestone(date="2023-06", targets={"groups": 5.0}),
        Milestone(date="2024-02", targets={"groups": 8.0}),
    ]
    card = report_card(ts, milestones, "2024-01")
    assert list(card["milestone"]) == ["2023-06", "2024-02", "2024-03", "2025-06"]
    assert list(card["status"]) == ["before the run", "met", "missed", "after the run"]
    assert list(card["met"]) == [False, True, False, False]
    assert list(card["target_value"]) == [5.0, 8.0, 6.0, 2.0]
    achieved = card["achieved"].to_numpy()
    assert np.isnan(achieved[[0, 3]]).all()
    assert achieved[1:3].tolist() == [8.0, 7.0]


def test_a_milestone_due_the_month_before_the_start_is_before_the_run():
    """Month 0 is the start state, dated the month before ``start``: a target due then was not
    something the run could meet or miss."""
    import pandas as pd

    from sim.policies.milestones import Milestone, report_card

    ts = pd.DataFrame({"month": [0, 1], "date": ["2023-12", "2024-01"], "groups": [51.0, 50.0]})
    card = report_card(ts, [Milestone(date="2023-12", targets={"groups": 60})], "2024-01")
    assert card["status"].tolist() == ["before the run"]
    assert not card["met"].iloc[0]
