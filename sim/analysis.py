"""Ensemble analysis: bands over seeds, chances of meeting targets, paired plan comparisons.

Inputs are the long tables of :func:`sim.ensemble.run_ensemble` (one row per scenario, seed and
month; one row per scenario, seed, milestone and target). Plans run with the same seed share the
same sector demand path (common random numbers), so differences between plans are compared seed
by seed: that removes most of the macro noise from "is plan B better than plan A?".
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.outcomes import outcome


def bands(ts: pd.DataFrame, indicator: str, low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
    """Mean, median and the ``low``-``high`` quantile band of an indicator over seeds, by
    scenario and month."""
    grouped = ts.groupby(["scenario", "month", "date"], sort=True)[indicator]
    out = grouped.agg(mean="mean", median="median")
    out["low"] = grouped.quantile(low)
    out["high"] = grouped.quantile(high)
    out["seeds"] = grouped.size()
    return out.reset_index()


def outcomes_at(ts: pd.DataFrame, dates: Sequence[str], indicators: Sequence[str]) -> pd.DataFrame:
    """Mean and 5-95% band of indicators at the given dates, one row per scenario and date."""
    rows = []
    at = ts[ts["date"].isin(dates)]
    for (scenario, date), g in at.groupby(["scenario", "date"], sort=True):
        row: dict[str, object] = {"scenario": scenario, "date": date}
        for name in indicators:
            v = g[name]
            row[name] = v.mean()
            row[f"{name}_p5"] = v.quantile(0.05)
            row[f"{name}_p95"] = v.quantile(0.95)
        rows.append(row)
    return pd.DataFrame(rows)


def target_probability(cards: pd.DataFrame) -> pd.DataFrame:
    """Share of seeds in which each milestone target was met, by scenario (the planner's "how
    sure are we" for the report card)."""
    grouped = cards.groupby(["scenario", "milestone", "target"], sort=True)
    out = grouped.agg(
        target_value=("target_value", "first"),
        achieved_mean=("achieved", "mean"),
        chance_met=("met", "mean"),
        seeds=("met", "size"),
    )
    return out.reset_index()


def paired_comparison(ts: pd.DataFrame, baseline: str, date: str,
                      indicators: Sequence[str]) -> pd.DataFrame:  # fmt: skip
    """Each scenario against ``baseline`` at ``date``, seed by seed.

    ``mean_diff`` is scenario minus baseline (mean over seeds, with the 5-95% band);
    ``chance_better`` is the share of seeds where the scenario is better (see
    :data:`sim.outcomes.OUTCOMES`, which says which way is better); ties count half.
    """
    at = ts[ts["date"] == date].set_index(["scenario", "seed"])
    if at.empty:
        raise ValueError(
            f"no month dated {date} in the runs ({ts['date'].min()} to {ts['date'].max()})"
        )
    if baseline not in at.index.get_level_values("scenario"):
        raise ValueError(f"baseline {baseline!r} is not among the scenarios")
    base = at.loc[baseline]
    rows = []
    for scenario in at.index.get_level_values("scenario").unique():
        if scenario == baseline:
            continue
        other = at.loc[scenario]
        for name in indicators:
            diff = (other[name] - base[name]).dropna()
            better = outcome(name).sign * diff
            rows.append(
                {
                    "scenario": scenario,
                    "baseline": baseline,
                    "date": date,
                    "indicator": name,
                    "mean_diff": diff.mean(),
                    "diff_p5": diff.quantile(0.05),
                    "diff_p95": diff.quantile(0.95),
                    "chance_better": float((better > 0).mean() + 0.5 * (better == 0).mean()),
                    "seeds": int(diff.size),
                }
            )
    return pd.DataFrame(rows)
