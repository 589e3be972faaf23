"""Regenerate the chart gallery in docs/gallery/ (shown in the README's "Gallery" section).

    uv run --extra zh python scripts/make_gallery.py

Every image is made by the current code: the default scenario's run charts in English and in
Chinese (``output.lang=zh``), and the sweep report of three plans (20 paired replications each of
the Chongqing start, 36 months). ``--replications`` and ``--months`` make a quick, smaller
gallery (the tests use them); ``--out`` writes it elsewhere.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from sim import report, sweep
from sim.compose import compose_config
from sim.outputs import write_charts
from sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]
PLANS = ("no_reform", "chongqing_2024", "gradual")
RUN_CHARTS = ("headline", "report_card", "parks")
SWEEP_CHARTS = ("fan", "paired_differences", "target_chances")


def gallery_files() -> list[str]:
    """The file names the gallery holds."""
    run = [f"{name}{suffix}.png" for suffix in ("", "_zh") for name in RUN_CHARTS]
    return [*run, *(f"{name}.png" for name in SWEEP_CHARTS)]


def make_gallery(out: Path, months: int = 36, replications: int = 20) -> list[Path]:
    """Write every gallery image into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    for lang, suffix in (("en", ""), ("zh", "_zh")):
        result = run_simulation(compose_config(f"months={months}", f"output.lang={lang}"))
        with tempfile.TemporaryDirectory() as tmp:
            write_charts(result, Path(tmp))
            for name in RUN_CHARTS:
                shutil.copyfile(Path(tmp) / f"{name}.png", out / f"{name}{suffix}.png")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sweep"
        runs = [
            spec
            for plan in PLANS
            for spec in sweep.specs(
                compose_config(f"policy={plan}", f"months={months}", "parks=none",
                               f"replications={replications}"),
                plan,
            )
        ]  # fmt: skip
        sweep.execute(runs, folder / "store", workers=0)
        made = report.make_report(folder, out=Path(tmp) / "report")
        for name in SWEEP_CHARTS:
            shutil.copyfile(made.out / f"{name}.png", out / f"{name}.png")
    return [out / name for name in gallery_files()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    p.add_argument("--months", type=int, default=36)
    p.add_argument("--replications", type=int, default=20)
    args = p.parse_args(argv)
    for path in make_gallery(args.out, args.months, args.replications):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
