"""增效 efficiency and 三清: revitalise idle assets, collect receivables, repay debt, clear hazards.

Implements the 增效 line and the 三清 campaign of the 2024 Chongqing SOE reform (清理盘活存量资产、
清除风险隐患、清收债权清偿债务) and 盘活国有资产 (docs/sources.md: 84.82 bn yuan revitalised in
H1 2024, 106% of the full-year target; in 2023, 25.4 of 56.5 bn came back as cash). All are
continuous programmes, vectorised over entities, proposing no structural change:

- **Revitalisation (盘活).** Each month ``revitalise_rate`` of every entity's idle assets is
  revitalised: ``cash_share`` of it is sold (a share ``central_local_share`` of the sales through
  central-local cooperation, 央地合作, at ``central_local_price`` of book; the rest at
  ``market_price``), the remainder is put back to productive use, earning revenue at the sector's
  asset turnover times ``reuse_yield`` at the entity's average operating margin. Sale gains and
  losses are booked in profit.
- **Receivables (清收债权).** ``collection_rate`` of receivables is collected each month.
- **Debt (清偿债务).** Cash above ``cash_buffer`` of assets repays external debt, ``repayment_rate``
  of the excess a month.
- **Risk hazards (清除风险隐患).** A subsidiary with a debt-to-asset ratio above ``hazard_ratio``
  has ``hazard_paydown`` of its external debt paid down each month by its parent (from the
  parent's positive cash; the subsidiary then owes its parent).
- **Productivity (增效).** Operating entities' productivity grows by ``productivity_gain`` a year.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.params import param
from sim.policies.base import Action, Context, Rule, RuleParams
from sim.sectors import sector_array

if TYPE_CHECKING:
    from sim.state import EntityState
    from sim.world import World

BLOCK = 1 << 16
"""Rows per block of the programmes' arithmetic (see :meth:`Efficiency.step`): 64 Ki rows, half a
megabyte a column, so the dozen columns a formula chain touches fit in the cache."""


def _blocks(n: int) -> Iterator[slice]:
    """Consecutive slices of at most :data:`BLOCK` rows covering ``n`` rows."""
    for start in range(0, n, BLOCK):
        yield slice(start, min(start + BLOCK, n))


@dataclass(kw_only=True)
class EfficiencyParams(RuleParams):
    """Parameters of 增效 and 三清 (rates are per month unless stated)."""

    _section: ClassVar[str] = "policy.efficiency"

    enabled: bool = param(
        False,
        unit="-",
        kind="lever",
        meaning="Switch the 增效, 三清, 盘活 rules on",
    )
    revitalise_rate: float = param(
        0.06,
        unit="share/month",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of idle assets revitalised per month",
    )
    cash_share: float = param(
        0.45,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of revitalised assets sold for cash (2023: 25.4 of 56.5 bn)",
    )
    market_price: float = param(
        0.95,
        unit="ratio",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Sale price / book value on the market",
    )
    central_local_share: float = param(
        0.2,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of sales made through central-local cooperation (央地合作)",
    )
    central_local_price: float = param(
        1.0,
        unit="ratio",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Sale price / book value through central-local cooperation",
    )
    reuse_yield: float = param(
        0.8,
        unit="ratio",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Revenue of re-used assets relative to the sector's asset turnover",
    )
    collection_rate: float = param(
        0.03,
        unit="share/month",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of receivables collected per month",
    )
    cash_buffer: float = param(
        0.06,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Cash kept, share of assets; more repays debt",
    )
    repayment_rate: float = param(
        0.2,
        unit="share/month",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of cash above the buffer used to repay external debt per month",
    )
    hazard_ratio: float = param(
        0.9,
        unit="ratio",
        kind="lever",
        low=0.0,
        high=10.0,
        meaning="Debt-to-asset ratio above which a subsidiary is a risk hazard",
    )
    hazard_paydown: float = param(
        0.05,
        unit="share/month",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of a hazard's external debt its parent pays down per month",
    )
    productivity_gain: float = param(
        0.02,
        unit="share/yr",
        kind="uncertainty",
        low=-0.5,
        high=0.5,
        meaning="Extra productivity growth of operating entities, per year",
    )


class Efficiency(Rule):
    """增效 and 三清: vectorised programmes, no structural proposals."""

    family = "efficiency"
    kind = "programme"
    params_class = EfficiencyParams
    implements = "增效; 三清: 清理盘活存量资产、清除风险隐患、清收债权清偿债务; 盘活国有资产"
    params: EfficiencyParams

    def step(self, world: World, ctx: Context) -> Iterator[Action]:
        """The programmes over every entity, month by month.

        The arithmetic runs over blocks of :data:`BLOCK` rows, in place on few temporaries: at
        a million entities a column is 8 MB, and formula by formula over whole columns the work
        is reading and writing memory, while a block's columns stay in the processor's cache
        through all of its formulas. Each value is computed by the same operations, in the
        same order, as the formula in the comment above its block (rows that have left get
        0, as with ``np.where``); the flows are whole columns, as the event log sums them."""
        st, p = world.state, self.params
        n = st.n
        rate = min(1.0, p.revitalise_rate * ctx.intensity)
        turnover = sector_array("turnover")
        amount, cash, central_cash, gain = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        for b in _blocks(n):
            self._revitalise(st, b, rate, turnover, amount[b], cash[b], central_cash[b], gain[b])
        world.programme(
            "revitalise",
            rule=self.family,
            reason="idle assets sold or re-used (盘活)",
            flows={
                "assets_revitalised": amount,
                "cash_recovered": cash,
                "central_local_cash": central_cash,
            },
            one_off=gain,
        )

        # collected = where(alive, receivables * collection_rate, 0)
        collected = np.empty(n)
        for b in _blocks(n):
            got = np.multiply(st.receivables[b], p.collection_rate, out=collected[b])
            got[~st.alive[b]] = 0.0
            receivables, held = st.receivables[b], st.cash[b]
            receivables -= got
            held += got
        world.programme(
            "collect", rule=self.family, reason="receivables collected (清收债权)",
            flows={"receivables_collected": collected},
        )  # fmt: skip

        # repaid = where(alive, min(max(cash - cash_buffer * assets, 0) * repayment_rate,
        #                           liabilities), 0)
        repaid = np.empty(n)
        for b in _blocks(n):
            held, assets, debt = st.cash[b], st.assets[b], st.liabilities[b]
            paid = np.multiply(assets, p.cash_buffer, out=repaid[b])
            np.subtract(held, paid, out=paid)
            np.maximum(paid, 0.0, out=paid)
            paid *= p.repayment_rate
            np.minimum(paid, debt, out=paid)
            paid[~st.alive[b]] = 0.0
            held -= paid
            assets -= paid
            debt -= paid
        world.programme(
            "repay", rule=self.family, reason="external debt repaid (清偿债务)",
            flows={"debt_repaid": repaid},
        )  # fmt: skip

        self._clear_hazards(world)
        if p.productivity_gain:
            operating = st.alive & (st.status == 0)
            growth = (1.0 + p.productivity_gain) ** (1.0 / 12.0)
            np.multiply(st.productivity, growth, out=st.productivity, where=operating)
        return iter(())

    def _revitalise(
        self,
        st: EntityState,
        b: slice,
        rate: float,
        turnover: np.ndarray,
        amount: np.ndarray,
        cash: np.ndarray,
        central_cash: np.ndarray,
        gain: np.ndarray,
    ) -> None:
        """盘活 on the rows ``b``: fills ``amount`` (revitalised), ``cash`` (recovered),
        ``central_cash`` (of it through central-local cooperation) and ``gain`` (the one-off
        result), the block's parts of the whole columns, and updates the state."""
        p = self.params
        # amount = where(alive, idle_assets * rate, 0)
        np.multiply(st.idle_assets[b], rate, out=amount)
        amount[~st.alive[b]] = 0.0
        sold = amount * p.cash_share
        via_central = sold * p.central_local_share
        np.multiply(via_central, p.central_local_price, out=central_cash)
        # cash = (sold - via_central) * market_price + via_central * central_local_price
        np.subtract(sold, via_central, out=cash)
        cash *= p.market_price
        cash += central_cash
        reused = amount - sold
        idle, held, assets = st.idle_assets[b], st.cash[b], st.assets[b]
        idle -= amount
        held += cash
        np.subtract(cash, sold, out=gain)
        assets += gain
        # added = reused * turnover[sector] * reuse_yield / 12
        added = reused
        added *= np.take(turnover, st.sector[b])
        added *= p.reuse_yield
        added /= 12.0
        # Re-used assets earn the entity's average margin: fixed cost grows in proportion.
        fixed, base = st.fixed_cost[b], st.revenue_base[b]
        fixed += np.divide(fixed * added, base, out=np.zeros_like(added), where=base > 0)
        base += added

    def _clear_hazards(self, world: World) -> None:
        st, p = world.state, self.params
        # Hazards: debt-to-asset ratio above hazard_ratio, the ratio infinite where assets <= 0.
        solvent = st.assets > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = st.liabilities / st.assets > p.hazard_ratio
        if np.inf > p.hazard_ratio:
            hazard |= ~solvent
        else:
            hazard &= solvent
        rows = np.flatnonzero(st.alive & (st.parent >= 0) & hazard)
        if rows.size == 0:
            return
        want = p.hazard_paydown * st.liabilities[rows]
        parents = st.parent[rows]
        need = np.bincount(parents, weights=want, minlength=st.n)[parents]
        scale = np.clip(np.maximum(st.cash[parents], 0.0) / np.maximum(need, 1e-12), 0.0, 1.0)
        pay = want * scale
        np.subtract.at(st.cash, parents, pay)
        np.subtract.at(st.assets, parents, pay)
        st.liabilities[rows] -= pay
        st.intra_loan[rows] += pay
        world.programme(
            "clear_hazards", rule=self.family,
            reason="high-risk subsidiaries' debt paid down by parents (清除风险隐患)",
            flows={"hazards_cleared": pay},
        )  # fmt: skip
