"""The model SolaraViz runs: an :class:`sim.model.SOEModel` built from the page's choices.

SolaraViz re-creates its model as ``type(model)(**inputs)`` when the user presses Reset, so the
dashboard's model takes the inputs as keyword arguments (the presets, the seed and the lever
values by config path), composes the config that ``soe-sim`` would run with the same overrides
(:func:`dashboard_config`), and builds the model from it. It adds no rule: it keeps the start of
the ownership trees for the "before" view and stops at the run's last month.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.compose import compose_config
from sim.config import SimConfig
from sim.dashboard.levers import DEFAULTS, GROUPS, default_config, default_overrides, levers
from sim.model import SOEModel

_COMPOSING = threading.Lock()
"""Hydra's composition is process-global state; the server builds models from several threads."""


@dataclass
class Composed:
    """A dashboard run's config, the levers moved off their start, and what went wrong."""

    config: SimConfig
    choices: dict[str, str]
    moved: dict[str, Any] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    problem: str | None = None
    """Why the inputs could not be used as given (the run then uses the presets alone)."""


def _compose(overrides: list[str]) -> SimConfig:
    with _COMPOSING:
        return compose_config(*overrides)


def dashboard_config(
    choices: Mapping[str, str], seed: Any = None, values: Mapping[str, Any] | None = None
) -> Composed:
    """The config of the presets ``choices`` with the levers in ``values`` that were moved off
    their start (:meth:`sim.dashboard.levers.Lever.moved`) and the seed. Inputs the config
    refuses are reported in ``problem`` and the presets run without them."""
    chosen = {g: str(choices.get(g, DEFAULTS[g])) for g in GROUPS}
    inputs = levers()
    unknown = sorted(set(values or {}) - set(inputs))
    if unknown:
        raise TypeError(f"not dashboard levers: {unknown}; levers: {sorted(inputs)}")
    moved = {p: v for p, v in (values or {}).items() if inputs[p].moved(v)}
    base = default_overrides(chosen)
    overrides = list(base)
    problems = []
    if seed is not None and str(seed).strip() != "":
        try:
            overrides.append(f"seed={int(str(seed).strip())}")
        except ValueError:
            problems.append(f"seed must be a whole number, got {seed!r}")
    overrides += [inputs[p].override(v) for p, v in moved.items()]
    try:
        config = _compose(overrides)
    except Exception as err:  # shown on the page; the presets run without the inputs
        problems.append(f"{type(err).__name__}: {err}")
        try:
            config, overrides = _compose(base), base
        except Exception as err2:
            problems.append(f"{type(err2).__name__}: {err2}")
            config, overrides = default_config(), default_overrides()
            chosen = dict(DEFAULTS)
        moved = {}
    return Composed(config, chosen, moved, overrides, "; ".join(problems) or None)


class DashboardModel(SOEModel):
    """An SOE model built from the dashboard's inputs (keyword arguments, as SolaraViz passes
    them): ``policy``, ``population`` and ``parks`` name presets in ``configs/``, ``seed`` the
    run's seed, and every other keyword is a lever value by config path
    (``**{"policy.slimming.max_layers": 3}``)."""

    def __init__(
        self,
        *,
        policy: str = DEFAULTS["policy"],
        population: str = DEFAULTS["population"],
        parks: str = DEFAULTS["parks"],
        seed: Any = None,
        scenario: object = None,
        **lever_values: Any,
    ) -> None:
        # SolaraViz passes Mesa's scenario object on Reset; the run's seed is the config's.
        del scenario
        composed = dashboard_config(
            {"policy": policy, "population": population, "parks": parks}, seed, lever_values
        )
        super().__init__(composed.config)
        self.composed = composed
        """The inputs as the run uses them (config, presets, moved levers, problem)."""
        st = self.state
        self.start_parent = st.parent[: self.n_start].copy()
        """Each start entity's parent row at month 0 (-1 for a group headquarters)."""
        self.start_layer = st.layer[: self.n_start].copy()
        self.start_group = st.group[: self.n_start].copy()
        self.start_groups = np.flatnonzero(self.start_parent < 0)
        """Rows of the group headquarters at month 0."""
        self.running = self.month < self.config.months

    def step(self) -> None:
        """One month; the run stops at its last month (``months``)."""
        super().step()
        self.running = self.month < self.config.months
