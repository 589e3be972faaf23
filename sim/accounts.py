"""An entity's monthly accounts at neutral demand: the formulas the economy and the rules share.

:class:`sim.economy.Economy` books the month with these formulas, vectorised in place; the
rules and the zombie dynamics read an entity's profit at neutral demand (no sector or entity
shock: the expected volume under the mean-preserving shocks) from here, over all rows or some.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config import EconomyConfig
    from sim.state import EntityState

Rows = np.ndarray | slice
ALL: slice = slice(None)


def interest(state: EntityState, econ: EconomyConfig, rows: Rows = ALL) -> np.ndarray:
    """Monthly interest on interest-bearing external debt (mn yuan)."""
    return state.liabilities[rows] * (econ.interest_bearing_share * econ.interest_rate / 12.0)


def monthly_costs(
    state: EntityState,
    econ: EconomyConfig,
    volume: np.ndarray,
    revenue: np.ndarray,
    rows: Rows = ALL,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operating cost, management overhead and interest for a month (mn yuan each) of ``rows``
    at this ``volume`` and ``revenue``."""
    operating_cost = state.fixed_cost[rows] + state.var_cost_ratio[rows] * volume
    overhead = econ.entity_overhead / 12.0 + econ.layer_overhead * (state.layer[rows] - 1) * revenue
    return operating_cost, overhead, interest(state, econ, rows)


def neutral_profit(state: EntityState, econ: EconomyConfig, rows: Rows = ALL) -> np.ndarray:
    """Monthly profit of ``rows`` (default: every entity) at neutral demand (volume
    ``revenue_base``), mn yuan.

    A loss-maker whose neutral profit is positive is losing money because of the cycle only.
    """
    volume = state.revenue_base[rows]
    revenue = volume * state.productivity[rows]
    opcost, overhead, owed = monthly_costs(state, econ, volume, revenue, rows)
    return revenue - opcost - overhead - state.gov_cost[rows] - owed
