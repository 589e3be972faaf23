"""Sensitivity of the ``chongqing_2024`` preset's outcomes to its levers and uncertainties.

Run from the repository root:

    uv run python experiments/sensitivity/run.py --method sobol        # variance-based (default)
    uv run python experiments/sensitivity/run.py --method oat          # one at a time, tornado
    uv run python experiments/sensitivity/run.py --method morris       # elementary effects
    uv run python experiments/sensitivity/run.py --method all --quick  # smoke test, seconds
    uv run python experiments/sensitivity/run.py --work /tmp/sens      # keep the runs; resumable

The parameters (``config.yaml``: declared levers and uncertainties, each with its range and why)
vary around the preset; the outcomes are read at end-2024 and end-2026. Every design point runs
for the same seeds (common random numbers) and its output is the mean over them.

- ``oat``: each parameter at ``steps`` values across its range (and at its preset value), the
  others at the preset; a tornado chart per outcome ranks the swings. Local: it says nothing
  about interactions.
- ``sobol``: first-order (S1) and total-order (ST) Sobol' indices with bootstrap confidence
  intervals, from a Saltelli design (Saltelli 2002, Comput. Phys. Commun. 145; Saltelli et al.
  2010, Comput. Phys. Commun. 181) through SALib (Herman & Usher 2017, JOSS 2(9); Iwanaga et al.
  2022, Socio-Environmental Systems Modelling 4). Parameters are uniform (log-uniform when
  ``log``) on their ranges: the sample is drawn in the unit cube and mapped, which leaves the
  indices those of the mapped distribution.
- ``morris``: mu* and sigma of elementary effects (Morris 1991, Technometrics 33; Campolongo
  et al. 2007, Environ. Model. Softw. 22), a cheap screening of many parameters, in units of
  the outcome per full range of the parameter.

An outcome *hinges on* a parameter whose ST exceeds ``robust_threshold`` (that one assumption
carries most of its variance; the whole confidence interval above it); it is *robust* when no
parameter's interval reaches it, and *unclear* in between. ``noise_share`` is the share of
an outcome's variance across the design that is seed noise left in the seed mean: indices of an
outcome with a high noise share are unreliable (add seeds). Writes CSV tables, PNG charts and a
``README.md`` summary to ``results/`` (or ``--out``); the summary covers every method whose
results are in the folder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import studies
from studies import FreeParameter, Measure, StudyError

from sim.config import SimConfig

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.yaml"
RESULTS = HERE / "results"
SCRIPT = "experiments/sensitivity/run.py"
METHODS = ("oat", "sobol", "morris")


# ---------------------------------------------------------------------------------------------
# Designs and analyses on the unit cube, independent of the simulator (tested on toy models)


def salib_problem(params: Sequence[FreeParameter]) -> dict[str, Any]:
    """The SALib problem: the unit cube, one axis per parameter (mapped by
    :meth:`FreeParameter.from_unit`)."""
    return {
        "num_vars": len(params),
        "names": [p.path for p in params],
        "bounds": [[0.0, 1.0]] * len(params),
    }


def sobol_design(
    params: Sequence[FreeParameter], n: int, *, seed: int, second_order: bool = False
) -> np.ndarray:
    """Saltelli's design in the unit cube: ``n (d + 2)`` rows (``n (2d + 2)`` with second
    order); ``n`` should be a power of 2."""
    if n < 2 or n & (n - 1):
        raise StudyError(f"sobol.n must be a power of 2 (at least 2), got {n}")
    return sobol_sample.sample(
        salib_problem(params), n, calc_second_order=second_order, scramble=True, seed=seed
    )


def sobol_indices(
    params: Sequence[FreeParameter],
    y: np.ndarray,
    *,
    seed: int,
    second_order: bool = False,
    resamples: int = 200,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """S1, S1_conf, ST, ST_conf per parameter for outputs ``y`` of :func:`sobol_design`'s rows
    (``*_conf``: half-width of the bootstrap interval at ``conf_level``). NaN throughout when
    ``y`` is not finite or does not vary."""
    y = np.asarray(y, dtype=float)
    names = [p.path for p in params]
    nan = np.full(len(params), np.nan)
    if not np.all(np.isfinite(y)) or np.var(y) <= 1e-24 * (1.0 + np.mean(y) ** 2):
        res: dict[str, Any] = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sobol_analyze.analyze(
                salib_problem(params),
                y,
                calc_second_order=second_order,
                num_resamples=resamples,
                conf_level=conf_level,
                seed=seed,
            )
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def morris_design(
    params: Sequence[FreeParameter], trajectories: int, *, levels: int, seed: int
) -> np.ndarray:
    """Morris trajectories in the unit cube: ``trajectories (d + 1)`` rows."""
    if trajectories < 2:
        raise StudyError(f"morris.trajectories must be at least 2, got {trajectories}")
    return morris_sample.sample(salib_problem(params), trajectories, num_levels=levels, seed=seed)


def morris_indices(
    params: Sequence[FreeParameter],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: int,
    seed: int,
    resamples: int = 200,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """mu, mu*, mu*_conf and sigma per parameter: elementary effects in units of the output
    per full range of the parameter (the design is on the unit cube)."""
    y = np.asarray(y, dtype=float)
    names = [p.path for p in params]
    if not np.all(np.isfinite(y)):
        nan = np.full(len(params), np.nan)
        res: dict[str, Any] = {"mu": nan, "mu_star": nan, "mu_star_conf": nan, "sigma": nan}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = morris_analyze.analyze(
                salib_problem(params),
                x,
                y,
                num_resamples=resamples,
                conf_level=conf_level,
                num_levels=levels,
                seed=seed,
            )
    return pd.DataFrame(
        {
            "parameter": names,
            "mu": res["mu"],
            "mu_star": res["mu_star"],
            "mu_star_conf": res["mu_star_conf"],
            "sigma": res["sigma"],
        }
    )


def oat_design(params: Sequence[FreeParameter], steps: int) -> tuple[np.ndarray, pd.DataFrame]:
    """The preset (row 0) and each parameter at ``steps`` values across its range, the others
    at the preset: (values, one row per design point saying which parameter moved to what)."""
    if steps < 2:
        raise StudyError(f"oat.steps must be at least 2, got {steps}")
    base = np.array([p.base if p.base is not None else np.nan for p in params], dtype=float)
    if np.any(~np.isfinite(base)):
        raise StudyError("oat needs every parameter's preset value")
    rows, index = [base], [{"point": 0, "parameter": "(preset)", "value": math.nan, "step": -1}]
    for j, p in enumerate(params):
        for k, v in enumerate(np.unique(p.from_unit(np.linspace(0.0, 1.0, steps)))):
            x = base.copy()
            x[j] = v
            index.append({"point": len(rows), "parameter": p.path, "value": float(v), "step": k})
            rows.append(x)
    return np.vstack(rows), pd.DataFrame(index)


def noise_share(values: pd.DataFrame, label: str) -> float:
    """Share of the variance of the seed-mean output across points that is seed noise.

    With common seeds, a seed's effect shared by every point cancels out of the indices; what
    is left is the point-by-seed interaction. It is estimated from the residuals of the
    additive two-way fit ``y[p, s] = a[p] + b[s] + e[p, s]``: ``var(e) / seeds`` over the
    variance of the seed means across points. NaN with one seed.
    """
    y = values.pivot(index="point", columns="seed", values=label).to_numpy(float)
    points, seeds = y.shape
    if seeds < 2 or points < 2 or not np.all(np.isfinite(y)):
        return math.nan
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    var_e = float((resid**2).sum()) / ((points - 1) * (seeds - 1))
    between = float(y.mean(axis=1).var(ddof=1))
    return var_e / seeds / between if between > 0 else math.nan


# ---------------------------------------------------------------------------------------------
# The study's configuration


@dataclass
class Setup:
    """Everything ``config.yaml`` says, checked."""

    path: Path
    base_overrides: list[str]
    base: SimConfig
    params: list[FreeParameter]
    outcomes: list[tuple[str, studies.Transform]]
    """(indicator, transform) per outcome."""
    dates: list[str]
    seeds: list[int]
    threshold: float
    oat_steps: int
    oat_seeds: list[int]
    sobol: dict[str, Any]
    morris: dict[str, Any]
    quick: bool = False
    notes: list[str] = field(default_factory=list)
    work: Path | None = None
    """A folder keeping every run (``--work``): a stopped study resumes from it."""

    @property
    def measures(self) -> list[Measure]:
        """Every outcome at every date."""
        return [Measure(i, d, t) for i, t in self.outcomes for d in self.dates]


def load_setup(path: Path = CONFIG, *, quick: bool = False) -> Setup:
    """Read and check ``config.yaml`` (``quick``: its ``quick`` section overrides sizes)."""
    cfg = studies.load_yaml(path)
    known = {
        "base",
        "parameters",
        "outcomes",
        "dates",
        "seeds",
        "robust_threshold",
        "oat",
        "sobol",
        "morris",
        "quick",
    }
    unknown = set(cfg) - known
    if unknown:
        raise StudyError(f"{path}: unknown settings {sorted(unknown)}; allowed {sorted(known)}")
    overrides = [str(o) for o in cfg.get("base", [])]
    base = studies.base_config(overrides)
    params = studies.free_parameters(cfg.get("parameters"), base)
    outcomes = []
    for i, o in enumerate(cfg.get("outcomes") or []):
        if not isinstance(o, dict) or "indicator" not in o:
            raise StudyError(f"outcomes[{i}]: each outcome is a mapping with an 'indicator'")
        m = Measure(str(o["indicator"]), "2024-12", o.get("transform", "level"))
        outcomes.append((m.indicator, m.transform))
    if not outcomes:
        raise StudyError("outcomes: give at least one outcome")
    q = cfg.get("quick", {}) if quick else {}
    dates = [str(d) for d in q.get("dates", cfg.get("dates", ["2024-12"]))]
    for d in dates:
        if studies.month_index(base.start, d) < 1:
            raise StudyError(f"dates: {d} is not after the start state")
    threshold = float(cfg.get("robust_threshold", 0.5))
    if not 0 < threshold <= 1:
        raise StudyError(f"robust_threshold must be in (0, 1], got {threshold}")
    oat, sobol, morris = cfg.get("oat", {}), dict(cfg.get("sobol", {})), dict(cfg.get("morris", {}))
    if quick:
        sobol["n"] = q.get("sobol_n", sobol.get("n"))
        morris["trajectories"] = q.get("morris_trajectories", morris.get("trajectories"))
    seeds = q.get("seeds", cfg.get("seeds", 2))
    return Setup(
        path=Path(path),
        base_overrides=overrides,
        base=base,
        params=params,
        outcomes=outcomes,
        dates=dates,
        seeds=studies.seeds_from(seeds, "seeds"),
        threshold=threshold,
        oat_steps=int(q.get("oat_steps", oat.get("steps", 5))),
        oat_seeds=studies.seeds_from(q.get("oat_seeds", oat.get("seeds", seeds)), "oat.seeds"),
        sobol=sobol,
        morris=morris,
        quick=quick,
    )


# ---------------------------------------------------------------------------------------------
# Running a method


def _evaluate(
    setup: Setup, values: np.ndarray, seeds: Sequence[int], processes: int | None
) -> studies.Batch:
    batch = studies.evaluate(
        setup.base,
        setup.params,
        values,
        seeds,
        setup.measures,
        processes=processes,
        allow_stand_ins=setup.quick,
        store=setup.work / "store" if setup.work is not None else None,
    )
    for name, column in batch.stand_ins.items():
        note = f"stand-in: {name} read from column {column!r} (this model lacks it; --quick only)"
        if note not in setup.notes:
            setup.notes.append(note)
            print(f"warning: {note}", file=sys.stderr)
    return batch


def _long(setup: Setup, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-measure tables stacked, with ``outcome`` and ``date`` columns first."""
    parts = []
    for m in setup.measures:
        f = frames[m.label].copy()
        f.insert(0, "date", m.date)
        f.insert(0, "outcome", m.quantity)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def run_oat(setup: Setup, processes: int | None) -> tuple[pd.DataFrame, studies.Batch]:
    """One at a time: mean and sd over seeds of every outcome at every design point."""
    values, design = oat_design(setup.params, setup.oat_steps)
    print(f"oat: {len(values)} points x {len(setup.oat_seeds)} seeds", flush=True)
    batch = _evaluate(setup, values, setup.oat_seeds, processes)
    means = batch.values.groupby("point").mean()
    sds = batch.values.groupby("point").std(ddof=1)
    frames = {}
    for m in setup.measures:
        f = design.copy()
        f["mean"] = means[m.label].to_numpy()
        f["sd_over_seeds"] = sds[m.label].to_numpy()
        f["preset_mean"] = means[m.label].iloc[0]
        frames[m.label] = f
    return _long(setup, frames), batch


