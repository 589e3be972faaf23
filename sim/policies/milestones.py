"""Milestone targets, the surge before a deadline (突击), and the report card (改革高分报表).

The 2024 reform set quantified targets due at the end of March, June and December (see
docs/sources.md). A milestone is a month (``YYYY-MM``: due at its end) with targets named in
:data:`TARGETS`; each target is read off the run's monthly timeseries. When ``surge`` is on and a
deadline is at most ``window_months`` away, every rule family that drives a target not yet met
works at ``factor`` times its normal rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

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


TARGETS: dict[str, Target] = {
    "entities_cut": Target("operating_entities_cut_share", ("slimming", "loss_cutting", "quality")),
    "groups": Target("groups", ("quality",)),
    "loss_making_share": Target("loss_making_share", ("loss_cutting",)),
    "losses_cut": Target("losses_cut_share", ("loss_cutting",)),
    "max_layer": Target("max_layer", ("slimming",)),
    "assets_revitalised": Target("assets_revitalised", ("efficiency",)),
    "decoupled": Target("decoupled", ("decoupling",)),
    "zones": Target("zones", ("parks",)),
    "management_bodies": Target("management_bodies", ("parks",)),
    "idle_land_mu": Target("idle_land_mu", ("parks",)),
    "tax_per_mu": Target("tax_per_mu", ("parks",)),
    "value_added_per_mu": Target("value_added_per_mu", ("parks",)),
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
        for name, value in ms.targets.items():
            key = (ms.date, name)
            check(
                section,
                f"{ms.date}.targets.{name}",
                key not in seen,
                f"set once per date (it is set twice: {seen.get(key)!r} and {value!r})",
                value,
            )
            seen[key] = value


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
    ``status`` "after the run" (or "before the run"; otherwise "met" or "missed").
    """
    import pandas as pd

    rows = []
    by_month = timeseries.set_index("month")
    for ms in sorted(milestones, key=lambda m: m.date):
        month = ms.month_index(start)
        for name, value in ms.targets.items():
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
