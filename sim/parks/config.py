"""Configuration of the park submodel: where the zones come from, and the park reform's plan.

:class:`ZonesConfig` is part of the population (``population.zones``): the zones and firms a run
starts from, a zone roster or the seeded generator. :class:`ParksConfig` is the plan
(``parks``, the ``configs/parks/`` presets): 一区多园 consolidation, 亩均 evaluation, 一企一案
dispositions, land re-use and the operating companies' reform, with the firms' economy they act
on. ``enabled: false`` (the ``parks=none`` preset) leaves the submodel out of the run.

Money of firms is in 万元 a year (the unit of 亩均 statistics); costs of the reform in mn yuan,
as in the SOE ledger; land in mu.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from sim.params import Validated, check, check_month, param
from sim.policies.milestones import Milestone, check_milestones

# Chongqing's manufacturing per-mu figures of 2023 (万元/mu), docs/sources.md.
TAX_PER_MU_2023 = 18.98
VALUE_ADDED_PER_MU_2023 = 166.87
OUTPUT_PER_MU_2023 = 734.17


@dataclass(kw_only=True)
class ZonesConfig(Validated):
    """The zones and firms at the start: a zone roster (two files) or the seeded generator."""

    _section: ClassVar[str] = "population.zones"

    source: str = param(
        "synthetic",
        kind="setting",
        choices=("synthetic", "roster"),
        meaning="Where the zones come from: generated around the SOE population, or a zone roster",
    )
    zones_path: str | None = param(
        None,
        kind="setting",
        meaning="Zone table (CSV or Parquet) when source=roster; 'builtin:NAME': a shipped one",
    )
    firms_path: str | None = param(
        None,
        kind="setting",
        meaning="Firm table (CSV or Parquet) when source=roster; 'builtin:NAME': a shipped one",
    )
    n_zones: int = param(
        40,
        unit="count",
        kind="uncertainty",
        low=1,
        high=100_000,
        meaning="Zones the generator creates",
    )
    n_districts: int = param(
        12,
        unit="count",
        kind="uncertainty",
        low=1,
        high=100_000,
        meaning="Districts (区县) the generated zones are spread over",
    )
    national_share: float = param(
        0.1,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of generated zones that are national-level (国家级)",
    )
    firms_per_zone: float = param(
        30.0,
        unit="count",
        kind="uncertainty",
        low=1.0,
        high=1e6,
        meaning="Mean non-SOE firms a generated zone holds (log-normal across zones)",
    )
    land_per_firm: float = param(
        60.0,
        unit="mu",
        kind="uncertainty",
        low=0.1,
        high=1e5,
        meaning="Mean land of a generated firm",
    )
    idle_share: float = param(
        0.08,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=0.9,
        meaning="Idle industrial land (闲置工业用地) as a share of a generated zone's land",
    )
    output_per_mu: float = param(
        OUTPUT_PER_MU_2023,
        unit="万元/mu/yr",
        kind="uncertainty",
        low=0.0,
        meaning="Mean output per mu of generated firms (Chongqing manufacturing 2023: 734.17)",
    )
    value_added_per_mu: float = param(
        VALUE_ADDED_PER_MU_2023,
        unit="万元/mu/yr",
        kind="uncertainty",
        low=0.0,
        meaning="Mean value added per mu of generated firms (Chongqing 2023: 166.87)",
    )
    tax_per_mu: float = param(
        TAX_PER_MU_2023,
        unit="万元/mu/yr",
        kind="uncertainty",
        low=0.0,
        meaning="Mean tax per mu of generated firms (Chongqing 2023: 18.98)",
    )
    firm_dispersion: float = param(
        0.7,
        unit="log points",
        kind="uncertainty",
        low=0.0,
        high=3.0,
        meaning="Standard deviation of log output per mu across generated firms",
    )
    zone_dispersion: float = param(
        0.35,
        unit="log points",
        kind="uncertainty",
        low=0.0,
        high=3.0,
        meaning="Standard deviation of a generated zone's common log per-mu level",
    )
    growth_mean: float = param(
        0.05,
        unit="share/yr",
        kind="uncertainty",
        low=-0.5,
        high=1.0,
        meaning="Mean trend growth of generated firms' output",
    )
    growth_sd: float = param(
        0.06,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Dispersion of generated firms' trend growth",
    )
    region_km: float = param(
        150.0,
        unit="km",
        kind="uncertainty",
        low=1.0,
        high=1e4,
        meaning="Side of the square the generated districts lie in",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.source == "roster":
            for key in ("zones_path", "firms_path"):
                value = getattr(self, key)
                check(self._section, key, bool(value), "set when source is 'roster'", value)


@dataclass(kw_only=True)
class FirmEconomyParams(Validated):
    """How firms in zones do without the park reform (the same under every park plan)."""

    _section: ClassVar[str] = "parks.economy"

    volatility: float = param(
        0.12,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=2.0,
        meaning="Standard deviation of a firm's annual output shocks (mean-preserving)",
    )
    exit_rate: float = param(
        0.03,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Annual chance that a non-SOE firm leaves its zone on its own",
    )
    weak_exit_factor: float = param(
        2.0,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=20.0,
        meaning="Multiplier on the exit chance of a firm ranked D",
    )
    reuse_rate: float = param(
        0.005,
        unit="share/month",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of a zone's idle land put back to use a month without the reform",
    )
    entrant_land_mu: float = param(
        80.0,
        unit="mu",
        kind="uncertainty",
        low=0.1,
        high=1e5,
        meaning="Land a new firm takes",
    )
    entrant_quality: float = param(
        1.0,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=10.0,
        meaning="A new firm's per-mu output relative to its zone's land-weighted average",
    )


@dataclass(kw_only=True)
class ConsolidationParams(Validated):
    """一区多园: small, scattered and weak (小、散、弱) zones merged into host zones."""

    _section: ClassVar[str] = "parks.consolidation"

    enabled: bool = param(False, kind="lever", meaning="Merge small, scattered, weak zones")
    start: str = param(
        "2024-01", unit="YYYY-MM", kind="lever", meaning="Month the mergers are decided and begin"
    )
    deadline: str = param(
        "2024-03",
        unit="YYYY-MM",
        kind="lever",
        meaning="Month by whose end every merger is planned (一区多园: by March 2024)",
    )
    small_land_mu: float = param(
        5000.0,
        unit="mu",
        kind="lever",
        low=0.0,
        meaning="A zone with less land than this is small (小)",
    )
    weak_share: float = param(
        0.5,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="A zone in this bottom share of per-mu scores (land-weighted) is weak (弱)",
    )
    min_firms: int = param(
        15,
        unit="count",
        kind="lever",
        low=0,
        meaning="A zone with fewer firms than this is scattered (散)",
    )
    same_district: bool = param(
        True, kind="lever", meaning="A zone is merged only into a host in its own district"
    )
    max_distance_km: float = param(
        60.0,
        unit="km",
        kind="lever",
        low=0.0,
        meaning="Farthest host a zone is merged into",
    )
    industry_fit: float = param(
        0.5,
        unit="-",
        kind="lever",
        low=0.0,
        meaning="Weight of a shared leading industry in choosing the host (against per-mu score)",
    )
    protect_national: bool = param(
        True, kind="lever", meaning="National-level zones (国家级) are never absorbed"
    )
    delay_probability: float = param(
        0.1,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance that a merger slips past its planned month",
    )
    delay_months: int = param(
        3,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months a slipped merger is late, at most (uniform from 1)",
    )
    body_cost: float = param(
        2.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="One-off cost of abolishing a management body (staff reassigned, offices merged)",
    )
    merge_operators: bool = param(
        True,
        kind="lever",
        meaning="An absorbed zone's operating company is merged into the host's (压减平台)",
    )
    operator_merge_cost: float = param(
        5.0,
        unit="mn yuan",
        kind="lever",
        low=0.0,
        meaning="Integration cost of merging two operating companies",
    )
    operator_job_cut: float = param(
        0.1,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of the absorbed operating company's staff cut in the merger",
    )


@dataclass(kw_only=True)
class EvaluationParams(Validated):
    """亩均论英雄: a composite per-mu score per firm, ranked into classes A/B/C/D."""

    _section: ClassVar[str] = "parks.evaluation"

    enabled: bool = param(False, kind="lever", meaning="Evaluate and rank firms by per-mu score")
    first: str = param(
        "2024-01", unit="YYYY-MM", kind="lever", meaning="Month of the first evaluation"
    )
    every_months: int = param(
        12, unit="months", kind="lever", low=1, high=120, meaning="Months between evaluations"
    )
    tax_weight: float = param(
        0.4, unit="-", kind="lever", low=0.0, meaning="Weight of tax per mu in the score"
    )
    value_added_weight: float = param(
        0.25, unit="-", kind="lever", low=0.0, meaning="Weight of value added per mu"
    )
    output_weight: float = param(
        0.15, unit="-", kind="lever", low=0.0, meaning="Weight of output per mu"
    )
    growth_weight: float = param(
        0.2, unit="-", kind="lever", low=0.0, meaning="Weight of output growth"
    )
    growth_scale: float = param(
        0.2,
        unit="share/yr",
        kind="lever",
        low=1e-6,
        meaning="Growth at which the growth term doubles (term = 1 + growth / scale, in [0, cap])",
    )
    cap: float = param(
        3.0,
        unit="-",
        kind="lever",
        low=1.0,
        meaning="Largest value of one term (a per-mu ratio to the benchmark), so no one figure "
        "dominates",
    )
    industry_correction: bool = param(
        True, kind="lever", meaning="Apply the industry correction coefficient (行业修正系数)"
    )
    tax_benchmark: float = param(
        TAX_PER_MU_2023,
        unit="万元/mu/yr",
        kind="lever",
        low=1e-9,
        meaning="Tax per mu scoring 1 (Chongqing manufacturing 2023)",
    )
    value_added_benchmark: float = param(
        VALUE_ADDED_PER_MU_2023,
        unit="万元/mu/yr",
        kind="lever",
        low=1e-9,
        meaning="Value added per mu scoring 1 (Chongqing 2023)",
    )
    output_benchmark: float = param(
        OUTPUT_PER_MU_2023,
        unit="万元/mu/yr",
        kind="lever",
        low=1e-9,
        meaning="Output per mu scoring 1 (Chongqing 2023)",
    )
    classing: str = param(
        "threshold",
        kind="lever",
        choices=("threshold", "quantile"),
        meaning="Classes by score thresholds (shares emerge) or by fixed shares of the ranking",
    )
    a_min: float = param(
        180.0,
        unit="points",
        kind="lever",
        low=0.0,
        meaning="Lowest score of class A (tuned: the chongqing_2023 roster starts with about 15% "
        "in A, inside the 10-18% seen in practice)",
    )
    b_min: float = param(
        80.0,
        unit="points",
        kind="lever",
        low=0.0,
        meaning="Lowest score of class B (tuned like a_min: B about 42%, practice 35-50%)",
    )
    c_min: float = param(
        44.0,
        unit="points",
        kind="lever",
        low=0.0,
        meaning="Lowest score of class C; below: D (tuned: D about 8%, practice 6-9%)",
    )
    a_share: float = param(
        0.15, unit="share", kind="lever", low=0.0, high=1.0, meaning="Class A share (quantile)"
    )
    b_share: float = param(
        0.45, unit="share", kind="lever", low=0.0, high=1.0, meaning="Class B share (quantile)"
    )
    d_share: float = param(
        0.08, unit="share", kind="lever", low=0.0, high=1.0, meaning="Class D share (quantile)"
    )
    showcase: int = param(
        10,
        unit="count",
        kind="lever",
        low=0,
        high=1000,
        meaning="Zones and firms named as showcases (10强) at each evaluation",
    )
    a_growth_bonus: float = param(
        0.02,
        unit="share/yr",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Extra growth of class-A firms from credit and energy allocated to them first",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check_month(self._section, "first", self.first)
        check(
            self._section,
            "b_min",
            self.c_min <= self.b_min <= self.a_min,
            f"between c_min ({self.c_min:g}) and a_min ({self.a_min:g})",
            self.b_min,
        )
        check(
            self._section,
            "d_share",
            self.a_share + self.b_share + self.d_share <= 1.0,
            "such that a_share + b_share + d_share <= 1",
            self.d_share,
        )
        total = self.tax_weight + self.value_added_weight + self.output_weight + self.growth_weight
        check(self._section, "tax_weight", total > 0, "part of weights that sum above 0", total)


@dataclass(kw_only=True)
class ParkDispositionParams(Validated):
    """一企一案: one plan per low-efficiency firm, one of five dispositions chosen by rule.

    At each evaluation, every class-D firm (and class-C firms when ``include_c``) not already under
    a plan gets one, tried in this order: lawful closure (依法关停) if it is D again or scores
    below ``closure_score``; cooperative transfer (合作转移) if its industry is not its zone's and
    a zone led by its industry has the idle land; merger (兼并重组) into an A- or B-class firm of
    its industry in its zone; support and upgrade (帮扶提升) if it grows; else forced compliance
    (倒逼规范). A firm owned by an SOE is only supported or forced to comply: whether the SOE is
    closed, sold or merged is the SOE reform's decision (its rules act on the legal entity)."""

    _section: ClassVar[str] = "parks.dispositions"

    enabled: bool = param(False, kind="lever", meaning="Give low-efficiency firms a plan each")
    include_c: bool = param(False, kind="lever", meaning="Class-C firms get a plan too")
    closure_score: float = param(
        20.0,
        unit="points",
        kind="lever",
        low=0.0,
        meaning="A D-class firm scoring below this gets a closure plan at its first D ranking",
    )
    closure_months: int = param(
        6, unit="months", kind="lever", low=0, high=60, meaning="Months a closure takes"
    )
    closure_cost: float = param(
        0.05,
        unit="mn yuan/person",
        kind="lever",
        low=0.0,
        meaning="Cost of a closure per employee (severance, site clearance)",
    )
    closure_failure: float = param(
        0.1,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance a closure is blocked (litigation, local resistance); the firm stays in D",
    )
    transfer_months: int = param(
        9, unit="months", kind="lever", low=0, high=60, meaning="Months a transfer takes"
    )
    transfer_cost: float = param(
        0.02,
        unit="mn yuan/mu",
        kind="lever",
        low=0.0,
        meaning="Relocation support per mu moved",
    )
    transfer_failure: float = param(
        0.2,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance a transfer falls through; the firm is then forced to comply",
    )
    merge_months: int = param(
        6, unit="months", kind="lever", low=0, high=60, meaning="Months a merger takes"
    )
    merge_uplift: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Rise of the absorbed firm's per-mu output under its acquirer",
    )
    merge_job_cut: float = param(
        0.2,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of the absorbed firm's staff cut",
    )
    merge_failure: float = param(
        0.25,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance a merger falls through; the firm is then forced to comply",
    )
    support_months: int = param(
        12, unit="months", kind="lever", low=0, high=60, meaning="Months of support"
    )
    support_cost: float = param(
        0.05,
        unit="mn yuan/mu",
        kind="lever",
        low=0.0,
        meaning="Support (technical upgrading subsidies, services) per mu of the firm",
    )
    support_uplift: float = param(
        0.35,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Rise of a supported firm's per-mu output, tax and value added when it works",
    )
    support_success: float = param(
        0.6,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance support works",
    )
    compliance_months: int = param(
        12,
        unit="months",
        kind="lever",
        low=0,
        high=60,
        meaning="Months of surcharged land, power and water prices (差别化价格)",
    )
    surcharge: float = param(
        0.03,
        unit="mn yuan/mu/yr",
        kind="lever",
        low=0.0,
        meaning="Surcharge a firm under forced compliance pays per mu (revenue of the zone)",
    )
    compliance_improve: float = param(
        0.4,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance a firm under forced compliance upgrades (support_uplift) by the end",
    )
    compliance_exit: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance a non-SOE firm under forced compliance that did not upgrade leaves",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check(
            self._section,
            "compliance_exit",
            self.compliance_improve + self.compliance_exit <= 1.0,
            "such that compliance_improve + compliance_exit <= 1",
            self.compliance_exit,
        )


