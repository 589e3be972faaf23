"""Replications of scenarios, run in one process or on a pool, written to a results store.

A scenario is one config (a plan under given conditions); its replications differ only in their
seed. Replication 0 runs the config's ``seed`` itself (so it is the run ``soe-sim seed=S`` gives);
replication ``r`` >= 1 runs the ``r``-th child of ``numpy.random.SeedSequence(seed)``
(:func:`replication_seeds`). Every scenario of a sweep therefore runs the same seeds, and the
model draws its demand path from the seed alone (common random numbers): differences between
scenarios are paired, replication by replication.

:func:`execute` runs a list of :class:`RunSpec` and writes each finished run to a
:class:`sim.store.Store`, skipping runs the store already holds: rerunning a sweep into the same
folder resumes it. A run that raises becomes a failure record (status ``failed``, the exception's
type and message) and the others go on. Each run's tables depend only on its config and seed, so
the store is the same, file by file, whatever the number of processes or the launcher.

Worker processes import the main script (Python's ``forkserver`` start method), so a script that
runs a pool must guard the call with ``if __name__ == "__main__":``; called from an unguarded
script's top level, :func:`execute` runs in one process and says so, rather than letting every
worker rerun the script.
"""

from __future__ import annotations

import ast
import atexit
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.config import SimConfig
from sim.outputs import strict_json
from sim.runner import RunResult, run_simulation
from sim.store import Store, slug

RUN_SETTINGS = frozenset({"seed", "replications", "workers", "scenario", "objectives"})
"""Top-level keys that say how a scenario is run rather than what it is: they do not enter the
run key (besides the run's own seed) nor the scenario's name."""

UNRECORDED = frozenset({"workers"})
"""Overrides left out of the ``runs`` table's ``overrides``: they change how fast, not what."""

PACKAGES = ("numpy", "pandas", "pyarrow", "mesa", "hydra-core")
"""Packages whose versions each ``runs`` row records."""


class SweepError(RuntimeError):
    """The worker processes could not run (for example, an unguarded script)."""


def replication_seeds(seed: int, n: int) -> list[int]:
    """The seeds of ``n`` replications: ``seed``, then the first ``n - 1`` children of
    ``SeedSequence(seed)`` as 63-bit integers. A prefix of a longer list: 10 replications are
    the first 10 of 50."""
    children = np.random.SeedSequence(seed).spawn(n - 1) if n > 1 else []
    return [int(seed)] + [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def _identity(cfg: SimConfig) -> dict[str, object]:
    """The resolved config without outputs and run settings, plus the seed."""
    data = dataclasses.asdict(cfg)
    data.pop("output")
    for key in RUN_SETTINGS:
        data.pop(key)
    data["seed"] = cfg.seed
    return data


def _hash(data: object) -> str:
    text = json.dumps(strict_json(data), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def run_key(cfg: SimConfig) -> str:
    """A 16-hex-digit hash of the resolved config (outputs and run settings left out) and seed:
    equal keys compute equal tables."""
    return _hash(_identity(cfg))


def _stored(cfg: SimConfig) -> dict[str, bool]:
    """Which optional tables the store keeps for a run."""
    return {"groups": cfg.output.groups, "events": cfg.output.events}


def _scenario_identity(cfg: SimConfig, varies: Sequence[str] = ()) -> dict[str, object]:
    """What every run of one scenario shares: the config without the seed and without the
    dotted paths in ``varies`` (parameters drawn per replication by design, as in the policy
    search), and which optional tables the store keeps."""
    data = _identity(cfg)
    data.pop("seed")
    for path in varies:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)
    data["stored"] = _stored(cfg)
    return data


def scenario_key(cfg: SimConfig, varies: Sequence[str] = ()) -> str:
    """A hash of :func:`_scenario_identity`: the runs of one scenario in a store share it."""
    return _hash(_scenario_identity(cfg, varies))


def _flat(data: object, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        out: dict[str, object] = {}
        for k, v in data.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): data}


