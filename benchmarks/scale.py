"""National scale, as a user meets it: whole-process time and peak memory of ``soe-sim`` at
1e4, 1e5 and 1e6 entities, with and without the rules and the parks, a million-row roster loaded,
the per-agent Mesa reference where it finishes, each stage's cost, and the physical floor.

Usage (from the project root)::

    uv run python benchmarks/scale.py                       # ~10 minutes
    uv run python benchmarks/scale.py --sizes 1e4 1e5 --repeats 1 --no-roster --no-reference

Every case is one command under ``/usr/bin/time -v`` (imports, building the population, the run and
writing every output included), as a user runs it; wall time and the maximum resident set size are
read from its report, the in-model seconds from the run's ``summary.json``. Cases:

* ``no rules``: ``policy=none parks=none``, the economy alone;
* ``reform``: ``policy=chongqing_2024 parks=none``, the SOE reform;
* ``reform + parks``: ``policy=chongqing_2024 parks=chongqing_2024``, the default plans;
* ``roster load``: a million-row roster CSV validated and loaded (``load_roster``), and the same
  roster run for one month without rules;
* ``per-agent``: the reference model of ``benchmarks/per_agent.py`` (one ``mesa.Agent`` per entity
  holding its state, updated in its own ``step``) against the vectorised model on the same
  economy (no entries or exits), both as whole processes (``benchmark.py --child``), up to
  ``--per-agent-max`` entities.

Then, in one process at the largest size, each monthly stage is timed (``SOEModel.stages``) and set
beside the floor for one month of the economy per entity: the keyed normal draw it needs per entity
(``sim.rand.normal``) plus one read-and-write pass over each state array the economy changes. The
results go to ``benchmarks/results/scale.json`` and ``scale.png`` (cost against size, log-log) and
are printed as markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
VARIANTS = {
    "no rules": ("policy=none", "parks=none"),
    "reform": ("policy=chongqing_2024", "parks=none"),
    "reform + parks": ("policy=chongqing_2024", "parks=chongqing_2024"),
}
TARGETS = {  # the targets at 1e6 entities x 36 months, whole process
    "no rules": (8.0, None),
    "reform": (15.0, 1024.0),
    "reform + parks": (15.0, 1024.0),
    "roster load": (3.0, 600.0),
}


def timed(cmd: list[str], cwd: Path = ROOT) -> dict[str, Any]:
    """Run ``cmd`` under ``/usr/bin/time -v``: wall seconds, peak RSS in MB, exit status."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, "MPLBACKEND": "Agg"})  # fmt: skip
    report = proc.stderr
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    seconds = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    out = {"wall_s": seconds, "peak_rss_mb": int(rss.group(1)) / 1024 if rss else None,
           "status": proc.returncode}  # fmt: skip
    if proc.returncode != 0:
        out["error"] = " | ".join(report.strip().splitlines()[-25:-20] or ["?"])
    out["stdout"] = proc.stdout
    return out


def soe_sim(n: int, variant: str, months: int, folder: Path) -> dict[str, Any]:
    """One ``soe-sim`` run at ``n`` entities; the run folder is removed afterwards."""
    cmd = [sys.executable, "-m", "sim.cli", "population=synthetic",
           f"population.n_entities={n}", f"months={months}", *VARIANTS[variant],
           f"hydra.run.dir={folder}"]  # fmt: skip
    out = timed(cmd)
    summary = folder / "summary.json"
    if summary.is_file():
        out["model_s"] = json.loads(summary.read_text())["timing"]["run_seconds"]
        out["outputs_mb"] = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    out.pop("stdout")
    shutil.rmtree(folder, ignore_errors=True)
    return out


def median_case(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r.get("status") == 0]
    if not ok:
        return runs[-1]
    best = dict(ok[0])
    for key in ("wall_s", "peak_rss_mb", "model_s", "outputs_mb"):
        values = [r[key] for r in ok if r.get(key) is not None]
        if values:
            best[key] = statistics.median(values)
    best["wall_s_all"] = [r["wall_s"] for r in ok]
    return best


def roster_cases(n: int, work: Path) -> list[dict[str, Any]]:
    """A ``n``-row roster CSV (the synthetic generator's), loaded, then run for one month."""
    from sim.config import PopulationConfig
    from sim.model import random_streams
    from sim.population import build_roster
    from sim.population.schema import COLUMNS

    path = work / "roster.csv"
    roster = build_roster(PopulationConfig(n_entities=n), random_streams(0)["population"])
    roster[[c.name for c in COLUMNS if c.name in roster]].to_csv(path, index=False)
    del roster
    code = f"from sim.population.roster import load_roster; load_roster({str(path)!r})"
    load = timed([sys.executable, "-c", code])
    load.pop("stdout")
    run = timed([sys.executable, "-m", "sim.cli", "population=roster", f"population.path={path}",
                 "months=1", "policy=none", "parks=none",
                 f"hydra.run.dir={work / 'run'}"])  # fmt: skip
    run.pop("stdout")
    return [{"case": "roster load", "entities": n, **load},
            {"case": "roster, 1 month, no rules", "entities": n, **run}]  # fmt: skip


