"""The ``soe-sim`` command: Hydra composes the config, the core runs it, outputs are written.

This and :mod:`sim.compose` are the only modules that import Hydra or OmegaConf; everything below
them takes plain dataclasses (:class:`sim.config.SimConfig`).

Before Hydra starts, :func:`run` checks everything it can, so bad input gets one line
(``soe-sim: error: ...``) and exit status 2 with nothing written: every override (for a sweep,
every job's), overrides that would instantiate Python objects (refused unless
``SOE_SIM_ALLOW_INSTANTIATE=1``), and the run folder (a folder already holding a run is refused
unless ``output.replace=true``). It resolves the run (or sweep) folder itself, creates it, and on
failure removes only the folders it created. The run folder is written whole or not at all
(:class:`sim.outputs.RunFolder`); Ctrl-C and SIGTERM remove the staged files and end with one line
(exit 130 and 143).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import hydra
import pandas as pd
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

import sim
from sim.compose import compose_config, config_dir, to_sim_config
from sim.config import SimConfig
from sim.errors import SimInputError
from sim.help import help_page
from sim.labels import current, indicator_name, language, t
from sim.outputs import (
    PARK_HEADLINE,
    RunFolder,
    RunFolderError,
    signals_deferred,
    summary_table,
)
from sim.population import BUILTIN_PREFIX
from sim.runner import RunResult, run_simulation
from sim.store import Store, slug
from sim.sweep import (
    SWEEP_FILE,
    Progress,
    RunSpec,
    SweepError,
    SweepFolder,
    check_scenarios,
    execute,
    objective_values,
    pending,
    scenario_name,
    specs,
)

__all__ = ["compose_config", "config_dir", "main", "one_line", "run", "to_sim_config"]

ALLOW_INSTANTIATE = "SOE_SIM_ALLOW_INSTANTIATE"
"""Set to 1 to allow overrides that instantiate Python objects (``_target_``, Hydra callbacks)."""

SWEEP_COMBINATIONS = 200
"""Sweeps of at most this many jobs are checked job by job; larger ones value by value."""

_INSTANTIATING = tuple(
    f"{prefix}hydra{sep}callbacks" for prefix in ("", "+", "++") for sep in (".", "/")
)
_HYDRA = ("hydra.", "hydra/", "+hydra", "++hydra", "~hydra")
_MULTIRUN = ("-m", "--multirun")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks clean up."""


@dataclass
class _Plan:
    """What :func:`run` decided before Hydra started."""

    target: Path
    """The run folder (single run) or sweep folder (``-m``), absolute."""
    created: list[Path]
    """Folders this invocation created (``target`` and missing ancestors), deepest first."""
    existed: frozenset[Path]
    """Entries of ``target`` that existed before (a sweep's job folders from an earlier run)."""
    own: frozenset[str]
    """Names Hydra itself writes into ``target`` (its ``.hydra`` folder, job log, multirun.yaml)."""
    multirun: bool
    folders: list[RunFolder] = field(default_factory=list)
    store: bool = False
    """Whether the runs go to a results store (a sweep, or ``replications`` above 1)."""
    runs: list[RunSpec] | None = None
    """Every run of the sweep, when every job was composed (at most SWEEP_COMBINATIONS)."""
    expected: int = 0
    """How many runs the sweep makes."""
    swept: list[str] = field(default_factory=list)
    """The sweep's keys with more than one value (they name its scenarios)."""
    started: bool = False
    """Whether the sweep wrote its status file (from then on, its folder is never removed)."""


_PLAN: _Plan | None = None


def _fail(out_dir: Path, message: str) -> NoReturn:
    """One line on stderr and exit 2; a sweep's job folder goes if this invocation made it."""
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    if _PLAN is not None and _PLAN.multirun and out_dir not in _PLAN.existed:
        _remove_made(out_dir, _PLAN.own)
    job = f"job {HydraConfig.get().job.num}: " if multirun else ""
    print(f"soe-sim: error: {job}{message}", file=sys.stderr)
    sys.exit(2)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="config")
