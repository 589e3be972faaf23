"""The monthly economy, vectorised over all entities.

One call of :meth:`Economy.step` is one month:

1. sector demand: a persistent AR(1) in log demand per sector, with correlated innovations (one
   common factor, ``demand_correlation``); an entity-level AR(1) shock on top;
2. profit and loss: revenue = volume x productivity; operating cost = fixed + variable x volume;
   management overhead = a fixed cost per legal entity plus a share of revenue per layer below the
   headquarters (the economic reason flatter trees pay); interest on interest-bearing external debt;
   the cost of carried government functions; profit goes to cash and so to equity;
3. the soft budget constraint (预算软约束): from the deepest layer up, a parent covers the share
   ``soft_budget`` of a subsidiary's cash shortfall with an intra-group loan, draining its own cash;
   the rest, and any headquarters' shortfall, is borrowed externally;
4. zombie classification (僵尸企业, :mod:`sim.zombies`): an operating entity with a loss streak
   of ``zombie_loss_years``, interest coverage below 1, and support within the last
   ``zombie_window`` months;
5. market exits: an insolvent subsidiary (negative equity on its own books) fails with monthly
   probability ``bankruptcy_hazard * (1 - soft_budget)``; hardening the budget constraint raises it;
6. entry: new subsidiaries appear at ``entry_rate`` a year, founded by solvent operating entities.

Structural changes (5, 6) are *proposed* here and applied by the model's structural operations;
the unaided fates of zombies (recovery, a creditor-forced exit) are drawn in the model's market
stage (:meth:`sim.model.SOEModel._zombie_fates`).

Random numbers. Sector demand draws from its own sequential generator (``demand_rng``), which
nothing state-dependent touches, so every plan run with the same seed faces the same macro path.
Per-entity draws are keyed (:mod:`sim.rand`): the entity shock's innovation and the market-exit
draw are pure functions of (run seed, stream, entity key, month), so an entity that exists under
two plans gets the same numbers under both, whatever else the plans did to the population
(common random numbers entity by entity). Entry draws (how many subsidiaries are founded, by
whom, their size and sector) stay on the sequential generator ``rng``: they are draws about the
portfolio, not shocks to an existing entity, and a new entity's own shocks are keyed by its key.

Mean-preserving shocks. The monthly volume is ``revenue_base * exp(d + e - (V_d + V_e) / 2)``
with ``d`` the sector's log demand, ``e`` the entity shock and ``V_d``, ``V_e`` their variances
this month, so its expectation is ``revenue_base`` in every month and the economy has no trend
but the declared one (``productivity_growth``, 0 by default). Both shocks are AR(1) processes
started at 0 (sector demand at month 0, an entity's shock at its birth month) with innovations
scaled so that the stationary standard deviation is ``sigma``; after ``t`` innovations the
variance is exactly ``sigma**2 * (1 - rho**(2 t))``, which is what is used (per sector for
demand; by the entity's age for its own shock), not the stationary ``sigma**2``. An entity that
absorbed another in a merger carries the revenue-weighted mean of the two shocks, whose variance
is somewhat smaller: its correction is then slightly too large (a bias of at most half the
entity shock's variance, 0.7% of volume at the defaults, on merged entities only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import rand, zombies
from sim.sectors import MAX_MARGIN, N_SECTORS, sector_array
from sim.state import HISTORY_MONTHS, EntityState

if TYPE_CHECKING:
    from sim.config import EconomyConfig


@dataclass(frozen=True)
class EntrySpec:
    """New subsidiaries to create: parent rows and their initial state arrays."""

    parents: np.ndarray
    sector: np.ndarray
    core: np.ndarray
    equity_injection: np.ndarray
    assets: np.ndarray
    liabilities: np.ndarray
    revenue_base: np.ndarray
    var_cost_ratio: np.ndarray
    fixed_cost: np.ndarray
    employees: np.ndarray
    land_mu: np.ndarray

    def where(self, keep: np.ndarray) -> EntrySpec | None:
        """The entries where ``keep`` is true (None when none is left)."""
        if keep.all():
            return self
        if not keep.any():
            return None
        return EntrySpec(**{k: getattr(self, k)[keep] for k in self.__dataclass_fields__})


class Economy:
    """Holds the sector demand state and advances the economy one month at a time."""

    def __init__(
        self,
        econ: EconomyConfig,
        rng: np.random.Generator,
        demand_rng: np.random.Generator | None = None,
        *,
        seed: int,
    ) -> None:
        self.cfg = econ
        self.rng = rng
        """Sequential draws about the portfolio: entries (how many, by whom, their profile)."""
        self.demand_rng = demand_rng if demand_rng is not None else rng
        """Sector demand draws only, so the macro path is the same under every policy."""
        self.seed = int(seed)
        """The run seed, behind the keyed per-entity draws (:mod:`sim.rand`)."""
        self.month = 0
        """The month last stepped (0 before the first), for the keyed exit draws."""
        self.soft_budget = econ.soft_budget
        """Share of subsidiaries' shortfalls parents cover; a policy may harden it (lower it)."""
        self.demand = np.zeros(N_SECTORS)
        self._sector_vol = sector_array("demand_vol") * econ.demand_vol_scale
        self._margin = sector_array("margin")
        self._margin_sd = sector_array("margin_sd")
        self._turnover = sector_array("turnover")
        self._debt = sector_array("debt_ratio")
        self._staff = sector_array("staff_per_revenue")
        self._land = sector_array("land_per_asset")
        weights = sector_array("weight")
        self._sector_p = weights / weights.sum()

    # -- initial conditions -------------------------------------------------------------------
    def initialise(self, state: EntityState) -> None:
        """Set last-month flows, profit history and smoothed indicators from neutral demand."""
        rows = slice(0, state.n)
        self._neutral_flows(state, rows)
        for k in range(HISTORY_MONTHS):
            state.profit_hist[k, rows] = state.profit[rows]
        state.since_support[rows] = self.cfg.zombie_window
        self._classify_zombies(state)

    def _neutral_flows(self, state: EntityState, rows: slice) -> None:
        volume = state.revenue_base[rows]
        revenue = volume * state.productivity[rows]
        fixed = state.fixed_cost[rows]
        opcost = fixed + state.var_cost_ratio[rows] * volume
        overhead = (
            self.cfg.entity_overhead / 12.0
            + self.cfg.layer_overhead * (state.layer[rows] - 1) * revenue
        )
        interest = state.liabilities[rows] * (
            self.cfg.interest_bearing_share * self.cfg.interest_rate / 12.0
        )
        ebit = revenue - opcost - overhead - state.gov_cost[rows]
        state.revenue[rows] = revenue
        state.operating_cost[rows] = opcost
        state.overhead[rows] = overhead
        state.interest[rows] = interest
        state.profit[rows] = ebit - interest
        state.profit_ewm[rows] = ebit - interest
        state.ebit_ewm[rows] = ebit
        state.interest_ewm[rows] = interest

    # -- one month ----------------------------------------------------------------------------
    def demand_half_variance(self, month: int) -> np.ndarray:
        """Half the variance of each sector's log demand in ``month`` (AR(1) from 0 at month 0)."""
        rho = self.cfg.demand_persistence
        return 0.5 * self._sector_vol**2 * (1.0 - rho ** (2 * month))

    def idio_half_variance(self, month: int) -> np.ndarray:
        """Half the variance of an entity shock by age (months since birth, 0 .. ``month``)."""
        rho, sigma = self.cfg.idio_persistence, self.cfg.idio_vol
        return 0.5 * sigma**2 * (1.0 - rho ** (2.0 * np.arange(month + 1)))

    def step(self, state: EntityState, month: int) -> None:
        """Advance demand, book the month's profit and loss, apply the soft budget constraint.

        ``month``: the month simulated, 1 for the first; demand is 0 at month 0 and an entity's
        shock at its birth month (``state.born``), which the mean-preserving correction uses."""
        cfg = self.cfg
        self.month = month
        common = self.demand_rng.standard_normal()
        own = self.demand_rng.standard_normal(N_SECTORS)
        rho = cfg.demand_persistence
        shock = np.sqrt(cfg.demand_correlation) * common + np.sqrt(1 - cfg.demand_correlation) * own
        self.demand = rho * self.demand + np.sqrt(1 - rho**2) * self._sector_vol * shock
        rho_i = cfg.idio_persistence
        eta = rand.normal(self.seed, rand.STREAM_IDIO, state.key, month)
        eta *= np.sqrt(1 - rho_i**2) * cfg.idio_vol
        state.idio *= rho_i
        state.idio += eta
        del eta

        if cfg.productivity_growth:
            state.productivity *= (1.0 + cfg.productivity_growth) ** (1.0 / 12.0)
        # Written in place into the state's flow columns: at a million entities every temporary
        # array is 8 MB. The formulas are those of sim.accounts.monthly_costs.
        # Rows that left, as indices: a few percent of the rows, so zeroing them by index
        # skips a pass over a million flags for each of the five columns zeroed below.
        dead = np.flatnonzero(~state.alive)
        # log volume: the shocks less half their variance, so the volume's mean is revenue_base
        volume = (self.demand - self.demand_half_variance(month))[state.sector]
        volume += state.idio
        if cfg.idio_vol:  # by age, month - born (fancy indexing is faster than np.take here)
            volume -= self.idio_half_variance(month)[month - state.born]
        np.exp(volume, out=volume)
        volume *= state.revenue_base
        volume[dead] = 0.0
        np.multiply(volume, state.productivity, out=state.revenue)
        np.multiply(state.var_cost_ratio, volume, out=state.operating_cost)
        state.operating_cost += state.fixed_cost
        np.multiply(state.layer - 1, state.revenue, out=state.overhead)
        state.overhead *= cfg.layer_overhead
        state.overhead += cfg.entity_overhead / 12.0
        np.multiply(
            state.liabilities,
            cfg.interest_bearing_share * cfg.interest_rate / 12.0,
            out=state.interest,
        )
        ebit = volume  # the volume buffer is free now
        np.subtract(state.revenue, state.operating_cost, out=ebit)
        ebit -= state.overhead
        ebit -= state.gov_cost
        for arr in (state.operating_cost, state.overhead, state.interest, ebit):
            arr[dead] = 0.0
        np.subtract(ebit, state.interest, out=state.profit)
        profit, interest = state.profit, state.interest
        state.profit_hist[month % HISTORY_MONTHS] = profit
        state.cash += profit
        state.assets += profit

        self._soft_budget(state)
        alpha = 1.0 / cfg.zombie_window
        state.profit_ewm += alpha * (profit - state.profit_ewm)
        state.ebit_ewm += alpha * (ebit - state.ebit_ewm)
        state.interest_ewm += alpha * (interest - state.interest_ewm)
        self._classify_zombies(state, month)

    def _soft_budget(self, state: EntityState) -> None:
        """Parents cover subsidiaries' cash shortfalls (share ``soft_budget``), deepest first."""
        state.support[:] = 0.0
        short = np.flatnonzero(state.alive & (state.cash < 0))
        if short.size == 0:
            state.since_support += 1
            return
        soft = self.soft_budget
        # Only the rows short now and the parents debited on the way up can be short at a layer:
        # track those instead of rescanning every row for every layer.
        pending: dict[int, list[np.ndarray]] = {}
        layers = state.layer[short]
        for layer in np.unique(layers).tolist():
            pending[layer] = [short[layers == layer]]
        marked = np.zeros(state.n, dtype=bool)
        for layer in range(max(pending), 0, -1):
            if layer not in pending:
                continue
            # The distinct rows in ascending order, as np.unique gives them, by marking them
            # in a flag array and reading it back: parents repeat (one per short subsidiary),
            # and sorting them cost more than a pass over a million flags.
            for part in pending.pop(layer):
                marked[part] = True
            rows = np.flatnonzero(marked)
            marked[rows] = False
            rows = rows[state.cash[rows] < 0]
            if rows.size == 0:
                continue
            need = -state.cash[rows]
            covered = need * soft if layer > 1 else np.zeros_like(need)
            if layer > 1:
                parents = state.parent[rows]
                np.subtract.at(state.cash, parents, covered)
                np.subtract.at(state.assets, parents, covered)
                state.intra_loan[rows] += covered
                state.support[rows] = covered
                pending.setdefault(layer - 1, []).append(parents)
            borrowed = need - covered
            state.liabilities[rows] += borrowed
            state.cash[rows] = 0.0
            state.assets[rows] += need
        supported = state.support > 0
        state.since_support += 1
        state.since_support[supported] = 0

    def _classify_zombies(self, state: EntityState, month: int = 0) -> None:
        if month > 0:
            zombies.update_streak(state)
        zombies.classify(state, self.cfg)

    # -- proposals for the model to apply -----------------------------------------------------
    def propose_bankruptcies(
        self,
        state: EntityState,
        solo_equity: np.ndarray | None = None,
        month: int | None = None,
    ) -> np.ndarray:
        """Rows of insolvent, unsupported subsidiaries that fail this month (``solo_equity``:
        :meth:`EntityState.solo_equity`, if the caller has it; ``month``: the month last
        stepped unless given). Each one's draw is keyed by its entity key (:mod:`sim.rand`)."""
        hazard = self.cfg.bankruptcy_hazard * (1.0 - self.soft_budget)
        candidates = np.flatnonzero(state.alive & (state.parent >= 0))
        if hazard <= 0 or candidates.size == 0:
            return np.empty(0, dtype=np.int64)
        solo = state.solo_equity() if solo_equity is None else solo_equity
        insolvent = candidates[solo[candidates] < 0]
        month = self.month if month is None else month
        draws = rand.uniform(self.seed, rand.STREAM_EXIT, state.key[insolvent], month)
        return insolvent[draws < hazard]

    def propose_entries(
        self, state: EntityState, solo_equity: np.ndarray | None = None
    ) -> EntrySpec | None:
        """New subsidiaries founded this month by solvent operating entities (``solo_equity``
        as for :meth:`propose_bankruptcies`). Drawn from the sequential generator ``rng``: how
        many, by whom and what they are depends on the whole portfolio, not on one entity."""
        cfg, rng = self.cfg, self.rng
        eligible = np.flatnonzero(
            state.alive & (state.status == 0) & (state.layer < cfg.entry_max_layer)
        )
        if eligible.size == 0 or cfg.entry_rate <= 0:
            return None
        solo = state.solo_equity() if solo_equity is None else solo_equity
        eligible = eligible[solo[eligible] > 0]
        k = int(rng.poisson(cfg.entry_rate / 12.0 * int(state.alive.sum())))
        if k == 0 or eligible.size == 0:
            return None
        parents = np.sort(rng.choice(eligible, size=k))
        same = rng.random(k) < cfg.entry_core_share
        sector = np.where(
            same, state.sector[parents], rng.choice(N_SECTORS, size=k, p=self._sector_p)
        )
        core = sector == state.sector[state.group[parents]]
        injection = cfg.entry_size * state.assets[parents] * rng.lognormal(-0.32, 0.8, k)
        debt = np.clip(self._debt[sector] + 0.1 * rng.standard_normal(k), 0.0, 0.9)
        assets = injection / (1.0 - debt)
        revenue = assets * self._turnover[sector] / 12.0
        margin = np.minimum(
            MAX_MARGIN, self._margin[sector] + self._margin_sd[sector] * rng.standard_normal(k)
        )
        opcost = revenue * (1.0 - margin)
        return EntrySpec(
            parents=parents,
            sector=sector,
            core=core,
            equity_injection=injection,
            assets=assets,
            liabilities=assets - injection,
            revenue_base=revenue,
            var_cost_ratio=np.divide(
                opcost * (1.0 - cfg.fixed_cost_share), revenue, out=np.zeros(k), where=revenue > 0
            ),
            fixed_cost=opcost * cfg.fixed_cost_share,
            employees=np.rint(revenue * 12.0 * self._staff[sector]).astype(np.int64),
            land_mu=assets * self._land[sector],
        )
