"""The policy engine: the model's policy stage, running the enabled rule families each month.

Order within the stage (after the economy and the market's exits and proposed entries):

1. due merger synergies are realised;
2. programmes run, in registry order (efficiency: 盘活, 三清; decoupling: 政企分离);
3. the structural families run in ``policy.order``; each proposal is admitted while the month's
   capacity, the run's budget and the month's job cap allow and the proposal is still valid
   (entities alive, no cycle), then applied through the world's structural operations; refused
   proposals are counted (``deferred`` events).

The families come from :mod:`sim.policies.registry`; nothing here names one.
"""

from __future__ import annotations

import numpy as np

from sim.policies.base import Action, Budget, Context
from sim.policies.config import PolicyConfig
from sim.policies.milestones import Milestone, surge_intensity
from sim.policies.registry import families
from sim.policies.synergy import Synergies
from sim.world import World

EXIT_FATE = {"close": "closed", "transfer_out": "transferred_out", "deregister": "deregistered"}


class Policy:
    """The enabled rules of a :class:`PolicyConfig`, with the month's constraints."""

    def __init__(self, cfg: PolicyConfig, rng: np.random.Generator, run_start: str) -> None:
        self.cfg = cfg
        self.rng = rng
        self.run_start = run_start
        self.first_month = Milestone(date=cfg.start or run_start).month_index(run_start)
        enabled = set(cfg.enabled_families())
        rules = {r.family: r(cfg.family(r.family), cfg) for r in families() if r.family in enabled}
        self.programmes = [rules[r.family] for r in families()
                           if r.kind == "programme" and r.family in rules]  # fmt: skip
        self.structural = [rules[f] for f in cfg.effective_order() if f in rules]
        self.synergies = Synergies(cfg.synergy)
        self.budget_left = cfg.constraints.budget

    @property
    def active(self) -> bool:
        """Whether any rule is switched on."""
        return bool(self.programmes or self.structural)

    def step(self, world: World) -> None:
        """Run this month's rules."""
        if not self.active or world.month < self.first_month:
            return
        intensity = surge_intensity(
            self.cfg.milestones, self.cfg.surge, self.run_start, world.month,
            world.latest_indicators(),
        )  # fmt: skip
        c = self.cfg.constraints
        budget = Budget(
            capacity=c.capacity_per_month, jobs=c.jobs_per_month, money=self.budget_left
        )
        self.synergies.realise(world)
        for rule in self.programmes:
            for _ in rule.step(world, Context(intensity.get(rule.family, 1.0), budget, self.rng)):
                pass
        for rule in self.structural:
            ctx = Context(intensity.get(rule.family, 1.0), budget, self.rng)
            for action in rule.step(world, ctx):
                if not self._valid(world, action):
                    continue
                if not budget.admits(action):
                    world.defer(action.rule)
                    continue
                budget.charge(action)
                self.apply(world, action)
        self.budget_left = budget.money

    @staticmethod
    def _valid(world: World, action: Action) -> bool:
        st = world.state
        if not st.alive[action.row]:
            return False
        if action.kind in ("merge", "move") and action.target >= 0:
            return bool(st.alive[action.target]) and not world.is_ancestor(
                action.row, action.target
            )
        return not (
            action.kind in EXIT_FATE
            and st.parent[action.row] < 0
            and world.has_children(action.row)
        )

    def apply(self, world: World, action: Action) -> None:
        """Carry out one admitted action through the world's structural operations."""
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