def main(cfg: DictConfig) -> float | list[float] | None:
    """Run one scenario and write its outputs to the Hydra output folder; in a sweep, run the
    job's replications into the store and return its ``objectives`` (for Hydra's Optuna
    sweeper)."""
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    own = {n for n in (hc.output_subdir, f"{hc.job.name}.log") if n}
    try:
        config = to_sim_config(cfg)
        if hc.mode == RunMode.MULTIRUN or config.replications > 1:
            return _store_job(config, out_dir)
        folder = RunFolder(out_dir, replace=config.output.replace, own=own)
        if _PLAN is not None:
            _PLAN.folders.append(folder)
        with folder:  # staged before the run, so an unwritable folder fails at once
            result = run_simulation(config)
            task = [o for o in hc.overrides.task if not o.startswith("hydra.")]
            command = " ".join(["soe-sim", *(shlex.quote(o) for o in task)])
            paths = folder.write(result, config_yaml=OmegaConf.to_yaml(cfg), command=command)
    except SimInputError as err:
        _fail(out_dir, str(err))
    except OSError as err:
        _fail(out_dir, f"{err.strerror or err}" + (f": {err.filename}" if err.filename else ""))
    _print_summary(result)
    print(f"outputs: {out_dir} ({', '.join(p.name for p in paths)})")
    return None


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with Chinese headers and indicator names under ``output.lang=zh`` (English
    keeps the identifiers, which are the column names of the output tables)."""
    if current() != "zh":
        return table
    out = table.rename(columns=lambda c: t(str(c)) if "(" not in str(c) else _dated(str(c)))
    if "indicator" in table.index.names:
        out.index = [indicator_name(str(i)) for i in table.index]
        out.index.name = t("indicator")
    return out


def _dated(header: str) -> str:
    """``start (2023-12)`` in the current language."""
    word, _, date = header.partition(" (")
    return t(f"{word} ({{date}})").format(date=date.rstrip(")"))


def _float(value: float) -> str:
    return f"{value:,.3f}"


def _print_notes(config: SimConfig) -> None:
    for note in config.milestone_notes():
        print(t("note: {note}").format(note=note))


def _print_summary(result: RunResult) -> None:
    """The printed summary: headline indicators at the start and end, the parks table, the
    report card; in ``output.lang``."""
    config = result.config
    with language(config.output.lang):
        print(
            t(
                "soe-sim {version}: policy '{policy}', seed {seed}, {months} months, {ever} "
                "entities ever, {events} events, {seconds} s"
            ).format(
                version=sim.__version__,
                policy=config.policy.name,
                seed=config.seed,
                months=config.months,
                ever=result.entities_ever,
                events=len(result.events),
                seconds=f"{result.seconds:.2f}",
            )
        )
        print(_shown(summary_table(result.timeseries)).to_string(float_format=_float))
        if result.zones is not None:
            heading = t("parks: plan '{plan}'").format(plan=config.parks.name)
            print(f"\n{heading}" + ("" if current() == "zh" else " (园区开发区改革)"))
            print(_shown(summary_table(result.zones, PARK_HEADLINE)).to_string(float_format=_float))
        card = result.report_card
        if card.empty:
            return
        due = card[card["status"].isin(["met", "missed"])]
        if current() == "zh":
            print("\n" + t("report card: {met} of {due} targets due in the run met").format(
                met=int(due["met"].sum()), due=len(due)))  # fmt: skip
            from sim.plots import display

            sign = {"at_least": "≥", "at_most": "≤"}
            rows: list[Any] = list(card.itertuples())
            shown = pd.DataFrame({
                t("milestone"): card["milestone"],
                t("indicator"): [indicator_name(str(r.indicator)) for r in rows],
                t("target"): [f"{sign[r.sense]} {display(r.indicator).format(r.target_value)}"
                              for r in rows],
                t("achieved"): [display(r.indicator).format(r.achieved) for r in rows],
                t("status"): [t(str(r.status)) for r in rows],
            })  # fmt: skip
            print(shown.to_string(index=False))
            _print_notes(config)
            return
        print(
            f"\nreport card (改革高分报表): {int(due['met'].sum())} of {len(due)} targets due "
            f"within the run met ({len(card) - len(due)} fall outside it)"
        )
        print(card.drop(columns=["indicator", "met"]).to_string(index=False, float_format=_float))
        _print_notes(config)


def _check_font(cfg: SimConfig) -> None:
    """Chinese outputs need the font file itself, not just its package: checked before the run."""
    if cfg.output.lang == "zh" and cfg.output.chart:
        from sim.plots import cjk_font

        cjk_font()


def _check_roster(cfg: SimConfig) -> None:
    """A roster file that does not exist is refused before anything runs."""
    path = cfg.population.path
    if cfg.population.source != "roster" or not path or path.startswith(BUILTIN_PREFIX):
        return
    if not Path(path).exists():
        raise SimInputError(f"roster file {path} not found (population.path)")


def _task() -> list[str]:
    """The job's own overrides (Hydra's settings left out)."""
    return [o for o in HydraConfig.get().overrides.task if not o.startswith("hydra.")]


def _store_job(config: SimConfig, out_dir: Path) -> float | list[float] | None:
    """One job of a sweep: its replications, written to the sweep's results store; returns the
    job's ``objectives`` (one float, a list, or None). Prints nothing: the sweep's progress bar
    and closing line speak for it."""
    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    folder = Path(os.path.abspath(hc.sweep.dir if multirun else out_dir))
    task = _task()
    status = SweepFolder(folder).status() or {}
    swept = status.get("swept")
    runs = specs(
        config, scenario_name(config, task, swept if isinstance(swept, list) else None), task
    )
    job_dir = out_dir if config.output.folders else None
    try:
        execute(runs, folder / "store", workers=config.workers, folders=job_dir)
    except SweepError as err:
        _fail(out_dir, str(err))
    if multirun and job_dir is None and out_dir != folder:
        with contextlib.suppress(OSError):
            out_dir.rmdir()  # Hydra made it; with the store alone it stays empty
    values = objective_values(folder / "store", runs, config.objectives)
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def one_line(err: BaseException) -> str:
    """Hydra's and OmegaConf's multi-line messages folded into one line (search paths dropped)."""
    parts = []
    for exc in (err, err.__cause__):
        if exc is None:
            continue
        text = str(exc).split("Config search path:")[0]
        parts += [line.strip() for line in text.splitlines() if line.strip()]
    unique = list(
        dict.fromkeys(p for p in parts if not p.startswith(("object_type", "reference_type")))
    )
    return "; ".join(unique).replace(":; ", ": ")


def _error(message: str) -> NoReturn:
    print(f"soe-sim: error: {message}", file=sys.stderr)
    sys.exit(2)


def _instantiating(args: list[str]) -> str | None:
    """The first argument that would make Hydra instantiate a Python object, unless allowed."""
    if os.environ.get(ALLOW_INSTANTIATE) == "1":
        return None
    return next((a for a in args if "_target_" in a or a.startswith(_INSTANTIATING)), None)


class _SweepChecker:
    """Composes sweep jobs inside one Hydra context. A config is composed once per choice of
    config groups (and of ``+``/``++``/``~`` overrides); plain ``key=value`` overrides are applied
    to a copy with ``OmegaConf.update``, which refuses unknown keys and wrong types as ``compose``
    does, so checking a job costs milliseconds rather than a full composition (about 5 ms against
    80 ms). :meth:`axes` expands sweeps as Hydra's basic sweeper does (its own splitting is
    internal to Hydra)."""

    def __init__(self) -> None:
        self.loader = GlobalHydra.instance().config_loader()
        self.parser = OverridesParser.create(config_loader=self.loader)
        self.parsed: dict[str, Override] = {}
        self.groups: dict[str, bool] = {}
        self.bases: dict[tuple[str, ...], DictConfig | Exception] = {}

    def axes(self, task: list[str]) -> list[list[str]]:
        """Per key, its ``key=value`` overrides in job order, as Hydra's basic sweeper expands
        them."""
        axes: OrderedDict[str, list[str]] = OrderedDict()
        for override in self.parser.parse_overrides(task):
            key = override.get_key_element()
            if not override.is_sweep_override():
                axes[key] = [f"{key}={override.get_value_element_as_str()}"]
            elif override.is_discrete_sweep():
                axes[key] = [f"{key}={v}" for v in override.sweep_string_iterator()]
            elif override.is_interval_sweep():
                # a search space (Hydra's Optuna sweeper): its two ends are checked
                sweep = override.value()
                axes[key] = [f"{key}={v}" for v in (sweep.start, sweep.end)]  # type: ignore[union-attr]
            else:
                raise HydraException(f"'{override.input_line}': sweeps must list their values")
        return list(axes.values())

    def _override(self, text: str) -> Override:
        if text not in self.parsed:
            self.parsed[text] = self.parser.parse_override(text)
        return self.parsed[text]

    def _is_group(self, override: Override) -> bool:
        """Whether the override needs a full composition (a group choice, a package, an add,
        force-add or delete) rather than a plain value update."""
        key = override.key_or_group
        if key not in self.groups:
            self.groups[key] = bool(self.loader.get_group_options(key))
        plain = not (override.is_add() or override.is_force_add() or override.is_delete())
        return override.package is not None or not plain or self.groups[key]

    def compose(self, overrides: tuple[str, ...]) -> SimConfig:
        """The typed config of one job."""
        parsed = [self._override(o) for o in overrides]
        is_group = [self._is_group(p) for p in parsed]
        groups = tuple(o for o, g in zip(overrides, is_group, strict=True) if g)
        if groups not in self.bases:
            try:
                self.bases[groups] = compose(config_name="config", overrides=list(groups))
            except Exception as err:  # kept, so each job with these groups reports it
                self.bases[groups] = err
        base = self.bases[groups]
        if isinstance(base, Exception):
            raise base
        cfg = copy.deepcopy(base)
        for p, g in zip(parsed, is_group, strict=True):
            if not g:
                OmegaConf.update(cfg, p.key_or_group, p.value(), merge=True)
        return to_sim_config(cfg)

    def check(self, job: int, overrides: tuple[str, ...], shown: list[str]) -> SimConfig:
        """Compose one job; a bad one raises SimInputError naming the job."""
        try:
            cfg = self.compose(overrides)
            _check_roster(cfg)
            _check_font(cfg)
            return cfg
        except SimInputError as err:
            message = str(err)
        except (HydraException, OmegaConfBaseException) as err:
            message = one_line(err)
        raise SimInputError(f"sweep job {job} ({' '.join(shown or overrides)}): {message}")


@dataclass
class _Sweep:
    """A sweep as :func:`_check_sweep` found it."""

    job0: list[str]
    """Job 0's overrides."""
    replace: bool
    """Whether a job sets ``output.replace``."""
    swept: list[str]
    """Keys with more than one value."""
    runs: list[RunSpec] | None
    """Every run of the sweep, when every job was composed."""
    expected: int
    """How many runs the sweep makes."""


