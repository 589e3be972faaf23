"""Milestone targets, the surge before a deadline (突击), and the report card (改革高分报表).

The 2024 reform set quantified targets due at the end of March, June and December (see
docs/sources.md). A milestone is a month (``YYYY-MM``: due at its end) with targets named in
:data:`TARGETS`; each target is read off the run's monthly timeseries. When ``surge`` is on and a
deadline is at most ``window_months`` away, every rule family that drives a target not yet met
works at ``factor`` times its normal rate.

A target is absolute (``targets``: ``groups: 48``) or relative (``relative``: ``groups: 0.9412``,
at most 94.12% of the groups at month 0). Relative targets make a preset travel to another
population: a share of its own start rather than another place's figure. Each target that can be
relative names its ``base``, the indicator whose month-0 value the share multiplies (idle assets at
the start for assets revitalised, entities carrying government functions for decoupling).
:func:`resolve_milestones` turns relative targets into absolute ones once the start is known;
thresholds of counts are whole numbers (rounded the way that leaves the target's meaning unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from sim.errors import ConfigError
from sim.outcomes import OUTCOMES
from sim.params import Validated, check, check_month, param

if TYPE_CHECKING:  # pandas only for the report card: the config schema loads without it
    import pandas as pd


@dataclass(frozen=True)
class Target:
    """A kind of target: which indicator it reads and which rule families drive it. Which way
    is better and the unit come from the indicator's declaration in :mod:`sim.outcomes`."""

    indicator: str
    drivers: tuple[str, ...]
    base: str | None = None
    """The indicator whose value at month 0 a relative target is a share of (None: the target
    is a share or a level already and has no relative form)."""

    @property
    def sense(self) -> Literal["at_least", "at_most"]:
        """``at_least`` for an indicator where higher is better, else ``at_most``."""
        return "at_least" if OUTCOMES[self.indicator].sense == "higher" else "at_most"

    @property
    def unit(self) -> str:
        """The indicator's unit."""
        return OUTCOMES[self.indicator].unit

    @property
    def meaning(self) -> str:
        """The indicator's meaning."""
        return OUTCOMES[self.indicator].meaning

    def met(self, achieved: float, target: float) -> bool:
        """Whether ``achieved`` meets ``target``."""
        if achieved != achieved:  # NaN: not reached within the run
            return False
        return achieved >= target if self.sense == "at_least" else achieved <= target

    def threshold(self, share: float, start: Mapping[str, float | int | str]) -> float:
        """The absolute target of a relative one: ``share`` of the base indicator at month 0; for
        counts, the whole number that is met exactly when the share is (at most 38.3 groups is at
        most 38)."""
        assert self.base is not None
        base = float(start[self.base])
        if not (math.isfinite(base) and base >= 0):
            raise ValueError(f"its base, {self.base} at month 0, is {base!r}")
        value = share * base
        if OUTCOMES[self.indicator].unit != "count":
            return value
        whole = np.floor(value + 1e-9) if self.sense == "at_most" else np.ceil(value - 1e-9)
        return float(whole)


TARGETS: dict[str, Target] = {
    "entities_cut": Target("operating_entities_cut_share", ("slimming", "loss_cutting", "quality")),
    "groups": Target("groups", ("quality",), base="groups"),
    "loss_making_share": Target("loss_making_share", ("loss_cutting",)),
    "losses_cut": Target("losses_cut_share", ("loss_cutting",)),
    "max_layer": Target("max_layer", ("slimming",)),
    "assets_revitalised": Target("assets_revitalised", ("efficiency",), base="idle_assets"),
    "decoupled": Target("decoupled", ("decoupling",), base="gov_function_entities"),
    "zones": Target("zones", ("parks",), base="zones"),
    "management_bodies": Target("management_bodies", ("parks",), base="management_bodies"),
    "idle_land_mu": Target("idle_land_mu", ("parks",), base="idle_land_mu"),
    "tax_per_mu": Target("tax_per_mu", ("parks",), base="tax_per_mu"),
    "value_added_per_mu": Target("value_added_per_mu", ("parks",), base="value_added_per_mu"),
}
"""The targets a milestone may set."""