def run_sobol(setup: Setup, processes: int | None) -> tuple[pd.DataFrame, studies.Batch]:
    """Sobol' indices of every outcome."""
    s = setup.sobol
    n, second = int(s.get("n", 64)), bool(s.get("second_order", False))
    unit = sobol_design(setup.params, n, seed=int(s.get("seed", 0)), second_order=second)
    print(f"sobol: N = {n}, {len(unit)} points x {len(setup.seeds)} seeds", flush=True)
    batch = _evaluate(setup, studies.to_values(setup.params, unit), setup.seeds, processes)
    y = batch.point_means()
    frames = {}
    for m in setup.measures:
        f = sobol_indices(
            setup.params,
            y[m.label].to_numpy(),
            seed=int(s.get("seed", 0)),
            second_order=second,
            resamples=int(s.get("resamples", 200)),
            conf_level=float(s.get("conf_level", 0.95)),
        )
        f["noise_share"] = noise_share(batch.values, m.label)
        frames[m.label] = f
    return _long(setup, frames), batch


def run_morris(setup: Setup, processes: int | None) -> tuple[pd.DataFrame, studies.Batch]:
    """Morris screening of every outcome."""
    s = setup.morris
    levels, seed = int(s.get("levels", 4)), int(s.get("seed", 0))
    unit = morris_design(setup.params, int(s.get("trajectories", 20)), levels=levels, seed=seed)
    print(f"morris: {len(unit)} points x {len(setup.seeds)} seeds", flush=True)
    batch = _evaluate(setup, studies.to_values(setup.params, unit), setup.seeds, processes)
    y = batch.point_means()
    frames = {}
    for m in setup.measures:
        frames[m.label] = morris_indices(
            setup.params,
            unit,
            y[m.label].to_numpy(),
            levels=levels,
            seed=seed,
            resamples=int(s.get("resamples", 200)),
            conf_level=float(s.get("conf_level", 0.95)),
        )
    return _long(setup, frames), batch


