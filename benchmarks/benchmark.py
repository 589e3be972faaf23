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
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
PRESET = "chongqing_2023"
PRESET_PATH = "builtin:chongqing_2023.csv"
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
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
    "no-entry-exit": {"entry_rate": 0.0, "bankruptcy_hazard": 0.0},
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
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20  # KiB on Linux


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Build, initialise and run one case in this process; timings in seconds."""
    core = _pin_to_one_core()
    started = time.perf_counter()
    from sim.config import EconomyConfig, PopulationConfig, SimConfig
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
    config = SimConfig(seed=case["seed"], months=case["months"], population=population,
                       economy=EconomyConfig(**VARIANTS[case["variant"]]))
    model_cls = SOEModel if case["impl"] == "vectorised" else PerAgentModel

    t = time.perf_counter()
    roster = build_roster(config.population, random_streams(config.seed)["population"])
    build_s = time.perf_counter() - t
    n = len(roster)

    init_times, run_times = [], []
    entities_end = n
    for _ in range(case["repeats"] if n < REPEAT_BELOW else 1):
        gc.collect()
        t = time.perf_counter()
        model = model_cls(config, roster=roster)
        init_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.run_for(config.months)
        run_times.append(time.perf_counter() - t)
        if isinstance(model, SOEModel):
            entities_end = int(model.state.alive.sum())
        del model
    run_s = min(run_times)
    return {
        **case,
        "entities": n,
        "entities_end": entities_end,
        "core": core,
        "import_s": import_s,
        "build_s": build_s,
        "init_s": min(init_times),
        "run_s": run_s,
        "run_s_all": run_times,
        "entity_months_per_s": n * config.months / run_s if run_s > 0 else float("inf"),
        "rss_after_import_mb": rss_import,
        "peak_rss_mb": _peak_rss_mb(),
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
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(),
                              timeout=timeout, check=False)
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
            out.append({**base, "population": pop, "impl": "per-agent",
                        "variant": "no-entry-exit"})
    return out


def _add_speedups(results: list[dict[str, Any]]) -> None:
    vec = {r["population"]: r for r in results
           if r["impl"] == "vectorised" and r["variant"] == "no-entry-exit" and "error" not in r}
    for r in results:
        if r["impl"] == "per-agent" and "error" not in r and r["population"] in vec:
            r["speedup"] = r["run_s"] / vec[r["population"]]["run_s"]


def _find(results: list[dict[str, Any]], population: int | str, impl: str,
          variant: str) -> dict[str, Any] | None:
    for r in results:
        if (r["population"] == population and r["impl"] == impl and r["variant"] == variant
                and "error" not in r):
            return r
    return None


def _targets(results: list[dict[str, Any]], months: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def verdict(name: str, value: float | None, limit: float, unit: str, at_most: bool,
                why_na: str = "") -> None:
        if value is None:
            out.append({"target": name, "value": None, "limit": limit, "unit": unit,
                        "verdict": "n/a", "note": why_na or "case not run"})
            return
        ok = value <= limit if at_most else value >= limit
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "verdict": "PASS" if ok else "MISS", "note": ""})

    wrong_months = f"needs --months {TARGET_MONTHS}" if months != TARGET_MONTHS else ""
    big = _find(results, TARGET_N, "vectorised", "default")
    verdict("1e6 entities x 36 months, run time (default economy)",
            big["run_s"] if big and not wrong_months else None, TARGET_RUN_S, "s", True,
            wrong_months)
    verdict("1e6 entities x 36 months, peak memory (default economy)",
            big["peak_rss_mb"] if big and not wrong_months else None, TARGET_RSS_MB, "MB", True,
            wrong_months)
    preset = _find(results, PRESET, "vectorised", "default")
    verdict("chongqing_2023 x 36 months, run time (default economy)",
            preset["run_s"] if preset and not wrong_months else None, TARGET_PRESET_S, "s", True,
            wrong_months)
    pa = _find(results, TARGET_SPEEDUP_N, "per-agent", "no-entry-exit")
    verdict("speed-up over per-agent at 1e5 entities (run time)",
            pa.get("speedup") if pa else None, TARGET_SPEEDUP, "x", False)
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The results as a markdown table, one row per case."""
    head = ("| population | implementation | economy | entities | months | build s | init s "
            "| run s | entity-months/s | peak RSS MB | speed-up |")
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        pop = r["population"] if r["population"] == PRESET else f"{int(r['population']):.0e}"
        if "error" in r:
            lines.append(f"| {pop} | {r['impl']} | {r['variant']} | | {r['months']} "
                         f"| | | | | | error: {r['error']} |")
            continue
        speed = f"{r['speedup']:.1f}x" if "speedup" in r else ""
        lines.append(
            f"| {pop} | {r['impl']} | {r['variant']} | {r['entities']:,} | {r['months']} "
            f"| {_fmt(r['build_s'], 3)} | {_fmt(r['init_s'], 3)} | {_fmt(r['run_s'], 3)} "
            f"| {r['entity_months_per_s']:,.0f} | {_fmt(r['peak_rss_mb'], 0)} | {speed} |")
    return "\n".join(lines)


def targets_table(targets: list[dict[str, Any]]) -> str:
    """The target verdicts as a markdown table."""
    lines = ["| target | value | limit | verdict |", "|---|---:|---:|---|"]
    for t in targets:
        value = f"{_fmt(t['value'])} {t['unit']}" if t["value"] is not None else t["note"]
        op = "<=" if t["unit"] in ("s", "MB") else ">="
        lines.append(f"| {t['target']} | {value} | {op} {t['limit']:g} {t['unit']} "
                     f"| {t['verdict']} |")
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
    commit = ""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        pass
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
    parser.add_argument("--sizes", nargs="+", type=_parse_size,
                        default=[1_000, 10_000, 100_000, 1_000_000],
                        help="synthetic population sizes (default 1e3 1e4 1e5 1e6)")
    parser.add_argument("--months", type=int, default=36, help="months per run (default 36)")
    parser.add_argument("--per-agent-max", type=_parse_size, default=100_000,
                        help="largest size the per-agent version runs (default 1e5)")
    parser.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    parser.add_argument("--repeats", type=int, default=3,
                        help=f"repeats for cases under {REPEAT_BELOW:,} entities, best kept "
                             "(default 3)")
    parser.add_argument("--no-preset", action="store_true",
                        help=f"skip the {PRESET} preset")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds before a child process is abandoned (default 3600)")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="JSON output (default benchmarks/results/latest.json)")
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
            print(f"  {label}: build {result['build_s']:.2f} s, init {result['init_s']:.2f} s, "
                  f"run {result['run_s']:.3f} s, peak {result['peak_rss_mb']:.0f} MB",
                  file=sys.stderr, flush=True)
    _add_speedups(results)
    targets = _targets(results, args.months)
    table, verdicts = markdown_table(results), targets_table(targets)
    print(table)
    print()
    print(verdicts)
    _write_json({
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"sizes": args.sizes, "months": args.months,
                     "per_agent_max": args.per_agent_max, "seed": args.seed,
                     "repeats": args.repeats, "repeat_below": REPEAT_BELOW},
        "machine": machine_info(),
        "results": results,
        "targets": targets,
        "table_markdown": table,
        "targets_markdown": verdicts,
    }, args.out)
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
