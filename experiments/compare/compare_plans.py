"""Compare restructuring plans side by side, with the uncertainty over seeds.

    uv run python experiments/compare/compare_plans.py                      # 5 plans x 20 seeds
    uv run python experiments/compare/compare_plans.py --seeds 100 --plans chongqing_2024 gradual

Every plan (a ``policy`` preset) runs from the ``chongqing_2023`` start for ``--seeds`` seeds.
Plans share each seed's sector demand path, so they are compared seed by seed against
``--baseline``. Writes to ``experiments/compare/results/`` (or ``--out``): ``timeseries.parquet``
and ``report_cards.parquet`` (every run), ``outcomes.csv`` (mean and 5-95% band at the end of
2024 and of the run), ``target_chances.csv`` (share of seeds meeting each milestone target),
``paired.csv`` (each plan minus the baseline, seed by seed), ``fan.png`` and ``targets.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matplotlib.figure import Figure

from sim.analysis import bands, outcomes_at, paired_comparison, target_probability
from sim.compose import compose_config
from sim.ensemble import run_ensemble
from sim.plots import plot_fan, plot_target_chances

PLANS = ["no_reform", "chongqing_2024", "loss_cutting_first", "mergers_first", "gradual"]
INDICATORS = [
    "entities",
    "groups",
    "loss_making_share",
    "profit_ttm",
    "debt_ratio",
    "zombies",
    "restructuring_cost",
    "jobs_affected",
    "capital_preservation",
]
FAN = [
    ("entities", "Legal entities"),
    ("loss_making_share", "Loss-making share"),
    ("profit_ttm", "Profit, TTM (mn yuan)"),
    ("jobs_affected", "Jobs affected (cumulative)"),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", nargs="+", default=PLANS)
    parser.add_argument("--baseline", default="chongqing_2024")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)

    scenarios = {
        plan: compose_config(f"policy={plan}", f"months={args.months}", "output.chart=false")
        for plan in args.plans
    }
    ts, cards = run_ensemble(scenarios, range(args.seeds), args.processes)
    args.out.mkdir(parents=True, exist_ok=True)
    ts.to_parquet(args.out / "timeseries.parquet", index=False)
    cards.to_parquet(args.out / "report_cards.parquet", index=False)

    end = ts["date"].max()
    outcomes = outcomes_at(ts, ["2024-12", end], INDICATORS)
    outcomes.to_csv(args.out / "outcomes.csv", index=False)
    chances = target_probability(cards)
    chances.to_csv(args.out / "target_chances.csv", index=False)
    baseline = args.baseline if args.baseline in args.plans else args.plans[0]
    paired = paired_comparison(ts, baseline, "2024-12", INDICATORS)
    paired.to_csv(args.out / "paired.csv", index=False)

    fig = Figure(figsize=(14, 8), layout="constrained")
    for (name, title), ax in zip(FAN, fig.subplots(2, 2).ravel(), strict=True):
        plot_fan(bands(ts, name), ax, title, indicator=name)
    fig.suptitle(f"Plans compared over {args.seeds} seeds (mean and 5-95% band)")
    fig.savefig(args.out / "fan.png", dpi=110)
    fig = Figure(figsize=(10, 8), layout="constrained")
    plot_target_chances(chances, fig.subplots())
    fig.savefig(args.out / "targets.png", dpi=110)

    show = [
        "scenario",
        "date",
        "entities",
        "groups",
        "loss_making_share",
        "profit_ttm",
        "jobs_affected",
        "restructuring_cost",
    ]
    print(outcomes[show].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"\nagainst {baseline} at 2024-12, seed by seed:")
    print(paired.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
