"""Multi-objective search for restructuring plans: which lever settings trade off best?

Run from the repository root:

    uv run python experiments/policy_search/run.py            # 96 plans x 8 replications
    uv run python experiments/policy_search/run.py --quick    # smoke test, seconds
    uv run python experiments/policy_search/run.py --trials 160   # extend a finished search

The search varies only the planner's levers (``config.yaml``: declared ``lever`` parameters,
each with its range and why) and scores each plan on several objectives at once: the share of
milestone targets met, the profit gained, the jobs affected and the restructuring cost, each the
mean over ``replications`` runs. The facts of the world it cannot choose (``uncertainties``) are
drawn afresh for each replication from a Latin hypercube over their ranges, and every plan meets
the same draws and the same seeds (common random numbers), so plans differ by their levers and
not by their luck.

The sampler is NSGA-II (Deb et al. 2002, IEEE Trans. Evol. Comput. 6(2)) from Optuna (Akiba et
al. 2019, KDD). Optuna's journal (``<work>/study.journal``) and the results store of every run
(``<work>/store``) are kept in the work folder (``--work``, default ``results/work``, not
committed), so a search that is stopped resumes where it stopped: finished plans are kept and a
plan that was running is marked failed (its runs stay in the store but are not reused: the
resumed search proposes a new plan under a new trial number). NSGA-II's own random state is not
in the journal, so a resumed search can propose other plans than an uninterrupted one would;
every figure it reports is still reproducible from the journal and the store.

Writes to ``results/`` (or ``--out``): ``trials.csv`` (every plan: levers, objectives),
``pareto.csv`` (the non-dominated plans, each with the ``soe-sim`` command that runs it),
``pareto.png`` (objectives pair by pair, the front marked) and ``README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from matplotlib.figure import Figure
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import studies
from studies import FreeParameter, StudyError

from sim.config import SimConfig
from sim.outcomes import objective
from sim.sweep import RunSpec, execute, objective_values, replication_seeds

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.yaml"
RESULTS = HERE / "results"
SCRIPT = "experiments/policy_search/run.py"
STUDY = "policy_search"
DIRECTIONS = ("maximize", "minimize")


@dataclass
class Setup:
    """Everything ``config.yaml`` says, checked."""

    base_overrides: list[str]
    base: SimConfig
    levers: list[FreeParameter]
    uncertainties: list[FreeParameter]
    objectives: dict[str, str]
    """Objective name -> ``maximize`` or ``minimize``."""
    trials: int
    population_size: int
    replications: int
    seed: int
    quick: bool = False
    draws: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """Uncertainty values per replication (rows) and parameter (columns)."""

    @property
    def seeds(self) -> list[int]:
        return replication_seeds(self.seed, self.replications)


def load_setup(path: Path = CONFIG, *, quick: bool = False) -> Setup:
    """Read and check ``config.yaml`` (``quick``: its ``quick`` section overrides sizes)."""
    cfg = studies.load_yaml(path)
    known = {"base", "months", "levers", "uncertainties", "objectives", "trials",
             "population_size", "replications", "seed", "quick"}  # fmt: skip
    unknown = set(cfg) - known
    if unknown:
        raise StudyError(f"{path}: unknown settings {sorted(unknown)}; allowed {sorted(known)}")
    q = cfg.get("quick", {}) if quick else {}
    overrides = [str(o) for o in cfg.get("base", [])] + [str(o) for o in q.get("base", [])]
    months = int(q.get("months", cfg.get("months", 36)))
    base = studies.base_config([*overrides, f"months={months}"])
    levers = studies.free_parameters(cfg.get("levers"), base, where="levers", kinds=["lever"])
    uncertain = cfg.get("uncertainties") or []
    uncertainties = (
        studies.free_parameters(uncertain, base, where="uncertainties", kinds=["uncertainty"])
        if uncertain
        else []
    )
    objectives = cfg.get("objectives")
    if not isinstance(objectives, dict) or not objectives:
        raise StudyError("objectives: give a mapping of objective name to maximize or minimize")
    for name, direction in objectives.items():
        try:
            declared = objective(str(name))
        except KeyError as err:
            raise StudyError(f"objectives: {err.args[0]}") from None
        if direction not in DIRECTIONS:
            raise StudyError(f"objectives: {name}: {direction!r} is not maximize or minimize")
        better = "maximize" if declared.sense == "higher" else "minimize"
        if declared.sense is not None and direction != better:
            raise StudyError(f"objectives: {name} is better {declared.sense}; {better} it")
    setup = Setup(
        base_overrides=overrides,
        base=base,
        levers=levers,
        uncertainties=uncertainties,
        objectives={str(k): str(v) for k, v in objectives.items()},
        trials=int(q.get("trials", cfg.get("trials", 96))),
        population_size=int(q.get("population_size", cfg.get("population_size", 16))),
        replications=int(q.get("replications", cfg.get("replications", 8))),
        seed=int(cfg.get("seed", 0)),
        quick=quick,
    )
    if setup.trials < 1 or setup.replications < 1 or setup.population_size < 2:
        raise StudyError("trials and replications must be >= 1, population_size >= 2")
    u = studies.unit_sample(len(uncertainties), setup.replications, "lhs", setup.seed)
    setup.draws = studies.to_values(uncertainties, u) if uncertainties else u
    return setup


def plan_values(setup: Setup, trial: optuna.Trial) -> dict[str, int | float]:
    """The trial's lever values, suggested by the sampler within the declared ranges."""
    values: dict[str, int | float] = {}
    for p in setup.levers:
        if p.type == "int":
            values[p.path] = trial.suggest_int(p.path, int(p.low), int(p.high), log=p.log)
        else:
            values[p.path] = trial.suggest_float(p.path, p.low, p.high, log=p.log)
    return values


