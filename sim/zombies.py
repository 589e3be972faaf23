"""僵尸企业 zombies: the definition, the stock at the start, and what happens to them unaided.

**Definition.** An operating entity is a zombie when it has lost money for at least
``zombie_loss_years`` years in a row, its operating profit does not cover its interest, and it has
been kept afloat by support within the last ``zombie_window`` months. This joins the two standard
definitions (docs/sources.md): the State Council's 2015 criterion for zombie enterprises
(持续亏损三年以上, loss-making for three years or more, surviving on government subsidies and
rolled-over bank loans) and the interest-coverage test of the OECD and BIS studies (an
interest-coverage ratio below one, for three years in McGowan, Andrews and Millot 2017). Losses
and coverage are read off smoothed monthly flows (``profit_ewm``, ``ebit_ewm``,
``interest_ewm``); the loss streak ``loss_months`` counts months with a negative smoothed profit.

**At the start.** The roster's ``loss_years`` and ``support_last_year`` give the history behind
the classification at month 0: a loss-maker's streak starts at ``12 * loss_years`` months, and an
entity supported last year counts as supported in the month before the start.

**Unaided.** A zombie recovers, by restructuring its costs and debts with its creditors and
owner (cutting operating cost until its profit at neutral demand is 2% of revenue, by at most
``zombie_recovery_max_cut``; the spell ends and its loss streak restarts), with annual
probability ``zombie_recovery_rate``; it is forced out
by its creditors with annual probability ``zombie_exit_rate`` at the economy's soft budget
constraint, rising in proportion to ``1 - soft_budget`` as the constraint hardens. Demand moves
zombies in and out of the definition besides. The default rates (0.14 and 0.06 a year) are the
evidence summarised in docs/sources.md: an IMF estimate that about 30% of Chinese industrial zombies
are still zombies five years on (about 0.8 a year), split between recovery and exit in the
proportion the BIS found for listed firms (60% recovered, 25% exited).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.accounts import interest, neutral_profit

if TYPE_CHECKING:
    from sim.config import EconomyConfig
    from sim.state import EntityState

OPERATING = 0


def monthly_hazard(annual: float) -> float:
    """The monthly probability equivalent to an annual one."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def classify(state: EntityState, econ: EconomyConfig) -> None:
    """Set ``zombie`` on every row from the smoothed flows, the loss streak and support."""
    state.zombie[:] = (
        state.alive
        & (state.status == OPERATING)
        & (state.profit_ewm < 0)
        & (state.ebit_ewm < state.interest_ewm)
        & (state.since_support < econ.zombie_window)
        & (state.loss_months >= 12 * econ.zombie_loss_years)
    )


def update_streak(state: EntityState) -> None:
    """One more month of losses for entities whose smoothed profit is negative; reset the rest."""
    losing = state.profit_ewm < 0
    state.loss_months += 1
    state.loss_months[~losing] = 0


def initial_history(
    state: EntityState, econ: EconomyConfig, loss_years: np.ndarray, support: np.ndarray
) -> None:
    """Streaks and support at month 0 from the roster's history columns (rows 0..n-1)."""
    n = loss_years.size
    losing = state.profit_ewm[:n] < 0
    state.loss_months[:n] = np.where(losing, 12 * loss_years, 0)
    state.since_support[:n] = np.where(support > 0, 0, econ.zombie_window)


RECOVERY_MARGIN = 0.02
"""A recovering zombie cuts costs until its neutral profit is this share of its revenue."""


def restructure(state: EntityState, econ: EconomyConfig, rows: np.ndarray) -> np.ndarray:
    """Cut the operating cost of ``rows`` until neutral profit is ``RECOVERY_MARGIN`` of revenue
    (at most ``zombie_recovery_max_cut`` of the cost), and end their zombie spell: the loss
    streak restarts and the smoothed flows restart from the new neutral month, so a recovered
    entity is a zombie again only after ``zombie_loss_years`` more years of losses. Returns the
    share of cost cut of each."""
    if rows.size == 0:
        return np.zeros(0)
    revenue = state.revenue_base[rows] * state.productivity[rows]
    gap = RECOVERY_MARGIN * revenue - neutral_profit(state, econ, rows)
    opcost = state.fixed_cost[rows] + state.var_cost_ratio[rows] * state.revenue_base[rows]
    cut = np.clip(
        np.divide(gap, opcost, out=np.zeros(rows.size), where=opcost > 0),
        0.0,
        econ.zombie_recovery_max_cut,
    )
    state.fixed_cost[rows] *= 1.0 - cut
    state.var_cost_ratio[rows] *= 1.0 - cut
    neutral = neutral_profit(state, econ, rows)
    owed = interest(state, econ, rows)
    state.profit_ewm[rows] = neutral
    state.ebit_ewm[rows] = neutral + owed
    state.interest_ewm[rows] = owed
    state.loss_months[rows] = 0
    state.zombie[rows] = False
    return cut


def hardness(econ: EconomyConfig, soft_budget: float) -> float:
    """How much harder the budget constraint is than the economy's own: (1 - soft) relative to
    (1 - economy.soft_budget)."""
    base = 1.0 - econ.soft_budget
    return (1.0 - soft_budget) / base if base > 0 else 1.0


__all__ = [
    "classify",
    "hardness",
    "initial_history",
    "monthly_hazard",
    "restructure",
    "update_streak",
]