def _differences(a: dict[str, object], b: dict[str, object], most: int = 3) -> str:
    fa, fb = _flat(a), _flat(b)
    keys = sorted(k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))
    shown = ", ".join(f"{k} ({fa.get(k)!r} against {fb.get(k)!r})" for k in keys[:most])
    return shown + (f" and {len(keys) - most} more" if len(keys) > most else "")


def check_scenarios(runs: Sequence[RunSpec], store: Store) -> None:
    """Refuse runs that would put two different configs under one scenario name, within
    ``runs`` or against what the store already holds (a rerun with another setting, or a
    ``scenario=`` name given to several plans)."""
    first: dict[str, RunSpec] = {}
    for spec in runs:
        folder = slug(spec.scenario)
        other = first.setdefault(folder, spec)
        mine = scenario_key(spec.config, spec.varies)
        if other is not spec and scenario_key(other.config, other.varies) != mine:
            diff = _differences(
                _scenario_identity(other.config, other.varies),
                _scenario_identity(spec.config, spec.varies),
            )
            raise SweepError(
                f"scenario {spec.scenario!r} would hold runs of two configs (they differ in "
                f"{diff}); give each its own name (scenario=...)"
            )
    for spec in first.values():
        held = store.scenario_record(spec.scenario)
        if held is None or held.get("scenario_key") == scenario_key(spec.config, spec.varies):
            continue
        theirs = json.loads(str(held.get("config") or "{}"))
        theirs.pop("seed", None)
        theirs["stored"] = json.loads(str(held.get("stored") or "{}"))
        diff = _differences(theirs, _scenario_identity(spec.config, spec.varies))
        raise SweepError(
            f"the store {store.root} holds runs of scenario {spec.scenario!r} with another "
            f"config (it differs in {diff}); use another sweep folder (hydra.sweep.dir=...) or "
            "another scenario name (scenario=...)"
        )


def scenario_name(
    cfg: SimConfig, overrides: Sequence[str] = (), swept: Collection[str] | None = None
) -> str:
    """The scenario's name: ``cfg.scenario`` when set; else the plan's name when the overrides
    that vary across the sweep (``swept``: the keys with several values; None: every override)
    choose nothing but the plan; else those overrides, sorted and space-separated
    (``economy=downturn policy=gradual``). Seeds and run settings never name a scenario."""
    if cfg.scenario:
        return cfg.scenario
    kept = []
    for text in overrides:
        key = text.split("=", 1)[0].lstrip("+~")
        if key in RUN_SETTINGS or key == "sweep" or key.startswith(("output.", "hydra")):
            continue
        if swept is None or key in swept:
            kept.append(text.lstrip("+"))
    if all(o.split("=", 1)[0] == "policy" for o in kept):
        return cfg.policy.name
    return " ".join(sorted(kept))


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep."""

    scenario: str
    config: SimConfig
    """The scenario's config with this run's seed."""
    replication: int
    base_seed: int
    """The scenario's ``seed``, from which this replication's seed was spawned."""
    overrides: str = ""
    """The command-line overrides of the scenario (for the ``runs`` table)."""
    varies: tuple[str, ...] = ()
    """Config paths that differ between the scenario's replications by design (uncertainties
    drawn per replication); the scenario's consistency check leaves them out."""

    @functools.cached_property
    def run_key(self) -> str:
        return run_key(self.config)


def specs(cfg: SimConfig, scenario: str, overrides: Sequence[str] = ()) -> list[RunSpec]:
    """The runs of one scenario: ``cfg.replications`` replications of ``cfg``."""
    seeds = replication_seeds(cfg.seed, cfg.replications)
    text = " ".join(o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in UNRECORDED)
    return [
        RunSpec(scenario, dataclasses.replace(cfg, seed=s), r, cfg.seed, text)
        for r, s in enumerate(seeds)
    ]


