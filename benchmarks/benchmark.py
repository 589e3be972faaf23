"""Time the vectorised core against the per-agent reference, each case in a fresh process.

Usage (from the project root)::

    python -m uv run python benchmarks/benchmark.py                      # 1e3..1e6, 36 months
    python -m uv run python benchmarks/benchmark.py --sizes 1e3 1e4 --months 12

For every size, three cases run, each in its own child process pinned to one core with BLAS/OpenMP
threads set to 1 (so the peak memory is that case's alone and the timings are "on one core"):

* ``vectorised`` with the default economy (entries and exits on), the configuration users run;
* ``vectorised`` with ``entry_rate=0, bankruptcy_hazard=0``, the like-for-like comparison;
* ``per-agent`` (``benchmarks/per_agent.py``) with ``entry_rate=0, bankruptcy_hazard=0``, up to
  ``--per-agent-max`` entities.

The ``chongqing_2023`` preset runs the same three cases. The script prints a markdown table and
the PASS/MISS verdicts against the performance targets and writes both, with machine information,
to ``benchmarks/results/latest.json``. See ``benchmarks/README.md`` for the columns.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
PRESET = "chongqing_2023"
PRESET_PATH = "builtin:chongqing_2023.csv"
THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)
REPEAT_BELOW = 100_000
"""Cases with fewer entities are repeated ``--repeats`` times (best time kept); larger run once."""

TARGET_N = 1_000_000
TARGET_RUN_S = 10.0
TARGET_RSS_MB = 1024.0
TARGET_PRESET_S = 0.5
TARGET_SPEEDUP_N = 100_000
TARGET_SPEEDUP = 20.0
TARGET_MONTHS = 36

VARIANTS = {
    "default": {},
    "no-entry-exit": {
        "entry_rate": 0.0,
        "bankruptcy_hazard": 0.0,
        "zombie_exit_rate": 0.0,
        "zombie_recovery_rate": 0.0,
    },
}


# -- child process: one case ----------------------------------------------------------------------
def _pin_to_one_core() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    core = 0 if 0 in allowed else min(allowed)
    os.sched_setaffinity(0, {core})
    return core


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20  # KiB on Linux


class _Timer:
    """Accumulates wall and CPU seconds spent in one method of one object (wraps the method)."""

    def __init__(self, obj: Any, name: str) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        inner = getattr(obj, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t, c = time.perf_counter(), time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
                self.cpu_seconds += time.process_time() - c

        setattr(obj, name, timed)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Build, initialise and run one case in this process; timings in seconds."""
    core = _pin_to_one_core()
    started = time.perf_counter()
    from sim.config import EconomyConfig, OutputConfig, PopulationConfig, SimConfig
    from sim.model import SOEModel, random_streams
    from sim.population import build_roster

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from per_agent import PerAgentModel

    import_s = time.perf_counter() - started
    rss_import = _peak_rss_mb()

    if case["population"] == PRESET:
        population = PopulationConfig(source="roster", path=PRESET_PATH)
    else:
        population = PopulationConfig(source="synthetic", n_entities=int(case["population"]))
    config = SimConfig(
        seed=case["seed"],
        months=case["months"],
        population=population,
        economy=EconomyConfig(**VARIANTS[case["variant"]]),
        # The simulation with its monthly portfolio and group records; the entity tables and
        # the chart are output-writing work, outside what the benchmark times.
        output=OutputConfig(chart=False, entities=False, groups=True),
    )
    model_cls = SOEModel if case["impl"] == "vectorised" else PerAgentModel

    t = time.perf_counter()
    roster = build_roster(config.population, random_streams(config.seed)["population"])
    build_s = time.perf_counter() - t
    n = len(roster)

    runs = []
    single = n >= REPEAT_BELOW
    if single:
        # One run: let the model build the population itself, as soe-sim does, so the roster
        # is freed before the agents are made (init_s then includes a second build).
        from sim.memory import release_freed_memory

        del roster
        gc.collect()
        release_freed_memory()
    for _ in range(1 if single else case["repeats"]):
        gc.collect()
        t = time.perf_counter()
        model = model_cls(config, roster=None if single else roster)
        init_s = time.perf_counter() - t
        # the split of the run time; None if a renamed method is not found
        metrics = _Timer(model, "_record") if hasattr(model, "_record") else None
        economy = None
        if isinstance(model, SOEModel) and hasattr(model.economy, "step"):
            economy = _Timer(model.economy, "step")
        switches = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
        t, c = time.perf_counter(), time.process_time()
        model.run_for(config.months)
        run_s, run_cpu_s = time.perf_counter() - t, time.process_time() - c
        runs.append(
            {
                "init_s": init_s,
                "run_s": run_s,
                "run_cpu_s": run_cpu_s,
                # per-agent: everything but the monthly totals is the economy
                "economy_cpu_s": (
                    economy.cpu_seconds
                    if economy
                    else run_cpu_s - metrics.cpu_seconds
                    if metrics and not isinstance(model, SOEModel)
                    else None
                ),
                "metrics_cpu_s": metrics.cpu_seconds if metrics else None,
                "preempted": resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw - switches,
                "entities_end": (
                    int(model.state.alive.sum())
                    if isinstance(model, SOEModel)
                    else len(model.agents)
                ),
            }
        )
        del model, metrics, economy
    best = min(runs, key=lambda r: r["run_s"])
    return {
        **case,
        "entities": n,
        "core": core,
        "import_s": import_s,
        "build_s": build_s,
        **best,
        "init_s": min(r["init_s"] for r in runs),
        "run_s_all": [r["run_s"] for r in runs],
        "entity_months_per_s": n * config.months / best["run_s"],
        "rss_after_import_mb": rss_import,
        "peak_rss_mb": _peak_rss_mb(),
        "loadavg_1min_end": os.getloadavg()[0],
    }


