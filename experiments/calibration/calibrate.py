"""Calibrate the ``chongqing_2024`` preset to Chongqing's 2024 figures by rejection ABC.

Run from the repository root:

    uv run python experiments/calibration/calibrate.py              # the study (config.yaml)
    uv run python experiments/calibration/calibrate.py --quick      # smoke test, seconds
    uv run python experiments/calibration/calibrate.py --check      # the preset as shipped
    uv run python experiments/calibration/calibrate.py --points 2048 --seeds 8 --processes 2

**Method: approximate Bayesian computation by rejection** (Pritchard et al. 1999, Mol. Biol.
Evol. 16; Beaumont, Zhang & Balding 2002, Genetics 162). The free parameters and their ranges
(the prior: uniform, or log-uniform) are in ``config.yaml``. A space-filling sample of the prior
(scrambled Sobol', :mod:`scipy.stats.qmc`) is run from the end-2023 start through 2024 for ``R``
seeds shared by every point (common random numbers). A point's distance to the data is

    d = sqrt( sum_k ((mean over seeds of target k - observed k) / tolerance k)^2 )

with a stated tolerance per target (how close the model is asked to be, not a sampling error);
the closest ``accept.fraction`` of the points (at least ``accept.min``) are accepted, and the
accepted points are the posterior sample. Rejection ABC rather than the simulated method of
moments because (a) there are three targets and eight free parameters, so the parameters are
not identified one by one and a point estimate with asymptotic standard errors would hide that,
while the posterior shows which parameters the data pin down and which they leave at the prior;
(b) the simulator is noisy and discrete, which defeats the gradient-free optimisers SMM needs;
(c) one prior sample serves every refit: the leave-one-target-out checks are re-selections
from the same runs, with no new simulation.

Reported (``results/`` or ``--out``): the posterior of each parameter, the posterior predictive
of every 2024 figure (accepted points x seeds), a leave-one-target-out check, the role of each
reported figure (``by construction``: a start-state figure of the roster; ``tuned``: a target;
``emergent``: reported but not a target, the calibration's out-of-sample check), and the
model's own prediction for end-2025 and end-2026 from the accepted points (nothing after 2024
is used). Targets: the entity cut, the group count at end-2024 and the H1 revitalisation;
profit growth is left out on purpose, as the emergent check (it also moves with parameters the
structural figures say nothing about, e.g. demand volatility).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import studies
from studies import FreeParameter, Measure, StudyError, band

from sim.config import SimConfig

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.yaml"
RESULTS = HERE / "results"
SCRIPT = "experiments/calibration/calibrate.py"
START_GAP = 0.01
"""A start-state figure further than this (relative) from the report is flagged."""
OBSERVED_KEYS = frozenset(
    {
        "name",
        "label",
        "indicator",
        "date",
        "transform",
        "value",
        "target",
        "tolerance",
        "why_tolerance",
        "source",
        "implied_by",
    }
)


# ---------------------------------------------------------------------------------------------
# Rejection ABC, independent of the simulator (tested on toy models)


@dataclass
class AbcResult:
    """Accepted points of a rejection-ABC fit."""

    distance: np.ndarray
    """Distance of every point (inf where a summary is not finite)."""
    accepted: np.ndarray
    """Indices of the accepted points, closest first."""

    @property
    def epsilon(self) -> float:
        """The largest accepted distance."""
        return float(self.distance[self.accepted].max())


def abc_distance(summaries: np.ndarray, observed: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """Euclidean distance of each row of ``summaries`` (n x k) to ``observed`` (k), each
    coordinate in units of its ``tolerance``; inf where a summary is not finite."""
    z = (np.asarray(summaries, float) - np.asarray(observed, float)) / np.asarray(tolerance, float)
    d = np.sqrt(np.sum(z**2, axis=1))
    return np.where(np.isfinite(d), d, np.inf)


def abc_rejection(
    summaries: np.ndarray,
    observed: Sequence[float],
    tolerance: Sequence[float],
    fraction: float,
    minimum: int = 1,
) -> AbcResult:
    """Accept the closest ``fraction`` of the points (at least ``minimum``, at most all)."""
    if not 0 < fraction <= 1:
        raise StudyError(f"accept.fraction must be in (0, 1], got {fraction}")
    tol = np.asarray(tolerance, float)
    if np.any(~np.isfinite(tol)) or np.any(tol <= 0):
        raise StudyError(f"tolerances must be positive and finite, got {list(tol)}")
    d = abc_distance(summaries, np.asarray(observed, float), tol)
    n = d.size
    k = min(n, max(int(minimum), math.ceil(fraction * n)))
    order = np.argsort(d, kind="stable")[:k]
    return AbcResult(distance=d, accepted=order)


def posterior_table(
    params: Sequence[FreeParameter], values: np.ndarray, accepted: np.ndarray
) -> pd.DataFrame:
    """Prior range, preset value and posterior mean, 5%, 50%, 95% of each parameter.

    ``contraction`` is 1 - posterior variance / prior variance, on the prior's own scale (the
    unit cube): near 0 the data say nothing about the parameter, near 1 they pin it down.
    """
    rows = []
    for j, p in enumerate(params):
        post = values[accepted, j]
        u = p.to_unit(post)
        rows.append(
            {
                "parameter": p.path,
                "prior_low": p.low,
                "prior_high": p.high,
                "scale": "log" if p.log else "linear",
                "preset": p.base,
                **{k: v for k, v in band(post).items()},
                "contraction": 1.0 - float(np.var(u)) / (1.0 / 12.0),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The study's configuration


@dataclass(frozen=True)
class Observed:
    """A reported figure, with the measure that the model reports for it."""

    name: str
    label: str
    measure: Measure
    value: float
    target: bool = False
    tolerance: float | None = None
    why_tolerance: str = ""
    source: str = ""
    implied_by: tuple[str, ...] = ()
    role: str = "emergent"


@dataclass
class Setup:
    """Everything ``config.yaml`` says, checked."""

    path: Path
    base_overrides: list[str]
    base: SimConfig
    params: list[FreeParameter]
    observed: list[Observed]
    points: int
    sample_method: str
    sample_seed: int
    seeds: list[int]
    accept_fraction: float
    accept_min: int
    check_seeds: list[int]
    predict_dates: list[str]
    predict_indicators: list[str]
    quick: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def targets(self) -> list[Observed]:
        """The observed figures used as calibration targets."""
        return [o for o in self.observed if o.target]

    @property
    def start_date(self) -> str:
        """The date of month 0 (the start state)."""
        return studies.start_state_date(self.base.start)


def _observed(entries: Any, start_date: str, base_start: str) -> list[Observed]:
    if not isinstance(entries, list) or not entries:
        raise StudyError("observed: give a non-empty list of reported figures")
    out: list[Observed] = []
    names: set[str] = set()
    for i, e in enumerate(entries):
        at = f"observed[{i}]"
        if not isinstance(e, dict):
            raise StudyError(f"{at}: each figure is a mapping")
        at = f"observed[{i}] ({e.get('name', '?')})"
        unknown = set(e) - OBSERVED_KEYS
        if unknown:
            raise StudyError(
                f"{at}: unknown keys {sorted(unknown)}; allowed {sorted(OBSERVED_KEYS)}"
            )
        for key in ("name", "indicator", "date", "value"):
            if key not in e:
                raise StudyError(f"{at}: '{key}' is required")
        if e["name"] in names:
            raise StudyError(f"{at}: the name is used twice")
        names.add(e["name"])
        measure = Measure(e["indicator"], str(e["date"]), e.get("transform", "level"))
        month = studies.month_index(base_start, measure.date)
        if month < 0:
            raise StudyError(f"{at}: {measure.date} is before the start state ({start_date})")
        if month > 12 and e.get("target"):
            raise StudyError(f"{at}: only 2024 figures may be targets, got {measure.date}")
        target = bool(e.get("target", False))
        tol = e.get("tolerance")
        if tol is not None and (not isinstance(tol, int | float) or not tol > 0):
            raise StudyError(f"{at}: tolerance must be a positive number, got {tol!r}")
        if target and tol is None:
            raise StudyError(f"{at}: a target needs a tolerance")
        if target and month == 0:
            raise StudyError(f"{at}: a start-state figure is set by the roster, not a target")
        implied = tuple(e.get("implied_by", ()))
        missing = [n for n in implied if n not in names]
        if missing:
            raise StudyError(f"{at}: implied_by names {missing}, not listed above it")
        out.append(
            Observed(
                name=str(e["name"]),
                label=str(e.get("label", e["name"])),
                measure=measure,
                value=float(e["value"]),
                target=target,
                tolerance=None if tol is None else float(tol),
                why_tolerance=" ".join(str(e.get("why_tolerance", "")).split()),
                source=str(e.get("source", "")),
                implied_by=implied,
            )
        )
    if not any(o.target for o in out):
        raise StudyError("observed: mark at least one figure 'target: true'")
    return _with_roles(out, start_date)


def _with_roles(observed: list[Observed], start_date: str) -> list[Observed]:
    """by construction: at the start state; tuned: a target, or implied by tuned and start
    figures only; emergent: the rest."""
    roles: dict[str, str] = {}
    out = []
    for o in observed:
        if o.measure.date == start_date:
            role = "by construction"
        elif o.target or (o.implied_by and all(roles[n] != "emergent" for n in o.implied_by)):
            role = "tuned"
        else:
            role = "emergent"
        roles[o.name] = role
        out.append(replace(o, role=role))
    return out


def load_setup(path: Path = CONFIG, *, quick: bool = False) -> Setup:
    """Read and check ``config.yaml`` (``quick``: its ``quick`` section overrides sizes)."""
    cfg = studies.load_yaml(path)
    known = {
        "base",
        "parameters",
        "observed",
        "sample",
        "seeds",
        "accept",
        "check_seeds",
        "predict",
        "quick",
    }
    unknown = set(cfg) - known
    if unknown:
        raise StudyError(f"{path}: unknown settings {sorted(unknown)}; allowed {sorted(known)}")
    overrides = [str(o) for o in cfg.get("base", [])]
    base = studies.base_config(overrides)
    params = studies.free_parameters(cfg.get("parameters"), base)
    start_date = studies.start_state_date(base.start)
    observed = _observed(cfg.get("observed"), start_date, base.start)
    sample = cfg.get("sample", {})
    accept = cfg.get("accept", {})
    predict = cfg.get("predict", {})
    q = cfg.get("quick", {}) if quick else {}
    setup = Setup(
        path=Path(path),
        base_overrides=overrides,
        base=base,
        params=params,
        observed=observed,
        points=int(q.get("points", sample.get("points", 1024))),
        sample_method=str(sample.get("method", "sobol")),
        sample_seed=int(sample.get("seed", 0)),
        seeds=studies.seeds_from(q.get("seeds", cfg.get("seeds", 4)), "seeds"),
        accept_fraction=float(accept.get("fraction", 0.05)),
        accept_min=int(q.get("accept_min", accept.get("min", 20))),
        check_seeds=studies.seeds_from(
            q.get("check_seeds", cfg.get("check_seeds", 20)), "check_seeds"
        ),
        predict_dates=[str(d) for d in q.get("predict_dates", predict.get("dates", []))],
        predict_indicators=[str(i) for i in predict.get("indicators", [])],
        quick=quick,
    )
    for d in setup.predict_dates:
        Measure("groups", d)  # checks the date
    for name in setup.predict_indicators:
        Measure(name, start_date)  # checks the indicator
    return setup


# ---------------------------------------------------------------------------------------------
# Tables


def observed_summaries(values: pd.DataFrame, observed: Sequence[Observed]) -> np.ndarray:
    """Seed-mean of each observed figure's measure, one row per point (sorted by point)."""
    means = values.drop(columns="seed").groupby("point", sort=True).mean()
    return means[[o.measure.label for o in observed]].to_numpy(float)


