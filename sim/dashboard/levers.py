"""The dashboard's inputs: presets to choose from and lever sliders generated from metadata.

A slider is never written by hand: :func:`lever` turns a parameter declaration
(:class:`sim.params.Parameter`: kind, unit, range, meaning) and its value in the default scenario
into a :class:`Lever`, whose :meth:`Lever.user_param` is the input Mesa's SolaraViz renders
(``{"type": "SliderFloat", "value":, "min":, "max":, "step":, "label":}``).

- a declared range ``[low, high]`` is the slider's range; a bound left open is closed at a round
  number (1, 2 or 5 times a power of ten) at or beyond four times the default scenario's value;
- the step is a round number near a hundredth of the range (1 at least for integers);
- the label is the parameter's rule family and name with its unit; the meaning and the declared
  range are the lever's help text;
- a boolean becomes a checkbox, a parameter with choices a select.

Which parameters are levers on the page is :data:`KEY_LEVERS` (paths only). A slider left where
it starts keeps the chosen scenario's own value (:meth:`Lever.moved`): the sliders start at the
default scenario's values, and another scenario keeps its own until a slider is moved.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sim import config_dir
from sim.compose import compose_config
from sim.config import SimConfig
from sim.params import Parameter, Spec, walk

InputType = Literal["SliderInt", "SliderFloat", "Checkbox", "Select"]

KEY_LEVERS: tuple[str, ...] = (
    "policy.constraints.capacity_per_month",
    "policy.constraints.budget",
    "policy.constraints.jobs_per_month",
    "policy.loss_cutting.per_month",
    "policy.loss_cutting.soft_budget",
    "policy.slimming.per_month",
    "policy.slimming.max_layers",
    "policy.slimming.entry_approval",
    "policy.quality.group_mergers_per_month",
    "policy.efficiency.revitalise_rate",
    "policy.decoupling.per_month",
    "policy.surge.factor",
    "parks.consolidation.min_firms",
    "parks.land.reuse_rate",
)
"""Config paths of the levers shown as sliders: the plan's pace (per month), its constraints
(capacity, budget, jobs), its thresholds, and the park reform's; every range, label and help text
comes from the declaration."""

GROUPS: tuple[str, ...] = ("policy", "population", "parks")
"""Config groups chosen from their presets in ``configs/<group>/``."""

DEFAULTS: dict[str, str] = {
    "policy": "chongqing_2024",
    "population": "synthetic",
    "parks": "chongqing_2024",
}
"""The presets the page starts with: the 2024 plan and the park reform on the small seeded
synthetic population (2,000 entities), so each month takes a few milliseconds."""

GROUP_LABELS: dict[str, str] = {
    "policy": "Scenario (restructuring plan)",
    "population": "Population",
    "parks": "Park reform plan",
}

RUN_SETTINGS: tuple[str, ...] = ("output.entities=false", "output.groups=false")
"""The page reads the live model, never the run folder's tables: nothing to keep for them."""

MAGNIFY = 4.0
"""An open bound is closed at a round number at or beyond this many times the default value."""


def nice(x: float, *, up: bool) -> float:
    """The round number (1, 2 or 5 times a power of ten) nearest ``x > 0`` from above (``up``)
    or from below."""
    if not x > 0 or not math.isfinite(x):
        raise ValueError(f"a round number needs a positive finite value, got {x!r}")
    power = 10.0 ** math.floor(math.log10(x))
    ladder = [m * power for m in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)]
    if up:
        return min(v for v in ladder if v >= x * (1 - 1e-12))
    return max(v for v in ladder if v <= x * (1 + 1e-12))


def _round(x: float) -> float:
    """Drop the binary noise of ``m * 10**k`` (0.30000000000000004 -> 0.3)."""
    return float(f"{x:.12g}")


@dataclass(frozen=True)
class Lever:
    """A parameter as a dashboard input: its type, range, step, label and help."""

    path: str
    input: InputType
    value: Any
    """Where the input starts: the value in the default scenario."""
    label: str
    help: str
    unit: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()

    def user_param(self) -> dict[str, Any]:
        """The input as SolaraViz's ``model_params`` takes it."""
        out: dict[str, Any] = {"type": self.input, "value": self.value, "label": self.label}
        if self.input in ("SliderInt", "SliderFloat"):
            out.update(min=self.low, max=self.high, step=self.step)
        elif self.input == "Select":
            out["values"] = list(self.choices)
        return out

    def moved(self, value: Any) -> bool:
        """Whether the input was moved off its start (by more than half a step for a slider)."""
        if self.input in ("SliderInt", "SliderFloat"):
            assert self.step is not None
            return abs(float(value) - float(self.value)) > self.step / 2
        return bool(value != self.value)

    def override(self, value: Any) -> str:
        """The Hydra override setting the parameter to ``value``."""
        if self.input == "Checkbox":
            return f"{self.path}={'true' if value else 'false'}"
        if self.input == "SliderInt":
            return f"{self.path}={round(float(value))}"
        if self.input == "SliderFloat":
            return f"{self.path}={float(value)!r}"
        return f"{self.path}={value}"


