"""瘦身健体 slimming: fewer management layers (减层级) and fewer legal entities (减数量).

Implements the 瘦身 line of the 2024 Chongqing SOE reform (三攻坚一盘活; 三减: 减层级、减数量) and
the national 瘦身健体 drive described in docs/sources.md (central SOEs: all groups within 5
management layers by 2019; 2022 target ≤ 4 management layers).

Each month, in this order, up to ``per_month`` (times the surge intensity) proposals:

1. **Deregister** shells (空壳) and, if ``deregister_dormant``, dormant entities (休眠): the parent
   takes their net assets or settles their debts;
2. **Cap layers** at ``max_layers``: an entity one layer too deep is absorbed into its parent when
   it is small (assets below ``absorb_below``) or in its parent's sector, and otherwise moved up
   (划转) to its grandparent with its subtree; deeper entities follow in later months;
3. **Absorb small siblings**: subsidiaries of one parent in the same sector with assets below
   ``sibling_below`` are merged into the largest of them;
4. **Absorb small leaves into their parent**: operating subsidiaries with no subsidiaries of
   their own and assets below ``leaf_below`` (0: off) are merged into their direct parent,
   smallest first (压减: a small company kept for a single contract or site becomes a branch).

New subsidiaries need approval (严控新设): only ``entry_approval`` of the entries the market
proposed this month (``world.pending_entries``) go ahead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.params import param
from sim.policies import dispositions
from sim.policies.base import Action, Context, Rule, RuleParams, quota
from sim.policies.ranking import ranked
from sim.sectors import N_SECTORS

if TYPE_CHECKING:
    from sim.world import World

OPERATING, SHELL, DORMANT = 0, 1, 2


@dataclass(kw_only=True)
class SlimmingParams(RuleParams):
    """Parameters of 瘦身健体 (money in mn yuan)."""

    _section: ClassVar[str] = "policy.slimming"

    enabled: bool = param(
        False,
        unit="-",
        kind="lever",
        meaning="Switch the 瘦身健体 rules on",
    )
    per_month: float = param(
        60.0,
        unit="actions/month",
        kind="lever",
        low=0.0,
        meaning="Slimming proposals per month",
    )
    max_layers: int = param(
        5,
        unit="layer",
        kind="lever",
        low=1,
        high=30,
        meaning="Deepest management layer allowed (1 = group HQ)",
    )
    deregister_dormant: bool = param(
        True,
        unit="-",
        kind="lever",
        meaning="Deregister dormant entities as well as shells",
    )
    absorb_below: float = param(
        100.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="An over-deep entity with fewer assets than this is absorbed, not moved up",
    )
    sibling_below: float = param(
        50.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="Same-sector siblings with fewer assets than this are merged together",
    )
    leaf_below: float = param(
        0.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="Operating subsidiaries with no subsidiaries and fewer assets than this are "
        "absorbed into their parent; 0 = off",
    )
    entry_approval: float = param(
        1.0,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of proposed new subsidiaries approved (严控新设); 1 = no restriction",
    )


class Slimming(Rule):
    """瘦身健体: deregister shells, cap layers, absorb small siblings, restrict new entities."""

    family = "slimming"
    kind = "structural"
    params_class = SlimmingParams
    implements = "瘦身健体: 减层级、减数量 (Chongqing 三攻坚一盘活, 2024; 三清三减三增)"
    params: SlimmingParams

    def step(self, world: World, ctx: Context) -> Iterator[Action]:
        pending = world.pending_entries
        if pending is not None:
            world.pending_entries = pending.where(self.approve(pending.parents.size, ctx.rng))
        limit = quota(self.params.per_month, ctx.intensity)
        if limit <= 0:
            return
        taken = 0
        for proposals in (
            self._deregistrations,
            self._layer_cap,
            self._sibling_mergers,
            self._small_leaves,
        ):
            for action in proposals(world, ctx.busy):
                yield action
                taken += 1
                if taken >= limit:
                    return

    @staticmethod
    def _free(world: World, busy: set[int], row: int, target: int = -1) -> bool:
        """Whether ``row`` (and ``target``, if any) is alive and no earlier decision is disposing
        of it. Checked when a proposal is drawn, before it is priced: most candidates are
        already being handled, and pricing them all would be the bulk of this rule's work."""
        alive = world.state.alive
        if not alive.item(row) or row in busy:
            return False
        return target < 0 or (alive.item(target) and target not in busy)

    def _deregistrations(self, world: World, busy: set[int]) -> Iterator[Action]:
        st = world.state
        wanted = st.status == SHELL
        if self.params.deregister_dormant:
            wanted |= st.status == DORMANT
        rows = np.flatnonzero(st.alive & (st.parent >= 0) & wanted)
        for row in ranked(rows, -st.layer[rows]):  # deepest first
            if not self._free(world, busy, row):
                continue
            label = "shell (空壳)" if st.status[row] == SHELL else "dormant (休眠)"
            yield dispositions.deregister(
                world, row, self.disposal, rule=self.family, reason=f"{label}: deregistered (注销)"
            )

    def _layer_cap(self, world: World, busy: set[int]) -> Iterator[Action]:
        st = world.state
        cap = self.params.max_layers
        rows = np.flatnonzero(st.alive & (st.layer == cap + 1))
        for row in ranked(rows, st.assets[rows]):  # smallest first
            parent = int(st.parent[row])
            grandparent = int(st.parent[parent])
            if (
                st.assets[row] < self.params.absorb_below
                or st.sector[row] == st.sector[parent]
                or grandparent < 0
            ):  # at a cap of 1 there is no one to move up to
                if not self._free(world, busy, row, parent):
                    continue
                yield dispositions.absorb(
                    world,
                    row,
                    parent,
                    self.disposal,
                    rule=self.family,
                    reason=f"layer {cap + 1} above cap {cap}: absorbed by parent (减层级)",
                )
            elif self._free(world, busy, row, grandparent):
                yield dispositions.move(
                    row,
                    grandparent,
                    rule=self.family,
                    reason=f"layer {cap + 1} above cap {cap}: moved up (划转)",
                )

    def _sibling_mergers(self, world: World, busy: set[int]) -> Iterator[Action]:
        st = world.state
        rows = np.flatnonzero(
            st.alive
            & (st.parent >= 0)
            & (st.status == OPERATING)
            & (st.assets < self.params.sibling_below)
        )
        if rows.size < 2:
            return
        keys = st.parent[rows] * N_SECTORS + st.sector[rows]
        order = np.lexsort((-st.assets[rows], keys))
        rows, keys = rows[order], keys[order]
        first = np.r_[True, keys[1:] != keys[:-1]]
        head = rows[np.maximum.accumulate(np.where(first, np.arange(rows.size), 0))]
        for row, into in zip(rows[~first].tolist(), head[~first].tolist(), strict=True):
            if not self._free(world, busy, row, into):
                continue
            yield dispositions.absorb(
                world,
                row,
                into,
                self.disposal,
                rule=self.family,
                reason="small same-sector sibling absorbed (减数量)",
            )

    def _small_leaves(self, world: World, busy: set[int]) -> Iterator[Action]:
        st = world.state
        if self.params.leaf_below <= 0:
            return
        rows = np.flatnonzero(
            st.alive
            & (st.parent >= 0)
            & (st.status == OPERATING)
            & (st.assets < self.params.leaf_below)
        )
        for row in ranked(rows, st.assets[rows]):  # smallest first
            parent = int(st.parent[row])
            if world.has_children(row) or not self._free(world, busy, row, parent):
                continue
            yield dispositions.absorb(
                world,
                row,
                parent,
                self.disposal,
                rule=self.family,
                reason="small subsidiary absorbed into its parent (减数量)",
            )

    def approve(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Which of ``n`` proposed new subsidiaries are approved."""
        return rng.random(n) < self.params.entry_approval
