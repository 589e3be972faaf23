"""Per-entity state in growable numpy arrays (one row per legal entity that ever existed).

Rows are never reused: an entity that exits keeps its row, frozen, with ``alive`` false, so every
entity stays traceable. Attributes are views of the first ``n`` rows of capacity-doubling buffers;
do not keep a view across :meth:`EntityState.grow`.

Money is in million yuan (百万元); flows are monthly unless a name says otherwise. Balance-sheet
items are *external* to the group: intra-group loans sit in ``intra_loan`` only (the borrower's
payable to its direct parent), so consolidation is a plain sum over a group's members.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

FATES: tuple[str, ...] = (
    "alive",
    "merged",
    "closed",
    "bankrupt",
    "transferred_out",
    "deregistered",
)
"""How an entity left the portfolio; code 0 means it has not."""
FATE_CODE: dict[str, int] = {f: i for i, f in enumerate(FATES)}
STATUS_NAMES: tuple[str, ...] = ("operating", "shell", "dormant")
HISTORY_MONTHS = 12
"""Length of the profit history behind trailing-twelve-month (TTM) profit."""
GROWTH = 1.25
"""Capacity growth factor when rows run out (modest: a million-entity state is ~350 MB)."""
ADDITIVE: tuple[str, ...] = (
    "assets",
    "liabilities",
    "cash",
    "receivables",
    "idle_assets",
    "land_mu",
    "employees",
    "revenue_base",
    "fixed_cost",
    "gov_cost",
    "revenue",
    "operating_cost",
    "overhead",
    "interest",
    "profit",
    "support",
    "profit_ewm",
    "ebit_ewm",
    "interest_ewm",
    "profit_ytd",
    "one_off_ytd",
)
"""State columns that add up when one entity absorbs another."""
STOCKS_AND_FLOWS: tuple[str, ...] = (*ADDITIVE, "intra_loan", "equity_base")
"""State columns zeroed when an entity leaves (its values are in the event log)."""


class TextColumn:
    """Append-only strings stored compactly: an Arrow array for the bulk plus a list of additions.

    A million Chinese names as Python strings take ~130 MB; as Arrow UTF-8 about a third of it.
    """

    def __init__(self) -> None:
        self._base = pa.array([], type=pa.string())
        self._extra: list[str] = []

    def extend(self, values: pa.Array | list[str]) -> None:
        """Append many strings (only before any single ``append``)."""
        if self._extra:
            self._extra.extend(values.to_pylist() if isinstance(values, pa.Array) else values)
        else:
            self._base = pa.concat_arrays([self._base, pa.array(values, type=pa.string())])

    def append(self, value: str) -> None:
        """Append one string."""
        self._extra.append(value)

    def append_many(self, values: list[str]) -> None:
        """Append strings as :meth:`append` would one by one (to the additions, unlike
        :meth:`extend`, which would copy the whole Arrow bulk)."""
        self._extra.extend(values)

    def __len__(self) -> int:
        return len(self._base) + len(self._extra)

    def __getitem__(self, i: int) -> str:
        n = len(self._base)
        return str(self._base[i].as_py()) if i < n else self._extra[i - n]

    def __iter__(self) -> Iterator[str]:
        yield from self._base.to_pylist()
        yield from self._extra

    def to_arrow(self) -> pa.Array:
        """All strings as one Arrow array."""
        if not self._extra:
            return self._base
        return pa.concat_arrays([self._base, pa.array(self._extra, type=pa.string())])


def _float_block_order(fields: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """The float64 columns of ``fields``: those of :data:`STOCKS_AND_FLOWS` in its order, then
    the others in ``fields`` order."""
    floats = [name for name, (dtype, _) in fields.items() if dtype == "float64"]
    leaving = [name for name in STOCKS_AND_FLOWS if name in floats]
    return (*leaving, *(name for name in floats if name not in leaving))


class EntityState:
    """Struct of arrays for all entities; ``FIELDS`` gives each column's dtype and unit."""

    FIELDS: ClassVar[dict[str, tuple[str, str]]] = {
        # structure
        "parent": ("int32", "row of the direct parent, -1 for a group headquarters"),
        "group": ("int32", "row of the group headquarters"),
        "layer": ("int16", "management layer, 1 = group HQ"),
        "alive": ("bool", "still in the portfolio"),
        "fate": ("int8", "code into FATES"),
        "born": ("int32", "month of entry, 0 for the initial population"),
        "died": ("int32", "month of exit or merger, -1 while alive"),
        "key": (
            "uint64",
            "entity key behind its random draws (sim.rand): the row for the initial population; "
            "for an entity founded in the run, a hash of its founder's key, birth month and "
            "ordinal, top bit set (sim.rand.child_keys)",
        ),
        # business
        "sector": ("int8", "code into sim.sectors.SECTORS"),
        "status": ("int8", "code into STATUS_NAMES"),
        "core": ("bool", "business is a core business (主责主业) of its group"),
        # balance sheet, mn yuan
        "assets": ("float64", "external assets, mn yuan"),
        "liabilities": ("float64", "external liabilities, mn yuan"),
        "intra_loan": ("float64", "loan owed to the direct parent, mn yuan"),
        "cash": ("float64", "cash, part of assets, mn yuan"),
        "receivables": ("float64", "receivables, part of assets, mn yuan"),
        "idle_assets": ("float64", "idle assets earning nothing, part of assets, mn yuan"),
        "land_mu": ("float64", "land held, mu"),
        "employees": ("int64", "headcount, persons"),
        # production and cost, monthly
        "revenue_base": ("float64", "revenue volume at neutral demand, mn yuan/month"),
        "productivity": ("float64", "revenue per unit of volume, 1 at the start"),
        "var_cost_ratio": ("float64", "variable operating cost per unit of volume"),
        "fixed_cost": ("float64", "fixed operating cost, mn yuan/month"),
        "gov_cost": ("float64", "cost of carried government functions, mn yuan/month"),
        "idio": ("float64", "entity demand shock, log points (AR(1) state)"),
        # last month's flows, mn yuan
        "revenue": ("float64", "revenue, mn yuan/month"),
        "operating_cost": ("float64", "operating cost, mn yuan/month"),
        "overhead": ("float64", "management overhead, mn yuan/month"),
        "interest": ("float64", "interest on external debt, mn yuan/month"),
        "profit": ("float64", "profit before tax, mn yuan/month"),
        "support": ("float64", "soft-budget support received from the parent, mn yuan/month"),
        # smoothed indicators for zombie classification
        "profit_ewm": ("float64", "exponentially weighted monthly profit, mn yuan"),
        "ebit_ewm": ("float64", "exponentially weighted monthly EBIT, mn yuan"),
        "interest_ewm": ("float64", "exponentially weighted monthly interest, mn yuan"),
        "since_support": ("int32", "months since soft-budget support was last received"),
        "zombie": ("bool", "classified as a zombie (僵尸企业) this month"),
        "loss_months": ("int32", "consecutive months with negative smoothed profit (sim.zombies)"),
        # year to date, as reported (累计): reset before January's flows
        "profit_ytd": ("float64", "profit since January incl. one-off results, mn yuan"),
        "one_off_ytd": ("float64", "one-off results since January (disposals, costs), mn yuan"),
        # group bookkeeping (meaningful on headquarters rows)
        "equity_base": ("float64", "start equity of the group, adjusted for transfers, mn yuan"),
    }

    parent: np.ndarray
    group: np.ndarray
    layer: np.ndarray
    alive: np.ndarray
    fate: np.ndarray
    born: np.ndarray
    died: np.ndarray
    key: np.ndarray
    sector: np.ndarray
    status: np.ndarray
    core: np.ndarray
    assets: np.ndarray
    liabilities: np.ndarray
    intra_loan: np.ndarray
    cash: np.ndarray
    receivables: np.ndarray
    idle_assets: np.ndarray
    land_mu: np.ndarray
    employees: np.ndarray
    revenue_base: np.ndarray
    productivity: np.ndarray
    var_cost_ratio: np.ndarray
    fixed_cost: np.ndarray
    gov_cost: np.ndarray
    idio: np.ndarray
    revenue: np.ndarray
    operating_cost: np.ndarray
    overhead: np.ndarray
    interest: np.ndarray
    profit: np.ndarray
    support: np.ndarray
    profit_ewm: np.ndarray
    ebit_ewm: np.ndarray
    interest_ewm: np.ndarray
    since_support: np.ndarray
    zombie: np.ndarray
    loss_months: np.ndarray
    profit_ytd: np.ndarray
    one_off_ytd: np.ndarray
    equity_base: np.ndarray
    profit_hist: np.ndarray
    """(HISTORY_MONTHS, n) monthly profits; row ``month % HISTORY_MONTHS`` is the newest."""

    FLOAT_FIELDS: ClassVar[tuple[str, ...]] = _float_block_order(FIELDS)
    """The float64 columns in :attr:`floats` order: those of :data:`STOCKS_AND_FLOWS` first, in
    its order (so the float columns of :data:`ADDITIVE` and of :data:`STOCKS_AND_FLOWS` are each
    a contiguous block, :meth:`float_span`), then the others in :attr:`FIELDS` order."""

    floats: np.ndarray
    """(len(FLOAT_FIELDS), n): every float64 column, one row each (the column attributes are
    views of its rows, so each column stays contiguous). A merger adds twenty of them up for one
    entity and an exit zeroes them: one numpy call on a block of rows instead of one a column."""

    def __init__(self, n: int, headroom: float = 0.0) -> None:
        """``n`` rows now, with room for ``n * headroom`` more before the buffers are copied."""
        self.n = 0
        self._capacity = 0
        self._buffers: dict[str, np.ndarray] = {}
        self.ids: list[str] = []
        self.names = TextColumn()
        self._reserve(max(int(n * (1.0 + headroom)), 16))
        self.grow(n)

    @classmethod
    def float_span(cls, names: tuple[str, ...]) -> slice:
        """The rows of :attr:`floats` holding the float64 columns among ``names``, which must
        be contiguous there in the same order (see :attr:`FLOAT_FIELDS`)."""
        floats = [name for name in names if cls.FIELDS[name][0] == "float64"]
        start = cls.FLOAT_FIELDS.index(floats[0])
        if list(cls.FLOAT_FIELDS[start : start + len(floats)]) != floats:
            raise ValueError(f"{floats} are not contiguous in EntityState.FLOAT_FIELDS")
        return slice(start, start + len(floats))

    def _reserve(self, capacity: int) -> None:
        old = self._buffers
        block = np.zeros((len(self.FLOAT_FIELDS), capacity))
        if "floats" in old:
            block[:, : self.n] = old["floats"][:, : self.n]
        self._buffers = {"floats": block}
        self._buffers.update(zip(self.FLOAT_FIELDS, block, strict=True))
        for name, (dtype, _) in self.FIELDS.items():
            if dtype == "float64":
                continue
            buf = np.zeros(capacity, dtype=dtype)
            if name in old:
                buf[: self.n] = old[name][: self.n]
            self._buffers[name] = buf
        hist = np.zeros((HISTORY_MONTHS, capacity))
        if "profit_hist" in old:
            hist[:, : self.n] = old["profit_hist"][:, : self.n]
        self._buffers["profit_hist"] = hist
        self._capacity = capacity

    def grow(self, k: int) -> slice:
        """Append ``k`` zeroed rows; returns their slice. Invalidates earlier views."""
        start = self.n
        if start + k > self._capacity:
            self._reserve(max(int(GROWTH * self._capacity), start + k))
        self.n = start + k
        for name in self.FIELDS:
            setattr(self, name, self._buffers[name][: self.n])
        self.floats = self._buffers["floats"][:, : self.n]
        self.profit_hist = self._buffers["profit_hist"][:, : self.n]
        return slice(start, self.n)

    def equity(self) -> np.ndarray:
        """External equity of every entity: assets - liabilities (mn yuan), as consolidated."""
        return self.assets - self.liabilities

    def loans_receivable(self) -> np.ndarray:
        """Loans each entity has made to its direct subsidiaries (mn yuan)."""
        live = self.alive & (self.parent >= 0)
        return np.bincount(self.parent[live], weights=self.intra_loan[live], minlength=self.n)

    def solo_equity(self) -> np.ndarray:
        """Equity of each legal entity on its own books: external equity plus intra-group claims."""
        return self.equity() + self.loans_receivable() - self.intra_loan

    def ttm_profit(self) -> np.ndarray:
        """Trailing-twelve-month profit of every entity (mn yuan/yr)."""
        total = self.profit_hist[0].copy()
        for k in range(1, HISTORY_MONTHS):  # row by row: contiguous, no (12, n) temporary
            total += self.profit_hist[k]
        return total