@dataclass(kw_only=True)
class LandParams(Validated):
    """盘活闲置工业用地 and 资源要素优化配置: idle land re-used, toward the top-ranked first."""

    _section: ClassVar[str] = "parks.land"

    enabled: bool = param(False, kind="lever", meaning="Revitalise idle industrial land")
    reuse_rate: float = param(
        0.03,
        unit="share/month",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of a zone's idle land put back to use a month (replaces the economy's rate)",
    )
    entry_share: float = param(
        0.6,
        unit="share",
        kind="lever",
        low=0.0,
        high=1.0,
        meaning="Share of re-used land offered to new firms (招大引强) at an average zone; the "
        "rest goes to the zone's top-ranked firms",
    )
    attraction: float = param(
        1.0,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=10.0,
        meaning="Elasticity of a zone's entrants to its per-mu score relative to the average",
    )
    expansion_yield: float = param(
        0.8,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Output per mu of land a top-ranked firm expands into, relative to its own",
    )


@dataclass(kw_only=True)
class OperatorParams(Validated):
    """Park operating companies turned into industrial-investment or capital-operation companies."""

    _section: ClassVar[str] = "parks.operators"

    transform: bool = param(
        False,
        kind="lever",
        meaning="Turn each surviving zone's operating company into an industrial-investment "
        "company: its government functions go back to the management body",
    )
    date: str = param(
        "2024-06", unit="YYYY-MM", kind="lever", meaning="Month the operating companies transform"
    )
    cost: float = param(
        3.0, unit="mn yuan", kind="lever", low=0.0, meaning="One-off cost of one transformation"
    )
    fixed_cost_cut: float = param(
        0.05,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Cut of a transformed company's fixed operating cost",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check_month(self._section, "date", self.date)


@dataclass(kw_only=True)
class ParksConfig(Validated):
    """The park reform's plan (园区开发区改革攻坚); ``enabled: false`` leaves parks out."""

    _section: ClassVar[str] = "parks"

    name: str = param("none", kind="setting", meaning="Name of the park plan")
    description: str = param("", kind="setting", meaning="One line on what the plan does")
    enabled: bool = param(
        False, kind="setting", meaning="Simulate development zones and their firms at all"
    )
    economy: FirmEconomyParams = field(default_factory=FirmEconomyParams)
    consolidation: ConsolidationParams = field(default_factory=ConsolidationParams)
    evaluation: EvaluationParams = field(default_factory=EvaluationParams)
    dispositions: ParkDispositionParams = field(default_factory=ParkDispositionParams)
    land: LandParams = field(default_factory=LandParams)
    operators: OperatorParams = field(default_factory=OperatorParams)
    milestones: list[Milestone] = param(
        factory=list,
        kind="lever",
        meaning="Park targets due at month ends (see TARGETS; relative: zones, "
        "management_bodies, idle_land_mu, tax_per_mu, value_added_per_mu as shares of month 0)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        c = self.consolidation
        check_month(c._section, "start", c.start)
        check_month(c._section, "deadline", c.deadline)
        check(c._section, "deadline", c.deadline >= c.start, f">= start ({c.start})", c.deadline)
        if self.dispositions.enabled:
            check(
                self._section,
                "dispositions.enabled",
                self.evaluation.enabled,
                "false unless parks.evaluation.enabled (plans follow the ranking)",
                True,
            )
        check_milestones(self.milestones, "parks.milestones")
