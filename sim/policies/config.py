"""The policy config: which rules are on, their parameters, constraints and milestones.

:class:`PolicyBase` holds what every policy has (name, the master ``reform`` switch, order,
shared disposal and synergy prices, constraints, surge, milestones); :data:`PolicyConfig` adds one
``policy.<family>`` section per family in :mod:`sim.policies.registry`, so a new family appears
in the config (and in Hydra's schema) without editing this file.

Every rule is off by default, so ``PolicyConfig()`` is the no-reform counterfactual; the presets
in ``configs/policy/`` switch rules on and set their levers; ``reform: false`` switches every
family off at once, whatever its own switch says.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import TYPE_CHECKING, ClassVar

from sim.params import Validated, check, check_month, param
from sim.policies.base import RuleParams
from sim.policies.dispositions import DisposalParams
from sim.policies.milestones import Milestone, SurgeParams, check_milestones
from sim.policies.registry import families, structural_families
from sim.policies.synergy import SynergyParams


@dataclass(kw_only=True)
class ConstraintParams(Validated):
    """What planners trade off: processing capacity, money and jobs."""

    _section: ClassVar[str] = "policy.constraints"

    capacity_per_month: float = param(
        1000000000.0,
        unit="actions/month",
        kind="lever",
        low=0.0,
        meaning="Structural actions (closures, sales, deregistrations, mergers, moves) the "
        "regulator can process per month",
    )
    budget: float = param(
        1000000000000.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="Restructuring budget for the whole run, mn yuan (severance, liquidation, "
        "integration, deregistration, decoupling and turnaround costs)",
    )
    jobs_per_month: float = param(
        1000000000000.0,
        unit="persons/month",
        kind="lever",
        low=0.0,
        meaning="Employment-stability cap: employees affected by closures, sales and merger job "
        "cuts per month",
    )
    capacity_shares: dict[str, float] = param(
        factory=dict,
        unit="weight",
        kind="lever",
        meaning="Share of the month's capacity reserved for each structural family (weights, "
        "normalised over the enabled families; a family not listed gets weight 1)",
    )
    reallocate_unused: bool = param(
        True,
        unit="-",
        kind="lever",
        meaning="Capacity a family leaves unused in a month goes to the others, in policy.order",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        structural = structural_families()
        for name, weight in self.capacity_shares.items():
            check(self._section, "capacity_shares", name in structural,
                  f"structural rule families, from {list(structural)}", name)  # fmt: skip
            check(self._section, f"capacity_shares.{name}", weight == weight and weight >= 0,
                  "a weight >= 0", weight)  # fmt: skip

    def allowances(self, families: list[str]) -> dict[str, float]:
        """Each family's reserved share of the month's whole actions (``capacity_per_month``
        rounded down), in whole actions by largest remainder: the allowances add up to the
        capacity, so fractional shares never leave it unused (ties go to the earlier family)."""
        weights = {f: float(self.capacity_shares.get(f, 1.0)) for f in families}
        total = sum(weights.values())
        if total <= 0 or not families:
            return dict.fromkeys(families, 0.0)
        capacity = int(min(self.capacity_per_month, 1e12))
        exact = {f: capacity * w / total for f, w in weights.items()}
        whole = {f: int(v) for f, v in exact.items()}
        left = capacity - sum(whole.values())
        by_remainder = sorted(families, key=lambda f: -(exact[f] - whole[f]))
        for f in by_remainder[:left]:
            whole[f] += 1
        return {f: float(v) for f, v in whole.items()}


@dataclass(kw_only=True)
class PolicyBase(Validated):
    """A restructuring policy: the lever. The default is no reform. The rule families' sections
    are added from the registry (:data:`PolicyConfig`)."""

    _section: ClassVar[str] = "policy"
    name: str = param(
        "none",
        unit="-",
        kind="setting",
        meaning="Name of the plan, shown in outputs",
    )
    description: str = param(
        "",
        unit="-",
        kind="setting",
        meaning="One line describing the plan",
    )
    start: str | None = param(
        None,
        unit="YYYY-MM",
        kind="lever",
        meaning="First month the rules act (YYYY-MM); None = the run's first month",
    )
    reform: bool = param(
        True,
        unit="-",
        kind="lever",
        meaning="false: the counterfactual, every rule family off whatever its own switch "
        "(milestones are still scored)",
    )
    order: list[str] = param(
        factory=lambda: list(structural_families()),
        kind="lever",
        meaning="Priority of the structural rule families for the month's capacity and budget; "
        "families not listed follow in registry order",
    )
    disposal: DisposalParams = field(default_factory=DisposalParams)
    synergy: SynergyParams = field(default_factory=SynergyParams)
    constraints: ConstraintParams = field(default_factory=ConstraintParams)
    surge: SurgeParams = field(default_factory=SurgeParams)
    milestones: list[Milestone] = param(
        factory=list,
        kind="lever",
        meaning="Targets due at the end of given months (date YYYY-MM, targets by name: "
        "entities_cut, groups, loss_making_share, losses_cut, max_layer, assets_revitalised, "
        "decoupled; relative: any target with a base in TARGETS, as a share of its month-0 "
        "value)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        structural = structural_families()
        check(
            "policy",
            "order",
            set(self.order) <= set(structural) and len(set(self.order)) == len(self.order),
            f"distinct structural rule families, from {list(structural)}",
            self.order,
        )
        if self.start is not None:
            check_month("policy", "start", self.start)
        check_milestones(self.milestones)

    def family(self, name: str) -> RuleParams:
        """The parameters of rule family ``name`` (``policy.<name>``)."""
        params = getattr(self, name)
        assert isinstance(params, RuleParams)
        return params

    def effective_order(self) -> list[str]:
        """``order`` followed by the structural families it does not list, in registry order."""
        return [*self.order, *(f for f in structural_families() if f not in self.order)]

    def enabled_families(self) -> list[str]:
        """Families switched on (none when ``reform`` is false), in registry order."""
        if not self.reform:
            return []
        return [r.family for r in families() if self.family(r.family).enabled]


def _policy_config() -> type[PolicyBase]:
    fields = [(r.family, r.params_class, field(default_factory=r.params_class)) for r in families()]
    cls = make_dataclass("PolicyConfig", fields, bases=(PolicyBase,), kw_only=True)
    cls.__module__ = __name__
    cls.__doc__ = PolicyBase.__doc__
    return cls


if TYPE_CHECKING:
    PolicyConfig = PolicyBase
else:
    PolicyConfig = _policy_config()
    """PolicyBase plus one section per registered rule family."""
