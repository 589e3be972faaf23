"""提质 quality: optimised restructuring (优化重组) of groups and businesses.

Implements the 提质 line of the 2024 Chongqing SOE reform (三攻坚一盘活; docs/sources.md):
strategic restructuring of whole groups (战略性重组), professional integration (专业化整合: like
businesses move to the group whose core business they are) and the limit of ``max_core`` core
businesses (主责主业) per group (Chongqing: each group ≤ 3), with non-core businesses divested.

Each month:

1. **Strategic restructuring.** A group is a candidate when it is *weak* (consolidated operating
   ROE below ``weak_roe``: smoothed profit over a year, one-off results left out, on equity) or
   *small* (consolidated assets below ``small_assets``).
   Up to ``group_mergers_per_month`` candidates a month, weakest first (lowest sum of size rank
   and ROE rank), join an *acquirer*: the largest group that is neither weak nor small, in the
   same main sector (the headquarters' sector), else in a complementary sector
   (``sim.sectors.COMPLEMENTS``), else (``unrelated_acquirer``) any. A candidate with no acquirer
   stays. Nothing counts groups: consolidation goes on for as long as the criteria find
   candidates, at the pace the levers and the regulator's capacity allow, and groups that weaken
   later become candidates then. ``merger_mode`` ``absorb``: the weaker HQ is absorbed and its
   subsidiaries report to the stronger HQ; ``subsidiary``: the weaker HQ becomes a second-layer
   subsidiary.
2. **Core businesses.** A group's core businesses are the HQ's sector and its largest sectors by
   revenue, ``max_core`` in all; every entity's ``core`` flag follows.
3. **Professional integration.** Up to ``integrations_per_month`` non-core subsidiaries (largest
   first) move to the headquarters of the group with the largest revenue in their sector among
   groups where it is core; with no such group they are divested (``divest``): transferred out if
   they have positive equity, otherwise closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.params import check, param
from sim.policies import dispositions
from sim.policies.base import Action, Context, Rule, RuleParams, quota
from sim.policies.ranking import flags, numbering, ranked
from sim.sectors import COMPLEMENTS, N_SECTORS, SECTOR_CODE, SECTOR_NAMES

if TYPE_CHECKING:
    from sim.state import EntityState
    from sim.world import World


@dataclass(kw_only=True)
class QualityParams(RuleParams):
    """Parameters of 优化重组."""

    _section: ClassVar[str] = "policy.quality"

    enabled: bool = param(
        False,
        unit="-",
        kind="lever",
        meaning="Switch the 优化重组 rules on",
    )
    weak_roe: float = param(
        0.02,
        unit="share/yr",
        kind="lever",
        low=-1.0,
        high=1.0,
        meaning="A group whose consolidated operating ROE (smoothed monthly profit x 12, one-offs "
        "left out, on equity) is below this is weak: a candidate for strategic restructuring",
    )
    small_assets: float = param(
        15000.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="A group with fewer consolidated assets than this is small: a candidate for "
        "strategic restructuring",
    )
    unrelated_acquirer: bool = param(
        True,
        unit="-",
        kind="lever",
        meaning="A candidate with no acquirer in its own or a complementary sector joins the "
        "largest sound group",
    )
    group_mergers_per_month: float = param(
        2.0,
        unit="mergers/month",
        kind="lever",
        low=0.0,
        meaning="Group mergers per month at most",
    )
    merger_mode: str = param(
        "absorb",
        unit="-",
        kind="lever",
        choices=("absorb", "subsidiary"),
        meaning="absorb: the weaker HQ is absorbed; subsidiary: it becomes a subsidiary of the "
        "stronger group",
    )
    max_core: int = param(
        3,
        unit="count",
        kind="lever",
        low=1,
        high=11,
        meaning="Core businesses (sectors) per group at most",
    )
    integrations_per_month: float = param(
        20.0,
        unit="entities/month",
        kind="lever",
        low=0.0,
        meaning="Non-core subsidiaries integrated into another group or divested per month",
    )
    divest: bool = param(
        True,
        unit="-",
        kind="lever",
        meaning="Divest non-core subsidiaries that no group has as a core business",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check(
            self._section,
            "merger_mode",
            self.merger_mode in ("absorb", "subsidiary"),
            "'absorb' or 'subsidiary'",
            self.merger_mode,
        )


class Quality(Rule):
    """优化重组: merge groups, set core businesses, integrate or divest non-core subsidiaries."""

    family = "quality"
    kind = "structural"
    params_class = QualityParams
    implements = "优化重组: 战略性重组、专业化整合, 主业≤3 (Chongqing 三攻坚一盘活, 2024)"
    params: QualityParams

    def step(self, world: World, ctx: Context) -> Iterator[Action]:
        p = self.params
        yield from self._group_mergers(world, ctx, quota(p.group_mergers_per_month, ctx.intensity))
        home = self._update_core(world)
        yield from self._integrations(
            world, home, quota(p.integrations_per_month, ctx.intensity), ctx
        )

    def _group_mergers(self, world: World, ctx: Context, limit: int) -> Iterator[Action]:
        """Candidates (weak or small groups), weakest first, each with its acquirer."""
        st = world.state
        hq = np.flatnonzero(st.alive & (st.parent < 0))
        if limit <= 0 or hq.size < 2:
            return
        total = _GroupTotals(st)
        assets = total.of(st.assets)[hq]
        equity = assets - total.of(st.liabilities)[hq]
        # Operating profit: smoothed monthly profit a year, one-off results left out.
        profit = 12.0 * total.of(st.profit_ewm)[hq]
        roe = np.where(equity > 0, profit / np.maximum(equity, 1e-9), -1.0)
        weak = roe < self.params.weak_roe
        small = assets < self.params.small_assets
        busy = flags(st.n, ctx.busy)[hq]
        receiving = flags(st.n, ctx.receiving)[hq]
        candidate = (weak | small) & ~(busy | receiving)
        sound = ~(weak | small) & ~busy
        score = _positions(assets) + _positions(roe)
        sector = st.sector[hq]
        taken = 0
        for i in np.flatnonzero(candidate)[np.argsort(score[candidate], kind="stable")].tolist():
            if taken >= limit:
                return
            acquirer = self._acquirer(i, sector, assets, sound)
            if acquirer < 0:
                continue
            taken += 1
            row, into = int(hq[i]), int(hq[acquirer])
            why = f"weak (ROE {100 * roe[i]:.1f}%)" if weak[i] else "small"
            reason = (
                f"strategic restructuring (战略性重组): {why} group joins "
                f"{st.ids[into]} ({SECTOR_NAMES[int(sector[acquirer])]})"
            )
            if self.params.merger_mode == "absorb":
                yield dispositions.absorb(
                    world, row, into, self.disposal, rule=self.family, reason=reason
                )
            else:
                yield dispositions.move(row, into, rule=self.family, reason=reason)

    def _acquirer(self, i: int, sector: np.ndarray, assets: np.ndarray, sound: np.ndarray) -> int:
        """Position of the largest sound group in candidate ``i``'s sector, else a complementary
        one, else (``unrelated_acquirer``) any; -1 if none."""
        pools = [
            [int(sector[i])],
            [SECTOR_CODE[s] for s in COMPLEMENTS.get(SECTOR_NAMES[int(sector[i])], ())],
        ]
        for wanted in pools:  # fmt: skip
            in_pool = np.zeros(N_SECTORS, dtype=bool)  # a lookup: cheaper than np.isin here
            in_pool[wanted] = True
            pool = np.flatnonzero(sound & in_pool[sector])
            if pool.size:
                return int(pool[np.argmax(assets[pool])])
        if self.params.unrelated_acquirer and sound.any():
            pool = np.flatnonzero(sound)
            return int(pool[np.argmax(assets[pool])])
        return -1

    def _update_core(self, world: World) -> dict[int, int]:
        """Set every entity's core flag; returns, for each sector that some group has as a core
        business, the HQ row of the group with the largest revenue in it."""
        st = world.state
        live = np.flatnonzero(st.alive)
        member_group = st.group[live].astype(np.intp)
        # The groups present (ascending) and each member's position among them: what np.unique
        # returns, from a mask over the rows, which is several times faster.
        present, position = numbering(st.n, member_group)
        groups = np.flatnonzero(present)
        inverse = np.take(position, member_group).astype(np.intp)
        cell = inverse * N_SECTORS + st.sector[live]
        weights = 12.0 * st.revenue_base[live] + 1e-9
        revenue = np.bincount(cell, weights, minlength=groups.size * N_SECTORS).reshape(
            groups.size, N_SECTORS
        )
        boosted = revenue.copy()
        boosted[np.arange(groups.size), st.sector[groups]] = np.inf  # the HQ's sector is core
        is_core = _largest(boosted, self.params.max_core)
        is_core &= boosted > 0
        st.core[live] = is_core.ravel()[cell]  # is_core[inverse, sector], as one flat index
        core_revenue = np.where(is_core, revenue, -1.0)
        best = np.argmax(core_revenue, axis=0)
        return {s: int(groups[best[s]]) for s in range(N_SECTORS) if is_core[best[s], s]}

    def _integrations(
        self, world: World, home: dict[int, int], limit: int, ctx: Context
    ) -> Iterator[Action]:
        st = world.state
        rows = np.flatnonzero(st.alive & (st.parent >= 0) & ~st.core)
        if rows.size == 0 or limit <= 0:
            return
        # Rows being disposed of stay so all month (the loop skips them): leave them out before
        # ranking, which then reads only as far as the quota takes it (largest assets first).
        rows = rows[~flags(st.n, ctx.busy)[rows]]
        taken = 0
        for row in ranked(rows, -st.assets[rows], 2 * limit + 16):
            if taken >= limit:
                return
            if not st.alive[row] or st.core[row] or row in ctx.busy:
                continue
            taken += 1
            target = home.get(int(st.sector[row]), -1)
            label = SECTOR_NAMES[int(st.sector[row])]
            if target >= 0 and target != st.group[row] and st.alive[target]:
                yield dispositions.move(
                    row,
                    target,
                    rule=self.family,
                    reason=f"non-core {label}: integrated into {st.ids[target]} (专业化整合)",
                )
            elif self.params.divest and target < 0:
                if st.assets[row] > st.liabilities[row]:
                    yield dispositions.transfer_out(
                        world,
                        row,
                        self.disposal,
                        rule=self.family,
                        reason=f"non-core {label}: divested (剥离)",
                    )
                else:
                    yield dispositions.close(
                        world,
                        row,
                        self.disposal,
                        rule=self.family,
                        reason=f"non-core {label}, insolvent: closed",
                    )


class _GroupTotals:
    """Sums of state columns over each group's live entities, one array over the rows (indexed
    by the group's HQ row).

    Entities that have left keep their row with their stocks and flows zeroed (the event log
    holds their last values). Adding zero to a running sum leaves it unchanged (the sums start
    at +0.0 and so never reach -0.0, the one value that adding +0.0 would change), so over a
    column that is zero on every row that has left, the sum over all rows is the same, float
    for float, as over the live rows in the same order: ``np.bincount`` adds in row order. That
    is checked per column on the rows that have left (a few percent), and the sum over all rows
    saves gathering the live rows of the group index and of each column.
    """

    def __init__(self, st: EntityState) -> None:
        self.st = st
        self.gone = np.flatnonzero(~st.alive)
        self.all_rows = not (st.group[self.gone] < 0).any()
        self._live: tuple[np.ndarray, np.ndarray] | None = None

    def of(self, column: np.ndarray) -> np.ndarray:
        """``np.bincount(group[live], weights=column[live], minlength=n)``."""
        st = self.st
        if self.all_rows and not column[self.gone].any():
            return np.bincount(st.group, weights=column, minlength=st.n)
        if self._live is None:
            live = np.flatnonzero(st.alive)
            self._live = live, st.group[live]
        live, group = self._live
        return np.bincount(group, weights=column[live], minlength=st.n)


def _positions(values: np.ndarray) -> np.ndarray:
    """Each value's position in the stable ascending order of ``values``: the inverse of the
    sorting permutation, which is what sorting that permutation again
    (``np.argsort(np.argsort(values, kind="stable"), kind="stable")``) returns, without the
    second sort."""
    order = np.argsort(values, kind="stable")
    positions = np.empty_like(order)
    positions[order] = np.arange(order.size)
    return positions


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """A mask of each row's ``k`` first cells in the stable descending order of ``values``
    (``np.argsort(-values, axis=1, kind="stable")[:, :k]``: larger first, ties to the lower
    column).

    ``k`` rounds of ``np.argmax`` (the largest, the lowest column among ties), each striking
    the cell it took with -inf: a few passes over a (groups, sectors) table instead of sorting
    every row. The sort is kept where a value is NaN or -inf, whose order the rounds would not
    reproduce (an argmax takes NaN first; a struck cell would tie with -inf)."""
    rows, cols = values.shape
    if k < 0 or np.isnan(values).any() or np.isneginf(values).any():
        top = np.argsort(-values, axis=1, kind="stable")[:, :k]
        mask = np.zeros(values.shape, dtype=bool)
        mask[np.arange(rows)[:, None], top] = True
        return mask
    mask = np.zeros(values.shape, dtype=bool)
    left = values.copy()
    every = np.arange(rows)
    for _ in range(min(k, cols)):
        col = np.argmax(left, axis=1)
        mask[every, col] = True
        left[every, col] = -np.inf
    return mask
