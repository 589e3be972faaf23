"""The policy config: which rules are on, their parameters, constraints and milestones.

Every rule is off by default, so ``PolicyConfig()`` is the no-reform counterfactual; the presets
in ``configs/policy/`` switch rules on and set their levers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from sim.params import Validated, check, param
from sim.policies.decoupling import DecouplingParams
from sim.policies.dispositions import DisposalParams
from sim.policies.efficiency import EfficiencyParams
from sim.policies.loss_cutting import LossCuttingParams
from sim.policies.milestones import Milestone, SurgeParams
from sim.policies.quality import QualityParams
from sim.policies.slimming import SlimmingParams
from sim.policies.synergy import SynergyParams

STRUCTURAL_FAMILIES: tuple[str, ...] = ("loss_cutting", "slimming", "quality")
"""Rule families whose proposals compete for the regulator's capacity, in ``order``."""


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


@dataclass(kw_only=True)
class PolicyConfig(Validated):
    """A restructuring policy: the lever. The default is no reform."""

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
    order: list[str] = field(default_factory=lambda: list(STRUCTURAL_FAMILIES))
    """Priority of the structural rule families for the month's capacity and budget."""
    loss_cutting: LossCuttingParams = field(default_factory=LossCuttingParams)
    slimming: SlimmingParams = field(default_factory=SlimmingParams)
    quality: QualityParams = field(default_factory=QualityParams)
    efficiency: EfficiencyParams = field(default_factory=EfficiencyParams)
    decoupling: DecouplingParams = field(default_factory=DecouplingParams)
    disposal: DisposalParams = field(default_factory=DisposalParams)
    synergy: SynergyParams = field(default_factory=SynergyParams)
    constraints: ConstraintParams = field(default_factory=ConstraintParams)
    surge: SurgeParams = field(default_factory=SurgeParams)
    milestones: list[Milestone] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        check(
            "policy",
            "order",
            sorted(self.order) == sorted(STRUCTURAL_FAMILIES),
            f"a permutation of {list(STRUCTURAL_FAMILIES)}",
            self.order,
        )
        if self.start is not None:
            import re

            check(
                "policy",
                "start",
                bool(re.match(r"^\d{4}-(0[1-9]|1[0-2])$", self.start)),
                "a month written YYYY-MM or null",
                self.start,
            )