def plan_runs(setup: Setup, name: str, values: dict[str, int | float]) -> list[RunSpec]:
    """A plan's runs: one per replication, with that replication's seed and uncertainty draw."""
    plan = studies.apply(setup.base, values)
    overrides = " ".join(f"{k}={v:g}" for k, v in values.items())
    runs = []
    for r, seed in enumerate(setup.seeds):
        drawn = {
            p.path: p.cast(v) for p, v in zip(setup.uncertainties, setup.draws[r], strict=True)
        }
        cfg = dataclasses.replace(studies.apply(plan, drawn), seed=seed)
        varies = tuple(p.path for p in setup.uncertainties)
        runs.append(RunSpec(name, cfg, r, setup.seed, overrides, varies))
    return runs


def open_study(setup: Setup, work: Path) -> optuna.Study:
    """The search's Optuna study, created or resumed from ``work/study.journal``; trials left
    running by a stopped search are marked failed."""
    work.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(work / "study.journal")))
    sampler = optuna.samplers.NSGAIISampler(population_size=setup.population_size, seed=setup.seed)
    study = optuna.create_study(
        study_name=STUDY,
        storage=storage,
        sampler=sampler,
        directions=list(setup.objectives.values()),
        load_if_exists=True,
    )
    names = study.user_attrs.get("objectives")
    if names is not None and names != list(setup.objectives):
        raise StudyError(
            f"{work}: the search there scores {names}, the config {list(setup.objectives)}; "
            "use another --work folder"
        )
    study.set_user_attr("objectives", list(setup.objectives))
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(t.number, state=TrialState.FAIL)
    return study


def search(setup: Setup, work: Path, processes: int | None) -> optuna.Study:
    """Run the trials still missing; returns the study."""
    study = open_study(setup, work)
    store = work / "store"
    names = list(setup.objectives)
    done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    left = max(0, setup.trials - done)
    started = time.perf_counter()

    def evaluate(trial: optuna.Trial) -> list[float]:
        values = plan_values(setup, trial)
        runs = plan_runs(setup, f"trial-{trial.number:04d}", values)
        execute(runs, store, workers=processes or 0)
        scores = objective_values(store, runs, names)
        if any(not math.isfinite(s) for s in scores):
            raise optuna.TrialPruned("no finished run")  # every run failed
        finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) + 1
        elapsed = time.perf_counter() - started
        print(f"  plan {finished}/{setup.trials}: {elapsed:.0f} s", flush=True)
        return scores

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if left:
        print(f"{left} plans to evaluate ({done} done), {setup.replications} replications each")
        study.optimize(evaluate, n_trials=left)
    return study


def trials_table(setup: Setup, study: optuna.Study) -> pd.DataFrame:
    """Every finished plan: trial number, lever values, objectives, and whether it is on the
    Pareto front."""
    front = {t.number for t in study.best_trials}
    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        row: dict[str, Any] = {"trial": t.number, "pareto": t.number in front}
        row.update({p.path: t.params[p.path] for p in setup.levers})
        row.update(dict(zip(setup.objectives, t.values, strict=True)))
        rows.append(row)
    return pd.DataFrame(rows).sort_values("trial", ignore_index=True)


def command(setup: Setup, row: pd.Series) -> str:
    """The ``soe-sim`` command that runs a plan for the search's replications (at the base
    uncertainties: the search's figures average over the drawn ones)."""
    levers = [f"{p.path}={p.cast(row[p.path]):.6g}" for p in setup.levers]
    runs = [f"replications={setup.replications}", f"months={setup.base.months}"]
    return " ".join(["uv run soe-sim", *setup.base_overrides, *levers, *runs])