def predictive_table(
    values: pd.DataFrame, accepted: np.ndarray, observed: Sequence[Observed]
) -> pd.DataFrame:
    """Each figure's posterior predictive (accepted points x seeds) and prior predictive (all
    points x seeds), the observed value and whether it lies in the 5-95% band."""
    post = values[values["point"].isin(accepted)]
    rows = []
    for o in observed:
        col = o.measure.label
        b, prior = band(post[col]), band(values[col])
        seed_mean = post.groupby("point")[col].mean()
        start = o.role == "by construction"
        rows.append(
            {
                "figure": o.name,
                "measure": col,
                "role": o.role,
                "observed": o.value,
                "tolerance": o.tolerance,
                "mean": b["mean"],
                "p5": b["p5"],
                "p50": b["p50"],
                "p95": b["p95"],
                "inside_90": None if start else bool(b["p5"] <= o.value <= b["p95"]),
                "start_gap": b["mean"] / o.value - 1.0 if start and o.value else math.nan,
                "z_mean": (b["mean"] - o.value) / o.tolerance if o.tolerance else math.nan,
                "within_tolerance_share": float((abs(seed_mean - o.value) <= o.tolerance).mean())
                if o.tolerance
                else math.nan,
                "prior_p5": prior["p5"],
                "prior_p95": prior["p95"],
            }
        )
    return pd.DataFrame(rows)