def _check_sweep(task: list[str]) -> _Sweep:
    """Compose every job of a sweep (or, beyond :data:`SWEEP_COMBINATIONS` jobs, every value of
    every swept key with the others at their first value) before any job runs."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        checker = _SweepChecker()
        axes = checker.axes(task)
        if any(not axis for axis in axes):
            return _Sweep([], False, [], [], 0)  # an empty sweep: Hydra runs no job
        swept = [k for k, axis in enumerate(axes) if len(axis) > 1]
        names = [axes[k][0].split("=", 1)[0].lstrip("+~") for k in swept]
        first = tuple(axis[0] for axis in axes)
        replace = False
        jobs = math.prod(len(axis) for axis in axes)
        if jobs <= SWEEP_COMBINATIONS:
            runs: list[RunSpec] = []
            for job, combo in enumerate(itertools.product(*axes)):
                cfg = checker.check(job, combo, [combo[k] for k in swept])
                replace |= cfg.output.replace
                runs += specs(cfg, scenario_name(cfg, combo, names), combo)
            return _Sweep(list(first), replace, names, runs, len(runs))
        cfg0 = checker.check(0, first, [first[k] for k in swept])
        replace |= cfg0.output.replace
        replications = {0: cfg0.replications}
        for k in swept:
            stride = math.prod(len(axis) for axis in axes[k + 1 :])
            seen = {first[k]}
            for j, value in enumerate(axes[k]):
                if value not in seen:
                    seen.add(value)
                    combo = (*first[:k], value, *first[k + 1 :])
                    cfg = checker.check(j * stride, combo, [value])
                    replace |= cfg.output.replace
                    if value.split("=", 1)[0] == "replications":
                        replications[j] = cfg.replications
        per_job = sum(replications.values()) / len(replications)
    return _Sweep(list(first), replace, names, None, round(per_job * jobs))


def _hydra_settings(overrides: list[str]) -> DictConfig:
    """Hydra's own settings (``hydra.run.dir`` and so on) as this command line sets them."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
    return cfg.hydra