def reference_cases(sizes: list[int], months: int) -> list[dict[str, Any]]:
    """The per-agent Mesa model and the vectorised one on the same economy, whole processes."""
    out = []
    for n in sizes:
        row: dict[str, Any] = {"entities": n}
        for impl in ("vectorised", "per-agent"):
            case = {"months": months, "seed": 0, "repeats": 1, "population": n, "impl": impl,
                    "variant": "no-entry-exit"}  # fmt: skip
            got = timed([sys.executable, str(HERE / "benchmark.py"), "--child", json.dumps(case)])
            inner = (
                json.loads(got.pop("stdout").strip().splitlines()[-1]) if got["status"] == 0 else {}
            )
            row[impl] = {**got, "run_s": inner.get("run_s")}
        vec, ref = row["vectorised"], row["per-agent"]
        if vec["status"] == 0 and ref["status"] == 0:
            row["ratio_wall"] = ref["wall_s"] / vec["wall_s"]
            row["ratio_run"] = ref["run_s"] / vec["run_s"] if vec["run_s"] else None
        out.append(row)
    return out


def stage_profile(n: int, months: int) -> dict[str, Any]:
    """Seconds of each monthly stage at ``n`` entities (the default plans), and the floor."""
    import numpy as np

    from sim import rand
    from sim.compose import compose_config
    from sim.model import SOEModel

    cfg = compose_config("population=synthetic", f"population.n_entities={n}", f"months={months}",
                         "output.entities=false")  # fmt: skip
    t = time.perf_counter()
    model = SOEModel(cfg)
    build_s = time.perf_counter() - t
    spent: dict[str, float] = {}

    def timer(name: str, fn: Any) -> Any:
        def run(m: Any) -> None:
            started = time.perf_counter()
            fn(m)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return run

    model.stages = [(name, timer(name, fn)) for name, fn in model.stages]
    t = time.perf_counter()
    model.run_for(months)
    run_s = time.perf_counter() - t
    written = _economy_arrays(cfg)
    # the floor: one keyed normal per entity, one read-and-write pass over each array written
    keys = np.arange(n, dtype=np.uint64)
    a, b = np.random.default_rng(0).random(n), np.empty(n)
    draw = min(_seconds(lambda: rand.normal(cfg.seed, rand.STREAM_IDIO, keys, 1)) for _ in range(5))
    one_pass = min(_seconds(lambda: np.multiply(a, 1.0001, out=b)) for _ in range(5))
    floor = draw + written * one_pass
    per = {name: s / months for name, s in spent.items()}
    return {
        "entities": n, "months": months, "build_s": build_s, "run_s": run_s,
        "stages_s": spent, "stage_per_month_s": per,
        "floor": {"draw_per_month_s": draw, "pass_s": one_pass, "arrays_written": written,
                  "economy_floor_per_month_s": floor,
                  "ns_per_entity_month": 1e9 * floor / n},
        "stage_vs_floor": {name: s / floor for name, s in per.items()},
    }  # fmt: skip


def _economy_arrays(cfg: Any) -> int:
    """How many per-entity state arrays one month of the economy writes (those that change in
    its stage), counted on a small model of the same config: the set does not depend on size."""
    import dataclasses

    import numpy as np

    from sim.model import SOEModel

    small = dataclasses.replace(cfg, population=dataclasses.replace(cfg.population,
                                                                    n_entities=10_000))  # fmt: skip
    model = SOEModel(small)
    model._month = 1
    state = model.state
    n = state.n
    arrays = {k: v for k, v in vars(state).items() if isinstance(v, np.ndarray) and v.size >= n}
    before = {k: v[:n].copy() for k, v in arrays.items()}
    dict(model.stages)["economy"](model)
    return sum(not np.array_equal(before[k], arrays[k][:n], equal_nan=True) for k in arrays)


