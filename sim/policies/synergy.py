"""Merger synergy (1+1>2) with integration delay and failure risk.

The evidence on merger gains is mixed: studies of Chinese SOE mergers find cost savings in some
cases and none or losses in others, and synergies come late when they come. So the sizes are
parameters, and the defaults are modest: a merger removes ``cost_cut`` of the absorbed entity's
fixed cost and closes ``productivity_convergence`` of the productivity gap to the better of the
two, but only ``delay_months`` after the merger and only with probability ``1 - failure``. (The
merger itself already saves the absorbed entity's per-entity overhead and, through the layer
structure, part of the layer overhead; integration costs and job cuts are in
:class:`sim.policies.dispositions.DisposalParams`.)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np

from sim.params import Validated, param

if TYPE_CHECKING:
    from sim.world import World


@dataclass(kw_only=True)
class SynergyParams(Validated):
    """Sizes and timing of merger synergy."""

    _section: ClassVar[str] = "policy.synergy"

    cost_cut: float = param(
        0.1,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of the absorbed entity's fixed operating cost removed when synergy is "
        "realised",
    )
    productivity_convergence: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of the productivity gap to the better of the two entities closed",
    )
    delay_months: int = param(
        6,
        unit="months",
        kind="uncertainty",
        low=0,
        high=120,
        meaning="Months from merger to realised synergy",
    )
    failure: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Probability that a merger's synergy never comes",
    )


class _Pending(NamedTuple):
    due: int
    into: int
    rule: str
    absorbed_id: str
    fixed_cut: float
    productivity_target: float
    success: bool


@dataclass
class Synergies:
    """Synergies scheduled at merger time and realised (or not) when due."""

    params: SynergyParams
    pending: list[_Pending] = field(default_factory=list)

    def schedule(
        self, world: World, row: int, into: int, rng: np.random.Generator, rule: str
    ) -> None:
        """Call just before ``row`` is merged into ``into`` by ``rule``."""
        st, p = world.state, self.params
        self.pending.append(_Pending(
            due=world.month + p.delay_months,
            into=into,
            rule=rule,
            absorbed_id=st.ids[row],
            fixed_cut=p.cost_cut * st.fixed_cost.item(row),
            productivity_target=max(st.productivity.item(row), st.productivity.item(into)),
            success=bool(rng.random() >= p.failure),
        ))  # fmt: skip

    def realise(self, world: World) -> None:
        """Apply the synergies due this month to absorbers still alive."""
        st, month = world.state, world.month
        # Scheduled in month order with a fixed delay, so the due ones are a prefix.
        n_due = bisect.bisect_right(self.pending, month, key=attrgetter("due"))
        due, self.pending = self.pending[:n_due], self.pending[n_due:]
        for s in due:
            if not st.alive[s.into]:
                continue
            if s.success:
                st.fixed_cost[s.into] = max(st.fixed_cost[s.into] - s.fixed_cut, 0.0)
                gap = s.productivity_target - st.productivity[s.into]
                st.productivity[s.into] += self.params.productivity_convergence * max(gap, 0.0)
            world.note(
                "synergy",
                s.into,
                rule=s.rule,
                reason=f"merger with {s.absorbed_id}: synergy "
                + ("realised" if s.success else "failed"),
            )