def _git(root: Path, *args: str) -> str:
    """``git ARGS`` in ``root``; empty on any failure."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


@functools.cache
def provenance() -> dict[str, str]:
    """Code version (package version and, in a git checkout, the commit, with a hash of the
    uncommitted changes to ``sim/`` and ``configs/`` when there are any) and package versions."""
    commit = ""
    root = Path(__file__).resolve().parents[1]
    if (root / ".git").exists():
        commit = _git(root, "rev-parse", "--short=12", "HEAD")
        diff = _git(root, "diff", "HEAD", "--", "sim", "configs") if commit else ""
        if diff:  # uncommitted changes to the model: a version of their own
            commit += ".dirty" + hashlib.sha256(diff.encode()).hexdigest()[:8]
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return {
        "code_version": __version__ + (f"+g{commit}" if commit else ""),
        "packages": json.dumps(versions, sort_keys=True),
    }


def _record(spec: RunSpec, **fields: object) -> dict[str, object]:
    cfg = spec.config
    return {
        "base_seed": spec.base_seed,
        "overrides": spec.overrides,
        "policy": cfg.policy.name,
        "population": cfg.population.source,
        "months": cfg.months,
        "start": cfg.start,
        **fields,
        **provenance(),
        "scenario_key": scenario_key(cfg, spec.varies),
        "config": json.dumps(strict_json(_identity(cfg)), sort_keys=True, ensure_ascii=False),
        "stored": json.dumps(_stored(cfg)),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "pid": os.getpid(),
    }


def _tables(result: RunResult, spec: RunSpec) -> dict[str, pd.DataFrame | None]:
    out = spec.config.output
    return {
        "timeseries": result.timeseries,
        "groups": result.groups if out.groups else None,
        "report_card": result.report_card,
        "events": result.events if out.events else None,
        "zones": result.zones,
        "park_events": result.park_events if out.events else None,
        "zone_table": result.zone_table,
    }


def _write_folder(result: RunResult, spec: RunSpec, folders: Path) -> None:
    """The optional per-run folder (``output.folders``): ``<folders>/<replication>``, where
    ``folders`` is the scenario's job folder."""
    from sim.outputs import RunFolder

    with RunFolder(folders / str(spec.replication), replace=True) as folder:
        folder.write(result)


def run_one(spec: RunSpec, root: Path, folders: Path | None = None) -> tuple[str, str, str]:
    """Run ``spec`` and write it to the store at ``root``; returns (scenario, run key, status).
    A run that raises is written as a failure record."""
    store = Store(root)
    keys = {
        "scenario": spec.scenario,
        "run_key": spec.run_key,
        "seed": spec.config.seed,
        "replication": spec.replication,
    }
    started = time.perf_counter()
    try:
        cfg = spec.config
        lean = dataclasses.replace(
            cfg,
            output=dataclasses.replace(
                cfg.output, entities=folders is not None and cfg.output.entities
            ),
        )
        result = run_simulation(lean)
        if folders is not None:
            _write_folder(result, spec, folders)
    except Exception as err:  # a failed run is a record, and the sweep goes on
        record = _record(
            spec,
            status="failed",
            error_type=type(err).__name__,
            error_message=str(err).splitlines()[0] if str(err) else "",
            run_seconds=float("nan"),
            wall_seconds=time.perf_counter() - started,
            entities_ever=0,
            events=0,
        )
        store.put(spec.scenario, spec.run_key, keys, {}, record)
        return spec.scenario, spec.run_key, "failed"
    tables = _tables(result, spec)
    record = _record(
        spec,
        status="ok",
        error_type="",
        error_message="",
        run_seconds=result.seconds,
        wall_seconds=time.perf_counter() - started,
        entities_ever=result.entities_ever,
        events=len(result.events),
    )
    store.put(spec.scenario, spec.run_key, keys, tables, record)
    return spec.scenario, spec.run_key, "ok"


@dataclass
class Outcome:
    """What :func:`execute` did."""

    ran: int = 0
    failed: int = 0
    skipped: int = 0
    """Runs the store already held (a resumed sweep)."""
    seconds: float = 0.0