def label(path: str, unit: str) -> str:
    """``policy.slimming.max_layers``, ``layer`` -> ``Slimming: max layers (layer)``."""
    parts = path.split(".")
    family = " ".join(p.replace("_", " ") for p in parts[1:-1])
    if parts[0] == "parks":
        family = f"parks {family}".strip()
    name = parts[-1].replace("_", " ")
    text = f"{family[:1].upper()}{family[1:]}: {name}" if family else name.capitalize()
    return f"{text} ({unit})" if unit not in ("", "-") else text


def lever(parameter: Parameter, value: Any) -> Lever:
    """The input for ``parameter``, starting at ``value`` (its value in the default scenario)."""
    spec: Spec = parameter.spec
    text = label(parameter.path, spec.unit)
    rng = spec.range_text()
    help_text = spec.meaning + (f" (declared range {rng})" if rng else "")
    if isinstance(value, bool) or parameter.type == "bool":
        return Lever(parameter.path, "Checkbox", bool(value), text, help_text, spec.unit)
    if spec.choices is not None:
        return Lever(parameter.path, "Select", value, text, help_text, spec.unit,
                     choices=spec.choices)  # fmt: skip
    if parameter.type not in ("int", "float") or not isinstance(value, int | float):
        raise TypeError(f"{parameter.path}: no input for a {parameter.type} parameter")
    integer = parameter.type == "int"
    reach = nice(max(MAGNIFY * abs(float(value)), 1.0), up=True)
    low = spec.low if spec.low is not None else -reach
    high = spec.high if spec.high is not None else max(reach, low + 1.0)
    step = nice((high - low) / 100.0, up=False)
    if integer:
        low, high, step = math.floor(low), math.ceil(high), max(1, round(step))
        start: float = min(max(int(value), low), high)
        return Lever(parameter.path, "SliderInt", start, text, help_text, spec.unit,
                     int(low), int(high), int(step))  # fmt: skip
    start = min(max(float(value), low), high)
    return Lever(parameter.path, "SliderFloat", start, text, help_text, spec.unit,
                 _round(float(low)), _round(float(high)), _round(step))  # fmt: skip


def value_at(config: Any, path: str) -> Any:
    """The value at a dotted config path."""
    return functools.reduce(getattr, path.split("."), config)


def parameters(paths: tuple[str, ...] = KEY_LEVERS) -> dict[str, Parameter]:
    """The declarations of ``paths``, in that order."""
    declared = {p.path: p for p in walk(SimConfig)}
    missing = [p for p in paths if p not in declared]
    if missing:
        raise KeyError(f"not declared parameters of SimConfig: {missing}")
    return {p: declared[p] for p in paths}


def default_overrides(choices: Mapping[str, str] | None = None) -> list[str]:
    """The overrides of a dashboard run with these presets (the defaults for the others)."""
    chosen = {**DEFAULTS, **(choices or {})}
    return [f"{g}={chosen[g]}" for g in GROUPS] + list(RUN_SETTINGS)


@functools.cache
def default_config() -> SimConfig:
    """The config of the default scenario, whose values the sliders start at."""
    return compose_config(*default_overrides())


@functools.cache
def levers(paths: tuple[str, ...] = KEY_LEVERS) -> dict[str, Lever]:
    """The inputs of ``paths`` by path, starting at the default scenario's values."""
    config = default_config()
    return {path: lever(p, value_at(config, path)) for path, p in parameters(paths).items()}


@functools.cache
def presets(group: str) -> tuple[str, ...]:
    """The presets of a config group that compose on their own (a preset with a required
    value left open, such as ``population=roster``, needs a file and is left out)."""
    if group not in GROUPS:
        raise KeyError(f"no presets for {group!r}; groups: {GROUPS}")
    usable = []
    for path in sorted(Path(config_dir(), group).glob("*.yaml")):
        try:
            compose_config(*default_overrides({group: path.stem}))
        except Exception:  # an unusable preset is simply not offered
            continue
        usable.append(path.stem)
    return tuple(usable)


def model_params() -> dict[str, Any]:
    """SolaraViz's ``model_params``: the presets, the seed, then the lever sliders."""
    params: dict[str, Any] = {
        group: {"type": "Select", "value": DEFAULTS[group], "values": list(presets(group)),
                "label": GROUP_LABELS[group]}
        for group in GROUPS
    }  # fmt: skip
    params["seed"] = {"type": "InputText", "value": str(default_config().seed), "label": "Seed"}
    params.update({path: lv.user_param() for path, lv in levers().items()})
    return params
