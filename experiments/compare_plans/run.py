"""Compare restructuring plans: which plan beats the counterfactual, by how much, how surely?

Run from the repository root:

    uv run python experiments/compare_plans/run.py             # 5 plans x 50 replications
    uv run python experiments/compare_plans/run.py --quick     # smoke test, seconds
    uv run python experiments/compare_plans/run.py --config experiments/compare_plans/parks.yaml
                                                   # the park plans: 4 x 20, into results/parks/

Runs the named sweep ``configs/sweep/compare_plans.yaml`` (the same as
``uv run soe-sim sweep=compare_plans``) into a work folder (``--work``, default
``results/work``, not committed; rerunning resumes it), then writes its report
(:mod:`sim.report`, the same as ``soe-sim-report``) to ``results/`` (or ``--out``): fan charts
per plan, paired differences against ``reference`` with confidence intervals and the share of
replications in which each plan is better, the chance of meeting each milestone target, the
trade-off of jobs against profit, layers and entity fates, as PNG, SVG and CSV with a
``report.md``. Every plan runs the same replication seeds (common random numbers).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import studies
from studies import StudyError

from sim.report import ReportError, make_report

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.yaml"
RESULTS = HERE / "results"
SCRIPT = "experiments/compare_plans/run.py"


def load(path: Path, quick: bool) -> dict[str, object]:
    """The study config, checked; ``quick`` adds its quick overrides."""
    cfg = studies.load_yaml(path)
    known = {"sweep", "overrides", "reference", "dates", "indicators", "quick"}
    unknown = set(cfg) - known
    if unknown:
        raise StudyError(f"{path}: unknown settings {sorted(unknown)}; allowed {sorted(known)}")
    overrides = [str(o) for o in cfg.get("overrides") or []]
    if quick:
        overrides += [str(o) for o in (cfg.get("quick") or {}).get("overrides", [])]
    return {
        "sweep": str(cfg.get("sweep", "compare_plans")),
        "overrides": overrides,
        "reference": cfg.get("reference"),
        "dates": [str(d) for d in cfg.get("dates") or []],
        "indicators": [str(i) for i in cfg.get("indicators") or []],
    }


def run_sweep(sweep: str, overrides: Sequence[str], work: Path) -> None:
    """``soe-sim sweep=NAME OVERRIDES hydra.sweep.dir=WORK`` (resumes a folder it ran before)."""
    command = [sys.executable, "-m", "sim.cli", f"sweep={sweep}", *overrides,
               f"hydra.sweep.dir={work}"]  # fmt: skip
    done = subprocess.run(command, env={**os.environ, "MPLBACKEND": "Agg"}, check=False)
    if done.returncode != 0:
        raise StudyError(f"the sweep failed (exit {done.returncode}): {' '.join(command[2:])}")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code (2 for bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, default=CONFIG, help="study config (YAML)")
    parser.add_argument("--quick", action="store_true", help="smoke test: the config's quick sizes")
    parser.add_argument("--out", type=Path, default=None, help=f"default: {RESULTS}")
    parser.add_argument("--work", type=Path, default=None, help="the sweep folder (resumable)")
    args = parser.parse_args(argv)
    results = RESULTS if args.config == CONFIG else RESULTS / args.config.stem  # parks.yaml: parks/
    out = args.out or (results / "quick" if args.quick else results)
    work = args.work or out / "work"
    try:
        cfg = load(args.config, args.quick)
        run_sweep(str(cfg["sweep"]), cfg["overrides"], work)  # type: ignore[arg-type]
        report = make_report(
            work,
            reference=cfg["reference"],  # type: ignore[arg-type]
            dates=cfg["dates"] or None,  # type: ignore[arg-type]
            indicators=cfg["indicators"] or None,  # type: ignore[arg-type]
            out=out / "report",
        )
    except (StudyError, ReportError) as exc:
        print(f"compare_plans: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {report.out} ({len(report.files)} files); regenerate: "
          f"{studies.rerun_command(SCRIPT, argv)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
