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
from dataclasses import asdict, dataclass

import numpy as np

from sim.state import EntityState, Ledger

MAX_REPORTED_LAYER = 10
"""Layer counts are reported for layers 1..10; deeper entities count in ``layer_10``."""


@dataclass(frozen=True)
class Baseline:
    """Month-0 values that indicators are measured against."""

    equity: float = float("nan")
    entities: float = float("nan")
    losses: float = float("nan")
    """Trailing-twelve-month losses of loss-makers at month 0, mn yuan/yr."""


@dataclass(frozen=True)
class Snapshot:
    """Quantities several indicators share, computed once per month."""

    state: EntityState
    live: np.ndarray
    """Rows of live entities."""
    ttm_profit: np.ndarray
    """Trailing-twelve-month profit of the live rows, mn yuan."""
    baseline: Baseline
    ledger: Ledger

    @classmethod
    def take(cls, state: EntityState, baseline: Baseline, ledger: Ledger | None = None) -> Snapshot:
        """Snapshot of the live entities now."""
        live = np.flatnonzero(state.alive)
        return cls(
            state, live, state.profit_hist[:, live].sum(axis=0), baseline, ledger or Ledger()
        )

    def col(self, name: str) -> np.ndarray:
        """A state column restricted to live entities."""
        return getattr(self.state, name)[self.live]


def entities(s: Snapshot) -> float:
    """Operating legal entities (法人户数) in the portfolio, count."""
    return float(s.live.size)


def groups(s: Snapshot) -> float:
    """Groups (集团), i.e. live entities with no parent, count."""
    return float((s.col("parent") < 0).sum())


def max_layer(s: Snapshot) -> float:
    """Deepest management layer of any entity (1 = group HQ)."""
    return float(s.col("layer").max()) if s.live.size else 0.0


def mean_layer(s: Snapshot) -> float:
    """Mean management layer over entities."""
    return float(s.col("layer").mean()) if s.live.size else 0.0


def loss_making_share(s: Snapshot) -> float:
    """亏损面: share of entities whose trailing-twelve-month profit is negative (share)."""
    return float((s.ttm_profit < 0).mean()) if s.live.size else 0.0


def loss_makers_losses(s: Snapshot) -> float:
    """Total trailing-twelve-month losses of loss-making entities (mn yuan/yr, positive)."""
    return float(-s.ttm_profit[s.ttm_profit < 0].sum())


def revenue(s: Snapshot) -> float:
    """Revenue this month (mn yuan/month)."""
    return float(s.col("revenue").sum())


def profit(s: Snapshot) -> float:
    """Profit before tax this month (mn yuan/month)."""
    return float(s.col("profit").sum())


def profit_ttm(s: Snapshot) -> float:
    """Trailing-twelve-month profit (mn yuan/yr)."""
    return float(s.ttm_profit.sum())


def assets(s: Snapshot) -> float:
    """Consolidated total assets (mn yuan)."""
    return float(s.col("assets").sum())


def liabilities(s: Snapshot) -> float:
    """Consolidated total liabilities (mn yuan)."""
    return float(s.col("liabilities").sum())


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


def losses_cut_share(s: Snapshot) -> float:
    """Reduction of loss-makers' TTM losses since month 0 (减亏损), share of the start losses."""
    b = s.baseline.losses
    return 1.0 - loss_makers_losses(s) / b if b > 0 else float("nan")


def employees(s: Snapshot) -> float:
    """Headcount (persons)."""
    return float(s.col("employees").sum())


def zombies(s: Snapshot) -> float:
    """Zombie entities (僵尸企业), count."""
    return float(s.col("zombie").sum())


def idle_assets(s: Snapshot) -> float:
    """Idle assets (闲置资产) held (mn yuan)."""
    return float(s.col("idle_assets").sum())


def support(s: Snapshot) -> float:
    """Soft-budget support paid by parents this month (mn yuan/month)."""
    return float(s.col("support").sum())


def gov_function_entities(s: Snapshot) -> float:
    """Entities still carrying government functions (政企不分), count."""
    return float((s.col("gov_cost") > 0).sum())


PORTFOLIO_METRICS: tuple[Callable[[Snapshot], float], ...] = (
    entities,
    entities_cut_share,
    groups,
    max_layer,
    mean_layer,
    loss_making_share,
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
    idle_assets,
    support,
    gov_function_entities,
)


def portfolio_row(s: Snapshot) -> dict[str, float]:
    """All portfolio indicators for one month, entity counts per layer, and the ledger's
    cumulative flows (see :class:`sim.state.Ledger` for their definitions and units)."""
    row = {f.__name__: f(s) for f in PORTFOLIO_METRICS}
    row.update(asdict(s.ledger))
    layers = np.minimum(s.col("layer"), MAX_REPORTED_LAYER)
    counts = np.bincount(layers, minlength=MAX_REPORTED_LAYER + 1)
    for k in range(1, MAX_REPORTED_LAYER + 1):
        row[f"layer_{k}"] = float(counts[k])
    return row


def group_table(s: Snapshot) -> dict[str, np.ndarray]:
    """Consolidated indicators per live group, as columns of equal length (one row a group)."""
    st = s.state
    grp = s.col("group")
    hq = np.flatnonzero(st.alive & (st.parent < 0))
    n = st.n

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(grp, weights=values, minlength=n)[hq]

    ones = np.ones(s.live.size)
    a, li = total(s.col("assets")), total(s.col("liabilities"))
    eq = a - li
    ttm = total(s.ttm_profit)
    layer_max = np.zeros(n, dtype=np.int64)
    np.maximum.at(layer_max, grp, s.col("layer"))
    base = st.equity_base[hq]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "group_row": hq,
            "entities": total(ones),
            "max_layer": layer_max[hq].astype(np.float64),
            "mean_layer": total(s.col("layer").astype(np.float64)) / total(ones),
            "loss_making_share": total((s.ttm_profit < 0).astype(np.float64)) / total(ones),
            "loss_makers_losses": -total(np.minimum(s.ttm_profit, 0.0)),
            "revenue": total(s.col("revenue")),
            "profit": total(s.col("profit")),
            "profit_ttm": ttm,
            "assets": a,
            "liabilities": li,
            "equity": eq,
            "debt_ratio": np.where(a > 0, li / a, np.nan),
            "roe": np.where(eq > 0, ttm / eq, np.nan),
            "capital_preservation": np.where(base > 0, eq / base, np.nan),
            "employees": total(s.col("employees").astype(np.float64)),
            "zombies": total(s.col("zombie").astype(np.float64)),
            "idle_assets": total(s.col("idle_assets")),
        }
