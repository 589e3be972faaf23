"""Ensemble analysis: bands over seeds, chances of meeting targets, paired plan comparisons.

Inputs are the long tables of :func:`sim.ensemble.run_ensemble` (one row per scenario, seed and
month; one row per scenario, seed, milestone and target). Plans run with the same seed share the
same sector demand path (common random numbers), so differences between plans are compared seed
by seed: that removes most of the macro noise from "is plan B better than plan A?".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np
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


# Statistics for sweep reports (sim.report): pairs by replication, intervals.

FAN_LEVELS = (0.5, 0.9)
"""Central bands of :func:`fan_bands`: 50% (quartiles) and 90% (5th to 95th percentile)."""


def mean_interval(values: Sequence[float] | pd.Series | np.ndarray,
                  level: float = 0.95) -> tuple[float, float, float, int]:  # fmt: skip
    """Mean of ``values`` (NaN left out) with its Student t confidence interval:
    ``mean ± t_{(1+level)/2, n-1} · sd / sqrt(n)`` (sd with n - 1). Returns (mean, low, high, n);
    the bounds are NaN for fewer than two values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    from scipy.stats import t  # here: importing sim.analysis stays cheap

    half = float(t.ppf(0.5 + level / 2.0, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a share of ``successes`` out of ``n`` (NaN for n = 0)."""
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    z = statistics.NormalDist().inv_cdf(0.5 + level / 2.0)
    share = successes / n
    denominator = 1.0 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1.0 - share) / n + z * z / (4 * n * n)) / denominator
    # at 0 or n successes the bound is exactly 0 or 1 (rounding would leave 1e-17)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def share_better(diff: Sequence[float] | pd.Series | np.ndarray, sign: int) -> float:
    """Share of paired differences (scenario minus reference) in which the scenario is better,
    ``sign`` saying which way is (+1 higher, -1 lower, as :attr:`sim.outcomes.Outcome.sign`);
    ties count half. NaN when there are none."""
    x = np.asarray(diff, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan
    better = sign * x
    return float((better > 0).mean() + 0.5 * (better == 0).mean())


def fan_bands(ts: pd.DataFrame, indicator: str,
              levels: Sequence[float] = FAN_LEVELS) -> pd.DataFrame:  # fmt: skip
    """Median and central quantile bands of an indicator over replications, by scenario and
    month: columns ``median``, ``low_50``/``high_50`` (25th/75th percentile), ``low_90``/
    ``high_90`` (5th/95th) for the default levels, ``mean`` and ``n``. Quantiles interpolate
    linearly between replications (pandas' default)."""
    grouped = ts.groupby(["scenario", "month", "date"], sort=True)[indicator]
    out = grouped.agg(median="median", mean="mean", n="count")
    for level in levels:
        tag = f"{round(100 * level)}"
        out[f"low_{tag}"] = grouped.quantile(0.5 - level / 2.0)
        out[f"high_{tag}"] = grouped.quantile(0.5 + level / 2.0)
    out.insert(0, "indicator", indicator)
    return out.reset_index()


def paired_differences(ts: pd.DataFrame, reference: str, dates: Sequence[str],
                       indicators: Sequence[str], level: float = 0.95) -> pd.DataFrame:  # fmt: skip
    """Each scenario minus ``reference`` at each date, paired by replication and seed.

    One row per scenario, date and indicator: ``n`` (pairs), ``mean_diff`` (the mean of the
    per-replication differences), ``ci_low``/``ci_high`` (Student t interval for the mean
    difference at ``level``, see :func:`mean_interval`), ``sd_diff``, ``share_better`` (share of
    pairs in which the scenario is better, ties counting half; NaN for indicators with no better
    direction), and the means of each side over the pairs. Pairs where either side is missing
    (a failed run) are left out.
    """
    if reference not in set(ts["scenario"]):
        raise ValueError(f"reference {reference!r} is not among the scenarios")
    keep = ["scenario", "replication", "seed", "date", *indicators]
    at = ts.loc[ts["date"].isin(list(dates)), keep]
    base = at[at["scenario"] == reference].drop(columns="scenario")
    rows = []
    for scenario in sorted(set(at["scenario"]) - {reference}):
        pairs = at[at["scenario"] == scenario].merge(
            base, on=["replication", "seed", "date"], suffixes=("", "_ref"), validate="1:1"
        )
        for date in dates:
            here = pairs[pairs["date"] == date]
            for name in indicators:
                declared = outcome(name)
                diff = (here[name] - here[f"{name}_ref"]).to_numpy(dtype=float)
                mean, low, high, n = mean_interval(diff, level)
                rows.append(
                    {
                        "scenario": scenario,
                        "reference": reference,
                        "date": date,
                        "indicator": name,
                        "unit": declared.unit,
                        "sense": declared.sense or "",
                        "n": n,
                        "mean_diff": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "sd_diff": float(np.nanstd(diff, ddof=1)) if n > 1 else math.nan,
                        "share_better": (
                            share_better(diff, declared.sign) if declared.sense else math.nan
                        ),
                        "mean_scenario": float(here[name].mean()) if n else math.nan,
                        "mean_reference": float(here[f"{name}_ref"].mean()) if n else math.nan,
                    }
                )
    columns = ["scenario", "reference", "date", "indicator", "unit", "sense", "n", "mean_diff",
               "ci_low", "ci_high", "sd_diff", "share_better", "mean_scenario",
               "mean_reference"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


IN_RUN = ("met", "missed")
"""Report card statuses of targets due within the run (the others: before or after it)."""


def target_chances(cards: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Chance of meeting each milestone target, by scenario: the share of replications with
    ``met`` among those in which the target falls within the run, with its Wilson interval at
    ``level``. Targets that fall outside every replication of a scenario are left out."""
    inside = cards[cards["status"].isin(IN_RUN)]
    rows = []
    keys = ["scenario", "milestone", "target"]
    for (scenario, milestone, target), g in inside.groupby(keys, sort=True):
        n = len(g)
        met = int(g["met"].astype(bool).sum())
        low, high = wilson_interval(met, n, level)
        rows.append(
            {
                "scenario": scenario,
                "milestone": milestone,
                "target": target,
                "indicator": g["indicator"].iloc[0],
                "sense": g["sense"].iloc[0],
                "target_value": g["target_value"].iloc[0],
                "unit": g["unit"].iloc[0],
                "n": n,
                "met": met,
                "chance": met / n,
                "ci_low": low,
                "ci_high": high,
                "achieved_mean": float(g["achieved"].mean()),
            }
        )
    columns = ["scenario", "milestone", "target", "indicator", "sense", "target_value", "unit",
               "n", "met", "chance", "ci_low", "ci_high", "achieved_mean"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def summary_at(ts: pd.DataFrame, date: str, indicators: Sequence[str],
               level: float = 0.95) -> pd.DataFrame:  # fmt: skip
    """Each indicator at ``date`` by scenario: ``n``, ``mean`` with its Student t interval
    (``ci_low``/``ci_high``), ``median`` and the 5th and 95th percentiles over replications."""
    at = ts[ts["date"] == date]
    rows = []
    for scenario, g in at.groupby("scenario", sort=True):
        for name in indicators:
            mean, low, high, n = mean_interval(g[name].to_numpy(dtype=float), level)
            rows.append(
                {
                    "scenario": scenario,
                    "date": date,
                    "indicator": name,
                    "unit": outcome(name).unit,
                    "n": n,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "median": float(g[name].median()),
                    "p5": float(g[name].quantile(0.05)),
                    "p95": float(g[name].quantile(0.95)),
                }
            )
    columns = ["scenario", "date", "indicator", "unit", "n", "mean", "ci_low", "ci_high",
               "median", "p5", "p95"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def trade_off(ts: pd.DataFrame) -> pd.DataFrame:
    """Per replication and scenario: ``jobs_affected`` at the run's last month and
    ``profit_gain``, trailing-twelve-month profit at the last month minus at month 0."""
    keys = ["scenario", "run_key", "replication", "seed"]
    ordered = ts.sort_values([*keys, "month"])
    grouped = ordered.groupby(keys, sort=True)
    first, last = grouped.first(), grouped.last()
    out = pd.DataFrame(
        {
            "date": last["date"],
            "jobs_affected": last["jobs_affected"],
            "profit_gain": last["profit_ttm"] - first["profit_ttm"],
        }
    )
    return out.reset_index()


def layer_columns(columns: Sequence[str]) -> list[str]:
    """The ``layer_K`` columns among ``columns``, by K."""
    found = [c for c in columns if c.startswith("layer_") and c[6:].isdigit()]
    return sorted(found, key=lambda c: int(c[6:]))


def layer_distribution(ts: pd.DataFrame) -> pd.DataFrame:
    """Entities per management layer at month 0 (``when`` = ``start``) and at each run's last
    month (``end``), mean over replications, by scenario; layers empty in every scenario at both
    times after the deepest occupied one are left out."""
    layers = layer_columns(list(ts.columns))
    keys = ["scenario", "run_key"]
    ordered = ts.sort_values([*keys, "month"])
    grouped = ordered.groupby(keys, sort=True)
    frames = []
    for when, picked in (("start", grouped.first()), ("end", grouped.last())):
        by_scenario = picked.groupby("scenario", sort=True)
        long = by_scenario[layers].mean().reset_index()
        long = long.melt(id_vars="scenario", var_name="column", value_name="mean")
        long["when"] = when
        long["date"] = long["scenario"].map(by_scenario["date"].first())
        long["n"] = long["scenario"].map(by_scenario.size()).astype(int)
        frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out["layer"] = out["column"].str.slice(6).astype(int)
    occupied = out.loc[out["mean"] > 0, "layer"]
    deepest = int(occupied.max()) if len(occupied) else 1
    out = out[out["layer"] <= deepest]
    out["when"] = pd.Categorical(out["when"], categories=["start", "end"], ordered=True)
    out = out.sort_values(["scenario", "when", "layer"])
    out["when"] = out["when"].astype(str)
    return out[["scenario", "when", "date", "layer", "mean", "n"]].reset_index(drop=True)


def fate_counts(events: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Entities that left, by scenario and ``fate``: ``total`` over the runs, ``mean`` per
    replication (over every run of ``runs``, those with none of a fate counting zero) and
    ``n`` runs. ``runs`` lists the runs counted (``scenario``, ``run_key``); events of other
    runs are ignored."""
    counted = runs[["scenario", "run_key"]].drop_duplicates()
    n = counted.groupby("scenario").size()
    gone = events.loc[events["fate"].fillna("") != "", ["scenario", "run_key", "fate"]]
    gone = gone.merge(counted, on=["scenario", "run_key"])
    totals = gone.groupby(["scenario", "fate"], sort=True).size().rename("total").reset_index()
    scenarios = sorted(n.index)
    fates = sorted(set(totals["fate"]))
    grid = pd.MultiIndex.from_product([scenarios, fates], names=["scenario", "fate"])
    out = totals.set_index(["scenario", "fate"]).reindex(grid, fill_value=0).reset_index()
    out["total"] = out["total"].astype(int)
    out["n"] = out["scenario"].map(n).astype(int)
    out["mean"] = out["total"] / out["n"]
    return out[["scenario", "fate", "total", "mean", "n"]]