def leave_one_out(values: pd.DataFrame, setup: Setup) -> pd.DataFrame:
    """Refit without each target in turn; is the left-out figure inside the refit's 5-95%
    posterior-predictive band? Emergent figures are never used, so the full fit is their test."""
    targets = setup.targets
    summaries = observed_summaries(values, targets)
    rows = []
    for k, left in enumerate(targets):
        keep = [j for j in range(len(targets)) if j != k]
        fit = abc_rejection(
            summaries[:, keep],
            [targets[j].value for j in keep],
            [targets[j].tolerance or 1.0 for j in keep],
            setup.accept_fraction,
            setup.accept_min,
        )
        pred = predictive_table(values, fit.accepted, [left]).iloc[0]
        rows.append(
            {
                "figure": left.name,
                "measure": left.measure.label,
                "fit": f"without {left.name}",
                "observed": left.value,
                "mean": pred["mean"],
                "p5": pred["p5"],
                "p95": pred["p95"],
                "inside_90": pred["inside_90"],
                "prior_p5": pred["prior_p5"],
                "prior_p95": pred["prior_p95"],
                "accepted": int(fit.accepted.size),
            }
        )
    return pd.DataFrame(rows)


def prediction_measures(setup: Setup) -> list[Measure]:
    """Observed quantities (after the start) and the extra indicators, at every predict date."""
    quantities: dict[str, tuple[str, studies.Transform]] = {}
    for o in setup.observed:
        if o.role != "by construction":
            quantities.setdefault(o.measure.quantity, (o.measure.indicator, o.measure.transform))
    for name in setup.predict_indicators:
        quantities.setdefault(name, (name, "level"))
    return [Measure(ind, d, tr) for ind, tr in quantities.values() for d in setup.predict_dates]


