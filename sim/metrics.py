"""Monthly indicators for the whole portfolio and per group (合并报表, consolidated statements).

Consolidation: the state keeps every balance-sheet item *external* to the group and intra-group
loans on the side, and equity holdings inside a group are not assets of the holder in the state,
so a group's consolidated figures are plain sums over its live members. Moving an entity within its
group therefore changes neither the group's consolidated assets nor its equity.

Each indicator is a named function with its definition and unit; :data:`PORTFOLIO_METRICS` lists
them in output order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from sim.state import EntityState, Ledger

MAX_REPORTED_LAYER = 10
"""Layer counts are reported for layers 1..10; deeper entities count in ``layer_10``."""


@dataclass(frozen=True)
class Baseline:
    """Month-0 values that indicators are measured against."""

    equity: float = float("nan")
    entities: float = float("nan")
    operating_entities: float = float("nan")
    losses: float = float("nan")
    """Losses of loss-makers over the twelve months to month 0, mn yuan/yr."""


ADDITIVE: frozenset[str] = frozenset({
    "assets", "liabilities", "cash", "receivables", "idle_assets", "land_mu", "employees",
    "revenue", "operating_cost", "overhead", "interest", "profit", "support", "zombie",
    "profit_ytd", "one_off_ytd",
})  # fmt: skip
"""Columns that hold zero (or False) on every row that has left the portfolio (see
``SOEModel._retire``), so their sums over all rows are sums over live entities: no copies."""


@dataclass
class Snapshot:
    """Quantities several indicators share, computed once per month."""

    state: EntityState
    live: np.ndarray
    """Rows of live entities."""
    ttm: np.ndarray
    """Trailing-twelve-month profit of every row (zero for rows that left), mn yuan."""
    baseline: Baseline
    ledger: Ledger
    month_of_year: int = 12
    """Calendar month of the snapshot: the months the year-to-date figures cover."""
    _cols: dict[str, np.ndarray] = field(default_factory=dict)
    _totals: dict[str, float] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def take(
        cls,
        state: EntityState,
        baseline: Baseline,
        ledger: Ledger | None = None,
        month_of_year: int = 12,
    ) -> Snapshot:
        """Snapshot of the live entities now; ``month_of_year``: the calendar month (1-12), the
        months the year-to-date figures cover."""
        return cls(state, np.flatnonzero(state.alive), state.ttm_profit(), baseline,
                   ledger or Ledger(), month_of_year)  # fmt: skip

    def col(self, name: str) -> np.ndarray:
        """A state column restricted to live entities (cached; do not modify it)."""
        if name not in self._cols:
            self._cols[name] = getattr(self.state, name)[self.live]
        return self._cols[name]

    @property
    def operating_mask(self) -> np.ndarray:
        """Per row: a live operating entity (cached; do not modify it). The indicators on
        operating entities count and select with it over all rows rather than gathering
        columns at :attr:`operating` (same rows, in the same order)."""
        if "operating_mask" not in self._cols:
            self._cols["operating_mask"] = self.state.alive & (self.state.status == 0)
        return self._cols["operating_mask"]

    @property
    def operating(self) -> np.ndarray:
        """Rows of live operating entities (not shells or dormant): the reported population."""
        if "operating" not in self._cols:
            self._cols["operating"] = np.flatnonzero(self.operating_mask)
        return self._cols["operating"]

    def count(self, name: str, mask: Callable[[EntityState], np.ndarray]) -> int:
        """Rows where ``mask(state)`` holds (cached under ``name``)."""
        if name not in self._counts:
            self._counts[name] = int(np.count_nonzero(mask(self.state)))
        return self._counts[name]

    @property
    def n_operating(self) -> int:
        """Live operating entities."""
        return self.count("operating", lambda _: self.operating_mask)

    @property
    def headquarters(self) -> np.ndarray:
        """Rows of live group headquarters, ascending (cached)."""
        if "headquarters" not in self._cols:
            st = self.state
            self._cols["headquarters"] = np.flatnonzero(st.alive & (st.parent < 0))
        return self._cols["headquarters"]

    @property
    def layer_counts(self) -> np.ndarray:
        """Live entities by management layer (index = layer; cached). From the per-group
        layer counts of :func:`group_sums` when those were computed (the same integers),
        else one count over the live rows."""
        if "layer_counts" not in self._cols:
            present = self._cols.get("present")
            if present is not None:
                counts = present.sum(axis=0)
                counts[0] = 0  # dead rows
                counts = np.trim_zeros(counts, "b")
            else:
                counts = np.bincount(self.col("layer"))
            self._cols["layer_counts"] = counts
        return self._cols["layer_counts"]

    def total(self, name: str) -> float:
        """Sum over live entities of an additive column (cached)."""
        if name not in self._totals:
            assert name in ADDITIVE, f"{name} is not zero on dead rows; sum s.col({name!r})"
            values = getattr(self.state, name)
            if values.dtype == np.bool_:  # a count: exact either way, counting is faster
                self._totals[name] = float(np.count_nonzero(values))
            else:
                self._totals[name] = float(values.sum())
        return self._totals[name]


def entities(s: Snapshot) -> float:
    """Legal entities (法人户数) in the portfolio, operating, shell and dormant, count."""
    return float(s.live.size)


def operating_entities(s: Snapshot) -> float:
    """Operating legal entities, what Chongqing reports (2,260 at end-2023), count."""
    return float(s.n_operating)


def groups(s: Snapshot) -> float:
    """Groups (集团), i.e. live entities with no parent, count."""
    return float(s.headquarters.size)


def max_layer(s: Snapshot) -> float:
    """Deepest management layer of any entity (1 = group HQ)."""
    return float(s.layer_counts.size - 1) if s.live.size else 0.0


def mean_layer(s: Snapshot) -> float:
    """Mean management layer over entities."""
    if not s.live.size:
        return 0.0
    counts = s.layer_counts
    # The sum of the layers is an integer, exact in float64 however it is added up: this is
    # the mean numpy takes over the live layers.
    return float(np.float64(counts @ np.arange(counts.size)) / np.float64(s.live.size))


def _losing(s: Snapshot) -> np.ndarray:
    """Per row: a live operating entity with negative profit year to date (cached)."""
    if "losing" not in s._cols:
        s._cols["losing"] = s.operating_mask & (s.state.profit_ytd < 0)
    return s._cols["losing"]


def loss_making_share(s: Snapshot) -> float:
    """亏损面 as reported: share of operating entities whose profit year to date, one-off results
    included, is negative (share; month 0: the start year)."""
    n = s.n_operating
    return float(s.count("losing", lambda _: _losing(s)) / n) if n else 0.0


def operating_loss_share(s: Snapshot) -> float:
    """经营性亏损面: share of operating entities whose profit year to date *without* one-off
    results (disposal gains and losses, restructuring costs) is negative (share)."""
    n = s.n_operating
    losing = s.count(
        "operating_losing",
        lambda st: s.operating_mask & ((st.profit_ytd - st.one_off_ytd) < 0),
    )
    return float(losing / n) if n else 0.0


def loss_makers_losses(s: Snapshot) -> float:
    """亏损额: losses of loss-making operating entities, year to date (mn yuan, positive)."""
    if "losses" not in s._totals:
        # The operating rows' negative values in row order, the array summed before (it was
        # gathered at s.operating, then selected), so the sum is the same to the bit.
        s._totals["losses"] = float(-s.state.profit_ytd[_losing(s)].sum())
    return s._totals["losses"]


def revenue(s: Snapshot) -> float:
    """Revenue this month (mn yuan/month)."""
    return s.total("revenue")


def profit(s: Snapshot) -> float:
    """Profit before tax this month (mn yuan/month)."""
    return s.total("profit")


def profit_ttm(s: Snapshot) -> float:
    """Trailing-twelve-month profit (mn yuan/yr)."""
    return float(s.ttm.sum())


def assets(s: Snapshot) -> float:
    """Consolidated total assets (mn yuan)."""
    return s.total("assets")


def liabilities(s: Snapshot) -> float:
    """Consolidated total liabilities (mn yuan)."""
    return s.total("liabilities")


def equity(s: Snapshot) -> float:
    """Consolidated equity: assets - liabilities (mn yuan)."""
    return assets(s) - liabilities(s)


def debt_ratio(s: Snapshot) -> float:
    """资产负债率: liabilities / assets (share)."""
    a = assets(s)
    return liabilities(s) / a if a > 0 else float("nan")


def roe(s: Snapshot) -> float:
    """Return on equity: trailing-twelve-month profit / equity (share per year)."""
    e = equity(s)
    return profit_ttm(s) / e if e > 0 else float("nan")


def capital_preservation(s: Snapshot) -> float:
    """保值增值率: equity / equity at month 0 (ratio; 1 = preserved)."""
    return equity(s) / s.baseline.equity if s.baseline.equity > 0 else float("nan")


def entities_cut_share(s: Snapshot) -> float:
    """Net reduction of legal entities since month 0 (减数量), share of the start count."""
    return 1.0 - entities(s) / s.baseline.entities if s.baseline.entities > 0 else float("nan")


def operating_entities_cut_share(s: Snapshot) -> float:
    """Net reduction of operating legal entities since month 0 (减数量, as reported), share."""
    b = s.baseline.operating_entities
    return 1.0 - operating_entities(s) / b if b > 0 else float("nan")


def losses_cut_share(s: Snapshot) -> float:
    """Reduction of loss-makers' losses (减亏损): year to date against the same months' share of
    the losses in the twelve months to month 0 (share)."""
    b = s.baseline.losses * s.month_of_year / 12.0
    return 1.0 - loss_makers_losses(s) / b if b > 0 else float("nan")


def employees(s: Snapshot) -> float:
    """Headcount (persons)."""
    return s.total("employees")


def zombies(s: Snapshot) -> float:
    """Zombie entities (僵尸企业), count."""
    return s.total("zombie")


def zombie_share(s: Snapshot) -> float:
    """Zombies as a share of operating entities."""
    n = s.n_operating
    return zombies(s) / n if n else 0.0


def idle_assets(s: Snapshot) -> float:
    """Idle assets (闲置资产) held (mn yuan)."""
    return s.total("idle_assets")


def support(s: Snapshot) -> float:
    """Soft-budget support paid by parents this month (mn yuan/month)."""
    return s.total("support")


def gov_function_entities(s: Snapshot) -> float:
    """Entities still carrying government functions (政企不分), count."""
    return float(s.count("gov_function", lambda st: st.alive & (st.gov_cost > 0)))


PORTFOLIO_METRICS: tuple[Callable[[Snapshot], float], ...] = (
    entities,
    entities_cut_share,
    operating_entities,
    operating_entities_cut_share,
    groups,
    max_layer,
    mean_layer,
    loss_making_share,
    operating_loss_share,
    loss_makers_losses,
    losses_cut_share,
    revenue,
    profit,
    profit_ttm,
    assets,
    liabilities,
    equity,
    debt_ratio,
    roe,
    capital_preservation,
    employees,
    zombies,
    zombie_share,
    idle_assets,
    support,
    gov_function_entities,
)


def portfolio_row(s: Snapshot) -> dict[str, float]:
    """All portfolio indicators for one month, entity counts per layer, and the ledger's
    cumulative flows (see :class:`sim.state.Ledger` for their definitions and units)."""
    row = {f.__name__: f(s) for f in PORTFOLIO_METRICS}
    row.update({f.name: getattr(s.ledger, f.name) for f in fields(s.ledger)})  # asdict, shallow
    counts = np.zeros(MAX_REPORTED_LAYER + 1, dtype=np.int64)
    by_layer = s.layer_counts
    shallow = min(by_layer.size, MAX_REPORTED_LAYER)
    counts[:shallow] = by_layer[:shallow]
    counts[MAX_REPORTED_LAYER] += by_layer[MAX_REPORTED_LAYER:].sum()  # deeper ones count here
    for k in range(1, MAX_REPORTED_LAYER + 1):
        row[f"layer_{k}"] = float(counts[k])
    return row


def group_sums(s: Snapshot) -> dict[str, np.ndarray]:
    """Per live group, the sums behind the consolidated indicators (one entry a group): what is
    kept each month. :func:`group_indicators` turns them into the published columns.

    Sums run over all rows with additive columns (zero on rows that left), each row counted in
    its group's position; rows of groups that no longer exist go to a dump bucket.

    The counts come from two integer tallies over (group, layer) and (group, flags), where
    one weighted ``bincount`` per count ran before (entities, layer sum, operating,
    loss-makers, zombies): they are sums of ones and layers, exact either way, so the
    integers are the same. The money sums keep one weighted ``bincount`` each, which adds a
    group's rows in row order as before.
    """
    st = s.state
    hq = s.headquarters
    g = hq.size
    position = np.full(st.n, g, dtype=np.int64)
    position[hq] = np.arange(g)
    grp = np.take(position, st.group)  # = position[st.group]; take gathers faster

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(grp, weights=values, minlength=g + 1)[:g]

    layer = np.where(st.alive, st.layer, 0)
    depth = int(layer.max()) + 1
    code = grp * depth
    code += layer
    present = np.bincount(code, minlength=(g + 1) * depth).reshape(g + 1, depth)
    s._cols["present"] = present
    running = s.operating_mask
    losing = running & (st.profit_ytd < 0)
    flags = running.view(np.uint8) | (losing.view(np.uint8) << 1)
    flags |= st.zombie.view(np.uint8) << 2
    np.multiply(grp, 8, out=code)
    code += flags
    tally = np.bincount(code, minlength=(g + 1) * 8).reshape(g + 1, 8)[:g]
    del code, flags
    per_layer = present[:g]
    return {
        "group_row": hq.astype(np.int32),
        "entities": per_layer[:, 1:].sum(axis=1).astype(np.int32),
        "max_layer": (depth - 1 - np.argmax(present[:g, :0:-1] > 0, axis=1)).astype(np.int16),
        "layer_sum": (per_layer @ np.arange(depth)).astype(np.int32),
        "operating": tally[:, 1::2].sum(axis=1).astype(np.int32),
        "loss_makers": tally[:, 3::4].sum(axis=1).astype(np.int32),
        "zombies": tally[:, 4:].sum(axis=1).astype(np.int32),
        "loss_makers_losses": -total(np.where(running, np.minimum(st.profit_ytd, 0.0), 0.0)),
        "revenue": total(st.revenue),
        "profit": total(st.profit),
        "profit_ttm": total(s.ttm),
        "assets": total(st.assets),
        "liabilities": total(st.liabilities),
        "employees": total(st.employees),
        "idle_assets": total(st.idle_assets),
        "equity_base": st.equity_base[hq],
    }


GROUP_COLUMNS: tuple[str, ...] = (
    "entities", "max_layer", "mean_layer", "loss_making_share", "loss_makers_losses", "revenue",
    "profit", "profit_ttm", "assets", "liabilities", "equity", "debt_ratio", "roe",
    "capital_preservation", "employees", "zombies", "idle_assets",
)  # fmt: skip
"""Columns of the consolidated group indicators, in output order."""


def group_indicators(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Consolidated group indicators (合并报表) from :func:`group_sums`: counts, layers,
    loss-making share, money totals (mn yuan), debt ratio, ROE and capital preservation."""
    count = sums["entities"].astype(np.float64)
    a, li, ttm = sums["assets"], sums["liabilities"], sums["profit_ttm"]
    eq = a - li
    base = sums["equity_base"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "entities": count,
            "max_layer": sums["max_layer"].astype(np.float64),
            "mean_layer": sums["layer_sum"] / count,
            "loss_making_share": sums["loss_makers"] / sums["operating"],
            "equity": eq,
            "debt_ratio": np.where(a > 0, li / a, np.nan),
            "roe": np.where(eq > 0, ttm / eq, np.nan),
            "capital_preservation": np.where(base > 0, eq / base, np.nan),
            "zombies": sums["zombies"].astype(np.float64),
        }
    for name in GROUP_COLUMNS:
        if name not in out:
            out[name] = sums[name]
    return {name: out[name] for name in GROUP_COLUMNS}


def group_table(s: Snapshot) -> dict[str, np.ndarray]:
    """Consolidated indicators per live group now, with the HQ rows as ``group_row``."""
    sums = group_sums(s)
    return {"group_row": sums["group_row"].astype(np.int64), **group_indicators(sums)}
