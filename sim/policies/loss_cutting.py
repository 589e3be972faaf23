"""止损治亏 loss-cutting: tiered, classified handling of loss-makers.

Implements 分层分类"止损治亏" of the 2024 Chongqing SOE reform (三攻坚一盘活, line
止损、瘦身、提质、增效; see docs/sources.md) and 处僵治困, zombie
resolution.

Each month every loss-making subsidiary (negative trailing-twelve-month profit) is classified:

- by **cause**: *zombie* (the economy's zombie flag: smoothed losses, interest coverage below 1,
  kept alive by its parent), *cyclical* (profitable at neutral demand: the loss is the cycle's, and
  the rule leaves it alone), or *structural* (loss-making even at neutral demand);
- by **business**: core (主责主业) or non-core;
- by **layer**: deeper layers are handled first (分层), then larger losses.

Dispositions (一企一案): a structural loss-maker in a core business gets a *turnaround* programme
(cost reduction that succeeds with probability ``turnaround_success`` after
``turnaround_months``; one programme per entity). One still loss-making after its turnaround, or
a zombie, is *merged into a healthy entity* (兼并重组: profitable, solvent, same group and sector)
when one exists whose twelve-month profit covers ``merge_cover`` times the loss it takes on (the
absorber carries the absorbed business, losses included); otherwise one with positive equity
is *transferred out* (合作转移; core businesses too when ``sell_core``) and the rest are *closed*
(依法关停): liquidating an entity with positive equity at the liquidation recovery rate destroys
more value than selling it.
``soft_budget`` hardens the soft budget constraint from the reform's start (a lever: lower =
harder). Each disposition is a decision that completes after its duration or fails
(:mod:`sim.policies.dispositions`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.accounts import neutral_profit
from sim.params import param
from sim.policies import dispositions
from sim.policies.base import Action, Context, Rule, RuleParams, quota
from sim.policies.ranking import flags, max_per_cell, numbering, ranked
from sim.sectors import N_SECTORS

if TYPE_CHECKING:
    from sim.policies.config import PolicyBase
    from sim.world import World


@dataclass(kw_only=True)
class LossCuttingParams(RuleParams):
    """Parameters of 止损治亏 (money in mn yuan)."""

    _section: ClassVar[str] = "policy.loss_cutting"

    enabled: bool = param(
        False,
        unit="-",
        kind="lever",
        meaning="Switch the 止损治亏 rules on",
    )
    per_month: float = param(
        40.0,
        unit="entities/month",
        kind="lever",
        low=0.0,
        meaning="Loss-makers taken in hand per month (turnarounds started plus dispositions "
        "proposed)",
    )
    turnaround_cost_cut: float = param(
        0.08,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of operating cost removed by a successful turnaround",
    )
    turnaround_success: float = param(
        0.5,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Probability that a turnaround succeeds",
    )
    turnaround_months: int = param(
        6,
        unit="months",
        kind="uncertainty",
        low=1,
        high=120,
        meaning="Months until a turnaround's outcome is known",
    )
    turnaround_cost: float = param(
        0.01,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="One-off cost of a turnaround, share of annual operating cost",
    )
    merge_cover: float = param(
        1.0,
        unit="ratio",
        kind="lever",
        low=0.0,
        meaning="A loss-maker is merged into a healthy entity only if the absorber's twelve-month "
        "profit, less the losses it took on this month, is at least this multiple of the loss "
        "(the merger carries the loss)",
    )
    sell_core: bool = param(
        True,
        unit="-",
        kind="lever",
        meaning="A core loss-maker with positive equity and no absorber is sold (合作转移, e.g. "
        "mixed-ownership reform) rather than closed; false: only non-core ones are sold",
    )
    soft_budget: float = param(
        -1.0,
        unit="share",
        kind="lever",
        low=-1.0,
        high=1.0,
        meaning="Soft-budget share under the reform (硬化预算约束); -1 leaves the economy's value",
    )


class LossCutting(Rule):
    """止损治亏: classify loss-makers, turn around, merge, transfer out or close them."""

    family = "loss_cutting"
    kind = "structural"
    params_class = LossCuttingParams
    implements = "分层分类“止损治亏”; 处僵治困 (Chongqing 三攻坚一盘活, 2024)"
    params: LossCuttingParams

    def __init__(self, params: LossCuttingParams, policy: PolicyBase) -> None:
        super().__init__(params, policy)
        self.due: dict[int, tuple[int, bool]] = {}
        """Turnarounds under way: row -> (month the outcome is known, succeeds)."""
        self.tried: set[int] = set()
        """Rows that have had their turnaround: if still structurally loss-making, they are
        disposed of next time (one turnaround per entity)."""

    def step(self, world: World, ctx: Context) -> Iterator[Action]:
        p = self.params
        if p.soft_budget >= 0:
            world.set_soft_budget(p.soft_budget)
        self._resolve_turnarounds(world)
        st = world.state
        ttm = st.ttm_profit()
        candidates = np.flatnonzero(st.alive & (st.parent >= 0) & (st.status == 0) & (ttm < 0))
        if candidates.size == 0:
            return
        # Rows under a turnaround or a pending decision stay so all month: leave them out up
        # front (most candidates are), the loop below checks again as proposals are decided.
        candidates = candidates[~flags(st.n, ctx.busy | self.due.keys())[candidates]]
        cyclical = ~st.zombie[candidates] & (
            neutral_profit(st, world.economy_params, candidates) > 0
        )
        candidates = candidates[~cyclical]
        if candidates.size == 0:
            return
        limit = quota(p.per_month, ctx.intensity)
        in_turn = _in_turn(candidates, st.layer[candidates], ttm[candidates], 2 * limit + 16)
        absorbers = Absorbers(world, ttm)
        # Each absorber's profit not yet committed this month to covering absorbed losses
        # (filled in as absorbers are first asked for: their twelve-month profit).
        cover: dict[int, float] = {}
        taken = 0
        for row in in_turn:
            if taken >= limit:
                return
            if not st.alive[row] or row in self.due or row in ctx.busy:
                continue
            taken += 1
            if st.core[row] and not st.zombie[row] and row not in self.tried:
                self._start_turnaround(world, row, ctx)
                continue
            yield self._dispose(world, row, absorbers, cover, ttm, ctx)

    def _dispose(
        self,
        world: World,
        row: int,
        absorbers: Absorbers,
        cover: dict[int, float],
        ttm: np.ndarray,
        ctx: Context,
    ) -> Action:
        st = world.state
        cause = "zombie" if st.zombie[row] else "structural loss"
        into = absorbers.of(int(st.group[row]), int(st.sector[row]))
        if (
            into >= 0
            and st.alive[into]
            and into not in ctx.busy
            and cover.setdefault(into, float(ttm[into])) >= self.params.merge_cover * -ttm[row]
            and not world.is_ancestor(row, into)
        ):
            cover[into] -= self.params.merge_cover * -ttm[row]
            return dispositions.absorb(
                world,
                row,
                into,
                self.disposal,
                rule=self.family,
                reason=f"{cause}: merged into a healthy entity (兼并重组)",
            )
        if st.assets[row] > st.liabilities[row] and (not st.core[row] or self.params.sell_core):
            label = "core" if st.core[row] else "non-core"
            return dispositions.transfer_out(
                world,
                row,
                self.disposal,
                rule=self.family,
                reason=f"{cause}, {label}: transferred out (合作转移)",
            )
        return dispositions.close(
            world,
            row,
            self.disposal,
            rule=self.family,
            reason=f"{cause}: lawful closure (依法关停)",
        )

    def _start_turnaround(self, world: World, row: int, ctx: Context) -> None:
        st = world.state
        cost = self.params.turnaround_cost * 12.0 * st.operating_cost[row]
        if not ctx.budget.spend(cost):
            world.defer(self.family)
            return
        success = bool(ctx.rng.random() < self.params.turnaround_success)
        self.due[row] = (world.month + self.params.turnaround_months, success)
        world.charge(
            "turnaround",
            row,
            cost,
            rule=self.family,
            reason="structural loss, core: turnaround programme started",
            flows={"turnarounds_started": 1},
        )

    def _resolve_turnarounds(self, world: World) -> None:
        st, month = world.state, world.month
        for row in sorted(r for r, (due, _) in self.due.items() if due <= month):
            _, success = self.due.pop(row)
            if not st.alive[row]:
                continue
            self.tried.add(row)
            if success:
                keep = 1.0 - self.params.turnaround_cost_cut
                st.fixed_cost[row] *= keep
                st.var_cost_ratio[row] *= keep
            world.note(
                "turnaround",
                row,
                rule=self.family,
                reason="turnaround succeeded" if success else "turnaround failed",
            )


def _in_turn(
    candidates: np.ndarray, layer: np.ndarray, ttm: np.ndarray, first: int
) -> Iterator[int]:
    """The candidates in the order they are handled, deepest layer first, then the largest
    loss (``layer``, ``ttm``: theirs): exactly
    ``candidates[np.lexsort((ttm, -layer))].tolist()``, sorted only as far as it is read.

    One layer at a time, deepest first (the few layers are a loop), each by
    :func:`sim.policies.ranking.ranked` on ``ttm``; ``candidates`` is ascending and every
    subset keeps its order, so ties fall to the lower row as in the stable ``np.lexsort``."""
    for deep in range(int(layer.max()), int(layer.min()) - 1, -1):
        in_layer = layer == deep
        if in_layer.any():
            yield from ranked(candidates[in_layer], ttm[in_layer], first)


class Absorbers:
    """For each (group, sector), the largest healthy entity at the start of the month's step:
    operating, profitable over twelve months, solvent on its own books, not a zombie; among
    entities of equal assets, the last row.

    Held as arrays, not a dict of every (group, sector), because a month asks for a few dozen of
    the hundreds of thousands there are at national scale. The groups with a healthy entity are
    numbered densely in row order (``rank``, from a mask over the rows), so the (group, sector)
    cells fit one small array, and :func:`sim.policies.ranking.max_per_cell` picks each cell's
    entity without sorting the population: the choice a stable sort by assets would make (the
    last entity of each cell). Built once per step, from the state at the step's start, as the
    dict it replaces was; :meth:`of` is asked with the row's group and sector at the time of
    asking, as the dict was.
    """

    def __init__(self, world: World, ttm: np.ndarray | None = None) -> None:
        """``ttm``: :meth:`EntityState.ttm_profit`, if the caller has it."""
        st = world.state
        ttm = st.ttm_profit() if ttm is None else ttm
        healthy = np.flatnonzero(
            st.alive & (st.status == 0) & ~st.zombie & (ttm > 0) & (st.solo_equity() > 0)
        )
        self.present = np.zeros(st.n, dtype=bool)
        """Groups (HQ rows) with a healthy entity."""
        self.rank = np.zeros(0, dtype=np.int32)
        """Each group's position among the present groups (meaningful where present)."""
        self.winner = np.zeros(0, dtype=np.int64)
        """(group position * N_SECTORS + sector) -> the chosen row, -1 if none."""
        if healthy.size == 0:
            return
        group = st.group[healthy].astype(np.intp)
        self.present, self.rank = numbering(st.n, group)
        cells = (int(self.rank[-1]) + 1) * N_SECTORS
        cell = np.take(self.rank, group).astype(np.intp) * N_SECTORS + st.sector[healthy]
        self.winner = max_per_cell(cell, st.assets[healthy], healthy, cells)

    def of(self, group: int, sector: int) -> int:
        """The chosen entity of ``group``'s ``sector`` business, -1 if none."""
        if not (0 <= group < self.present.size and self.present.item(group)):
            return -1
        return int(self.winner.item(self.rank.item(group) * N_SECTORS + sector))

    def as_dict(self) -> dict[int, int]:
        """``{group * N_SECTORS + sector: row}`` for every (group, sector) with one, keys
        ascending."""
        cells = np.flatnonzero(self.winner >= 0)
        groups = np.flatnonzero(self.present)
        keys = groups[cells // N_SECTORS] * N_SECTORS + cells % N_SECTORS
        return dict(zip(keys.tolist(), self.winner[cells].tolist(), strict=True))


def healthy_absorbers(world: World, ttm: np.ndarray | None = None) -> dict[int, int]:
    """For each (group, sector) key ``group * N_SECTORS + sector``, the largest healthy entity:
    operating, profitable over twelve months, solvent on its own books, not a zombie (``ttm``:
    :meth:`EntityState.ttm_profit`, if the caller has it); see :class:`Absorbers`."""
    return Absorbers(world, ttm).as_dict()