# ---------------------------------------------------------------------------------------------
# Verdicts, charts, summary


def verdicts(sobol: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per outcome and date: the parameters ranked by ST, and a verdict that takes the
    confidence intervals into account: ``hinges on P`` when P's whole ST interval is above
    ``threshold``, ``robust`` when every parameter's whole interval is below it, ``unclear``
    when an interval straddles it (more points needed), ``constant`` when the outcome does not
    vary over the design."""
    rows = []
    for (outcome, date), g in sobol.groupby(["outcome", "date"], sort=False):
        g = g.sort_values("ST", ascending=False)
        top = g.iloc[0]
        conf = g["ST_conf"].fillna(0.0)
        if g["ST"].isna().all():
            verdict = "constant or undefined over the design (no indices)"
        elif top["ST"] - conf.iloc[0] > threshold:
            verdict = f"hinges on {top['parameter']}"
        elif (g["ST"] + conf <= threshold).all():
            verdict = "robust"
        else:
            straddle = g[(g["ST"] + conf > threshold)]["parameter"]
            verdict = f"unclear: the interval of {', '.join(straddle)} straddles the threshold"
        ranked = [f"{r.parameter} {r.ST:.2f}" for r in g.itertuples() if r.ST >= 0.05]
        rows.append(
            {
                "outcome": outcome,
                "date": date,
                "verdict": verdict,
                "top_parameter": top["parameter"],
                "top_ST": top["ST"],
                "sum_S1": g["S1"].sum(),
                "noise_share": g["noise_share"].iloc[0],
                "ranking (ST >= 0.05)": ", ".join(ranked) or "none",
            }
        )
    return pd.DataFrame(rows)


def oat_swings(oat: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, date and parameter: the lowest and highest mean over its steps, relative to
    the preset, and the swing (highest - lowest), largest first."""
    moved = oat[oat["parameter"] != "(preset)"]
    g = moved.groupby(["outcome", "date", "parameter"], sort=False)
    out = g.agg(preset=("preset_mean", "first"), lowest=("mean", "min"), highest=("mean", "max"))
    first = g.apply(lambda f: f.sort_values("step")["mean"].iloc[0], include_groups=False)
    last = g.apply(lambda f: f.sort_values("step")["mean"].iloc[-1], include_groups=False)
    out["at_low"], out["at_high"] = first, last
    out["swing"] = out["highest"] - out["lowest"]
    out = out.reset_index()
    return out.sort_values(
        ["outcome", "date", "swing"],
        ascending=[True, True, False],
        kind="stable",
        ignore_index=True,
    )


def _grid(n: int, width: float = 5.0, height: float = 3.4) -> tuple[Figure, np.ndarray]:
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def _short(path: str) -> str:
    return path.removeprefix("policy.").removeprefix("economy.")


def plot_tornado(swings: pd.DataFrame, path: Path, top: int = 10) -> None:
    """A tornado chart per outcome and date: each parameter's range of the outcome over its
    steps, relative to the preset, largest swing on top."""
    groups = list(swings.groupby(["outcome", "date"], sort=False))
    fig, axes = _grid(len(groups))
    for ax, ((outcome, date), g) in zip(axes, groups, strict=False):
        g = g.head(top).iloc[::-1]
        y = np.arange(len(g))
        base = g["preset"].to_numpy()
        ax.barh(y, g["at_low"] - base, color="tab:blue", alpha=0.7, label="at low end")
        ax.barh(y, g["at_high"] - base, color="tab:orange", alpha=0.7, label="at high end")
        ax.hlines(y, g["lowest"] - base, g["highest"] - base, color="k", lw=1, label="range")
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_yticks(y, [_short(p) for p in g["parameter"]], fontsize=7)
        ax.set_title(f"{outcome} @ {date}\npreset {base[0]:,.4g}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("One at a time: change from the preset as each parameter spans its range")
    fig.savefig(path, dpi=100)


def plot_sobol(sobol: pd.DataFrame, threshold: float, path: Path) -> None:
    """S1 and ST with their confidence intervals, per outcome and date."""
    groups = list(sobol.groupby(["outcome", "date"], sort=False))
    fig, axes = _grid(len(groups))
    for ax, ((outcome, date), g) in zip(axes, groups, strict=False):
        g = g.sort_values("ST", na_position="first")
        y = np.arange(len(g))
        ax.barh(y + 0.2, g["ST"], 0.4, xerr=g["ST_conf"], color="tab:red", alpha=0.7, label="ST")
        ax.barh(y - 0.2, g["S1"], 0.4, xerr=g["S1_conf"], color="tab:blue", alpha=0.7, label="S1")
        ax.axvline(threshold, color="0.3", ls=":", lw=1)
        ax.set_yticks(y, [_short(p) for p in g["parameter"]], fontsize=7)
        ax.set_xlim(-0.1, 1.1)
        ax.set_title(f"{outcome} @ {date}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"Sobol' indices (bars: estimate, whiskers: confidence interval; dotted: "
        f"threshold {threshold:g})"
    )
    fig.savefig(path, dpi=100)


def plot_morris(morris: pd.DataFrame, path: Path) -> None:
    """mu* against sigma per outcome and date, parameters labelled."""
    groups = list(morris.groupby(["outcome", "date"], sort=False))
    fig, axes = _grid(len(groups))
    for ax, ((outcome, date), g) in zip(axes, groups, strict=False):
        ax.scatter(g["mu_star"], g["sigma"], s=14)
        for r in g.nlargest(5, "mu_star").itertuples():
            ax.annotate(_short(r.parameter), (r.mu_star, r.sigma), fontsize=6)
        ax.set_xlabel("mu* (per full range)", fontsize=7)
        ax.set_ylabel("sigma", fontsize=7)
        ax.set_title(f"{outcome} @ {date}", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle("Morris screening: mean absolute elementary effect and its spread")
    fig.savefig(path, dpi=100)


def write_method(
    setup: Setup,
    method: str,
    table: pd.DataFrame,
    batch: studies.Batch,
    out: Path,
    argv: Sequence[str],
) -> None:
    """A method's tables, chart and meta data."""
    out.mkdir(parents=True, exist_ok=True)
    batch.values.to_csv(out / f"{method}_runs.csv", index=False)
    table.to_csv(out / f"{method}_indices.csv" if method != "oat" else out / "oat.csv", index=False)
    if method == "oat":
        swings = oat_swings(table)
        swings.to_csv(out / "oat_swings.csv", index=False)
        plot_tornado(swings, out / "oat_tornado.png")
    elif method == "sobol":
        verdicts(table, setup.threshold).to_csv(out / "sobol_verdicts.csv", index=False)
        plot_sobol(table, setup.threshold, out / "sobol.png")
    else:
        plot_morris(table, out / "morris.png")
    meta = {
        "command": studies.rerun_command(SCRIPT, argv),
        "method": method,
        "quick": setup.quick,
        "base": setup.base_overrides,
        "parameters": [p.path for p in setup.params],
        "dates": setup.dates,
        "seeds": [int(s) for s in batch.values["seed"].unique()],
        "points": int(batch.values["point"].nunique()),
        "runs": batch.runs,
        "months": batch.months,
        "seconds": batch.seconds,
        "seconds_per_run": batch.seconds / batch.runs,
        "settings": (
            {"steps": setup.oat_steps}
            if method == "oat"
            else setup.sobol
            if method == "sobol"
            else setup.morris
        ),
        "robust_threshold": setup.threshold,
        "notes": setup.notes,
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (out / f"{method}_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def summary(out: Path, setup: Setup) -> str:
    """Markdown summary of every method whose results are in ``out``."""
    md = studies.markdown_table
    lines = [
        "# Sensitivity of `chongqing_2024`",
        "",
        "Generated by `experiments/sensitivity/run.py` from the tables in this folder; do not "
        "edit by hand. Outcomes are means over common seeds; growth is relative to month 0 "
        "(end-2023).",
        "",
        "## Parameters",
        "",
        md(studies.parameter_table(setup.params)),
        "",
    ]
    for method in METHODS:
        meta_path = out / f"{method}_meta.json"
        if not meta_path.exists():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        quick = " (**quick smoke test, not a study**)" if meta["quick"] else ""
        lines += [
            f"## {method}",
            "",
            f"- command: `{meta['command']}`{quick}",
            f"- {meta['points']} points x {len(meta['seeds'])} seeds = {meta['runs']:,} runs of "
            f"{meta['months']} months in {meta['seconds']:.0f} s "
            f"({meta['seconds_per_run']:.3f} s a run, wall clock), written {meta['written']}",
            f"- settings: `{json.dumps(meta['settings'])}`",
            *(f"- note: {n}" for n in meta["notes"]),
            "",
        ]
        if method == "sobol":
            v = pd.read_csv(out / "sobol_verdicts.csv")
            lines += [
                f"An outcome *hinges on* a parameter whose total-order index ST exceeds "
                f"{meta['robust_threshold']:g} (its whole confidence interval); it is *robust* "
                "when every parameter's interval is below it, *unclear* when an interval "
                "straddles it (add points: `--n`). `sum_S1` well "
                "below 1 means interactions (or seed noise: see `noise_share`, the share of the "
                "variance that is seed noise left in the seed means).",
                "",
                md(v, ".3g"),
                "",
                "![Sobol' indices](sobol.png)",
                "",
            ]
        elif method == "oat":
            s = pd.read_csv(out / "oat_swings.csv")
            rows = []
            for (outcome, date), g in s.groupby(["outcome", "date"], sort=False):
                top = g.head(3)
                rows.append(
                    {
                        "outcome": outcome,
                        "date": date,
                        "preset": g["preset"].iloc[0],
                        "largest swings (range of the mean over the steps)": ", ".join(
                            f"{r.parameter} {r.swing:,.3g}" for r in top.itertuples()
                        ),
                    }
                )
            lines += [md(pd.DataFrame(rows)), "", "![tornado](oat_tornado.png)", ""]
        else:
            m = pd.read_csv(out / "morris_indices.csv")
            rows = []
            for (outcome, date), g in m.groupby(["outcome", "date"], sort=False):
                top = g.nlargest(3, "mu_star")
                rows.append(
                    {
                        "outcome": outcome,
                        "date": date,
                        "largest mu* (per full range)": ", ".join(
                            f"{r.parameter} {r.mu_star:,.3g}" for r in top.itertuples()
                        ),
                    }
                )
            lines += [md(pd.DataFrame(rows)), "", "![Morris](morris.png)", ""]
    lines += [
        "## Files",
        "",
        "`oat.csv`, `oat_swings.csv`, `oat_tornado.png`; `sobol_indices.csv` (S1, S1_conf, ST, "
        "ST_conf per parameter, outcome and date), `sobol_verdicts.csv`, `sobol.png`; "
        "`morris_indices.csv`, `morris.png`; `<method>_runs.csv` (every run's outcomes), "
        "`<method>_meta.json` (command, sizes, timing).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code (2 for a bad config)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--method", choices=[*METHODS, "all"], default="sobol")
    parser.add_argument("--config", type=Path, default=CONFIG, help="study config (YAML)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: the config's quick sizes, seconds not minutes",
    )
    parser.add_argument("--n", type=int, help="Sobol' base sample size N (a power of 2)")
    parser.add_argument("--trajectories", type=int, help="Morris trajectories")
    parser.add_argument("--seeds", type=int, help="common seeds per point (default: config)")
    parser.add_argument("--processes", type=int, default=None, help="default: all cores")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    parser.add_argument(
        "--work", type=Path, default=None, help="keep every run's results here (resumable)"
    )
    args = parser.parse_args(argv)
    try:
        setup = load_setup(args.config, quick=args.quick)
        setup.work = args.work
        if args.n is not None:
            setup.sobol["n"] = args.n
        if args.trajectories is not None:
            setup.morris["trajectories"] = args.trajectories
        if args.seeds is not None:
            setup.seeds = setup.oat_seeds = list(range(args.seeds))
        runners = {"oat": run_oat, "sobol": run_sobol, "morris": run_morris}
        for method in METHODS if args.method == "all" else [args.method]:
            table, batch = runners[method](setup, args.processes)
            write_method(setup, method, table, batch, args.out, argv)
            print(f"{method}: {batch.runs:,} runs in {batch.seconds:.0f} s", flush=True)
        (args.out / "README.md").write_text(summary(args.out, setup), encoding="utf-8")
        print(f"wrote {args.out}")
    except StudyError as exc:
        print(f"sensitivity: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
