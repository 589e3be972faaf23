"""Exact-number tests of the monthly economy on the hand-built five-entity world."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import five_entity_model

from sim import rand
from sim.state import FATE_CODE

G, A, B, A1, A2 = range(5)


def test_month_zero_flows_are_the_roster_at_neutral_demand(world):
    st = world.state
    np.testing.assert_allclose(st.revenue, [100.0, 50.0, 200.0, 10.0, 0.0])
    np.testing.assert_allclose(st.operating_cost, [80.0, 45.0, 198.0, 14.0, 0.5])
    # overhead = 1.2/12 per entity + 1% of revenue per layer below the HQ
    np.testing.assert_allclose(st.overhead, [0.1, 0.6, 2.1, 0.3, 0.1])
    # interest = liabilities * 50% interest-bearing * 6% / 12
    np.testing.assert_allclose(st.interest, [1.5, 0.5, 0.375, 0.1, 0.0125])
    np.testing.assert_allclose(st.profit, [18.4, 3.9, -0.475, -4.4, -0.6125])
    np.testing.assert_allclose(st.ttm_profit(), 12 * st.profit)


def test_one_month_books_profit_into_cash_and_equity(world):
    st = world.state
    equity_before = st.equity().copy()
    world.step()
    assert world.month == 1 and world.time == 1
    np.testing.assert_allclose(st.profit, [18.4, 3.9, -0.475, -4.4, -0.6125])
    # A1 ends at cash 1 - 4.4 = -3.4: A covers 75% (2.55) by loan, A1 borrows 0.85 outside.
    np.testing.assert_allclose(st.cash, [118.4, 40.0 + 3.9 - 2.55, 29.525, 0.0, 1.3875])
    np.testing.assert_allclose(st.intra_loan, [0.0, 20.0, 0.0, 5.0 + 2.55, 0.0])
    np.testing.assert_allclose(st.liabilities, [600.0, 200.0, 150.0, 40.85, 5.0])
    np.testing.assert_allclose(st.support, [0.0, 0.0, 0.0, 2.55, 0.0])
    # Consolidated equity moves by profit only: support and borrowing are balance-sheet moves.
    assert st.equity().sum() == pytest.approx(equity_before.sum() + st.profit.sum())


def test_soft_budget_zero_means_all_shortfall_is_borrowed_outside():
    model = five_entity_model(soft_budget=0.0)
    model.step()
    st = model.state
    assert st.support.sum() == 0.0
    assert st.intra_loan[A1] == pytest.approx(5.0)
    assert st.liabilities[A1] == pytest.approx(43.4)
    assert st.cash[A] == pytest.approx(43.9)


def test_soft_budget_drains_parents_up_the_chain():
    model = five_entity_model(soft_budget=1.0)
    st = model.state
    st.cash[A] = 0.0  # A cannot pay A1's shortfall from its own cash: G must cover A in turn
    st.assets[A] -= 40.0
    model.step()
    # A1 needs 3.4; A pays it, falling to 3.9 - 3.4 = 0.5 >= 0, so G pays nothing.
    assert st.cash[A] == pytest.approx(0.5)
    st.cash[A] = -1.0
    st.assets[A] -= 1.5
    model.economy._soft_budget(st)
    assert st.support[A] == pytest.approx(1.0)
    assert st.intra_loan[A] == pytest.approx(21.0)


def test_persistent_supported_loss_maker_is_a_zombie():
    """A1 loses money and is supported by A: a zombie once its loss streak is long enough."""
    model = five_entity_model(zombie_loss_years=0)
    assert not model.state.zombie.any()
    model.run_for(3)
    assert model.state.zombie.tolist() == [False, False, False, True, False]
    strict = five_entity_model(zombie_loss_years=1)  # twelve months of losses first
    strict.run_for(11)
    assert not strict.state.zombie.any()
    strict.step()
    assert strict.state.zombie.tolist() == [False, False, False, True, False]


def test_sector_demand_shock_is_common_to_a_sector():
    model = five_entity_model(demand_vol_scale=1.0)
    model.run_for(6)
    st = model.state
    # G and A are both manufacturing with no entity shock: revenue stays in the roster ratio 2:1.
    assert st.revenue[G] / st.revenue[A] == pytest.approx(2.0)
    assert st.revenue[G] != pytest.approx(100.0)


def test_entity_shock_is_drawn_by_key_and_its_volume_is_mean_preserving():
    model = five_entity_model(idio_vol=0.12, idio_persistence=0.85)
    st = model.state
    assert st.key.tolist() == [0, 1, 2, 3, 4]  # initial entities: key = row
    model.step()
    eta = rand.normal(model.config.seed, rand.STREAM_IDIO, np.arange(5), 1)
    np.testing.assert_allclose(st.idio, np.sqrt(1 - 0.85**2) * 0.12 * eta)
    # one month from 0: variance 0.12**2 * (1 - 0.85**2); half of it comes off the log volume
    half_var = 0.5 * 0.12**2 * (1 - 0.85**2)
    np.testing.assert_allclose(
        st.revenue, np.array([100.0, 50.0, 200.0, 10.0, 0.0]) * np.exp(st.idio - half_var)
    )


def test_layer_overhead_rewards_flatter_trees(world):
    st = world.state
    before = st.overhead[A1]
    world.move(A1, G, rule="test", reason="flatten")
    world.step()
    assert st.layer[A1] == 2
    assert st.overhead[A1] == pytest.approx(before - 0.01 * 10.0)


def test_insolvent_unsupported_subsidiary_fails():
    model = five_entity_model(soft_budget=0.0, bankruptcy_hazard=1.0)
    st = model.state
    st.liabilities[A1] = 80.0  # own-book equity 50 - 80 - 5 < 0
    model.step()
    assert not st.alive[A1]
    assert st.fate[A1] == FATE_CODE["bankrupt"]
    events = model.events.to_frame()
    row = events[events.entity_id == "A1"].iloc[0]
    assert (row.op, row.fate, row.rule) == ("exit", "bankrupt", "economy")
    assert row.proceeds == 0.0  # 40% recovery of ~45.6 assets does not cover 80+ debt
    assert [c.entity_id for c in model.entity(A).children] == ["A2"]


def test_entry_founds_subsidiaries_one_layer_below_a_solvent_parent():
    model = five_entity_model(entry_rate=1.0)
    model.run_for(12)
    st = model.state
    new = np.flatnonzero(st.born > 0)
    assert new.size > 0
    assert (st.layer[new] == st.layer[st.parent[new]] + 1).all()
    assert (st.group[new] == G).all()
    events = model.events.to_frame()
    assert (events.op == "enter").sum() == new.size
