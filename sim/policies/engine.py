"""The policy engine: runs the enabled rules each month and applies what they propose.

Order within a month (after the economy, market exits and entries):

1. due merger synergies are realised;
2. continuous programmes run: efficiency (盘活, 三清), then decoupling (政企分离);
3. the structural families run in ``policy.order`` (default loss-cutting, slimming, quality); each
   proposal is admitted while the month's capacity, the run's budget and the month's job cap allow
   and the proposal is still valid (entities alive, no cycle), then applied through the model's
   structural operations; refused proposals count in ``actions_deferred``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.economy import EntrySpec
from sim.policies.base import Action, Budget, Context, Rule
from sim.policies.config import PolicyConfig
from sim.policies.decoupling import Decoupling
from sim.policies.efficiency import Efficiency
from sim.policies.loss_cutting import LossCutting
from sim.policies.milestones import Milestone, surge_intensity
from sim.policies.quality import Quality
from sim.policies.slimming import Slimming
from sim.policies.synergy import Synergies

if TYPE_CHECKING:
    from sim.model import SOEModel

EXIT_FATE = {"close": "closed", "transfer_out": "transferred_out", "deregister": "deregistered"}


class Policy:
    """The enabled rules of a :class:`PolicyConfig`, with the month's constraints."""

    def __init__(self, cfg: PolicyConfig, model: SOEModel) -> None:
        self.cfg = cfg
        self.rng = model.streams["policy"]
        self.run_start = model.config.start
        start = cfg.start or model.config.start
        self.first_month = Milestone(date=start).month_index(model.config.start)
        disposal = cfg.disposal
        programmes: list[Rule] = [Efficiency(cfg.efficiency), Decoupling(cfg.decoupling)]
        structural: dict[str, Rule] = {
            "loss_cutting": LossCutting(cfg.loss_cutting, disposal),
            "slimming": Slimming(cfg.slimming, disposal),
            "quality": Quality(cfg.quality, disposal),
        }
        self.programmes = [r for r in programmes if r.params.enabled]
        self.structural = [structural[f] for f in cfg.order if structural[f].params.enabled]
        self.synergies = Synergies(cfg.synergy)
        self.budget_left = cfg.constraints.budget

    @property
    def active(self) -> bool:
        """Whether any rule is switched on."""
        return bool(self.programmes or self.structural)

    def approve_entries(self, model: SOEModel, spec: EntrySpec) -> EntrySpec | None:
        """New subsidiaries the policy lets through (严控新设 under slimming)."""
        slimming = next((r for r in self.structural if isinstance(r, Slimming)), None)
        if slimming is None or model.month < self.first_month:
            return spec
        keep = slimming.approve(spec.parents.size, self.rng)
        if keep.all():
            return spec
        if not keep.any():
            return None
        return EntrySpec(**{k: getattr(spec, k)[keep] for k in spec.__dataclass_fields__})

    def step(self, model: SOEModel) -> None:
        """Run this month's rules."""
        if not self.active or model.month < self.first_month:
            return
        latest = model.latest_indicators()
        intensity = surge_intensity(
            self.cfg.milestones, self.cfg.surge, self.run_start, model.month, latest
        )
        c = self.cfg.constraints
        budget = Budget(
            capacity=c.capacity_per_month, jobs=c.jobs_per_month, money=self.budget_left
        )
        self.synergies.realise(model)
        for rule in self.programmes:
            for _ in rule.step(model, Context(intensity.get(rule.family, 1.0), budget, self.rng)):
                pass
        for rule in self.structural:
            ctx = Context(intensity.get(rule.family, 1.0), budget, self.rng)
            for action in rule.step(model, ctx):
                if not self._valid(model, action):
                    continue
                if not budget.admits(action):
                    model.ledger.actions_deferred += 1
                    continue
                budget.charge(action)
                self.apply(model, action)
        self.budget_left = budget.money

    @staticmethod
    def _valid(model: SOEModel, action: Action) -> bool:
        st = model.state
        if not st.alive[action.row]:
            return False
        if action.kind in ("merge", "move") and action.target >= 0:
            return bool(st.alive[action.target]) and not model.is_ancestor(
                action.row, action.target
            )
        return not (
            action.kind in EXIT_FATE
            and st.parent[action.row] < 0
            and model.entity(action.row).children
        )

    def apply(self, model: SOEModel, action: Action) -> None:
        """Carry out one admitted action through the model's structural operations."""
        ledger = model.ledger
        ledger.restructuring_cost += action.cost
        ledger.jobs_affected += action.jobs
        if action.kind == "merge":
            if action.synergy:
                self.synergies.schedule(model, action.row, action.target, self.rng, action.rule)
            model.merge(action.row, action.target, rule=action.rule, reason=action.reason)
            st = model.state
            st.employees[action.target] = max(int(st.employees[action.target]) - action.jobs, 0)
            st.cash[action.target] -= action.cost
            st.assets[action.target] -= action.cost
            model.book_one_off(action.target, -action.cost)
        elif action.kind == "move":
            model.move(action.row, action.target, rule=action.rule, reason=action.reason)
        else:
            model.exit(
                action.row,
                fate=EXIT_FATE[action.kind],
                rule=action.rule,
                reason=action.reason,
                proceeds=action.proceeds,
                cost=action.cost,
                creditor_loss=action.creditor_loss,
            )