def objective_values(
    root: Path | str, runs: Sequence[RunSpec], names: Sequence[str]
) -> list[float]:
    """Each of ``names`` (see :data:`sim.outcomes.SWEEP_OBJECTIVES`) as the mean over the
    finished runs of ``runs`` (failed runs left out; NaN when none finished)."""
    from sim.store import read

    if not names:
        return []
    keys = {s.run_key for s in runs}
    scenarios = sorted({s.scenario for s in runs})
    ts = read(root, "timeseries", scenarios=scenarios)
    ts = ts[ts["run_key"].isin(keys)].sort_values(["run_key", "month"])
    first, last = ts.groupby("run_key").first(), ts.groupby("run_key").last()
    values = []
    for name in names:
        if name == "targets_met":
            card = read(root, "report_card", scenarios=scenarios)
            card = card[card["run_key"].isin(keys) & card["status"].isin(["met", "missed"])]
            per_run = card.groupby("run_key")["met"].mean()
        elif name == "profit_gain":
            per_run = last["profit_ttm"] - first["profit_ttm"]
        else:
            per_run = last[name]
        values.append(float(per_run.mean()) if len(per_run) else float("nan"))
    return values


def pending(runs: Sequence[RunSpec], store: Store) -> tuple[list[RunSpec], int]:
    """The runs the store does not hold yet (each once), and how many of ``runs`` it holds."""
    done = store.finished()
    todo: dict[tuple[str, str], RunSpec] = {}
    held = 0
    for spec in runs:
        where = (slug(spec.scenario), spec.run_key)
        if where in done:
            held += 1
        else:
            todo.setdefault(where, spec)
    return list(todo.values()), held


def processes_for(workers: int) -> int:
    """``workers`` with 0 read as every available core."""
    return workers or len(os.sched_getaffinity(0))


def execute(
    runs: Sequence[RunSpec],
    root: Path | str,
    *,
    workers: int = 1,
    folders: Path | None = None,
    on_done: Callable[[str], None] | None = None,
) -> Outcome:
    """Run every spec the store at ``root`` does not hold yet, ``workers`` at a time
    (0: every core), writing each as it finishes; ``on_done(status)`` is called per run."""
    started = time.perf_counter()
    store = Store(root)
    store.root.mkdir(parents=True, exist_ok=True)
    store.clean()
    check_scenarios(runs, store)
    todo, skipped = pending(runs, store)
    outcome = Outcome(skipped=skipped)

    def finished(status: str) -> None:
        outcome.ran += 1
        outcome.failed += status == "failed"
        if on_done is not None:
            on_done(status)

    processes = min(processes_for(workers), max(1, len(todo)))
    if processes > 1 and unguarded_main():
        warnings.warn(
            f"running {len(todo)} runs in one process: the calling script's top level is not "
            "under `if __name__ == '__main__':`, and worker processes would rerun it",
            stacklevel=2,
        )
        processes = 1
    if processes == 1:
        for spec in todo:
            finished(run_one(spec, store.root, folders)[2])
    else:
        _on_pool(todo, store.root, folders, processes, finished)
    outcome.seconds = time.perf_counter() - started
    return outcome


SWEEP_FILE = "sweep.json"
"""The sweep folder's status file: ``complete`` or ``incomplete``, with the command, the runs
expected, finished and failed, and the code version."""


