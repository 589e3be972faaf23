"""Zombies (僵尸企业): the definition at month 0 from the roster's history, and what happens to
zombies unaided: some recover, some are forced out, at the declared rates."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import calm_economy
from worlds import entity, world

from sim.config import PopulationConfig, SimConfig
from sim.model import SOEModel
from sim.zombies import hardness, monthly_hazard

LOSS = {"revenue": 120.0, "operating_cost": 240.0, "cash": 1.0, "liabilities": 95.0}
"""A heavily indebted entity losing about 10 mn yuan a month."""


def test_zombies_at_month_0_follow_the_history_columns():
    rows = [
        entity("G", assets=10000.0),
        entity("Z", "G", loss_years=3, support_last_year=12.0, **LOSS),  # the definition
        entity("Y", "G", loss_years=2, support_last_year=12.0, **LOSS),  # too short a streak
        entity("U", "G", loss_years=5, support_last_year=0.0, **LOSS),  # not kept afloat
        entity("P", "G", loss_years=4, support_last_year=12.0),  # profitable now: no streak
    ]
    m = world(rows)
    zombie = {i: bool(m.state.zombie[m.row_of(i)]) for i in "ZYUP"}
    assert zombie == {"Z": True, "Y": False, "U": False, "P": False}
    assert m.timeseries().iloc[0]["zombies"] == 1
    assert m.state.loss_months[m.row_of("Z")] == 36
    assert m.state.loss_months[m.row_of("P")] == 0


def test_a_streak_grows_month_by_month_into_zombie_status():
    rows = [entity("G", assets=10000.0),
            entity("Y", "G", loss_years=2, support_last_year=12.0, **LOSS)]  # fmt: skip
    m = world(rows, zombie_window=24)
    y = m.row_of("Y")
    m.run_for(11)
    assert not m.state.zombie[y] and m.state.loss_months[y] == 35
    m.step()
    assert m.state.zombie[y]


def zombie_population(n: int = 40000, **economy: float) -> SOEModel:
    cfg = SimConfig(
        seed=3,
        months=12,
        population=PopulationConfig(n_entities=n, zombie_share=0.3),
        economy=calm_economy(**economy),
    )
    return SOEModel(cfg)


def test_unaided_zombies_recover_and_exit_at_the_declared_rates():
    rates = {"zombie_recovery_rate": 0.2, "zombie_exit_rate": 0.1}
    m = zombie_population(**rates)
    start = np.flatnonzero(m.state.zombie)
    assert start.size > 3000
    m.run_for(12)
    frame = m.events.to_frame()
    ids = {m.state.ids[r] for r in start.tolist()}
    exits = frame[(frame["op"] == "exit") & frame["entity_id"].isin(ids)]
    restructured = frame[(frame["op"] == "restructure") & frame["entity_id"].isin(ids)]
    exit_share = exits["entity_id"].nunique() / start.size
    recovery_share = restructured["entity_id"].nunique() / start.size
    # Annual rates: an entity can restructure only while it is a zombie and alive.
    assert exit_share == pytest.approx(0.1, abs=0.02)
    assert recovery_share == pytest.approx(0.2, abs=0.03)
    assert (exits["reason"] == "zombie forced out by its creditors").all()
    # A recovery ends the spell: each entity restructures once, and is no zombie afterwards.
    assert len(restructured) == restructured["entity_id"].nunique()
    rows = [m.row_of(i) for i in restructured["entity_id"]]
    assert not m.state.zombie[rows].any()


def test_a_recovered_zombie_is_profitable_at_neutral_demand_and_no_longer_a_zombie():
    rows = [entity("G", assets=10000.0),
            entity("Z", "G", loss_years=3, support_last_year=12.0, **LOSS)]  # fmt: skip
    m = world(rows, zombie_recovery_rate=1.0, zombie_recovery_max_cut=0.6)
    z = m.row_of("Z")
    assert m.state.zombie[z]
    m.step()
    assert not m.state.zombie[z] and m.state.loss_months[z] == 0
    from sim.accounts import neutral_profit

    assert neutral_profit(m.state, m.config.economy, np.array([z]))[0] > 0
    m.run_for(6)
    assert (m.events.to_frame()["op"] == "restructure").sum() == 1


def test_a_hard_budget_constraint_forces_more_zombies_out():
    soft, hard = (zombie_population(n=20000, zombie_exit_rate=0.1) for _ in range(2))
    hard.economy.soft_budget = 0.25  # the calm economy's 0.75, hardened: 3 times the exit rate
    for m in (soft, hard):
        m.run_for(6)
    out = [int((m.events.to_frame()["reason"] == "zombie forced out by its creditors").sum())
           for m in (soft, hard)]  # fmt: skip
    assert out[1] > 2 * out[0] > 0


def test_hazard_helpers():
    assert 1 - (1 - monthly_hazard(0.2)) ** 12 == pytest.approx(0.2)
    econ = calm_economy()
    assert hardness(econ, econ.soft_budget) == 1.0
    assert hardness(econ, 0.25) == pytest.approx(3.0)
