"""政企分离 decoupling: government functions move off enterprises (脱钩), under unified supervision.

Implements 政企分离改革攻坚 of the 2024 Chongqing reform (摸清底数、全面"脱钩"、集中统一监管;
docs/sources.md: 22 departments decoupled from 329 enterprises and 41 districts from 747 in
2024). Each month the regulator decouples up to ``per_month`` enterprises that still carry
government functions, heaviest burden first: the burden (``gov_cost``) moves back to government
for a one-off transition cost of ``one_off_months`` months of it, paid by the enterprise and
charged to the restructuring budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.params import param
from sim.policies.base import Action, Context, Rule, RuleParams, quota
from sim.policies.ranking import ranked

if TYPE_CHECKING:
    from sim.world import World


@dataclass(kw_only=True)
class DecouplingParams(RuleParams):
    """Parameters of 政企分离."""

    _section: ClassVar[str] = "policy.decoupling"

    enabled: bool = param(
        False,
        unit="-",
        kind="lever",
        meaning="Switch the 政企分离 rules on",
    )
    per_month: float = param(
        20.0,
        unit="entities/month",
        kind="lever",
        low=0.0,
        meaning="Enterprises decoupled per month (the regulator's capacity for this work)",
    )
    one_off_months: float = param(
        3.0,
        unit="months",
        kind="uncertainty",
        low=0.0,
        high=120.0,
        meaning="One-off transition cost, in months of the burden removed",
    )


class Decoupling(Rule):
    """政企分离: decouple enterprises carrying government functions, heaviest first."""

    family = "decoupling"
    kind = "programme"
    params_class = DecouplingParams
    implements = "政企分离改革攻坚: 全面“脱钩”、集中统一监管 (Chongqing 三攻坚一盘活, 2024)"
    params: DecouplingParams

    def step(self, world: World, ctx: Context) -> Iterator[Action]:
        st = world.state
        rows = np.flatnonzero(st.alive & (st.gov_cost > 0))
        # The quota's heaviest burdens (as many as ``rows[:quota]`` holds), in order, without
        # sorting every carrier.
        limit = len(rows[: quota(self.params.per_month, ctx.intensity)])
        for row in islice(ranked(rows, -st.gov_cost[rows], limit), limit):
            cost = self.params.one_off_months * st.gov_cost[row]
            if not ctx.budget.spend(cost):
                world.defer(self.family)
                continue
            st.gov_cost[row] = 0.0
            world.charge(
                "decouple",
                row,
                cost,
                rule=self.family,
                reason="government functions handed back (脱钩)",
                flows={"decoupled": 1},
            )
        return iter(())
