"""The monthly economy written the idiomatic Mesa way: one Python object per entity.

A *reference* implementation for benchmarking against the vectorised core
(:class:`sim.economy.Economy`). Each :class:`PerAgentEntity` holds its own financial state as
Python floats and updates it in its own methods; :class:`PerAgentModel` drives them with
``model.agents.do(...)`` and an explicit deepest-layer-first sweep for the soft budget.

It implements the same economy as :meth:`sim.economy.Economy.step` for everything that does not
change structure: sector demand AR(1) with a common factor, the entity AR(1) shock, revenue,
operating cost, overhead, interest, government-function cost, profit, cash and assets, the profit
history ring, the EWMs, the soft budget constraint (parents cover ``soft_budget`` of a child's
shortfall with an intra-group loan, the rest and any HQ shortfall is borrowed externally),
``since_support`` and the zombie flags. There are no entries, exits or other structural changes,
and no restructuring policy: compare it with ``entry_rate=0``, ``bankruptcy_hazard=0``, no
unaided zombie fates (``zombie_exit_rate=0``, ``zombie_recovery_rate=0``) and the
policy ``none``.

Random numbers are those of the vectorised core. Sector demand is drawn in the same order from
a copy of the source model's ``Economy.demand_rng``: per month one ``standard_normal()`` and
``standard_normal(N_SECTORS)``. Entity shocks are keyed (:mod:`sim.rand`): each agent holds its
entity ``key`` and its innovation in month ``t`` is ``sim.rand.normal(seed, STREAM_IDIO, key,
t)``, a pure function of the run seed, the key and the month; the model evaluates it once a month
for all the agents' keys (one vectorised call, as the core does) and each agent reads its own.
Volumes are mean-preserving as in the core: the log shocks less half their variance this month,
``sigma**2 * (1 - rho**(2 age))`` for an AR(1) started at 0 (per sector since month 0; for the
entity shock since the agent's birth month). Per-entity results therefore agree with
:class:`sim.model.SOEModel` up to floating-point rounding (``math.exp`` and ``numpy.exp`` may
differ in the last bit); ``tests/test_per_agent_equivalence.py`` checks this.

Each month the model also records a handful of portfolio totals (one more pass over the agents),
a lighter version of the monthly metrics the vectorised model records, so neither side skips
bookkeeping.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import rand
from sim.config import SimConfig
from sim.model import SOEModel
from sim.sectors import N_SECTORS, sector_array
from sim.state import HISTORY_MONTHS

STATE_FIELDS: tuple[str, ...] = (
    "idio",
    "productivity",
    "assets",
    "liabilities",
    "intra_loan",
    "cash",
    "revenue",
    "operating_cost",
    "overhead",
    "interest",
    "profit",
    "support",
    "profit_ewm",
    "ebit_ewm",
    "interest_ewm",
    "since_support",
    "loss_months",
    "zombie",
    "profit_ytd",
)
"""Per-entity attributes that change month by month (and that :meth:`PerAgentModel.arrays`
exports in the vectorised state's row order)."""

TOTALS: tuple[str, ...] = (
    "entities",
    "revenue",
    "profit",
    "profit_ttm",
    "assets",
    "liabilities",
    "equity",
    "loss_making_share",
    "zombies",
    "support",
)
"""Portfolio totals recorded every month, named as the columns of ``SOEModel.timeseries()``."""


class PerAgentEntity(mesa.Agent):
    """One legal entity with its own financial state (Python floats), updated in its own methods."""

    model: PerAgentModel

    def __init__(self, model: PerAgentModel, row: int, values: dict[str, Any]) -> None:
        super().__init__(model)
        self.row = row
        """Row of this entity in the vectorised state (and index into the monthly shocks)."""
        self.key: int = values["key"]
        """Entity key: its shocks are ``sim.rand.normal(seed, STREAM_IDIO, key, month)``."""
        self.born: int = values["born"]
        """Month of entry (0 for the initial population): the entity shock is 0 then."""
        self.parent: PerAgentEntity | None = None
        self.layer: int = values["layer"]
        self.sector: int = values["sector"]
        # fixed business parameters
        self.revenue_base: float = values["revenue_base"]
        self.var_cost_ratio: float = values["var_cost_ratio"]
        self.fixed_cost: float = values["fixed_cost"]
        self.gov_cost: float = values["gov_cost"]
        # state that evolves
        self.productivity: float = values["productivity"]
        self.idio: float = values["idio"]
        self.assets: float = values["assets"]
        self.liabilities: float = values["liabilities"]
        self.intra_loan: float = values["intra_loan"]
        self.cash: float = values["cash"]
        self.revenue: float = values["revenue"]
        self.operating_cost: float = values["operating_cost"]
        self.overhead: float = values["overhead"]
        self.interest: float = values["interest"]
        self.profit: float = values["profit"]
        self.ebit: float = values["ebit_ewm"]  # month-0 EBIT (initialise sets the EWM to it)
        self.support: float = values["support"]
        self.profit_ewm: float = values["profit_ewm"]
        self.ebit_ewm: float = values["ebit_ewm"]
        self.interest_ewm: float = values["interest_ewm"]
        self.since_support: int = values["since_support"]
        self.loss_months: int = values["loss_months"]
        self.operating: bool = values["status"] == 0
        self.zombie: bool = values["zombie"]
        self.profit_ytd: float = values["profit_ytd"]
        """Profit since January (the loss-making share is read off it, as reported)."""
        self.profit_hist: list[float] = values["profit_hist"]
        """Monthly profits; slot ``month % HISTORY_MONTHS`` is the newest."""

    def step(self) -> None:
        """Book this month's profit and loss (the model has drawn the shocks)."""
        m = self.model
        self.idio = m.idio_rho * self.idio + m.idio_scale * m.eta[self.row]
        if m.productivity_factor != 1.0:
            self.productivity *= m.productivity_factor
        # mean-preserving: less half the variance of each shock at its age
        log_volume = m.log_demand_now[self.sector] + self.idio
        if m.idio_half_var:
            log_volume -= m.idio_half_var[m.month_now - self.born]
        volume = self.revenue_base * math.exp(log_volume)
        revenue = volume * self.productivity
        opcost = self.fixed_cost + self.var_cost_ratio * volume
        overhead = m.overhead_fixed + m.layer_overhead * (self.layer - 1) * revenue
        interest = self.liabilities * m.interest_factor
        ebit = revenue - opcost - overhead - self.gov_cost
        profit = ebit - interest
        self.revenue = revenue
        self.operating_cost = opcost
        self.overhead = overhead
        self.interest = interest
        self.ebit = ebit
        self.profit = profit
        self.profit_hist[m.hist_slot] = profit
        self.cash += profit
        self.assets += profit
        self.support = 0.0

    def settle(self) -> None:
        """Soft budget: if cash is negative, the parent covers its share, the rest is borrowed.

        Called deepest layer first, so a parent's cash already reflects its children's claims.
        """
        if self.cash >= 0.0:
            return
        need = -self.cash
        parent = self.parent
        if parent is not None:
            covered = need * self.model.soft_budget
            parent.cash -= covered
            parent.assets -= covered
            self.intra_loan += covered
            self.support = covered
        else:
            covered = 0.0
        self.liabilities += need - covered
        self.cash = 0.0
        self.assets += need

    def close_month(self) -> None:
        """Months since support, the smoothed indicators and the zombie flag."""
        m = self.model
        self.since_support = 0 if self.support > 0.0 else self.since_support + 1
        alpha = m.alpha
        self.profit_ewm += alpha * (self.profit - self.profit_ewm)
        self.ebit_ewm += alpha * (self.ebit - self.ebit_ewm)
        self.interest_ewm += alpha * (self.interest - self.interest_ewm)
        self.loss_months = self.loss_months + 1 if self.profit_ewm < 0.0 else 0
        self.profit_ytd = (0.0 if m.january else self.profit_ytd) + self.profit
        self.zombie = (
            self.operating
            and self.profit_ewm < 0.0
            and self.ebit_ewm < self.interest_ewm
            and self.since_support < m.zombie_window
            and self.loss_months >= m.zombie_loss_months
        )


class PerAgentModel(mesa.Model):
    """The monthly economy of :class:`sim.model.SOEModel`, one Python object per entity.

    Built from a freshly initialised ``SOEModel`` (same config, same roster) whose initial state
    and economy random stream are copied; the source model is not kept.
    """

    def __init__(self, config: SimConfig, roster: pd.DataFrame | None = None) -> None:
        self._init_from(SOEModel(config, roster=roster))

    @classmethod
    def from_soe_model(cls, source: SOEModel) -> PerAgentModel:
        """Copy the current state of a vectorised model that has no exited entities."""
        model = cls.__new__(cls)
        model._init_from(source)
        return model

    def _init_from(self, source: SOEModel) -> None:
        config = source.config
        super().__init__(rng=config.seed)
        st = source.state
        if not st.alive.all():
            raise ValueError("the per-agent model supports only populations without exits")
        econ = config.economy
        self.config = config
        # a copy of the source's sector demand generator; entity shocks are keyed (sim.rand)
        self.demand_rng: np.random.Generator = copy.deepcopy(source.economy.demand_rng)
        self.seed = config.seed
        self.month_offset = source.month
        """Months the source model had simulated when copied (the Mesa clock restarts at 0)."""
        self.demand = source.economy.demand.copy()
        self.sector_vol = sector_array("demand_vol") * econ.demand_vol_scale
        # constants the agents read
        self.idio_rho = econ.idio_persistence
        self.idio_scale = float(np.sqrt(1 - self.idio_rho**2) * econ.idio_vol)
        self.idio_vol = econ.idio_vol
        self.productivity_factor = (
            (1.0 + econ.productivity_growth) ** (1.0 / 12.0) if econ.productivity_growth else 1.0
        )
        self.overhead_fixed = econ.entity_overhead / 12.0
        self.layer_overhead = econ.layer_overhead
        self.interest_factor = econ.interest_bearing_share * econ.interest_rate / 12.0
        # the live value: a policy may have hardened the budget constraint of the source model
        self.soft_budget = getattr(source.economy, "soft_budget", econ.soft_budget)
        self.alpha = 1.0 / econ.zombie_window
        self.zombie_window = econ.zombie_window
        self.zombie_loss_months = 12 * econ.zombie_loss_years
        # per-month inputs, set by step()
        self.hist_slot = 0
        self.month_now = self.month
        self.january = False
        """Whether the month being simulated is a January (year-to-date profit restarts)."""
        self.log_demand_now: list[float] = self.demand.tolist()
        """Sector log demand less half its variance, this month."""
        self.idio_half_var: list[float] = []
        """Half the variance of an entity shock by age in months (empty when it has none)."""
        self.eta: list[float] = []

        n = st.n
        columns = {
            name: getattr(st, name).tolist()
            for name in (
                "layer",
                "sector",
                "revenue_base",
                "var_cost_ratio",
                "fixed_cost",
                "gov_cost",
                "key",
                "born",
                "status",
                *STATE_FIELDS,
            )
        }
        hist = st.profit_hist.T.tolist()
        self.entities: list[PerAgentEntity] = []
        for row in range(n):
            values = {name: col[row] for name, col in columns.items()}
            values["profit_hist"] = hist[row]
            self.entities.append(PerAgentEntity(self, row, values))
        for row, p in enumerate(st.parent.tolist()):
            if p >= 0:
                self.entities[row].parent = self.entities[p]
        by_layer: dict[int, list[PerAgentEntity]] = {}
        for agent in self.entities:
            by_layer.setdefault(agent.layer, []).append(agent)
        self.layers_deepest_first = [by_layer[k] for k in sorted(by_layer, reverse=True)]
        self.keys = np.array([a.key for a in self.entities], dtype=np.uint64)
        """The agents' keys, in the order of ``entities`` (for the monthly keyed draw)."""
        self._timeseries: list[dict[str, float]] = []
        self._record()

    @property
    def month(self) -> int:
        """Months simulated so far, counting the source model's (the Mesa clock plus
        ``month_offset``)."""
        return self.month_offset + int(self.time)

    def step(self) -> None:
        """One month: shocks, every agent's profit and loss, the soft budget, the indicators."""
        econ = self.config.economy
        common = self.demand_rng.standard_normal()
        own = self.demand_rng.standard_normal(N_SECTORS)
        rho = econ.demand_persistence
        shock = (
            np.sqrt(econ.demand_correlation) * common + np.sqrt(1 - econ.demand_correlation) * own
        )
        self.demand = rho * self.demand + np.sqrt(1 - rho**2) * self.sector_vol * shock
        month = self.month
        demand_half_var = 0.5 * self.sector_vol**2 * (1.0 - rho ** (2 * month))
        self.log_demand_now = (self.demand - demand_half_var).tolist()
        rho_i = self.idio_rho
        self.idio_half_var = (
            [0.5 * self.idio_vol**2 * (1.0 - rho_i ** (2.0 * age)) for age in range(month + 1)]
            if self.idio_vol
            else []
        )
        self.eta = rand.normal(self.seed, rand.STREAM_IDIO, self.keys, month).tolist()
        self.hist_slot = month % HISTORY_MONTHS
        self.month_now = month
        start = self.config.start_date
        self.january = (start.month - 1 + month - 1) % 12 == 0

        self.agents.do("step")
        for layer in self.layers_deepest_first:
            for agent in layer:
                agent.settle()
        self.agents.do("close_month")
        self._record()

    def _record(self) -> None:
        revenue = profit = ttm_total = assets = liabilities = support = 0.0
        losers = zombies = operating = 0
        for a in self.entities:
            revenue += a.revenue
            profit += a.profit
            ttm = sum(a.profit_hist)
            ttm_total += ttm
            operating += a.operating
            losers += a.operating and a.profit_ytd < 0.0
            assets += a.assets
            liabilities += a.liabilities
            zombies += a.zombie
            support += a.support
        n = len(self.entities)
        self._timeseries.append(
            {
                "month": self.month,
                "entities": float(n),
                "revenue": revenue,
                "profit": profit,
                "profit_ttm": ttm_total,
                "assets": assets,
                "liabilities": liabilities,
                "equity": assets - liabilities,
                "loss_making_share": losers / operating if operating else 0.0,
                "zombies": float(zombies),
                "support": support,
            }
        )

    # -- outputs ------------------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """Portfolio totals by month (month 0 is the start state); see :data:`TOTALS`."""
        return pd.DataFrame(self._timeseries)

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-entity state in the vectorised state's row order, plus ``profit_hist``."""
        out = {name: np.array([getattr(a, name) for a in self.entities]) for name in STATE_FIELDS}
        out["profit_hist"] = np.array([a.profit_hist for a in self.entities]).T
        return out