def _seconds(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def chart(results: list[dict[str, Any]], reference: list[dict[str, Any]], path: Path) -> None:
    """Whole-process wall time against entities, log-log, one line per case (linear growth is a
    slope of one)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    for i, variant in enumerate(VARIANTS):
        rows = [r for r in results if r["case"] == variant and r.get("status") == 0]
        ax.plot([r["entities"] for r in rows], [r["wall_s"] for r in rows], "o-", color=f"C{i}",
                label=f"soe-sim, {variant}")  # fmt: skip
    ref = [r for r in reference if r.get("ratio_wall")]
    if ref:
        ax.plot([r["entities"] for r in ref], [r["per-agent"]["wall_s"] for r in ref], "s--",
                color="black", label="per-agent Mesa reference (economy only)")  # fmt: skip
    if results:
        sizes = sorted({r["entities"] for r in results})
        base = next((r for r in results if r["case"] == "reform + parks"
                     and r["entities"] == sizes[-1] and r.get("status") == 0), None)  # fmt: skip
        if base:
            ax.plot(sizes, [base["wall_s"] * s / sizes[-1] for s in sizes], ":", color="grey",
                    label="linear in size")  # fmt: skip
    ax.axhline(15, color="tab:red", lw=0.8, ls="--", label="target at 1e6: 15 s (8 s no rules)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("legal entities at the start (36 months)")
    ax.set_ylabel("whole process, wall seconds (outputs included)")
    ax.set_title("Cost against size: soe-sim as a user runs it")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)


def _num(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def tables(results: list[dict[str, Any]], reference: list[dict[str, Any]],
           stages: dict[str, Any] | None) -> str:  # fmt: skip
    lines = ["| case | entities | wall s | in model s | peak RSS MB | outputs MB | target |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        target = ""
        if r["entities"] >= 1_000_000 and r["case"] in TARGETS:
            wall, rss = TARGETS[r["case"]]
            ok = (
                r.get("status") == 0
                and r["wall_s"] <= wall
                and (rss is None or (r.get("peak_rss_mb") or 0) <= rss)
            )
            target = f"{'met' if ok else 'missed'} (≤ {wall:g} s" + (
                f", ≤ {rss:,.0f} MB)" if rss else ")")  # fmt: skip
        lines.append(f"| {r['case']} | {r['entities']:,} | {_num(r.get('wall_s'))} | "
                     f"{_num(r.get('model_s'))} | {_num(r.get('peak_rss_mb'), 0)} | "
                     f"{_num(r.get('outputs_mb'), 0)} | {target} |")  # fmt: skip
    if reference:
        lines += ["", "| entities | per-agent wall s | vectorised wall s | ratio (wall) | "
                  "ratio (run) |", "|---|---|---|---|---|"]  # fmt: skip
        for r in reference:
            lines.append(f"| {r['entities']:,} | {_num(r['per-agent'].get('wall_s'))} | "
                         f"{_num(r['vectorised'].get('wall_s'))} | {_num(r.get('ratio_wall'))} | "
                         f"{_num(r.get('ratio_run'))} |")  # fmt: skip
    if stages:
        f = stages["floor"]
        lines += ["", f"Stages at {stages['entities']:,} entities, {stages['months']} months "
                  f"(build {stages['build_s']:.1f} s, run {stages['run_s']:.1f} s). Floor for one "
                  f"month of the economy: {f['draw_per_month_s'] * 1e3:.1f} ms for the keyed "
                  f"normal draws + {f['arrays_written']} arrays x {f['pass_s'] * 1e3:.2f} ms a "
                  "pass = "
                  f"{f['economy_floor_per_month_s'] * 1e3:.1f} ms "
                  f"({f['ns_per_entity_month']:.1f} ns per entity-month).", "",
                  "| stage | s per month | x the economy floor |", "|---|---|---|"]  # fmt: skip
        for name, s in stages["stage_per_month_s"].items():
            lines.append(f"| {name} | {s:.3f} | {stages['stage_vs_floor'][name]:.1f} |")
    return "\n".join(lines)


def _size(text: str) -> int:
    return int(float(text))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", type=_size, default=[10_000, 100_000, 1_000_000])
    p.add_argument("--months", type=int, default=36)
    p.add_argument("--repeats", type=int, default=2, help="runs per case below 1e6 (median)")
    p.add_argument("--per-agent-max", type=_size, default=100_000)
    p.add_argument("--no-roster", action="store_true")
    p.add_argument("--no-reference", action="store_true")
    p.add_argument("--no-stages", action="store_true")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in args.sizes:
            for variant in VARIANTS:
                reps = args.repeats if n < 1_000_000 else max(1, args.repeats - 1)
                runs = [soe_sim(n, variant, args.months, work / f"run{i}") for i in range(reps)]
                results.append({"case": variant, "entities": n, **median_case(runs)})
                print(f"{variant:>15} {n:>9,}: {results[-1].get('wall_s', 0):.1f} s", flush=True)
        if not args.no_roster:
            results += roster_cases(max(args.sizes), work)
    reference = [] if args.no_reference else reference_cases(
        [n for n in args.sizes if n <= args.per_agent_max], args.months)  # fmt: skip
    stages = None if args.no_stages else stage_profile(max(args.sizes), args.months)
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"when": time.strftime("%Y-%m-%d %H:%M"), "months": args.months,
               "cpu_count": os.cpu_count(), "load_1min": os.getloadavg()[0],
               "results": results, "reference": reference, "stages": stages}  # fmt: skip
    (args.out / "scale.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    chart(results, reference, args.out / "scale.png")
    print(tables(results, reference, stages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
