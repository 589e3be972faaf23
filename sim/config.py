"""Typed configuration of one simulation run.

These are plain ``kw_only`` dataclasses: the model, notebooks and tests build them directly; the
composition layer (:mod:`sim.compose`) registers them with Hydra as structured-config schemas, so an
unknown key or a wrong type is refused by OmegaConf before the run, and the range checks in
``__post_init__`` refuse out-of-range values with one message naming the key.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from dataclasses import dataclass, field, fields
from typing import ClassVar

from sim.errors import ConfigError
from sim.labels import t
from sim.outcomes import objective
from sim.params import Validated as _Validated
from sim.params import check as _check
from sim.params import check_month, param
from sim.parks.config import ParksConfig, ZonesConfig
from sim.policies.config import PolicyConfig
from sim.policies.milestones import TARGETS, absolute_scale_targets, check_milestones

SYNTHETIC_ONLY: frozenset[str] = frozenset({
    "n_entities", "n_groups", "entities_per_group", "max_depth", "min_depth", "deep_group_share",
    "attachment_bias", "group_size_sigma", "mean_assets", "core_share", "shell_share",
    "dormant_share", "zombie_share", "gov_function_share", "idle_share", "intra_loan_share",
    "margin_shift",
    "margin_dispersion", "debt_shift",
})  # fmt: skip
"""PopulationConfig fields that only the synthetic generator reads."""


@dataclass(kw_only=True)
class PopulationConfig(_Validated):
    """Where the enterprises come from: a seeded synthetic generator or a roster file.

    ``source=roster`` reads ``path`` (CSV or Parquet, schema in :mod:`sim.population.schema`);
    a path starting with ``builtin:`` names a roster shipped in ``sim/data`` (the presets).
    The remaining fields steer the synthetic generator (:mod:`sim.population.synthetic`).
    """

    _section: ClassVar[str] = "population"

    source: str = param(
        "synthetic",
        unit="-",
        kind="setting",
        choices=("synthetic", "roster"),
        meaning="Where the enterprises come from: the seeded synthetic generator or a roster file",
    )
    path: str | None = param(
        None,
        unit="-",
        kind="setting",
        meaning="Roster file (CSV or Parquet) when source=roster; 'builtin:NAME' names a shipped "
        "roster",
    )
    n_entities: int = param(
        2000,
        unit="count",
        kind="uncertainty",
        low=1,
        high=50000000,
        meaning="Legal entities the synthetic generator creates",
    )
    n_groups: int = param(
        0,
        unit="count",
        kind="uncertainty",
        low=0,
        meaning="Groups (集团) to create; 0 derives it from entities_per_group",
    )
    entities_per_group: float = param(
        44.0,
        unit="count",
        kind="uncertainty",
        low=1.0,
        meaning="Mean legal entities per group when n_groups is 0",
    )
    max_depth: int = param(
        8,
        unit="layer",
        kind="uncertainty",
        low=1,
        high=30,
        meaning="Deepest management layer a synthetic group may reach",
    )
    min_depth: int = param(
        3,
        unit="layer",
        kind="uncertainty",
        low=1,
        high=30,
        meaning="Depth every synthetic group reaches at least",
    )
    deep_group_share: float = param(
        0.35,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of groups deeper than five layers",
    )
    attachment_bias: float = param(
        2.5,
        unit="-",
        kind="uncertainty",
        low=1.0,
        high=20.0,
        meaning="Preferential-attachment strength when building trees (higher: bushier near the "
        "top)",
    )
    group_size_sigma: float = param(
        0.9,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Log-normal dispersion of group sizes",
    )
    mean_assets: float = param(
        1150.0,
        unit="mn yuan",
        kind="uncertainty",
        low=0.0,
        meaning="Mean total assets of a legal entity",
    )
    core_share: float = param(
        0.65,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of subsidiaries in a core business (主责主业) of their group",
    )
    shell_share: float = param(
        0.07,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Shells (空壳) as a share of all entities (drawn among the subsidiaries)",
    )
    dormant_share: float = param(
        0.04,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Dormant entities (休眠) as a share of all entities (drawn among the subsidiaries)",
    )
    zombie_share: float = param(
        0.1,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=0.5,
        meaning="Share of operating subsidiaries that are zombies at the start: the weakest "
        "margins, loss-making for 3+ years and supported last year (sim.zombies)",
    )
    gov_function_share: float = param(
        0.12,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of entities carrying government functions (政企不分)",
    )
    idle_share: float = param(
        0.07,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Idle assets (闲置资产) as a share of total assets, on average",
    )
    intra_loan_share: float = param(
        0.05,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Intra-group loans as a share of a subsidiary's assets, on average",
    )
    margin_shift: float = param(
        0.006,
        unit="share",
        kind="uncertainty",
        low=-1.0,
        high=1.0,
        meaning="Shift of every sector's mean operating margin",
    )
    margin_dispersion: float = param(
        0.5,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=10.0,
        meaning="Scale of the entity-level spread of operating margins around the sector mean",
    )
    debt_shift: float = param(
        -0.06,
        unit="share",
        kind="uncertainty",
        low=-0.5,
        high=0.5,
        meaning="Shift of every sector's mean debt-to-asset ratio",
    )

    zones: ZonesConfig = field(default_factory=ZonesConfig)
    """The development zones and their firms at the start (used when ``parks.enabled``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(
            "population",
            "source",
            self.source in ("synthetic", "roster"),
            "'synthetic' or 'roster'",
            self.source,
        )
        if self.source == "roster":
            _check("population", "path", bool(self.path), "set when source is 'roster'", self.path)
            ignored = [
                f.name
                for f in fields(self)
                if f.name in SYNTHETIC_ONLY and getattr(self, f.name) != f.default
            ]
            if ignored:
                _check(
                    "population",
                    ignored[0],
                    False,
                    "left at its default with source=roster "
                    "(it steers the synthetic generator: add population=synthetic)",
                    getattr(self, ignored[0]),
                )
        _check("population", "mean_assets", self.mean_assets > 0, "> 0", self.mean_assets)
        _check(
            "population",
            "min_depth",
            self.min_depth <= self.max_depth,
            f"<= population.max_depth ({self.max_depth})",
            self.min_depth,
        )


@dataclass(kw_only=True)
class EconomyConfig(_Validated):
    """The monthly economy: the uncertainty a restructuring policy acts under."""

    _section: ClassVar[str] = "economy"

    demand_persistence: float = param(
        0.92,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=0.999,
        meaning="AR(1) coefficient of sector log demand, monthly",
    )
    demand_correlation: float = param(
        0.35,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=0.999,
        meaning="Share of sector demand innovations' variance from one common factor",
    )
    demand_vol_scale: float = param(
        1.0,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=10.0,
        meaning="Multiplier on every sector's demand volatility",
    )
    idio_persistence: float = param(
        0.85,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=0.999,
        meaning="AR(1) coefficient of an entity's own demand shock, monthly",
    )
    idio_vol: float = param(
        0.12,
        unit="-",
        kind="uncertainty",
        low=0.0,
        high=5.0,
        meaning="Standard deviation of an entity's own log demand shock (stationary)",
    )
    fixed_cost_share: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of operating cost that is fixed (does not scale with volume)",
    )
    interest_rate: float = param(
        0.045,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Interest rate on interest-bearing external debt",
    )
    interest_bearing_share: float = param(
        0.55,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of liabilities that bears interest",
    )
    entity_overhead: float = param(
        0.5,
        unit="mn yuan/yr",
        kind="uncertainty",
        low=0.0,
        meaning="Management overhead of keeping one legal entity",
    )
    layer_overhead: float = param(
        0.002,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Overhead per management layer below the HQ, share of revenue",
    )
    soft_budget: float = param(
        0.9,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of a subsidiary's cash shortfall its parent covers (soft budget constraint)",
    )
    bankruptcy_hazard: float = param(
        0.03,
        unit="share/month",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Monthly failure probability of an insolvent subsidiary under a fully hard budget",
    )
    liquidation_recovery: float = param(
        0.4,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of assets recovered when an entity goes bankrupt",
    )
    entry_rate: float = param(
        0.05,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="New subsidiaries proposed per year, share of live entities",
    )
    entry_size: float = param(
        0.03,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=10.0,
        meaning="Founder's equity injection into a new subsidiary, share of the founder's assets "
        "(median scale)",
    )
    entry_max_layer: int = param(
        9,
        unit="layer",
        kind="uncertainty",
        low=2,
        high=30,
        meaning="Entities at this layer or deeper found no subsidiaries",
    )
    entry_core_share: float = param(
        0.7,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of new subsidiaries in their founder's sector",
    )
    zombie_window: int = param(
        12,
        unit="months",
        kind="uncertainty",
        low=1,
        high=120,
        meaning="Months of look-back for support received and for the smoothed profit behind "
        "zombie status",
    )
    zombie_loss_years: int = param(
        3,
        unit="years",
        kind="setting",
        low=0,
        high=20,
        meaning="Years of consecutive losses before a supported entity that cannot cover its "
        "interest counts as a zombie (State Council 2015: 持续亏损三年以上)",
    )
    zombie_recovery_rate: float = param(
        0.14,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Annual chance that a zombie restructures its costs with its creditors and "
        "recovers, unaided by the reform (IMF 2017, BIS 2020: docs/sources.md)",
    )
    zombie_recovery_max_cut: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Largest share of its operating cost a recovering zombie can cut",
    )
    zombie_exit_rate: float = param(
        0.06,
        unit="share/yr",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Annual chance that creditors force a zombie out, at the economy's soft budget; "
        "scales with 1 - soft_budget when a policy hardens it (IMF 2017, BIS 2020)",
    )
    productivity_growth: float = param(
        0.0,
        unit="share/yr",
        kind="uncertainty",
        low=-0.5,
        high=0.5,
        meaning="Declared productivity trend of every entity, the economy's only trend (demand "
        "shocks are mean-preserving); 0 by default: no trend",
    )


