"""Typed configuration of one simulation run.

These are plain ``kw_only`` dataclasses: the model, notebooks and tests build them directly; the
command-line layer (:mod:`sim.cli`) registers them with Hydra as structured-config schemas, so an
unknown key or a wrong type is refused by OmegaConf before the run, and the range checks in
``__post_init__`` refuse out-of-range values with one message naming the key.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import ClassVar

from sim.policies.config import PolicyConfig
from sim.validation import Validated as _Validated
from sim.validation import check as _check

SYNTHETIC_ONLY: frozenset[str] = frozenset({
    "n_entities", "n_groups", "entities_per_group", "max_depth", "min_depth", "deep_group_share",
    "attachment_bias", "group_size_sigma", "mean_assets", "core_share", "shell_share",
    "dormant_share", "gov_function_share", "idle_share", "intra_loan_share", "margin_shift",
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
    _ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "n_entities": (1, 50_000_000),
        "n_groups": (0, None),
        "entities_per_group": (1.0, None),
        "max_depth": (1, 30),
        "min_depth": (1, 30),
        "attachment_bias": (1.0, 20.0),
        "group_size_sigma": (0.0, 5.0),
        "mean_assets": (0.0, None),
        "margin_shift": (-1.0, 1.0),
        "margin_dispersion": (0.0, 10.0),
        "debt_shift": (-0.5, 0.5),
    }
    _probabilities: ClassVar[tuple[str, ...]] = (
        "deep_group_share",
        "core_share",
        "shell_share",
        "dormant_share",
        "gov_function_share",
        "idle_share",
        "intra_loan_share",
    )

    source: str = "synthetic"
    path: str | None = None
    n_entities: int = 2_000
    n_groups: int = 0
    entities_per_group: float = 44.0
    max_depth: int = 8
    min_depth: int = 3
    deep_group_share: float = 0.35
    attachment_bias: float = 2.5
    group_size_sigma: float = 0.9
    mean_assets: float = 1_150.0
    core_share: float = 0.65
    shell_share: float = 0.07
    dormant_share: float = 0.04
    gov_function_share: float = 0.12
    idle_share: float = 0.07
    intra_loan_share: float = 0.05
    margin_shift: float = 0.006
    margin_dispersion: float = 0.5
    debt_shift: float = -0.06

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
    _ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "demand_persistence": (0.0, 0.999),
        "idio_persistence": (0.0, 0.999),
        "demand_correlation": (0.0, 0.999),
        "demand_vol_scale": (0.0, 10.0),
        "idio_vol": (0.0, 5.0),
        "interest_rate": (0.0, 1.0),
        "entity_overhead": (0.0, None),
        "layer_overhead": (0.0, 1.0),
        "entry_rate": (0.0, 1.0),
        "entry_size": (0.0, 10.0),
        "entry_max_layer": (2, 30),
        "zombie_window": (1, 120),
        "productivity_growth": (-0.5, 0.5),
    }
    _probabilities: ClassVar[tuple[str, ...]] = (
        "fixed_cost_share",
        "interest_bearing_share",
        "soft_budget",
        "bankruptcy_hazard",
        "liquidation_recovery",
        "entry_core_share",
    )

    demand_persistence: float = 0.92
    demand_correlation: float = 0.35
    demand_vol_scale: float = 1.0
    idio_persistence: float = 0.85
    idio_vol: float = 0.12
    fixed_cost_share: float = 0.30
    interest_rate: float = 0.045
    interest_bearing_share: float = 0.55
    entity_overhead: float = 0.5
    layer_overhead: float = 0.002
    soft_budget: float = 0.9
    bankruptcy_hazard: float = 0.03
    liquidation_recovery: float = 0.4
    entry_rate: float = 0.05
    entry_size: float = 0.03
    entry_max_layer: int = 9
    entry_core_share: float = 0.7
    zombie_window: int = 12
    productivity_growth: float = 0.0


@dataclass(kw_only=True)
class OutputConfig(_Validated):
    """What a run writes besides the always-written tables."""

    _section: ClassVar[str] = "output"
    chart: bool = True
    entities: bool = True
    groups: bool = True


_START = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(kw_only=True)
class SimConfig(_Validated):
    """One run: population, economy, policy, and the run settings (months, seed, start month)."""

    _section: ClassVar[str] = ""
    _ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "months": (1, 1200),
        "seed": (0, 2**63 - 1),
    }

    months: int = 36
    seed: int = 0
    start: str = "2024-01"
    population: PopulationConfig = field(default_factory=PopulationConfig)
    economy: EconomyConfig = field(default_factory=EconomyConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        m = _START.match(self.start)
        _check(
            "",
            "start",
            bool(m) and 1 <= int(m.group(2)) <= 12 if m else False,
            "a month written YYYY-MM",
            self.start,
        )

    @property
    def start_date(self) -> dt.date:
        """First day of the first simulated month."""
        year, month = self.start.split("-")
        return dt.date(int(year), int(month), 1)


__all__ = ["EconomyConfig", "OutputConfig", "PolicyConfig", "PopulationConfig", "SimConfig"]