LEDGER_COLUMNS: dict[str, str] = {
    "restructuring_cost": "cost",
    "jobs_affected": "jobs_affected",
    "creditor_losses": "creditor_loss",
    "one_off_results": "one_off",
    "assets_revitalised": "assets_revitalised",
    "cash_recovered": "cash_recovered",
    "central_local_cash": "central_local_cash",
    "receivables_collected": "receivables_collected",
    "debt_repaid": "debt_repaid",
    "hazards_cleared": "hazards_cleared",
    "decoupled": "decoupled",
    "turnarounds_started": "turnarounds_started",
    "actions_deferred": "actions_deferred",
}
"""Each ledger total and the event-log column it is the sum of (see :mod:`sim.events`)."""


@dataclass
class Ledger:
    """Cumulative portfolio-level flows that no entity's state holds (mn yuan unless noted).

    Only :meth:`sim.events.EventLog.record` adds to it, with the same numbers it writes in the
    event's row, so every total is the sum of its column in ``events.parquet``
    (:data:`LEDGER_COLUMNS`)."""

    assets_revitalised: float = 0.0
    """Book value of idle assets revitalised (盘活), sold or put back to productive use."""
    cash_recovered: float = 0.0
    """Cash received for revitalised assets."""
    central_local_cash: float = 0.0
    """Part of cash_recovered that came through central-local cooperation (央地合作)."""
    receivables_collected: float = 0.0
    """Receivables collected (清收债权)."""
    debt_repaid: float = 0.0
    """External debt repaid from surplus cash (清偿债务)."""
    hazards_cleared: float = 0.0
    """Debt of high-risk subsidiaries paid down by their parents (清除风险隐患)."""
    decoupled: float = 0.0
    """Enterprises decoupled from government functions (脱钩), count."""
    restructuring_cost: float = 0.0
    """Severance, liquidation, integration, deregistration, decoupling and turnaround costs."""
    jobs_affected: float = 0.0
    """Employees whose employer was closed, sold or cut by a merger, persons."""
    creditor_losses: float = 0.0
    """Losses of outside creditors in closures and bankruptcies."""
    actions_deferred: float = 0.0
    """Proposed actions refused for lack of capacity, budget or employment cap, count."""
    one_off_results: float = 0.0
    """Disposal gains and losses and restructuring costs booked in profit (negative = losses)."""
    turnarounds_started: float = 0.0
    """Turnaround programmes started, count."""