def _quoted(path: Path) -> str:
    """``path`` as a quoted Hydra override value (backslashes before quotes and at the end
    doubled, quotes escaped)."""
    text = re.sub(
        r"(\\*)('|$)", lambda m: m.group(1) * 2 + ("\\'" if m.group(2) else ""), str(path)
    )
    return f"'{text}'"


def _missing(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _remove_made(folder: Path, own: frozenset[str]) -> None:
    """Remove a folder this invocation made, if it holds nothing but Hydra's own files."""
    with signals_deferred(), contextlib.suppress(OSError):
        for name in own:
            entry = folder / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif os.path.lexists(entry):
                entry.unlink()
        folder.rmdir()


def _holds_runs(plan: _Plan) -> bool:
    """Whether a sweep's folder holds finished runs (then a failure never removes it)."""
    return plan.started and bool(SweepFolder(plan.target).store.finished())


def _clean_up(plan: _Plan) -> None:
    """After a failure: remove the folders this invocation created, if nothing else is in them."""
    for folder in plan.created:
        if folder == plan.target:
            _remove_made(folder, plan.own)
        else:
            with signals_deferred(), contextlib.suppress(OSError):
                folder.rmdir()


def _sweep_params(task: list[str], hydra_overrides: list[str]) -> tuple[bool, list[str]]:
    """Whether a named sweep config (``sweep=NAME``) makes this a sweep, and its swept values as
    overrides (``hydra.sweeper.params``; the command line's own values win, as in Hydra)."""
    chosen = [o for o in task if re.match(r"\+*sweep=", o)]
    if not chosen:
        return False, []
    settings = _hydra_settings([*chosen, *hydra_overrides])
    params = OmegaConf.select(settings, "sweeper.params") or {}
    given = {o.split("=", 1)[0].lstrip("+~") for o in task}
    extra = [f"{k}={v}" for k, v in params.items() if k not in given]
    return str(settings.mode) in ("MULTIRUN", "RunMode.MULTIRUN"), extra


def _prepare(args: list[str], multirun: bool) -> tuple[_Plan | None, list[str]]:
    """Check the command line and create the run folder; returns the plan and Hydra's argv."""
    overrides = [a for a in args if a not in _MULTIRUN]
    task = [o for o in overrides if not o.startswith(_HYDRA)]
    hydra_overrides = [o for o in overrides if o.startswith(_HYDRA)]
    runs: list[RunSpec] | None = None
    expected = 1
    try:
        named, params = _sweep_params(task, hydra_overrides)
        multirun |= named
        if multirun:
            found = _check_sweep([*params, *task])
            job0, replace, runs, expected = found.job0, found.replace, found.runs, found.expected
            swept, store = found.swept, True
        else:
            cfg = compose_config(*task)
            _check_roster(cfg)
            _check_font(cfg)
            job0, replace, swept = task, cfg.output.replace, []
            store = cfg.replications > 1
            if store:
                runs = specs(cfg, scenario_name(cfg, task, swept), task)
        settings = _hydra_settings([*job0, *hydra_overrides])
    except SimInputError as err:
        _error(str(err))
    except (HydraException, OmegaConfBaseException) as err:
        _error(one_line(err))
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        target = Path(os.path.abspath(str(OmegaConf.select(settings, key.removeprefix("hydra.")))))
    except OmegaConfBaseException:
        return None, args  # a folder only Hydra can resolve (e.g. from job settings): its own way
    if "${" in str(target):
        _error(f"{key} {target} holds '${{', which Hydra would read as an interpolation")
    if store:
        key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    own = {n for n in (settings.output_subdir, f"{settings.job.name}.log", "cli.log") if n}
    if multirun:
        own.add("multirun.yaml")
    if store:
        # .submitit: the SLURM launcher's job files; report: soe-sim-report's
        own |= {"store", SWEEP_FILE, ".submitit", "report"}
        if (target / SWEEP_FILE).is_file():  # a sweep folder: its job folders are its own
            own |= {p.name for p in target.iterdir() if p.name.isdigit() and p.is_dir()}
        replace = False  # a store is resumed, never replaced
        try:
            SweepFolder(target).check_resumable()
            if runs is not None:
                runs = list({(slug(r.scenario), r.run_key): r for r in runs}.values())
                check_scenarios(runs, Store(target / "store"))
        except SweepError as err:
            _error(str(err))
    folder = RunFolder(target, replace=replace, own=own)
    try:
        folder.check()
    except RunFolderError as err:
        message = str(err)
        if store:
            message = (
                f"sweep folder {target} holds files that are not a sweep's "
                f"({', '.join(folder.foreign()[:4])}); a sweep resumes only into its own "
                "folder: choose another one (hydra.sweep.dir=...)"
            )
        elif multirun:
            message = message.replace("run folder", "sweep folder").replace(
                "hydra.run.dir", "hydra.sweep.dir"
            )
        _error(message)
    created = _missing(target)
    existed = frozenset(target.iterdir()) if target.is_dir() else frozenset()
    plan = _Plan(
        target, created, existed, frozenset(own), multirun, store=store, runs=runs, swept=swept
    )
    plan.expected = len(runs) if runs is not None else expected
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        _clean_up(plan)
        where = f" ({err.filename})" if err.filename and str(err.filename) != str(target) else ""
        _error(f"cannot create run folder {target}: {err.strerror or err}{where}")
    keep = [a for a in args if not re.match(rf"\+*{re.escape(key)}=", a)]
    return plan, [*keep, f"{key}={_quoted(target)}"]


def _sweep(plan: _Plan, args: list[str]) -> int:
    """Run a sweep (Hydra launches its jobs) with one progress bar, and mark the folder
    complete when every job returned; a killed sweep's folder stays ``incomplete``. Returns the
    exit status: 1 when a run failed."""
    folder = SweepFolder(plan.target)
    held = 0
    if plan.runs is not None:
        held = len(plan.runs) - len(pending(plan.runs, folder.store)[0])
    command = " ".join(["soe-sim", *(shlex.quote(a) for a in args)])
    fields = {
        "command": command,
        "swept": plan.swept,
        "expected_runs": plan.expected,
        "held_at_start": held,
    }
    folder.write_status("incomplete", **fields)
    plan.started = True
    folder.store.clean()
    started = time.perf_counter()
    with Progress(folder, plan.expected - held) as progress:
        main()
    new, failed = progress.update()
    seconds = time.perf_counter() - started
    folder.write_status("complete", **fields, ran=new, failed=failed, seconds=round(seconds, 3))
    skipped = f", {held:,} already in the store" if held else ""
    print(
        f"soe-sim {sim.__version__}: sweep complete: {new:,} runs ({failed:,} failed{skipped}) "
        f"in {seconds:,.1f} s\nstore: {folder.store.root}\n"
        f"report: soe-sim-report {shlex.quote(str(plan.target))}"
    )
    if failed:
        print(
            f"soe-sim: {failed:,} runs failed: their runs rows (status 'failed') say why; "
            "rerun the same command to try them again",
            file=sys.stderr,
        )
        return 1
    return 0


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` (in the main thread), so clean-up runs as for Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(how: str, status: int) -> NoReturn:
    plan = _PLAN
    if plan is not None and plan.store:
        kept = (
            f"finished runs are kept in {plan.target / 'store'}; "
            "rerun the same command to resume the sweep"
        )
    elif plan is not None and any(f.committed for f in plan.folders):
        kept = f"completed runs are kept in {plan.target}, the unfinished one left nothing"
    elif plan is not None:
        kept = f"nothing written to {plan.target}"
    else:
        kept = "nothing written"
    print(f"soe-sim: {how}; {kept}", file=sys.stderr)
    sys.exit(status)


def run() -> None:
    """The ``soe-sim`` entry point: the overrides (for ``-m``, every job's) and the run folder are
    checked first, so bad input gets one line and exit status 2 with nothing written; ``--help``
    prints :func:`help_page`; other flags go straight to Hydra."""
    global _PLAN
    args = sys.argv[1:]
    # Under `uv run`, Ray would start its workers with `uv run` again, in an environment without
    # the project's extras; the workers share this interpreter's environment instead.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    if "--help" in args or "-h" in args:
        with contextlib.suppress(BrokenPipeError):  # `soe-sim --help | head`
            sys.stdout.write(help_page() + "\n")
            sys.stdout.flush()
        return
    refused = _instantiating(args)
    if refused is not None:
        _error(
            f"'{refused}' would make Hydra instantiate a Python object from the command line; "
            f"refused (set {ALLOW_INSTANTIATE}=1 to allow it)"
        )
    if any(a.startswith("-") and a not in _MULTIRUN for a in args):
        main()
        return
    argv = sys.argv
    plan = None
    done = False
    try:
        with _sigterm_raises():
            try:
                plan, hydra_args = _prepare(args, multirun=any(a in _MULTIRUN for a in args))
                _PLAN = plan
                sys.argv = [argv[0], *hydra_args]
                status = 0
                if plan is not None and plan.store:
                    status = _sweep(plan, args)
                else:
                    main()
                done = True
            finally:
                sys.argv = argv
                if plan is not None and not done and not _holds_runs(plan):
                    _clean_up(plan)
        if status:
            sys.exit(status)
    except KeyboardInterrupt:
        _interrupted("interrupted (Ctrl-C)", 130)
    except _Terminated:
        _interrupted("terminated (SIGTERM)", 143)
    finally:
        _PLAN = None


if __name__ == "__main__":
    run()