class SweepFolder:
    """The parent's view of a sweep folder: its status file, and the progress of its store."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.store = Store(self.folder / "store")

    @property
    def status_path(self) -> Path:
        return self.folder / SWEEP_FILE

    def status(self) -> dict[str, object] | None:
        """The status file's content, or None when there is none."""
        try:
            data = json.loads(self.status_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def check_resumable(self) -> None:
        """Refuse to add runs of another code version to a store (one store, one model)."""
        previous = self.status()
        if previous is None:
            return
        theirs, ours = previous.get("code_version"), provenance()["code_version"]
        if theirs and theirs != ours:
            raise SweepError(
                f"sweep folder {self.folder} holds runs of soe-sim {theirs}, this is {ours}: "
                "resume it with the same code, or choose another folder (hydra.sweep.dir=...)"
            )

    def write_status(self, status: str, **fields: object) -> None:
        data = {
            "status": status,
            **fields,
            "code_version": provenance()["code_version"],
            "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        tmp = self.status_path.with_name(f"{SWEEP_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(strict_json(data), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.status_path)

    def counts(self, seen: dict[Path, str]) -> tuple[int, int]:
        """Runs and failures in the store, reading only ``runs`` files not in ``seen`` (a cache
        of path -> status, updated)."""
        import pyarrow.parquet as pq

        for path in self.store.root.glob("runs/*/*.parquet"):
            if path not in seen:
                try:
                    seen[path] = str(pq.read_table(path, columns=["status"])["status"][0])
                except (OSError, ValueError, IndexError):
                    continue  # replaced while being read: counted at the next look
        return len(seen), sum(v == "failed" for v in seen.values())


class Progress:
    """One progress bar for a sweep, fed by the store (so it counts runs made by any launcher,
    in any process): runs done, failures, rate and time left. Runs the store held at the start
    are not counted."""

    def __init__(self, folder: SweepFolder, expected: int, *, interval: float = 0.5) -> None:
        import threading

        self.folder = folder
        self.expected = expected
        self.interval = interval
        self.seen: dict[Path, str] = {}
        self.start_runs, self.start_failed = folder.counts(self.seen)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="soe-sim-progress")
        self.bar = None

    def __enter__(self) -> Progress:
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.expected,
            unit="run",
            desc="sweep",
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=self.interval if sys.stderr.isatty() else 15.0,
            smoothing=0.1,
        )
        self._thread.start()
        return self

    def update(self) -> tuple[int, int]:
        runs, failed = self.folder.counts(self.seen)
        new, new_failed = runs - self.start_runs, failed - self.start_failed
        if self.bar is not None:
            self.bar.set_postfix_str(f"failed {new_failed}", refresh=False)
            self.bar.update(max(0, min(new, self.expected) - self.bar.n))
        return new, new_failed

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.update()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.update()
        if self.bar is not None:
            self.bar.close()


def unguarded_main() -> bool:
    """Whether this call comes from the top level of a main script outside an
    ``if __name__ == "__main__":`` block (the case in which pool workers would rerun it)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        return False
    frame = sys._getframe(1)
    while frame is not None and not (
        frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
    ):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return False
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    line = frame.f_lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _tests_main(node.test):
            start, end = node.body[0].lineno, node.body[-1].end_lineno or node.lineno
            if start <= line <= end:
                return False
    return True


def _tests_main(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.comparators) == 1):
        return False
    sides = [test.left, test.comparators[0]]
    names = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return names and main and isinstance(test.ops[0], ast.Eq)


_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(processes: int) -> ProcessPoolExecutor:
    """A pool of ``processes`` workers, kept for the next call in this process (a sweep's jobs
    on Hydra's basic launcher share one), and shut down at exit."""
    pool = _POOLS.get(processes)
    if pool is None:
        # forkserver: forking a process that has started threads is unsafe; the server imports
        # the model once and forks cheap workers from it.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.sweep"])
        pool = _POOLS[processes] = ProcessPoolExecutor(processes, mp_context=ctx)
        if len(_POOLS) == 1:
            atexit.register(shutdown_pools)
    return pool


def shutdown_pools() -> None:
    """Stop the worker processes this process started."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown(wait=True, cancel_futures=True)


def _on_pool(
    todo: Sequence[RunSpec],
    root: Path,
    folders: Path | None,
    processes: int,
    finished: Callable[[str], None],
) -> None:
    """Run ``todo`` on a pool of ``processes``, at most two runs queued per process, so memory
    does not grow with the number of runs."""
    pool = _pool(processes)
    running: set[Future[tuple[str, str, str]]] = set()
    try:
        for spec in todo:
            running.add(pool.submit(run_one, spec, root, folders))
            if len(running) >= 2 * processes:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(future.result()[2])
        for future in running:
            finished(future.result()[2])
    except BrokenProcessPool as err:
        _POOLS.pop(processes, None)
        raise SweepError(
            "the worker processes died before finishing their runs (out of memory, or killed); "
            "the finished runs are in the store: rerun to resume, with fewer workers if memory "
            "ran out"
        ) from err
    except BaseException:
        for future in running:
            future.cancel()
        raise


__all__ = [
    "SWEEP_FILE",
    "Outcome",
    "Progress",
    "RunSpec",
    "SweepError",
    "SweepFolder",
    "execute",
    "provenance",
    "replication_seeds",
    "run_key",
    "run_one",
    "scenario_name",
    "specs",
]