def prediction_table(values: pd.DataFrame, measures: Sequence[Measure]) -> pd.DataFrame:
    """Mean, 5%, 50%, 95% of each measure over accepted points x seeds."""
    rows = [{"quantity": m.quantity, "date": m.date, **band(values[m.label])} for m in measures]
    return pd.DataFrame(rows)


def check_table(values: pd.DataFrame, observed: Sequence[Observed]) -> pd.DataFrame:
    """The preset over seeds against every figure: mean, 5-95%, z, within tolerance."""
    rows = []
    for o in observed:
        b = band(values[o.measure.label])
        z = (b["mean"] - o.value) / o.tolerance if o.tolerance else math.nan
        rows.append(
            {
                "figure": o.name,
                "measure": o.measure.label,
                "role": o.role,
                "observed": o.value,
                "tolerance": o.tolerance,
                "mean": b["mean"],
                "p5": b["p5"],
                "p95": b["p95"],
                "z": z,
                "within_tolerance": bool(abs(z) <= 1) if o.tolerance else None,
                "start_gap": b["mean"] / o.value - 1.0
                if o.role == "by construction" and o.value
                else math.nan,
            }
        )
    return pd.DataFrame(rows)


def misses(table: pd.DataFrame) -> list[str]:
    """The tuned targets whose seed mean is outside its tolerance (empty: calibrated)."""
    out = []
    for r in table[table["role"] == "tuned"].itertuples():
        if r.tolerance and abs(r.mean - r.observed) > r.tolerance:
            out.append(
                f"{r.figure}: model {r.mean:,.4g}, observed {r.observed:,.4g} ± {r.tolerance:,.4g}"
            )
    return out


