"""Shared machinery of the studies in ``experiments/`` (calibration, sensitivity).

A study varies a few *free parameters* of one base configuration and reads a few *measures*
(an indicator at a date, possibly as growth since month 0) from many seeded runs:

- :func:`load_yaml` and :func:`free_parameters` read a study's parameters from YAML: ``path`` (a
  dotted config key such as ``policy.slimming.sibling_below``), ``low``/``high`` (default: the
  parameter's declared bounds from :func:`sim.params.walk` when both are finite), optional
  ``log: true`` and ``why`` (why the parameter is free and where its range comes from). Every
  path is checked against the config schema and every range against the declared bounds;
- :func:`unit_sample` draws a space-filling design in the unit cube (scrambled Sobol' or Latin
  hypercube, :mod:`scipy.stats.qmc`) and :meth:`FreeParameter.from_unit` maps it to values
  (uniform, or log-uniform when ``log``);
- :func:`evaluate` runs every point of a batch for every seed on a process pool
  (:func:`sim.ensemble.run_ensemble`, one scenario per point, named by the point's index) and
  returns the measures per point and seed. Every point runs with the same seeds, so points differ
  by their parameters and not by their luck (common random numbers).

The scripts are run as files (``uv run python experiments/<study>/<script>.py``), not installed,
so each puts ``experiments/`` on ``sys.path`` and imports this module as ``studies``.

Indicator names live in :data:`INDICATORS` (study name -> timeseries column), in one place.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy.stats import qmc

from sim.compose import compose_config
from sim.config import SYNTHETIC_ONLY, SimConfig
from sim.ensemble import run_ensemble
from sim.errors import ConfigError
from sim.params import Parameter, walk

INDICATORS: dict[str, str] = {
    "operating_entities": "operating_entities",
    "operating_entities_cut_share": "operating_entities_cut_share",
    "entities": "entities",
    "entities_cut_share": "entities_cut_share",
    "groups": "groups",
    "assets_revitalised": "assets_revitalised",
    "profit_ttm": "profit_ttm",
    "loss_making_share": "loss_making_share",
    "operating_loss_share": "operating_loss_share",
    "loss_makers_losses": "loss_makers_losses",
    "zombies": "zombies",
    "jobs_affected": "jobs_affected",
    "restructuring_cost": "restructuring_cost",
    "debt_ratio": "debt_ratio",
    "max_layer": "max_layer",
}
"""Every indicator a study may name (the name used in the studies' YAML files) and the
``timeseries`` column it reads. Rename a column here, once, when the model renames it."""

STAND_INS: dict[str, str] = {
    "operating_entities": "entities",
    "operating_entities_cut_share": "entities_cut_share",
    "operating_loss_share": "loss_making_share",
}
"""Older columns that stand in for newer indicators in ``--quick`` runs only, while a model
version without them is installed. A full study refuses to run without the real column."""

Transform = Literal["level", "growth", "change"]
TRANSFORMS: tuple[Transform, ...] = ("level", "growth", "change")
"""How a measure reads its indicator: ``level`` the value at the date, ``growth`` the value over
its month-0 value minus 1, ``change`` the value minus its month-0 value."""

BASE_OVERRIDES: tuple[str, ...] = (
    "output.chart=false",
    "output.entities=false",
    "output.groups=false",
    "parks=none",
)
"""Studies read only the timeseries: no charts, entity or group tables are built. The
calibration, sensitivity and policy-search studies are of the SOE reform's rules alone, as
calibrated: without parks (the park reform's operator mergers would add to the SOE entity cut),
so their committed results reproduce from their configs. A study that wants parks overrides
it (``parks=chongqing_2024`` in its overrides)."""

PARAMETER_KEYS = frozenset({"path", "low", "high", "log", "why"})


class StudyError(ValueError):
    """A study's YAML or arguments are wrong; the message names the problem and where."""


# ---------------------------------------------------------------------------------------------
# Configuration


def load_yaml(path: Path) -> dict[str, Any]:
    """A study's YAML file as a mapping (StudyError when it is not one)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise StudyError(f"{path}: cannot read the study config: {exc}") from exc
    if not isinstance(data, dict):
        raise StudyError(f"{path}: the study config must be a mapping of settings")
    return data


def base_config(overrides: Sequence[str]) -> SimConfig:
    """The typed config ``soe-sim OVERRIDES...`` would run, with chart and tables off."""
    try:
        return compose_config(*BASE_OVERRIDES, *overrides)
    except ConfigError as exc:
        raise StudyError(f"base config {list(overrides)}: {exc}") from exc


def declared_parameters() -> dict[str, Parameter]:
    """Every declared config key by dotted path (:func:`sim.params.walk`)."""
    return {p.path: p for p in walk(SimConfig)}


def get_value(cfg: Any, path: str) -> Any:
    """The value at a dotted config path."""
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return cfg


def _replace(obj: Any, parts: Sequence[str], value: Any) -> Any:
    if len(parts) == 1:
        return dataclasses.replace(obj, **{parts[0]: value})
    child = getattr(obj, parts[0])
    return dataclasses.replace(obj, **{parts[0]: _replace(child, parts[1:], value)})


def apply(cfg: SimConfig, values: Mapping[str, Any]) -> SimConfig:
    """``cfg`` with the dotted paths in ``values`` set; each changed section is validated
    again by its dataclass (a bad value raises ConfigError)."""
    for path, value in values.items():
        cfg = _replace(cfg, path.split("."), value)
    return cfg


@dataclass(frozen=True)
class FreeParameter:
    """A parameter a study varies over ``[low, high]`` (uniform, or log-uniform when ``log``)."""

    path: str
    low: float
    high: float
    log: bool = False
    why: str = ""
    type: str = "float"
    """``int`` parameters are rounded to the nearest integer after mapping."""
    kind: str = "uncertainty"
    unit: str = "-"
    base: float | None = None
    """Its value in the base configuration (the preset)."""

    @property
    def name(self) -> str:
        """The path without its section prefix, for chart labels."""
        return self.path.removeprefix("policy.").removeprefix("economy.")

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Values for points ``u`` in [0, 1]: uniform (log-uniform when ``log``); an ``int``
        parameter on a linear scale takes each integer in [low, high] with equal chance."""
        u = np.asarray(u, dtype=float)
        if self.log:
            x = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
            return np.rint(x) if self.type == "int" else np.clip(x, self.low, self.high)
        if self.type == "int":
            return np.minimum(np.floor(self.low + u * (self.high - self.low + 1)), self.high)
        return np.clip(self.low + u * (self.high - self.low), self.low, self.high)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`from_unit` (an integer maps to the middle of its cell)."""
        x = np.asarray(x, dtype=float)
        if self.log:
            return (np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        if self.type == "int":
            return (x - self.low + 0.5) / (self.high - self.low + 1)
        return (x - self.low) / (self.high - self.low)

    def cast(self, value: float) -> int | float:
        """``value`` as the config field's type."""
        return round(value) if self.type == "int" else float(value)


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StudyError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def _family_switched_off(base: SimConfig, path: str) -> str | None:
    """The switch that makes ``path`` ineffective in ``base``, if any."""
    parts = path.split(".")
    if parts[0] != "policy" or len(parts) < 3:
        return None
    section = getattr(base.policy, parts[1], None)
    if hasattr(section, "enabled") and parts[2] != "enabled":
        if not base.policy.reform:
            return "policy.reform"
        if not section.enabled:
            return f"policy.{parts[1]}.enabled"
    return None


def free_parameters(
    entries: Any, base: SimConfig, *, where: str = "parameters", kinds: Sequence[str] = ()
) -> list[FreeParameter]:
    """Check a study's parameter entries against the config schema and ``base``.

    Each entry needs ``path`` and ``why``; ``low``/``high`` default to the declared bounds when
    both are finite. Refused, with a message naming the entry: unknown or non-numeric paths,
    settings, ``kinds`` other than those allowed, ranges outside the declared bounds, empty
    ranges, ``log`` ranges that reach 0, paths listed twice, and parameters without effect in
    ``base`` (a synthetic-population key under a roster, a switched-off rule family).
    """
    if not isinstance(entries, list) or not entries:
        raise StudyError(f"{where}: give a non-empty list of parameters")
    declared = declared_parameters()
    out: list[FreeParameter] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict) or "path" not in entry:
            raise StudyError(f"{at}: each parameter is a mapping with a 'path'")
        path = entry["path"]
        at = f"{where}[{i}] ({path})"
        unknown = set(entry) - PARAMETER_KEYS
        if unknown:
            raise StudyError(
                f"{at}: unknown keys {sorted(unknown)}; allowed {sorted(PARAMETER_KEYS)}"
            )
        if path not in declared:
            close = difflib.get_close_matches(str(path), declared, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise StudyError(f"{at}: {path!r} is not a config key{hint}")
        if path in seen:
            raise StudyError(f"{at}: listed twice")
        seen.add(path)
        p = declared[path]
        spec = p.spec
        if spec.kind == "setting" or (kinds and spec.kind not in kinds):
            allowed = list(kinds) or ["lever", "uncertainty"]
            article = "an" if spec.kind[0] in "aeiou" else "a"
            raise StudyError(
                f"{at}: is {article} {spec.kind}; a study varies {' or '.join(allowed)}s"
            )
        if spec.choices is not None or p.type not in ("int", "float"):
            raise StudyError(f"{at}: only numeric parameters can be varied (this one is {p.type})")
        why = entry.get("why")
        if not isinstance(why, str) or not why.strip():
            raise StudyError(
                f"{at}: say 'why' the parameter is free and where its range comes from"
            )
        declared_low = -math.inf if spec.low is None else float(spec.low)
        declared_high = math.inf if spec.high is None else float(spec.high)
        bounds = f"[{declared_low:g}, {declared_high:g}]"
        if "low" in entry or "high" in entry:
            if "low" not in entry or "high" not in entry:
                raise StudyError(f"{at}: give both low and high, or neither")
            low, high = _number(at, "low", entry["low"]), _number(at, "high", entry["high"])
        elif math.isfinite(declared_low) and math.isfinite(declared_high):
            low, high = declared_low, declared_high
        else:
            raise StudyError(f"{at}: give low and high (the declared range {bounds} is unbounded)")
        if not low < high:
            raise StudyError(f"{at}: low {low:g} must be below high {high:g}")
        if low < declared_low or high > declared_high:
            raise StudyError(f"{at}: range [{low:g}, {high:g}] is outside the declared {bounds}")
        log = entry.get("log", False)
        if not isinstance(log, bool):
            raise StudyError(f"{at}: log must be true or false, got {log!r}")
        if log and low <= 0:
            raise StudyError(f"{at}: a log range must be positive, got low {low:g}")
        section, key = path.split(".")[0], path.split(".")[-1]
        synthetic_only = section == "population" and key in SYNTHETIC_ONLY
        if synthetic_only and base.population.source != "synthetic":
            raise StudyError(
                f"{at}: has no effect: the base population is a roster "
                f"({base.population.path}), not the synthetic generator"
            )
        switch = _family_switched_off(base, path)
        if switch is not None:
            raise StudyError(f"{at}: has no effect: {switch} is false in the base config")
        value = get_value(base, path)
        out.append(
            FreeParameter(
                path=path,
                low=low,
                high=high,
                log=log,
                why=" ".join(why.split()),
                type=p.type,
                kind=spec.kind,
                unit=spec.unit,
                base=None if value is None else float(value),
            )
        )
    return out


def parameter_table(params: Sequence[FreeParameter]) -> pd.DataFrame:
    """The free parameters as a table (path, kind, unit, range, scale, preset value, why)."""
    return pd.DataFrame(
        [
            {
                "parameter": p.path,
                "kind": p.kind,
                "unit": p.unit,
                "low": p.low,
                "high": p.high,
                "scale": "log" if p.log else "linear",
                "preset": p.base,
                "why": p.why,
            }
            for p in params
        ]
    )


# ---------------------------------------------------------------------------------------------
# Designs


def unit_sample(d: int, n: int, method: str = "sobol", seed: int = 0) -> np.ndarray:
    """``n`` space-filling points in [0, 1]^d: scrambled Sobol' (balanced when ``n`` is a power
    of 2) or Latin hypercube (``lhs``), from :mod:`scipy.stats.qmc`."""
    if n < 1 or d < 1:
        raise StudyError(f"a sample needs n >= 1 points in d >= 1 dimensions, got n={n}, d={d}")
    if method == "sobol":
        sampler = qmc.Sobol(d, scramble=True, seed=seed)
        if n & (n - 1) == 0:
            return sampler.random_base2(int(math.log2(n)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance is lost off powers of 2
            return sampler.random(n)
    if method == "lhs":
        return qmc.LatinHypercube(d, seed=seed).random(n)
    raise StudyError(f"sample method must be 'sobol' or 'lhs', got {method!r}")


def to_values(params: Sequence[FreeParameter], u: np.ndarray) -> np.ndarray:
    """Unit-cube points ``u`` (n x d) mapped to parameter values, column by column."""
    u = np.atleast_2d(u)
    return np.column_stack([p.from_unit(u[:, j]) for j, p in enumerate(params)])


# ---------------------------------------------------------------------------------------------
# Measures


def month_index(start: str, date: str) -> int:
    """The timeseries month of ``date`` (YYYY-MM) in a run starting ``start``: month 0 is the
    month before ``start`` (the start state)."""
    try:
        y0, m0 = (int(x) for x in start.split("-"))
        y, m = (int(x) for x in date.split("-"))
    except (AttributeError, ValueError) as exc:
        raise StudyError(f"dates are written YYYY-MM, got {date!r} (start {start!r})") from exc
    return (y - y0) * 12 + (m - m0) + 1


def start_state_date(start: str) -> str:
    """The date of month 0 (the start state) of a run whose first month is ``start``."""
    y, m = (int(x) for x in start.split("-"))
    y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return f"{y:04d}-{m:02d}"


@dataclass(frozen=True)
class Measure:
    """An indicator at a date: its level, its growth since month 0 or its change since then."""

    indicator: str
    date: str
    transform: Transform = "level"

    def __post_init__(self) -> None:
        if self.indicator not in INDICATORS:
            raise StudyError(
                f"unknown indicator {self.indicator!r}; studies know {sorted(INDICATORS)}"
            )
        if self.transform not in TRANSFORMS:
            raise StudyError(f"transform must be one of {TRANSFORMS}, got {self.transform!r}")
        month_index("2000-01", self.date)

    @property
    def quantity(self) -> str:
        """The measure without its date (``profit_ttm:growth``)."""
        return self.indicator if self.transform == "level" else f"{self.indicator}:{self.transform}"

    @property
    def label(self) -> str:
        """Column name of the measure, e.g. ``profit_ttm:growth@2024-12``."""
        return f"{self.quantity}@{self.date}"


def transform_values(
    values: pd.Series | np.ndarray, start: pd.Series | np.ndarray, transform: Transform
) -> Any:
    """A measure from an indicator's values and its month-0 values."""
    if transform == "growth":
        return values / start - 1.0
    if transform == "change":
        return values - start
    return values


def resolve_columns(
    columns: Sequence[str], indicators: Sequence[str], allow_stand_ins: bool
) -> dict[str, str]:
    """Indicator -> timeseries column, using :data:`STAND_INS` only when ``allow_stand_ins``."""
    out: dict[str, str] = {}
    for name in indicators:
        column = INDICATORS[name]
        if column in columns:
            out[name] = column
        elif allow_stand_ins and STAND_INS.get(name) in columns:
            out[name] = STAND_INS[name]
        else:
            raise StudyError(
                f"indicator {name!r} (column {column!r}) is not in the model's timeseries; "
                f"this model reports {sorted(c for c in columns if c in INDICATORS.values())}"
            )
    return out


def measure_table(
    ts: pd.DataFrame, measures: Sequence[Measure], columns: Mapping[str, str]
) -> pd.DataFrame:
    """One row per (scenario, seed) of a long timeseries, one column per measure."""
    keys = ["scenario", "seed"]
    out = ts.loc[ts["month"] == 0, keys].drop_duplicates().set_index(keys)
    by_run = ts.set_index([*keys, "date"])
    for m in measures:
        col = columns[m.indicator]
        wide = by_run[col].unstack("date")
        start = ts.loc[ts["month"] == 0].set_index(keys)[col]
        if m.date not in wide.columns:
            raise StudyError(f"measure {m.label}: no month dated {m.date} in the runs")
        out[m.label] = transform_values(wide[m.date], start.reindex(wide.index), m.transform)
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Running batches


@dataclass
class Batch:
    """Measures of a batch of points, per point and seed."""

    values: pd.DataFrame
    """Columns ``point``, ``seed`` and one per measure label, sorted by point and seed."""
    timeseries: pd.DataFrame | None
    """``point``, ``seed``, ``month``, ``date`` and the kept indicators (by study name)."""
    seconds: float
    runs: int
    months: int
    stand_ins: dict[str, str] = field(default_factory=dict)
    """Indicators read from a stand-in column (``--quick`` with an older model only)."""

    def point_means(self) -> pd.DataFrame:
        """Mean over seeds of every measure, one row per point (index ``point``)."""
        return self.values.drop(columns="seed").groupby("point", sort=True).mean()


def evaluate(
    base: SimConfig,
    params: Sequence[FreeParameter],
    values: np.ndarray,
    seeds: Sequence[int],
    measures: Sequence[Measure],
    *,
    processes: int | None = None,
    keep: Sequence[str] = (),
    allow_stand_ins: bool = False,
    chunk_runs: int = 1024,
    log: Callable[[str], None] | None = print,
    store: Path | None = None,
) -> Batch:
    """Run every point (a row of ``values``, one column per parameter) for every seed.

    The runs last until the latest measure date. Points run in chunks of about ``chunk_runs``
    runs on a process pool (``processes``: None uses every core, 1 runs here); each point is
    one scenario of :func:`sim.ensemble.run_ensemble`, named by its index, and every point
    uses the same ``seeds`` (common random numbers). ``keep`` names indicators whose monthly
    path is returned as well (for charts). ``store``: a results-store folder that keeps every
    run, so that a stopped study run again with the same design resumes where it stopped.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[1] != len(params):
        raise StudyError(f"{values.shape[1]} value columns for {len(params)} parameters")
    if not measures:
        raise StudyError("a batch needs at least one measure")
    seeds = [int(s) for s in seeds]
    months = max(month_index(base.start, m.date) for m in measures)
    if months < 1:
        raise StudyError(f"every measure date is at or before the start state ({base.start})")
    base = dataclasses.replace(base, months=months)
    configs = [
        apply(base, {p.path: p.cast(v) for p, v in zip(params, row, strict=True)}) for row in values
    ]
    per_chunk = max(1, chunk_runs // max(1, len(seeds)))
    started = time.perf_counter()
    tables: list[pd.DataFrame] = []
    paths: list[pd.DataFrame] = []
    columns: dict[str, str] | None = None
    indicators = sorted({m.indicator for m in measures} | set(keep))
    for first in range(0, len(configs), per_chunk):
        chunk = {str(i): configs[i] for i in range(first, min(first + per_chunk, len(configs)))}
        ts, _ = run_ensemble(chunk, seeds, processes, store=store)
        ts["scenario"] = ts["scenario"].astype(int)
        if columns is None:
            columns = resolve_columns(list(ts.columns), indicators, allow_stand_ins)
        tables.append(measure_table(ts, measures, columns))
        if keep:
            kept = ts[["scenario", "seed", "month", "date", *(columns[k] for k in keep)]]
            paths.append(kept.set_axis(["scenario", "seed", "month", "date", *keep], axis=1))
        if log is not None:
            done = min(first + per_chunk, len(configs))
            elapsed = time.perf_counter() - started
            left = elapsed / done * (len(configs) - done)
            log(
                f"  {done * len(seeds):,}/{len(configs) * len(seeds):,} runs of {months} months, "
                f"{elapsed:.0f} s elapsed, ~{left:.0f} s left"
            )
    assert columns is not None
    table = pd.concat(tables, ignore_index=True).rename(columns={"scenario": "point"})
    table = table.sort_values(["point", "seed"], ignore_index=True)
    path_table = None
    if keep:
        path_table = pd.concat(paths, ignore_index=True).rename(columns={"scenario": "point"})
    return Batch(
        values=table,
        timeseries=path_table,
        seconds=time.perf_counter() - started,
        runs=len(configs) * len(seeds),
        months=months,
        stand_ins={k: v for k, v in columns.items() if v != INDICATORS[k]},
    )


# ---------------------------------------------------------------------------------------------
# Summaries and outputs


def band(values: pd.Series | np.ndarray, low: float = 0.05, high: float = 0.95) -> dict[str, float]:
    """Mean, 5%, median and 95% of ``values`` (NaN-free)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": math.nan, "p5": math.nan, "p50": math.nan, "p95": math.nan}
    return {
        "mean": float(v.mean()),
        "p5": float(np.quantile(v, low)),
        "p50": float(np.median(v)),
        "p95": float(np.quantile(v, high)),
    }


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A pipe table of ``frame`` (no extra dependency), numbers with ``floatfmt``."""

    def cell(v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        if isinstance(v, float | np.floating):
            return "" if not np.isfinite(v) else format(float(v), floatfmt)
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *rows])


def seeds_from(value: Any, where: str) -> list[int]:
    """Seeds from a count (``4`` -> 0..3) or an explicit list."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return list(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and s >= 0 for s in value):
        return [int(s) for s in value]
    raise StudyError(f"{where}: seeds must be a positive count or a list of seeds, got {value!r}")


def rerun_command(script: str, argv: Sequence[str]) -> str:
    """The command that reproduces a study run."""
    return " ".join(["uv run python", script, *argv])
