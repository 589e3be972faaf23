"""Calibrate the ``chongqing_2024`` policy preset to Chongqing's end-2024 figures, and only 2024.

Run from the repository root:

    uv run python experiments/calibration/calibrate.py            # grid search + check, 20 seeds
    uv run python experiments/calibration/calibrate.py --check    # check the preset only

From the ``chongqing_2023`` start (end-2023 state), the reform runs January-December 2024 over
``--seeds`` seeds. Observed (docs/sources.md): operating legal entities 2,260 -> 1,069 at city
level (-52.7%); groups 51 -> 38; assets revitalised 84.82 bn yuan in H1 2024 = 106% of the
full-year target (taken as 80 bn); key-SOE profit +12.8% (reported, not tuned). The bands a
calibrated preset must reach on the seed mean are in ``BANDS``. Nothing after 2024 is used.

The grid varies the two levers the sources say least about and the outcomes are most sensitive
to: the size below which same-sector sibling subsidiaries are merged (``slimming.sibling_below``,
drives the entity count) and the monthly revitalisation rate (``efficiency.revitalise_rate``,
drives H1 revitalisation). Everything else in the preset is set from the sources or argued in its
module. The chosen point minimises the squared distance of the seed means to the observed values,
each scaled by its band's half-width. Results go to ``experiments/calibration/results/``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.compose import compose_config
from sim.ensemble import run_ensemble

RESULTS = Path(__file__).resolve().parent / "results"
FULL_YEAR_TARGET = 80_000.0
"""Full-year 2024 revitalisation target, mn yuan (84.82 bn in H1 was 106% of it)."""
OBSERVED = {
    "entities_cut": 0.527,
    "groups": 38.0,
    "revitalised_h1": 84_820 / FULL_YEAR_TARGET,
    "profit_growth": 0.128,
}
BANDS = {"entities_cut": (0.48, 0.57), "groups": (36.0, 40.0), "revitalised_h1": (1.00, 1.10)}
"""Bands the seed mean must fall in; the loss-making share must also fall from its start."""
GRID = {
    "policy.slimming.sibling_below": [500.0, 600.0, 700.0, 800.0, 900.0],
    "policy.efficiency.revitalise_rate": [0.058, 0.06, 0.062, 0.064],
}


def outcomes(ts: pd.DataFrame) -> pd.DataFrame:
    """End-2024 outcomes per seed from a long timeseries (month 0 = end 2023)."""
    rows = []
    for seed, run in ts.groupby("seed"):
        run = run.set_index("date")
        rows.append({
            "seed": seed,
            "entities_cut": run.loc["2024-12", "entities_cut_share"],
            "entities_end": run.loc["2024-12", "entities"],
            "groups": run.loc["2024-12", "groups"],
            "revitalised_h1": run.loc["2024-06", "assets_revitalised"] / FULL_YEAR_TARGET,
            "loss_share_start": run.loc["2023-12", "loss_making_share"],
            "loss_share_end": run.loc["2024-12", "loss_making_share"],
            "profit_growth": (
                run.loc["2024-12", "profit_ttm"] / run.loc["2023-12", "profit_ttm"] - 1
            ),
            "max_layer": run.loc["2024-12", "max_layer"],
            "restructuring_cost": run.loc["2024-12", "restructuring_cost"],
            "jobs_affected": run.loc["2024-12", "jobs_affected"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def evaluate(overrides: list[str], seeds: range, processes: int | None) -> pd.DataFrame:
    """Outcomes per seed of the chongqing_2024 preset with ``overrides``, over 2024."""
    cfg = compose_config(
        "policy=chongqing_2024",
        "population=chongqing_2023",
        "months=12",
        "output.chart=false",
        *overrides,
    )
    ts, _ = run_ensemble({"chongqing_2024": cfg}, seeds, processes)
    return outcomes(ts)


def score(per_seed: pd.DataFrame) -> float:
    """Squared distance of seed means to the observed values, in band half-widths."""
    total = 0.0
    for name, (lo, hi) in BANDS.items():
        total += ((per_seed[name].mean() - OBSERVED[name]) / ((hi - lo) / 2)) ** 2
    return float(total)


def summary(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread and band check per outcome."""
    rows = []
    for name in per_seed.columns.drop("seed"):
        v = per_seed[name]
        lo, hi = BANDS.get(name, (np.nan, np.nan))
        rows.append(
            {
                "outcome": name,
                "mean": v.mean(),
                "sd": v.std(ddof=1),
                "p5": v.quantile(0.05),
                "p95": v.quantile(0.95),
                "observed": OBSERVED.get(name, np.nan),
                "band_low": lo,
                "band_high": hi,
                "in_band": bool(lo <= v.mean() <= hi) if name in BANDS else None,
            }
        )
    return pd.DataFrame(rows)


def check(per_seed: pd.DataFrame) -> list[str]:
    """The calibration requirements the seed mean misses (empty when calibrated)."""
    misses = [
        f"{name} mean {per_seed[name].mean():.3f} outside [{lo}, {hi}]"
        for name, (lo, hi) in BANDS.items()
        if not lo <= per_seed[name].mean() <= hi
    ]
    if not (per_seed["loss_share_end"] < per_seed["loss_share_start"]).all():
        misses.append("loss-making share did not fall in every seed")
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per point (default 20)")
    parser.add_argument("--processes", type=int, default=None, help="default: all cores")
    parser.add_argument("--check", action="store_true", help="only check the preset as it is")
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.check:
        points = []
        for values in itertools.product(*GRID.values()):
            overrides = [f"{k}={v}" for k, v in zip(GRID, values, strict=True)]
            per_seed = evaluate(overrides, seeds, args.processes)
            points.append(
                {
                    **dict(zip(GRID, values, strict=True)),
                    "score": score(per_seed),
                    **{k: per_seed[k].mean() for k in BANDS},
                }
            )
            print(f"{' '.join(overrides)}: score {points[-1]['score']:.3f}", flush=True)
        grid = pd.DataFrame(points)
        grid.to_csv(RESULTS / "grid.csv", index=False)
        best = grid.loc[grid["score"].idxmin(), list(GRID)].to_dict()
        (RESULTS / "chosen.json").write_text(json.dumps(best, indent=2) + "\n", encoding="utf-8")
        print(f"chosen: {best}")
    per_seed = evaluate([], seeds, args.processes)
    table = summary(per_seed)
    per_seed.to_csv(RESULTS / "preset_per_seed.csv", index=False)
    table.to_csv(RESULTS / "preset_summary.csv", index=False)
    print(f"\nchongqing_2024 preset, end 2024, {args.seeds} seeds:")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    misses = check(per_seed)
    for miss in misses:
        print(f"MISS: {miss}")
    print("calibrated: all bands met" if not misses else "NOT calibrated")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