# ---------------------------------------------------------------------------------------------
# Figure


def _path(ts: pd.DataFrame, indicator: str, transform: studies.Transform) -> pd.Series:
    start = ts[ts["month"] == 0].set_index(["point", "seed"])[indicator]
    key = pd.MultiIndex.from_frame(ts[["point", "seed"]])
    return pd.Series(
        studies.transform_values(
            ts[indicator].to_numpy(float), start.reindex(key).to_numpy(float), transform
        ),
        index=ts.index,
    )


def plot_predictive(
    prior_ts: pd.DataFrame, post_ts: pd.DataFrame, setup: Setup, path: Path
) -> None:
    """One panel per observed quantity: prior- and posterior-predictive 5-95% bands by month,
    the posterior median, and the reported figures with their tolerance."""
    quantities: dict[str, list[Observed]] = {}
    for o in setup.observed:
        quantities.setdefault(o.measure.quantity, []).append(o)
    n = len(quantities)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(5.2 * cols, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    end_of_data = studies.month_index(setup.base.start, "2024-12")
    colours = {"by construction": "0.3", "tuned": "tab:red", "emergent": "tab:green"}
    for ax, (quantity, figures) in zip(axes, quantities.items(), strict=False):
        indicator, transform = figures[0].measure.indicator, figures[0].measure.transform
        for ts, colour, label in (
            (prior_ts, "0.75", "prior predictive"),
            (post_ts, "tab:blue", "posterior predictive"),
        ):
            v = ts.assign(v=_path(ts, indicator, transform)).groupby("month")["v"]
            lo, hi, med = v.quantile(0.05), v.quantile(0.95), v.median()
            if ts is post_ts:
                ax.fill_between(
                    lo.index, lo, hi, color=colour, alpha=0.35, lw=0, label=f"{label} 5-95%"
                )
                ax.plot(med.index, med, color=colour, lw=1.5, label="posterior median")
            else:
                ax.plot(lo.index, lo, color="0.45", ls="--", lw=1, label=f"{label} 5-95%")
                ax.plot(hi.index, hi, color="0.45", ls="--", lw=1)
        for o in figures:
            m = studies.month_index(setup.base.start, o.measure.date)
            ax.errorbar(
                [m],
                [o.value],
                yerr=[[o.tolerance or 0], [o.tolerance or 0]],
                fmt="o",
                color=colours[o.role],
                capsize=4,
                label=f"reported ({o.role})",
                zorder=5,
            )
        ax.axvline(end_of_data, color="0.4", ls=":", lw=1)
        ax.set_title(quantity, fontsize=10)
        ax.set_xlabel("month (0 = end-2023)")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="best")
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(
        "Calibration to 2024: prior and posterior predictive vs the reported figures "
        "(dotted line: end of the data, end-2024)"
    )
    fig.savefig(path, dpi=110)


def horizon_gap(first: pd.DataFrame, again: pd.DataFrame, labels: Sequence[str]) -> float:
    """Largest relative difference of the same measures between two batches of the same points
    and seeds (the prediction reruns the accepted points for longer): 0 unless a month's
    outcome depends on how long the run goes on."""
    b = again.set_index(["point", "seed"])[list(labels)]
    a = first.set_index(["point", "seed"]).loc[b.index, b.columns]
    return float(np.nanmax(np.abs(b.to_numpy() - a.to_numpy()) / (1.0 + np.abs(a.to_numpy()))))


def samples_table(
    setup: Setup, values: np.ndarray, summaries: np.ndarray, fit: AbcResult, within: np.ndarray
) -> pd.DataFrame:
    """Every prior point: parameters, seed-mean targets, distance, accepted, within tolerance."""
    samples = pd.DataFrame(values, columns=[p.path for p in setup.params])
    samples.insert(0, "point", np.arange(len(values)))
    for j, t in enumerate(setup.targets):
        samples[f"{t.name} (seed mean)"] = summaries[:, j]
    samples["distance"] = fit.distance
    samples["accepted"] = np.isin(np.arange(len(values)), fit.accepted)
    samples["within_tolerance"] = within
    return samples