@dataclass(kw_only=True)
class OutputConfig(_Validated):
    """What a run writes besides the always-written tables."""

    _section: ClassVar[str] = "output"
    chart: bool = param(
        True,
        unit="-",
        kind="setting",
        meaning="Write headline.png and report_card.png",
    )
    entities: bool = param(
        True,
        unit="-",
        kind="setting",
        meaning="Write entities_start.parquet and entities_end.parquet",
    )
    groups: bool = param(
        True,
        unit="-",
        kind="setting",
        meaning="Write groups.parquet (consolidated indicators per group and month)",
    )
    replace: bool = param(
        False,
        unit="-",
        kind="setting",
        meaning="Replace a run folder that already holds a run, instead of refusing it",
    )
    events: bool = param(
        True,
        unit="-",
        kind="setting",
        meaning="In a sweep, keep every run's event log in the results store",
    )
    folders: bool = param(
        False,
        unit="-",
        kind="setting",
        meaning="In a sweep, also write a run folder (tables, charts) per run beside the store",
    )
    lang: str = param(
        "en",
        unit="-",
        kind="setting",
        choices=("en", "zh"),
        meaning="Language of the charts, their tables and the printed summary: en or zh (zh needs "
        "the optional extra 'zh', which ships a Chinese font: uv run --extra zh soe-sim "
        "output.lang=zh)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lang == "zh" and importlib.util.find_spec("mplfonts") is None:
            raise ConfigError(
                "config value output.lang=zh needs a Chinese font, which the optional extra 'zh' "
                "installs: run `uv run --extra zh soe-sim output.lang=zh ...` (or "
                "`uv sync --extra zh` once)"
            )


CHONGQING_ROSTER = "builtin:chongqing_2023.csv"
CHONGQING_ZONES = "builtin:chongqing_zones_2023.csv"
"""The shipped Chongqing 2023 start (configs/population/chongqing_2023.yaml), for which the
presets' absolute targets were written."""

LAST_START_YEAR = 2100
"""Latest year a run may start in (with at most 1,200 months it ends by 2200)."""


@dataclass(kw_only=True)
class SimConfig(_Validated):
    """One run: population, economy, policy, and the run settings (months, seed, start month)."""

    _section: ClassVar[str] = ""

    months: int = param(
        36,
        unit="months",
        kind="setting",
        low=1,
        high=1200,
        meaning="Months to simulate (one step is one month)",
    )
    seed: int = param(
        0,
        unit="-",
        kind="setting",
        low=0,
        high=9223372036854775807,
        meaning="Seed from which every random stream is spawned",
    )
    start: str = param(
        "2024-01",
        unit="YYYY-MM",
        kind="setting",
        meaning="First simulated month (1950-01 to 2100-12)",
    )
    replications: int = param(
        1,
        unit="runs",
        kind="setting",
        low=1,
        high=1_000_000,
        meaning="Runs of this scenario; replication 0 uses seed, the others seeds spawned from it "
        "(numpy SeedSequence), the same in every scenario of a sweep. Above 1 the runs go to a "
        "results store (store/ in the run or sweep folder)",
    )
    workers: int = param(
        1,
        unit="processes",
        kind="setting",
        low=0,
        high=4096,
        meaning="Processes that run the replications (0: one per available core); results do "
        "not depend on it",
    )
    scenario: str = param(
        "",
        unit="-",
        kind="setting",
        meaning="The scenario's name in the results store (empty: the plan's name, or the "
        "job's overrides when they set more than the plan)",
    )
    objectives: list[str] = param(
        factory=list,
        unit="-",
        kind="setting",
        meaning="What a sweep job returns to the sweeper that launched it: each the mean over "
        "the job's replications of targets_met, profit_gain or an indicator's final value",
    )
    population: PopulationConfig = field(default_factory=PopulationConfig)
    economy: EconomyConfig = field(default_factory=EconomyConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    parks: ParksConfig = field(default_factory=ParksConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_month("", "start", self.start, last_year=LAST_START_YEAR)
        self._check_park_targets()
        for name in self.objectives:
            try:
                objective(name)
            except KeyError as err:
                raise ConfigError(f"config value objectives: {err.args[0]}") from None

    def _check_park_targets(self) -> None:
        """Park targets need the park submodel; no target is set twice across both lists."""
        for section, milestones in (("policy.milestones", self.policy.milestones),
                                    ("parks.milestones", self.parks.milestones)):  # fmt: skip
            for ms in milestones:
                for name in ms.names():
                    _check(section, f"{ms.date}.targets.{name}",
                           self.parks.enabled or "parks" not in TARGETS[name].drivers,
                           "a target of the SOE reform when parks are off (parks=none): "
                           "choose a park plan (parks=chongqing_2024) or drop it",
                           name)  # fmt: skip
        check_milestones([*self.policy.milestones, *self.parks.milestones], "parks.milestones")

    def milestone_notes(self) -> list[str]:
        """What a planner should be told before reading the report card: milestones that set
        absolute targets on indicators that scale with the population, scored against another
        population than the Chongqing start they were written for (one line each, in the current
        language, :mod:`sim.labels`; ``summary.json`` keeps them in English). The Chongqing start
        is recognised by the shipped roster's name (``builtin:chongqing_2023.csv``), not by
        content: the same file given by its path gets the note."""
        notes = []
        chongqing = self.population.source == "roster" and self.population.path == CHONGQING_ROSTER
        zones = self.population.zones
        chongqing_zones = zones.source == "roster" and zones.zones_path == CHONGQING_ZONES
        plans = (("policy", self.policy.milestones, chongqing),
                 ("parks", self.parks.milestones, chongqing_zones))  # fmt: skip
        for label, milestones, own in plans:
            fixed = absolute_scale_targets(milestones)
            if fixed and not own:
                notes.append(
                    t(
                        "{label} '{plan}' sets absolute targets that scale with the population "
                        "({targets}), written for the Chongqing 2023 start, not this population: "
                        "read them as Chongqing's figures, or give them as shares of this "
                        "population's start ({label}.milestones[i].relative)"
                    ).format(label=label, plan=getattr(self, label).name, targets="; ".join(fixed))
                )
        return notes

    @property
    def start_date(self) -> dt.date:
        """First day of the first simulated month."""
        year, month = self.start.split("-")
        return dt.date(int(year), int(month), 1)


__all__ = [
    "EconomyConfig", "OutputConfig", "ParksConfig", "PolicyConfig", "PopulationConfig", "SimConfig",
    "ZonesConfig",
]  # fmt: skip
