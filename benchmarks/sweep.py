"""Time sweeps as a user runs them: whole ``soe-sim`` processes, measured from outside.

Usage (from the project root)::

    uv run python benchmarks/sweep.py                 # 1,000 and 100 runs, jobs-per-run, --help
    uv run python benchmarks/sweep.py --runs 200 --per-job-runs 20     # a shorter check

Each case is one ``/usr/bin/time -v soe-sim ...`` command (Chongqing roster, the
``chongqing_2024`` reform without parks, as first measured; 36 months, a fresh sweep folder), so
its wall time includes imports,
the pre-check of every job, the pool start, the runs and writing the store; its peak is
``/usr/bin/time``'s "Maximum resident set size" (the largest single process) and, beside it, the
largest proportional set size of the whole process tree (sampled every 0.2 s with psutil; shared
pages counted once), since a sweep on a pool is several processes.

Cases:

* ``replications``: ``soe-sim -m replications=N workers=W`` (one Hydra job, its runs on a pool);
* the same with a tenth of the runs (memory should not grow with the number of runs);
* ``replications, one process``: the same as ``workers=1`` with the job-per-run cases' runs (the
  like-for-like comparison: one process each, so the difference is per-run overhead alone);
* ``job per run, store``: ``soe-sim -m 'seed=range(0,M)'``, one Hydra job per run on Hydra's
  basic launcher (one process, one run at a time), writing the store;
* ``job per run, folders``: the same with ``output.folders=true`` (a run folder with tables and
  two charts per run: what every sweep wrote before the results store);
* ``--help``.

The per-run figure divides each case's wall time by its runs. Targets (issue: experiments at
scale): 1,000 runs in at most 60 s; at least 5x faster per run than one job per run; peak memory
at 1,000 runs within 10% of that at 100; ``--help`` within 2 s. Results go to
``benchmarks/results/sweep.json`` and are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "sweep.json"
SOE_SIM = Path(sys.executable).with_name("soe-sim")
"""The installed console command, as a user runs it."""
TARGET_SECONDS = 60.0
TARGET_SPEEDUP = 5.0
TARGET_MEMORY_GROWTH = 0.10
TARGET_HELP_SECONDS = 2.0


def _tree_pss(proc: psutil.Process) -> int:
    """Proportional set size of a process and its descendants: each shared page (the model's
    code, which forked workers share with the server they came from) counted once overall."""
    total = 0
    try:
        for p in [proc, *proc.children(recursive=True)]:
            try:
                total += p.memory_full_info().pss
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return total


def measure(args: list[str], runs: int, label: str) -> dict[str, Any]:
    """Run ``/usr/bin/time -v soe-sim ARGS`` once; wall, peak RSS, tree RSS, per-run time."""
    command = ["/usr/bin/time", "-v", str(SOE_SIM), *args]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_tree = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        watched = psutil.Process(proc.pid)
        while not stop.wait(0.2):
            peak_tree = max(peak_tree, _tree_pss(watched))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{label}: exit {proc.returncode}\n{err[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))  # type: ignore[union-attr]
    elapsed = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    h, m, s = elapsed.groups() if elapsed else (None, "0", str(wall))  # type: ignore[union-attr]
    wall_time = int(h or 0) * 3600 + int(m) * 60 + float(s)
    return {
        "case": label,
        "command": " ".join(["soe-sim", *args]),
        "runs": runs,
        "wall_s": round(wall_time, 2),
        "per_run_s": round(wall_time / runs, 4) if runs else None,
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "peak_tree_pss_mb": round(peak_tree / 2**20, 1),
        "stdout_tail": out.strip().splitlines()[-3:] if out.strip() else [],
    }


def _store_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs of the big sweep")
    parser.add_argument("--workers", type=int, default=0, help="pool size (0: every core)")
    parser.add_argument(
        "--per-job-runs", type=int, default=100, help="runs of the job-per-run cases"
    )
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--help-only", action="store_true", help="time soe-sim --help alone")
    args = parser.parse_args(argv)
    if args.help_only:
        helps = sorted((measure(["--help"], 0, "--help") for _ in range(5)),
                       key=lambda r: r["wall_s"])  # fmt: skip
        print(f"soe-sim --help: median {helps[2]['wall_s']} s, peak {helps[2]['peak_rss_mb']} MB")
        return 0
    common = [f"months={args.months}", "policy=chongqing_2024", "population=chongqing_2023",
              "parks=none"]  # fmt: skip
    results = []
    with tempfile.TemporaryDirectory(prefix="soe-sim-bench-") as tmp:
        work = Path(tmp)
        cases = [
            (
                "replications",
                args.runs,
                ["-m", f"replications={args.runs}", f"workers={args.workers}"],
            ),
            (
                "replications (a tenth)",
                max(1, args.runs // 10),
                ["-m", f"replications={max(1, args.runs // 10)}", f"workers={args.workers}"],
            ),
            (
                "replications, one process",
                args.per_job_runs,
                ["-m", f"replications={args.per_job_runs}", "workers=1"],
            ),
            ("job per run, store", args.per_job_runs, ["-m", f"seed=range(0,{args.per_job_runs})"]),
            (
                "job per run, folders",
                args.per_job_runs,
                ["-m", f"seed=range(0,{args.per_job_runs})", "output.folders=true"],
            ),
        ]
        for i, (label, runs, extra) in enumerate(cases):
            folder = work / f"sweep{i}"
            print(f"{label}: {runs} runs ...", flush=True)
            row = measure([*extra, *common, f"hydra.sweep.dir={folder}"], runs, label)
            row["store_mb"] = _store_mb(folder)
            results.append(row)
            print(f"  {row['wall_s']} s, {row['peak_rss_mb']} MB peak", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
        helps = [measure(["--help"], 0, "--help") for _ in range(3)]
        helps.sort(key=lambda r: r["wall_s"])
        results.append(helps[1])  # the median of three
    big, tenth, one_process, per_job, folders, help_row = results
    targets = [
        (f"{big['runs']:,} runs end to end", f"<= {TARGET_SECONDS:g} s", big["wall_s"],
         big["wall_s"] <= TARGET_SECONDS),
        ("per-run speed-up vs one job per run (store)", f">= {TARGET_SPEEDUP:g}x",
         round(per_job["per_run_s"] / big["per_run_s"], 1),
         per_job["per_run_s"] / big["per_run_s"] >= TARGET_SPEEDUP),
        ("per-run speed-up vs one job per run (folders and charts)", f">= {TARGET_SPEEDUP:g}x",
         round(folders["per_run_s"] / big["per_run_s"], 1),
         folders["per_run_s"] / big["per_run_s"] >= TARGET_SPEEDUP),
        ("per-run speed-up, one process each (replications vs jobs)", "(information)",
         round(per_job["per_run_s"] / one_process["per_run_s"], 2), True),
        ("peak tree memory, all runs vs a tenth", f"<= +{TARGET_MEMORY_GROWTH:.0%}",
         f"{big['peak_tree_pss_mb'] / tenth['peak_tree_pss_mb'] - 1:+.1%}",
         big["peak_tree_pss_mb"] <= (1 + TARGET_MEMORY_GROWTH) * tenth["peak_tree_pss_mb"]),
        ("soe-sim --help", f"<= {TARGET_HELP_SECONDS:g} s", help_row["wall_s"],
         help_row["wall_s"] <= TARGET_HELP_SECONDS),
    ]  # fmt: skip
    lines = [
        "| case | runs | wall s | per run s | peak RSS MB (largest process) "
        "| peak PSS MB (process tree) | store MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['runs']:,} | {r['wall_s']} | {r['per_run_s'] or ''} | "
            f"{r['peak_rss_mb']} | {r['peak_tree_pss_mb']} | {r.get('store_mb', '')} |"
        )
    lines += ["", "| target | wanted | measured | verdict |", "|---|---|---|---|"]
    lines += [f"| {t} | {w} | {m} | {'PASS' if ok else 'MISS'} |" for t, w, m, ok in targets]
    table = "\n".join(lines)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "results": results,
        "targets": [
            {"target": t, "wanted": w, "measured": m, "pass": ok} for t, w, m, ok in targets
        ],
        "machine": {
            "python": platform.python_version(),
            "cpus": len(os.sched_getaffinity(0)),
            "load_average": os.getloadavg(),
            "platform": platform.platform(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "table": table,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if all(ok for *_, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