def figures_table(setup: Setup) -> pd.DataFrame:
    """Every reported figure with its role, tolerance and source."""
    return pd.DataFrame(
        [
            {
                "figure": o.name,
                "label": o.label,
                "measure": o.measure.label,
                "observed": o.value,
                "role": o.role,
                "tolerance": o.tolerance,
                "why_tolerance": o.why_tolerance,
                "source": o.source,
            }
            for o in setup.observed
        ]
    )


# ---------------------------------------------------------------------------------------------
# The study


def run_check(setup: Setup, seeds: Sequence[int], processes: int | None) -> pd.DataFrame:
    """The preset as shipped (no sampling) over ``seeds``, against every figure."""
    batch = studies.evaluate(
        setup.base,
        [],
        np.zeros((1, 0)),
        seeds,
        [o.measure for o in setup.observed],
        processes=processes,
        allow_stand_ins=setup.quick,
        log=None,
    )
    _note_stand_ins(setup, batch.stand_ins)
    return check_table(batch.values, setup.observed)


def _note_stand_ins(setup: Setup, stand_ins: dict[str, str]) -> None:
    for name, column in stand_ins.items():
        note = f"stand-in: {name} read from column {column!r} (this model lacks it; --quick only)"
        if note not in setup.notes:
            setup.notes.append(note)
            print(f"warning: {note}", file=sys.stderr)


