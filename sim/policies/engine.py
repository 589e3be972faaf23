"""The policy engine: the model's policy stage, running the enabled rule families each month.

Order within the stage (after the economy and the market's exits and proposed entries):

1. dispositions decided in earlier months that are due complete (priced again on today's books)
   or fail, and due merger synergies are realised;
2. programmes run, in registry order (efficiency: 盘活, 三清; decoupling: 政企分离);
3. the structural families propose. Each family first uses its reserved share of the month's
   capacity (``policy.constraints.capacity_shares``); capacity a family leaves unused then goes
   to the others in ``policy.order`` (``reallocate_unused``). A proposal is admitted while its
   family's allowance, the run's budget and the month's job cap allow and it is still valid
   (entities alive and not already being disposed of, no cycle); refused proposals are counted
   (``deferred`` events). An admitted proposal is a *decision*: it completes after the
   disposition's duration (:meth:`sim.policies.dispositions.DisposalParams.timing`), through the
   world's structural operations, or fails with the disposition's failure chance.

Capacity, the job cap and the budget are used when a decision is taken (that is when the
regulator processes it and commits the money); the cost booked at completion is priced again, and
the budget is trued up by the difference, or refunded when the disposition fails.

The families come from :mod:`sim.policies.registry`; nothing here names one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from sim.policies import dispositions
from sim.policies.base import Action, Budget, Context, Rule
from sim.policies.config import PolicyConfig
from sim.policies.milestones import Milestone, resolve_milestones, surge_intensity
from sim.policies.registry import families
from sim.policies.synergy import Synergies
from sim.world import World

EXIT_FATE = {"close": "closed", "transfer_out": "transferred_out", "deregister": "deregistered"}


class Decision(NamedTuple):
    """A disposition decided in month ``decided`` that completes (or fails) in month ``due``
    (immutable; a named tuple like :class:`sim.policies.base.Action`)."""

    action: Action
    decided: int
    due: int
    fails: bool
    committed: float
    """Money committed from the budget at the decision, mn yuan."""


class Policy:
    """The enabled rules of a :class:`PolicyConfig`, with the month's constraints."""

    def __init__(self, cfg: PolicyConfig, rng: np.random.Generator, run_start: str) -> None:
        self.cfg = cfg
        self.rng = rng
        self.run_start = run_start
        self.first_month = Milestone(date=cfg.start or run_start).month_index(run_start)
        self.milestones: list[Milestone] | None = None
        """The milestones with relative targets resolved, from the first month on."""
        enabled = set(cfg.enabled_families())
        rules = {r.family: r(cfg.family(r.family), cfg) for r in families() if r.family in enabled}
        self.programmes = [rules[r.family] for r in families()
                           if r.kind == "programme" and r.family in rules]  # fmt: skip
        self.structural = [rules[f] for f in cfg.effective_order() if f in rules]
        self.synergies = Synergies(cfg.synergy)
        self.budget_left = cfg.constraints.budget
        self.decisions: list[Decision] = []
        """Dispositions decided and not yet complete, in the order they were decided."""

    @property
    def active(self) -> bool:
        """Whether any rule is switched on."""
        return bool(self.programmes or self.structural)

    def busy(self) -> tuple[set[int], set[int]]:
        """Rows being disposed of, and rows receiving an entity, by pending decisions."""
        rows = {d.action.row for d in self.decisions}
        targets = {d.action.target for d in self.decisions if d.action.target >= 0}
        return rows, targets

    def step(self, world: World) -> None:
        """Run this month's rules."""
        month = world.month
        if self.milestones is None:  # the first month: relative targets from the month-0 record
            self.milestones = resolve_milestones(self.cfg.milestones, world.latest_indicators())
        if not self.active or month < self.first_month:
            return
        self._complete_due(world)
        intensity = surge_intensity(
            self.milestones, self.cfg.surge, self.run_start, month, world.latest_indicators(),
        )  # fmt: skip
        c = self.cfg.constraints
        budget = Budget(
            capacity=c.capacity_per_month, jobs=c.jobs_per_month, money=self.budget_left
        )
        self.synergies.realise(world)
        for rule in self.programmes:
            ctx = Context(intensity.get(rule.family, 1.0), budget, self.rng)
            for _ in rule.step(world, ctx):
                pass
        busy, receiving = self.busy()
        allowance = c.allowances([r.family for r in self.structural])
        proposals: dict[str, Iterator[Action]] = {}
        for rule in self.structural:
            ctx = Context(intensity.get(rule.family, 1.0), budget, self.rng, busy, receiving)
            proposals[rule.family] = rule.step(world, ctx)
        for rule in self.structural:  # each family within its reserved share
            self._decide(world, rule, proposals[rule.family], budget, allowance, busy, receiving)
        if c.reallocate_unused:  # then what is left, in policy.order
            spare = {r.family: float("inf") for r in self.structural}
            for rule in self.structural:
                self._decide(world, rule, proposals[rule.family], budget, spare, busy, receiving)
        for rule in self.structural:  # what no capacity was left for is deferred
            for action in proposals[rule.family]:
                if self._valid(world, action, busy, receiving):
                    world.defer(action.rule)
        self.budget_left = budget.money

    def _decide(
        self,
        world: World,
        rule: Rule,
        proposals: Iterator[Action],
        budget: Budget,
        allowance: dict[str, float],
        busy: set[int],
        receiving: set[int],
    ) -> None:
        """Admit ``rule``'s proposals while its allowance lasts; decide each admitted one."""
        family = rule.family
        while allowance[family] >= 1 and budget.capacity >= 1:
            action = next(proposals, None)
            if action is None:
                return
            if not self._valid(world, action, busy, receiving):
                continue
            if not budget.admits(action):
                world.defer(action.rule)
                continue
            budget.charge(action)
            allowance[family] -= 1
            self._schedule(world, action, busy, receiving)

    def _schedule(self, world: World, action: Action, busy: set[int], receiving: set[int]) -> None:
        kind = action.kind
        is_group = (kind == "merge" or kind == "move") and world.state.parent.item(action.row) < 0
        months, failure = self.cfg.disposal.timing(action, is_group)
        fails = bool(failure > 0 and self.rng.random() < failure)
        if months <= 0 and not fails:
            self.apply(world, action)
            return
        month = world.month
        self.decisions.append(Decision(action, month, month + months, fails, action.cost))
        busy.add(action.row)
        if action.target >= 0:
            receiving.add(action.target)
        world.note("decide", action.row, rule=action.rule,
                   reason=f"{action.reason}; decided, due in {months} months")  # fmt: skip

    def _complete_due(self, world: World) -> None:
        """Complete (or drop) the decisions due this month, oldest first."""
        month = world.month
        due = [d for d in self.decisions if d.due <= month]
        if not due:
            return
        self.decisions = [d for d in self.decisions if d.due > month]
        busy = {d.action.row for d in self.decisions}
        for d in due:
            action = d.action
            if not world.state.alive.item(action.row):
                self.budget_left += d.committed  # it left meanwhile (e.g. a market exit)
                continue
            if d.fails or not self._valid(world, action, busy):
                self.budget_left += d.committed
                why = "failed" if d.fails else "dropped: no longer valid"
                world.note("abandon", action.row, rule=action.rule,
                           reason=f"{action.reason}; {why}")  # fmt: skip
                continue
            final = dispositions.rebuild(world, action, self.cfg.disposal)
            self.budget_left -= final.cost - d.committed
            self.apply(world, final)

    @staticmethod
    def _valid(
        world: World,
        action: Action,
        busy: set[int] | None = None,
        receiving: set[int] | None = None,
    ) -> bool:
        """Entities alive, not already being disposed of, no cycle; an entity that a pending
        decision merges something into is not disposed of meanwhile."""
        # Called for every proposal: fields read once, state scalars as Python values (.item).
        st = world.state
        kind, row, target = action.kind, action.row, action.target
        alive = st.alive
        if not alive.item(row) or (busy is not None and row in busy):
            return False
        if receiving is not None and kind != "move" and row in receiving:
            return False
        if (kind == "merge" or kind == "move") and target >= 0:
            if busy is not None and target in busy:
                return False
            return bool(alive.item(target)) and not world.is_ancestor(row, target)
        return not (kind in EXIT_FATE and st.parent.item(row) < 0 and world.has_children(row))

    def apply(self, world: World, action: Action) -> None:
        """Carry out one action through the world's structural operations."""
        if action.kind == "merge":
            if action.synergy:
                self.synergies.schedule(world, action.row, action.target, self.rng, action.rule)
            world.merge(action.row, action.target, rule=action.rule, reason=action.reason,
                        cost=action.cost, jobs=action.jobs)  # fmt: skip
        elif action.kind == "move":
            world.move(action.row, action.target, rule=action.rule, reason=action.reason)
        else:
            world.exit(
                action.row,
                fate=EXIT_FATE[action.kind],
                rule=action.rule,
                reason=action.reason,
                proceeds=action.proceeds,
                cost=action.cost,
                creditor_loss=action.creditor_loss,
                jobs=action.jobs,
            )