@dataclass(kw_only=True)
class Milestone(Validated):
    """Targets due at the end of month ``date`` (YYYY-MM)."""

    _section: ClassVar[str] = "policy.milestones"
    date: str = param(
        "2024-12", unit="YYYY-MM", kind="lever", meaning="Month at whose end the targets fall due"
    )
    targets: dict[str, float] = param(
        factory=dict, kind="lever", meaning="Target values by name (see TARGETS)"
    )
    relative: dict[str, float] = param(
        factory=dict,
        unit="share of month 0",
        kind="lever",
        meaning="Targets as a share of their base indicator at month 0 (groups: 0.75 = at most "
        "75% of the groups at the start; assets_revitalised: 0.4 = 40% of the idle assets at the "
        "start), so a preset fits any population",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check_month(self._section, "date", self.date)
        for name, value in self.targets.items():
            check(
                self._section,
                f"{self.date}.targets",
                name in TARGETS,
                f"one of {sorted(TARGETS)}",
                name,
            )
            check(
                self._section,
                f"{self.date}.targets.{name}",
                value == value and value >= 0,
                "a number >= 0",
                value,
            )
            if TARGETS[name].unit == "share":
                check(
                    self._section,
                    f"{self.date}.targets.{name}",
                    value <= 1,
                    "a share in [0, 1]",
                    value,
                )

        for name, share in self.relative.items():
            where = f"{self.date}.relative.{name}"
            check(self._section, where, name in TARGETS, f"one of {sorted(TARGETS)}", name)
            check(self._section, where, TARGETS[name].base is not None,
                  "a target with a relative form (one of "
                  f"{sorted(n for n, t in TARGETS.items() if t.base)})", name)  # fmt: skip
            check(self._section, where, share == share and share >= 0, "a share >= 0", share)
            check(self._section, where, name not in self.targets,
                  f"set once (it is also an absolute target, {self.targets.get(name)!r})",
                  share)  # fmt: skip

    def names(self) -> list[str]:
        """The targets this milestone sets, absolute and relative."""
        return [*self.targets, *self.relative]

    def resolve(
        self, start: Mapping[str, float | int | str], section: str | None = None
    ) -> Milestone:
        """This milestone with its relative targets made absolute from the month-0 values
        ``start``; a relative target whose base ``start`` does not hold is left out (the policy
        engine sees the SOE indicators only, not the park submodel's)."""
        targets = dict(self.targets)
        for name, share in self.relative.items():
            if TARGETS[name].base in start:
                try:
                    targets[name] = TARGETS[name].threshold(share, start)
                except ValueError as err:
                    raise ConfigError(
                        f"config value {section or self._section}.{self.date}.relative.{name} "
                        f"cannot be resolved on this population: {err}; give it as an absolute "
                        "target or drop it"
                    ) from None
        return Milestone(date=self.date, targets=targets)

    def month_index(self, start: str) -> int:
        """Simulated month at whose end this milestone falls (1 = the start month)."""
        y0, m0 = map(int, start.split("-"))
        y, m = map(int, self.date.split("-"))
        return (y - y0) * 12 + (m - m0) + 1


@dataclass(kw_only=True)
class SurgeParams(Validated):
    """突击: rules driving an unmet target work harder as its deadline nears."""

    _section: ClassVar[str] = "policy.surge"

    enabled: bool = param(
        False,
        unit="-",
        kind="lever",
        meaning="Rule families driving an unmet target work harder before its deadline (突击)",
    )
    window_months: int = param(
        2,
        unit="months",
        kind="lever",
        low=0,
        high=24,
        meaning="Months before a deadline in which the surge applies",
    )
    factor: float = param(
        1.5,
        unit="-",
        kind="lever",
        low=1.0,
        high=20.0,
        meaning="Multiplier on the rates of rule families driving an unmet target",
    )


def check_milestones(milestones: list[Milestone], section: str = "policy.milestones") -> None:
    """One target per milestone date and target name: two milestones on the same date may not
    both set a target (one would be shown both met and missed)."""
    seen: dict[tuple[str, str], float] = {}
    for ms in milestones:
        entries = [*(("targets", n, v) for n, v in ms.targets.items()),
                   *(("relative", n, v) for n, v in ms.relative.items())]  # fmt: skip
        for kind, name, value in entries:
            key = (ms.date, name)
            check(
                section,
                f"{ms.date}.{kind}.{name}",
                key not in seen,
                f"set once per date (it is set twice: {seen.get(key)!r} and {value!r})",
                value,
            )
            seen[key] = value


def resolve_milestones(
    milestones: list[Milestone],
    start: Mapping[str, float | int | str] | None,
    section: str | None = None,
) -> list[Milestone]:
    """The milestones with every target absolute (:meth:`Milestone.resolve`); ``start`` holds
    the indicators at month 0 (a timeseries row). A relative target whose base is not a finite
    number >= 0 at month 0 (亩均 figures of zones without land) raises ConfigError naming it under
    ``section``. (A base of 0 makes the target 0: at most or at least nothing.)"""
    if not any(ms.relative for ms in milestones):
        return milestones
    if start is None:
        raise ValueError("relative milestone targets need the month-0 indicators")
    return [ms.resolve(start, section) for ms in milestones]


def absolute_scale_targets(milestones: list[Milestone]) -> list[str]:
    """Absolute targets on indicators that scale with the population (those with a relative
    form): ``2024-03 groups <= 48``, one string each. On another population than the one they
    were set for, they are another place's figures."""
    out = []
    for ms in milestones:
        for name, value in ms.targets.items():
            t = TARGETS[name]
            if t.base is not None:
                sign = ">=" if t.sense == "at_least" else "<="
                unit = "" if t.unit == "count" else f" {t.unit}"
                out.append(f"{ms.date} {name} {sign} {value:,.10g}{unit}")
    return out


def surge_intensity(
    milestones: list[Milestone], surge: SurgeParams, start: str, month: int,
    latest: Mapping[str, float | int | str] | None,
) -> dict[str, float]:  # fmt: skip
    """Intensity per rule family for ``month`` given the latest recorded indicators."""
    out: dict[str, float] = {}
    if not surge.enabled or latest is None:
        return out
    for ms in milestones:
        due = ms.month_index(start)
        if not 0 <= due - month < surge.window_months + 1:
            continue
        for name, value in ms.targets.items():
            target = TARGETS[name]
            if not target.met(float(latest.get(target.indicator, np.nan)), value):
                for family in target.drivers:
                    out[family] = surge.factor
    return out


def report_card(timeseries: pd.DataFrame, milestones: list[Milestone], start: str) -> pd.DataFrame:
    """改革高分报表: per milestone and target: the target, what was achieved, whether it was met.

    A milestone after the end of the run is listed with ``achieved`` NaN, ``met`` False and
    ``status`` "after the run" (or "before the run"; otherwise "met" or "missed"). Rows come
    by date, then in the order of :data:`TARGETS` (however the config lists them). Relative
    targets must be resolved first (:func:`resolve_milestones`).
    """
    import pandas as pd

    rows = []
    by_month = timeseries.set_index("month")
    order = list(TARGETS)
    due = [(ms, name, value) for ms in milestones for name, value in ms.targets.items()]
    if any(ms.relative for ms in milestones):
        raise ValueError("milestones with relative targets: resolve them first")
    for ms, name, value in sorted(due, key=lambda d: (d[0].date, order.index(d[1]))):
        month = ms.month_index(start)
        t = TARGETS[name]
        achieved = float("nan")
        if month >= 1 and month in by_month.index:  # month 0 is the start, not the run
            achieved = float(by_month[t.indicator].to_numpy()[by_month.index.get_loc(month)])
        rows.append(
            {
                "milestone": ms.date,
                "target": name,
                "indicator": t.indicator,
                "sense": t.sense,
                "target_value": float(value),
                "achieved": achieved,
                "met": t.met(achieved, value),
                "status": ("met" if t.met(achieved, value) else "missed")
                if achieved == achieved
                else ("before the run" if month < 1 else "after the run"),
                "unit": t.unit,
            }
        )
    columns = [
        "milestone",
        "target",
        "indicator",
        "sense",
        "target_value",
        "achieved",
        "met",
        "status",
        "unit",
    ]
    return pd.DataFrame(rows, columns=columns).astype({"met": bool})