def run_study(
    setup: Setup, processes: int | None, out: Path, argv: Sequence[str]
) -> dict[str, Any]:
    """Sample the prior, fit, refit without each target, predict; write every table."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    targets = setup.targets
    figure_quantities = sorted({o.measure.indicator for o in setup.observed})
    unit = studies.unit_sample(
        len(setup.params), setup.points, setup.sample_method, setup.sample_seed
    )
    values = studies.to_values(setup.params, unit)
    print(
        f"prior sample: {setup.points} points x {len(setup.seeds)} seeds, "
        f"{len(setup.params)} parameters",
        flush=True,
    )
    fit_measures = [o.measure for o in setup.observed]
    prior = studies.evaluate(
        setup.base,
        setup.params,
        values,
        setup.seeds,
        fit_measures,
        processes=processes,
        keep=figure_quantities,
        allow_stand_ins=setup.quick,
    )
    _note_stand_ins(setup, prior.stand_ins)
    summaries = observed_summaries(prior.values, targets)
    fit = abc_rejection(
        summaries,
        [t.value for t in targets],
        [t.tolerance or 1.0 for t in targets],
        setup.accept_fraction,
        setup.accept_min,
    )
    z = (summaries - [t.value for t in targets]) / [t.tolerance for t in targets]
    within = np.all(np.abs(z) <= 1, axis=1)
    print(
        f"accepted {fit.accepted.size} points (distance <= {fit.epsilon:.3f}); "
        f"{int(within.sum())} of {setup.points} within every tolerance",
        flush=True,
    )
    if fit.epsilon > math.sqrt(len(targets)):
        setup.notes.append(
            f"the accepted points' distance reaches {fit.epsilon:.2f} > sqrt({len(targets)}): "
            "some accepted points miss a target by more than its tolerance; widen the prior, "
            "add points or lower accept.fraction"
        )

    # The accepted points again, long enough for the prediction, on the same seeds.
    predict = prediction_measures(setup)
    print(
        f"prediction: {fit.accepted.size} accepted points to {max(setup.predict_dates)}", flush=True
    )
    post = studies.evaluate(
        setup.base,
        setup.params,
        values[np.sort(fit.accepted)],
        setup.seeds,
        [*fit_measures, *predict],
        processes=processes,
        keep=figure_quantities,
        allow_stand_ins=setup.quick,
    )
    order = np.sort(fit.accepted)
    post.values["point"] = order[post.values["point"].to_numpy()]  # back to prior indices
    assert post.timeseries is not None and prior.timeseries is not None
    post.timeseries["point"] = order[post.timeseries["point"].to_numpy()]
    gap = horizon_gap(prior.values, post.values, [m.label for m in fit_measures])
    if gap > 1e-9:
        setup.notes.append(
            f"runs of different length differ before the shorter one ends "
            f"(relative gap {gap:.2g}): the model's months depend on its horizon"
        )

    samples = samples_table(setup, values, summaries, fit, within)
    posterior = posterior_table(setup.params, values, fit.accepted)
    predictive = predictive_table(prior.values, fit.accepted, setup.observed)
    for r in predictive[predictive["role"] == "by construction"].itertuples():
        if abs(r.start_gap) > START_GAP:
            setup.notes.append(
                f"start state: {r.figure} is {r.mean:,.4g} in the model, "
                f"{r.observed:,.4g} reported ({r.start_gap:+.1%})"
            )
    loo = leave_one_out(prior.values, setup)
    prediction = prediction_table(post.values, predict)
    roles = figures_table(setup)
    best = int(fit.accepted[0])
    tables = {
        "prior.csv": studies.parameter_table(setup.params),
        "samples.csv": samples,
        "per_seed.csv": prior.values,
        "posterior.csv": posterior,
        "predictive_2024.csv": predictive,
        "leave_one_out.csv": loo,
        "prediction.csv": prediction,
        "figures.csv": roles,
    }
    for name, frame in tables.items():
        frame.to_csv(out / name, index=False)
    plot_predictive(prior.timeseries, post.timeseries, setup, out / "predictive.png")
    seconds = time.perf_counter() - started
    summary = {
        "command": studies.rerun_command(SCRIPT, argv),
        "config": str(setup.path),
        "quick": setup.quick,
        "method": "rejection ABC (closest fraction of a scrambled Sobol' prior sample)",
        "base": setup.base_overrides,
        "points": setup.points,
        "seeds": setup.seeds,
        "accept_fraction": setup.accept_fraction,
        "accepted": int(fit.accepted.size),
        "epsilon": fit.epsilon,
        "within_every_tolerance": int(within.sum()),
        "targets": {
            t.name: {"measure": t.measure.label, "observed": t.value, "tolerance": t.tolerance}
            for t in targets
        },
        "best_point": {p.path: p.cast(values[best, j]) for j, p in enumerate(setup.params)},
        "best_distance": float(fit.distance[best]),
        "posterior_median": dict(zip(posterior["parameter"], posterior["p50"], strict=True)),
        "runs": prior.runs + post.runs,
        "seconds": {"prior_sample": prior.seconds, "prediction": post.seconds, "total": seconds},
        "seconds_per_run": {
            "fit": prior.seconds / prior.runs,
            "prediction": post.seconds / post.runs,
        },
        "processes": processes,
        "python": platform.python_version(),
        "notes": setup.notes,
    }
    (out / "summary.json").write_text(
        json.dumps(summary, indent=2, default=float) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(report(setup, summary, tables), encoding="utf-8")
    print(f"wrote {out} in {seconds:.0f} s", flush=True)
    return summary


def report(setup: Setup, summary: dict[str, Any], tables: dict[str, pd.DataFrame]) -> str:
    """The study's results as Markdown (written to ``README.md`` next to the tables)."""
    md = studies.markdown_table
    targets = ", ".join(
        f"{t.name} ({t.measure.label} = {t.value:g} ± {t.tolerance:g})" for t in setup.targets
    )
    secs = summary["seconds"]
    lines = [
        "# Calibration of `chongqing_2024` to the 2024 figures",
        "",
        "Generated by `experiments/calibration/calibrate.py`; do not edit by hand.",
        "",
        f"- command: `{summary['command']}`"
        + (" (**quick smoke test, not a calibration**)" if setup.quick else ""),
        f"- base: `{' '.join(setup.base_overrides)}`",
        f"- method: {summary['method']}; {setup.points} points x {len(setup.seeds)} common seeds; "
        f"accepted the closest {setup.accept_fraction:.0%} (at least {setup.accept_min}): "
        f"{summary['accepted']} points, distance ≤ {summary['epsilon']:.3f}; "
        f"{summary['within_every_tolerance']} points within every tolerance",
        f"- targets (seed mean, distance in tolerances): {targets}",
        f"- run time: {secs['total']:.0f} s ({summary['runs']:,} runs; prior sample "
        f"{secs['prior_sample']:.0f} s, prediction {secs['prediction']:.0f} s), "
        f"processes: {summary['processes'] or 'all cores'}",
        "",
        "Only figures up to the end of 2024 are used; everything later is the model's own "
        "prediction from the accepted points.",
        "",
        "## Reported figures and their role",
        "",
        "`by construction`: a start-state figure the roster is built to match; `tuned`: a "
        "calibration target (or implied by targets and start figures); `emergent`: reported, "
        "not used, the out-of-sample check.",
        "",
        md(tables["figures.csv"][["figure", "label", "measure", "observed", "role", "source"]]),
        "",
        "## Prior (free parameters)",
        "",
        md(tables["prior.csv"]),
        "",
        "## Posterior",
        "",
        "`contraction` = 1 - posterior / prior variance on the prior's scale: near 0 the 2024 "
        "figures say nothing about the parameter (it stays free, its uncertainty is carried "
        "into the predictions), near 1 they pin it down.",
        "",
        md(tables["posterior.csv"]),
        "",
        f"Closest point (distance {summary['best_distance']:.3f}): "
        + ", ".join(f"`{k}={v:g}`" for k, v in summary["best_point"].items()),
        "",
        "## Posterior predictive, 2024 (accepted points x seeds)",
        "",
        "`inside_90`: the reported figure is inside the 5-95% band; `within_tolerance_share`: "
        "share of accepted points whose seed mean is within the tolerance; `prior_p5`-"
        "`prior_p95`: the same band before calibration.",
        "",
        md(tables["predictive_2024.csv"].drop(columns=["measure"])),
        "",
        "## Leave one target out",
        "",
        "Refit without the target (same runs, re-selected on the others) and ask whether the "
        "left-out figure falls in the refit's 5-95% posterior-predictive band.",
        "",
        md(tables["leave_one_out.csv"]),
        "",
        "## The model's prediction (not calibrated against anything)",
        "",
        md(tables["prediction.csv"]),
        "",
        "![posterior predictive](predictive.png)",
        "",
    ]
    if setup.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in setup.notes), ""]
    lines += [
        "## Files",
        "",
        "`prior.csv` (free parameters and why), `samples.csv` (every point: parameters, seed-mean "
        "targets, distance, accepted), `per_seed.csv` (every figure per point and seed), "
        "`posterior.csv`, `predictive_2024.csv`, `leave_one_out.csv`, `prediction.csv`, "
        "`figures.csv`, `predictive.png`, `summary.json`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code (2 for a bad config, 1 for a failed --check)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, default=CONFIG, help="study config (YAML)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: the config's quick sizes, seconds not minutes",
    )
    parser.add_argument("--points", type=int, help="prior sample size (default: config)")
    parser.add_argument("--seeds", type=int, help="seeds per point (default: config)")
    parser.add_argument("--processes", type=int, default=None, help="default: all cores")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    parser.add_argument(
        "--check",
        action="store_true",
        help="run the preset as shipped over the check seeds; no sampling",
    )
    args = parser.parse_args(argv)
    try:
        setup = load_setup(args.config, quick=args.quick)
        if args.points is not None:
            if args.points < 2:
                raise StudyError(f"--points must be at least 2, got {args.points}")
            setup.points = args.points
        if args.check:
            seeds = range(args.seeds) if args.seeds else setup.check_seeds
            table = run_check(setup, seeds, args.processes)
            args.out.mkdir(parents=True, exist_ok=True)
            table.to_csv(args.out / "check.csv", index=False)
            print(f"chongqing_2024 preset as shipped, {len(seeds)} seeds:")
            print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
            missed = misses(table)
            for miss in missed:
                print(f"MISS: {miss}")
            print("every target within tolerance" if not missed else "NOT calibrated")
            return 1 if missed else 0
        if args.seeds is not None:
            setup.seeds = list(range(args.seeds))
        run_study(setup, args.processes, args.out, argv)
    except StudyError as exc:
        print(f"calibrate: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