def plot_front(table: pd.DataFrame, setup: Setup, path: Path) -> None:
    """Objectives pair by pair: every plan grey, the Pareto front coloured."""
    names = list(setup.objectives)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    cols = min(3, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    fig = Figure(figsize=(5.2 * cols, 4.2 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    front = table[table["pareto"]]
    for ax, (a, b) in zip(axes, pairs, strict=False):
        ax.scatter(table[a], table[b], s=14, color="0.75", label="plan")
        ax.scatter(front[a], front[b], s=26, color="C3", label="Pareto front")
        ax.set_xlabel(f"{a} ({setup.objectives[a]}, {objective(a).unit})")
        ax.set_ylabel(f"{b} ({setup.objectives[b]}, {objective(b).unit})")
        ax.grid(alpha=0.3)
    for ax in axes[len(pairs) :]:
        ax.set_visible(False)
    axes[0].legend(loc="best", fontsize="small")
    fig.suptitle(
        f"Policy search: {len(table)} plans, "
        f"{len(front.drop_duplicates(subset=[p.path for p in setup.levers]))} distinct on the "
        "Pareto front "
        f"({setup.replications} replications each, uncertainties drawn per replication)"
    )
    fig.savefig(path, dpi=110)


def _readable(name: str, value: float) -> str:
    """An objective's value for the summary table: shares in %, money in bn yuan, people in
    thousands (the CSV files keep the model's units: shares, mn yuan, persons)."""
    unit = objective(name).unit
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "mn yuan":
        return f"{value / 1000:,.1f} bn"
    if unit == "persons":
        return f"{value / 1000:,.1f} k"
    return f"{value:,.4g}"


def write(setup: Setup, study: optuna.Study, out: Path, argv: Sequence[str]) -> pd.DataFrame:
    """trials.csv, pareto.csv, pareto.png and README.md."""
    out.mkdir(parents=True, exist_ok=True)
    table = trials_table(setup, study)
    if table.empty:
        raise StudyError("no plan finished: nothing to report")
    table.to_csv(out / "trials.csv", index=False)
    levers = [p.path for p in setup.levers]
    # NSGA-II proposes some plans twice (a crossover of identical parents): list each plan once
    front = table[table["pareto"]].drop_duplicates(subset=levers).copy()
    front["command"] = [command(setup, row) for _, row in front.iterrows()]
    first = next(iter(setup.objectives))
    ascending = setup.objectives[first] == "minimize"
    front = front.sort_values(first, ascending=ascending, ignore_index=True)
    front.to_csv(out / "pareto.csv", index=False)
    plot_front(table, setup, out / "pareto.png")
    shown = front[["trial", *setup.objectives, *levers]].copy()
    for name in setup.objectives:
        shown[name] = shown[name].map(lambda v, n=name: _readable(n, v))
    for path in levers:
        shown[path] = shown[path].map(lambda v: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}")
    shown.columns = [c.removeprefix("policy.") for c in shown.columns]
    lines = [
        "# Policy search: the Pareto front of restructuring plans",
        "",
        f"Regenerate: `{studies.rerun_command(SCRIPT, argv)}`"
        + (" (quick: a smoke test, not a study)" if setup.quick else ""),
        "",
        f"{len(table)} plans from `{' '.join(setup.base_overrides)}`, each "
        f"{setup.replications} replications of {setup.base.months} months (seeds spawned from "
        f"{setup.seed}; uncertainties "
        f"{', '.join(p.path for p in setup.uncertainties) or 'none'} drawn per replication "
        "from a Latin hypercube, the same for every plan). Objectives: "
        + ", ".join(f"{k} ({v})" for k, v in setup.objectives.items())
        + ". Every figure is emergent: a mean over the replications of a plan the sampler "
        "proposed; nothing is tuned to a target.",
        "",
        f"{len(front)} distinct plans are on the Pareto front (no other plan is at least as "
        "good on every objective and better on one). `pareto.csv` has each with the command "
        "that runs it; `trials.csv` has every plan (some proposed twice by the sampler). In the "
        "table: shares in %, money in bn yuan, jobs in thousands.",
        "",
        studies.markdown_table(shown),
        "",
        "![Pareto front](pareto.png)",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    return front


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code (2 for a bad config)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, default=CONFIG, help="study config (YAML)")
    parser.add_argument("--quick", action="store_true", help="smoke test: the config's quick sizes")
    parser.add_argument("--trials", type=int, help="plans to evaluate in all (default: config)")
    parser.add_argument("--processes", type=int, default=None, help="default: all cores")
    parser.add_argument("--out", type=Path, default=None, help=f"default: {RESULTS}")
    parser.add_argument("--work", type=Path, default=None, help="journal and store (resumable)")
    args = parser.parse_args(argv)
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    work = args.work or out / "work"
    try:
        setup = load_setup(args.config, quick=args.quick)
        if args.trials is not None:
            setup.trials = args.trials
        started = time.perf_counter()
        study = search(setup, work, args.processes)
        front = write(setup, study, out, argv)
        print(f"{len(front)} plans on the Pareto front in {time.perf_counter() - started:.0f} s")
        print(f"wrote {out}")
    except StudyError as exc:
        print(f"policy_search: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