# -- parent process: orchestration ----------------------------------------------------------------
def _child_env() -> dict[str, str]:
    env = os.environ.copy()
    for var in THREAD_VARS:
        env[var] = "1"
    return env


def _spawn(case: dict[str, Any], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(case)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=_child_env(), timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {**case, "error": f"timed out after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-5:]
        return {**case, "error": f"exit code {proc.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1])


def _parse_size(text: str) -> int:
    value = float(text)
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"not a positive whole number of entities: {text!r}")
    return int(value)


def _cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    base = {"months": args.months, "seed": args.seed, "repeats": args.repeats}
    populations: list[int | str] = [*args.sizes]
    if not args.no_preset:
        populations.append(PRESET)
    out = []
    for pop in populations:
        out.append({**base, "population": pop, "impl": "vectorised", "variant": "default"})
        out.append({**base, "population": pop, "impl": "vectorised", "variant": "no-entry-exit"})
        if pop == PRESET or int(pop) <= args.per_agent_max:
            out.append({**base, "population": pop, "impl": "per-agent", "variant": "no-entry-exit"})
    return out


def _add_speedups(results: list[dict[str, Any]]) -> None:
    vec = {
        r["population"]: r
        for r in results
        if r["impl"] == "vectorised" and r["variant"] == "no-entry-exit" and "error" not in r
    }
    for r in results:
        if r["impl"] == "per-agent" and "error" not in r and r["population"] in vec:
            ref = vec[r["population"]]
            r["speedup"] = r["run_s"] / ref["run_s"]
            r["speedup_cpu"] = r["run_cpu_s"] / ref["run_cpu_s"]
            if r["economy_cpu_s"] and ref["economy_cpu_s"]:
                r["speedup_economy_cpu"] = r["economy_cpu_s"] / ref["economy_cpu_s"]


def _find(
    results: list[dict[str, Any]], population: int | str, impl: str, variant: str
) -> dict[str, Any] | None:
    for r in results:
        if (
            r["population"] == population
            and r["impl"] == impl
            and r["variant"] == variant
            and "error" not in r
        ):
            return r
    return None


def _targets(results: list[dict[str, Any]], months: int) -> list[dict[str, Any]]:
    """PASS/MISS per target, judged on wall-clock time; CPU time is given beside it."""
    out: list[dict[str, Any]] = []
    wrong_months = f"needs --months {TARGET_MONTHS}" if months != TARGET_MONTHS else ""

    def verdict(
        name: str,
        case: dict[str, Any] | None,
        key: str,
        cpu_key: str | None,
        limit: float,
        unit: str,
        at_most: bool,
        months_matter: bool = True,
    ) -> None:
        na = (wrong_months if months_matter else "") or ("" if case else "case not run")
        value = None if na or case is None else case.get(key)
        cpu = None if na or case is None or cpu_key is None else case.get(cpu_key)

        def judge(v: float | None) -> str:
            if v is None:
                return "n/a"
            return "PASS" if (v <= limit if at_most else v >= limit) else "MISS"

        out.append(
            {
                "target": name,
                "value": value,
                "value_cpu": cpu,
                "limit": limit,
                "unit": unit,
                "at_most": at_most,
                "verdict": judge(value),
                "verdict_cpu": judge(cpu) if cpu_key else "",
                "note": na,
            }
        )

    big = _find(results, TARGET_N, "vectorised", "default")
    verdict(
        "1e6 entities x 36 months, run time", big, "run_s", "run_cpu_s", TARGET_RUN_S, "s", True
    )
    verdict(
        "1e6 entities x 36 months, peak memory", big, "peak_rss_mb", None, TARGET_RSS_MB, "MB", True
    )
    preset = _find(results, PRESET, "vectorised", "default")
    verdict(
        "chongqing_2023 x 36 months, run time",
        preset,
        "run_s",
        "run_cpu_s",
        TARGET_PRESET_S,
        "s",
        True,
    )
    pa = _find(results, TARGET_SPEEDUP_N, "per-agent", "no-entry-exit")
    verdict(
        "speed-up over per-agent at 1e5 entities, run time",
        pa,
        "speedup",
        "speedup_cpu",
        TARGET_SPEEDUP,
        "x",
        False,
        months_matter=False,
    )
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _label(population: int | str) -> str:
    if population == PRESET:
        return PRESET
    n = int(population)
    mantissa, exponent = f"{n:e}".split("e")
    if float(mantissa) == int(float(mantissa)):
        return f"{int(float(mantissa))}e{int(exponent)}"
    return f"{n:,}"


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The results as a markdown table, one row per case."""
    head = (
        "| population | implementation | economy | entities | build s | init s | run s "
        "| run cpu s | economy cpu s | metrics cpu s | entity-months/s | peak RSS MB "
        "| speed-up run | speed-up run cpu | speed-up economy cpu |"
    )
    lines = [head, "|---|---|---|" + "---:|" * 12]
    for r in results:
        pop = _label(r["population"])
        if "error" in r:
            lines.append(
                f"| {pop} | {r['impl']} | {r['variant']} |" + " |" * 11 + f" {r['error']} |"
            )
            continue
        speeds = " | ".join(
            f"{r[k]:.1f}x" if k in r else ""
            for k in ("speedup", "speedup_cpu", "speedup_economy_cpu")
        )
        lines.append(
            f"| {pop} | {r['impl']} | {r['variant']} | {r['entities']:,} "
            f"| {_fmt(r['build_s'], 3)} | {_fmt(r['init_s'], 3)} | {_fmt(r['run_s'], 3)} "
            f"| {_fmt(r['run_cpu_s'], 3)} | {_fmt(r['economy_cpu_s'], 3)} "
            f"| {_fmt(r['metrics_cpu_s'], 3)} | {r['entity_months_per_s']:,.0f} "
            f"| {_fmt(r['peak_rss_mb'], 0)} | {speeds} |"
        )
    return "\n".join(lines)


def targets_table(targets: list[dict[str, Any]]) -> str:
    """The target verdicts as a markdown table (judged on wall-clock time)."""
    lines = [
        "| target | limit | value | verdict | value (cpu time) | verdict (cpu time) |",
        "|---|---:|---:|---|---:|---|",
    ]
    for t in targets:
        op = "<=" if t["at_most"] else ">="
        value = f"{_fmt(t['value'])} {t['unit']}" if t["value"] is not None else t["note"]
        cpu = f"{_fmt(t['value_cpu'])} {t['unit']}" if t["value_cpu"] is not None else ""
        lines.append(
            f"| {t['target']} | {op} {t['limit']:g} {t['unit']} | {value} | {t['verdict']} "
            f"| {cpu} | {t['verdict_cpu']} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """Versions and hardware the numbers were measured on."""

    def version(pkg: str) -> str | None:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_mb = int(line.split()[1]) / 1024.0
                break
    except OSError:
        pass
    commit, dirty = "", None
    with contextlib.suppress(OSError):
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", ":/sim"],
                cwd=HERE,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        )
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": version("numpy"),
        "mesa": version("mesa"),
        "pandas": version("pandas"),
        "soe_sim": version("soe-sim"),
        "platform": platform.platform(),
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "mem_total_mb": mem_total_mb,
        "git_commit": commit,
        "sim_has_uncommitted_changes": dirty,
        "pinned_to_one_core": hasattr(os, "sched_setaffinity"),
        "thread_env": dict.fromkeys(THREAD_VARS, "1"),
    }


def _write_json(payload: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_parse_size,
        default=[1_000, 10_000, 100_000, 1_000_000],
        help="synthetic population sizes (default 1e3 1e4 1e5 1e6)",
    )
    parser.add_argument("--months", type=int, default=36, help="months per run (default 36)")
    parser.add_argument(
        "--per-agent-max",
        type=_parse_size,
        default=100_000,
        help="largest size the per-agent version runs (default 1e5)",
    )
    parser.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help=f"repeats for cases under {REPEAT_BELOW:,} entities, best kept (default 3)",
    )
    parser.add_argument("--no-preset", action="store_true", help=f"skip the {PRESET} preset")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds before a child process is abandoned (default 3600)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="JSON output (default benchmarks/results/latest.json)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(run_case(json.loads(args.child))), flush=True)
        return 0

    started = dt.datetime.now(dt.UTC)
    results = []
    for case in _cases(args):
        label = f"{case['population']} {case['impl']} {case['variant']}"
        print(f"running {label} ...", file=sys.stderr, flush=True)
        result = _spawn(case, args.timeout)
        results.append(result)
        if "error" in result:
            print(f"  {label}: {result['error']}", file=sys.stderr, flush=True)
        else:
            print(
                f"  {label}: build {result['build_s']:.2f} s, init {result['init_s']:.2f} s, "
                f"run {result['run_s']:.3f} s ({result['run_cpu_s']:.3f} s cpu), "
                f"peak {result['peak_rss_mb']:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    _add_speedups(results)
    targets = _targets(results, args.months)
    table, verdicts = markdown_table(results), targets_table(targets)
    print(table)
    print()
    print(verdicts)
    _write_json(
        {
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "settings": {
                "sizes": args.sizes,
                "months": args.months,
                "per_agent_max": args.per_agent_max,
                "seed": args.seed,
                "repeats": args.repeats,
                "repeat_below": REPEAT_BELOW,
            },
            "machine": machine_info(),
            "results": results,
            "targets": targets,
            "table_markdown": table,
            "targets_markdown": verdicts,
        },
        args.out,
    )
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
