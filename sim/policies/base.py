"""The contract every restructuring rule implements.

A rule reads the model's state and *proposes*; the policy engine (:mod:`sim.policies.engine`)
admits proposals against the month's constraints (the regulator's processing capacity, the
restructuring budget, the employment-stability cap) as *decisions*, and carries each out through
the model's structural operations when its duration has passed (or drops it if it fails), which
write the event log. Rules may also run continuous programmes that
change entities' economics without changing the ownership forest (revitalising idle assets,
decoupling government functions, turnarounds); those charge the budget through the context.

Adding a rule family means adding one module with a params dataclass and a :class:`Rule` subclass
that names them (``family``, ``kind``, ``params_class``), and one entry in
:mod:`sim.policies.registry`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, NamedTuple

import numpy as np

from sim.params import Validated

if TYPE_CHECKING:
    from sim.policies.config import PolicyBase
    from sim.policies.dispositions import DisposalParams
    from sim.world import World

ActionKind = Literal["close", "transfer_out", "deregister", "merge", "move"]


class Action(NamedTuple):
    """One proposed structural change, with what it costs and whom it affects.

    ``target`` is the absorbing entity (merge) or the new parent (move; -1 makes a new group).
    ``cost`` is charged to the restructuring budget (mn yuan); ``jobs`` counts employees affected
    toward the employment-stability cap; ``proceeds`` is cash the parent receives (sale price,
    liquidation surplus, or a deregistered shell's net assets, which may be negative).

    Immutable. A named tuple rather than a frozen dataclass because it is about three times
    cheaper to build, and the rules build thousands a run (most proposals are never admitted).
    """

    kind: ActionKind
    row: int
    rule: str
    reason: str
    target: int = -1
    cost: float = 0.0
    jobs: int = 0
    proceeds: float = 0.0
    creditor_loss: float = 0.0
    synergy: bool = False
    """A merge whose merger synergy (see :mod:`sim.policies.synergy`) should be scheduled."""


@dataclass
class Budget:
    """What is left this month of capacity and jobs, and of the whole run's money."""

    capacity: float
    jobs: float
    money: float

    def admits(self, action: Action) -> bool:
        """Whether the action fits in what is left."""
        return self.capacity >= 1 and action.jobs <= self.jobs and action.cost <= self.money

    def charge(self, action: Action) -> None:
        """Use up what an admitted action needs."""
        self.capacity -= 1
        self.jobs -= action.jobs
        self.money -= action.cost

    def spend(self, cost: float) -> bool:
        """Charge a programme's cost if the money is there; False (and nothing charged) if not."""
        if cost > self.money:
            return False
        self.money -= cost
        return True


@dataclass
class Context:
    """What a rule sees besides the model: intensity (1, or the surge factor when the portfolio is
    behind a milestone it drives), the month's budget, the policy's random stream, and the
    dispositions decided but not yet complete (a rule proposes nothing more for those rows)."""

    intensity: float
    budget: Budget
    rng: np.random.Generator
    busy: set[int] = field(default_factory=set)
    """Rows being disposed of (closed, sold, deregistered, merged or moved) by an earlier
    decision."""
    receiving: set[int] = field(default_factory=set)
    """Rows that an earlier decision will merge or move something into."""


class RuleParams(Validated):
    """Base of each rule's parameters; ``enabled`` switches the rule on."""

    enabled: bool


RuleKind = Literal["structural", "programme"]


class Rule(ABC):
    """A restructuring rule family.

    Subclasses set ``family`` (the config section, ``policy.<family>``), ``kind`` (``programme``:
    runs every month before the structural families and proposes nothing; ``structural``: yields
    proposals that compete for capacity in ``policy.order``), ``params_class`` (its parameters,
    whose ``enabled`` switches it on) and ``implements`` (the policy text it implements).
    """

    family: ClassVar[str]
    kind: ClassVar[RuleKind]
    params_class: ClassVar[type[RuleParams]]
    implements: ClassVar[str]

    def __init__(self, params: RuleParams, policy: PolicyBase) -> None:
        """``policy`` is the whole :class:`sim.policies.config.PolicyConfig`, for the sections
        rules share (``disposal``: the prices and costs of every disposition)."""
        self.params = params
        self.policy = policy
        self.disposal: DisposalParams = policy.disposal

    @abstractmethod
    def step(self, world: World, ctx: Context) -> Iterator[Action]:
        """Run this month's programmes and yield structural proposals, best first.

        The generator is consumed lazily: each yielded action is admitted (decided) or refused
        before the next is asked for. A decided action completes after its duration (instantly
        when it is 0): skip the rows in ``ctx.busy``, which earlier decisions are disposing of.
        """


def quota(per_month: float, intensity: float) -> int:
    """Actions a rule may propose this month: its base rate times the intensity, rounded."""
    return math.floor(per_month * intensity + 0.5)
