"""Charts of run outputs.

Each function takes a table and an ``ax``, draws, and returns the ax; only the output layer
(:mod:`sim.outputs`) and notebooks decide where figures go. Labels are English because the default
fonts carry no Chinese glyphs.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import outcome

BN = 1_000.0
"""mn yuan per bn yuan (亿元 x 10)."""


def _dates(ts: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(ts["date"], format="%Y-%m")


def plot_entities(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Legal entities (left) and groups (right) by month."""
    ax.plot(_dates(ts), ts["entities"], color="C0", label="legal entities")
    ax.set_ylabel("legal entities")
    twin = ax.twinx()
    twin.plot(_dates(ts), ts["groups"], color="C1", label="groups")
    twin.set_ylabel("groups")
    ax.set_title("Legal entities and groups")
    return ax


def plot_loss_share(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Loss-making share (亏损面) by month, percent."""
    ax.plot(_dates(ts), 100 * ts["loss_making_share"], color="C3")
    ax.set_ylabel("% of legal entities")
    ax.set_title("Loss-making share")
    return ax


def plot_debt_ratio(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Consolidated debt-to-asset ratio (资产负债率), percent."""
    ax.plot(_dates(ts), 100 * ts["debt_ratio"], color="C4")
    ax.set_ylabel("%")
    ax.set_title("Debt-to-asset ratio")
    return ax


def plot_profit(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Trailing-twelve-month profit, bn yuan."""
    ax.plot(_dates(ts), ts["profit_ttm"] / BN, color="C2")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_ylabel("bn yuan / yr")
    ax.set_title("Profit, trailing 12 months")
    return ax


def plot_zombies(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Zombie entities (僵尸企业) by month."""
    ax.plot(_dates(ts), ts["zombies"], color="C5")
    ax.set_ylabel("entities")
    ax.set_title("Zombie entities")
    return ax


def plot_layers(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Deepest and mean management layer by month."""
    ax.plot(_dates(ts), ts["max_layer"], color="C6", label="deepest")
    ax.plot(_dates(ts), ts["mean_layer"], color="C7", label="mean")
    ax.set_ylabel("layer (1 = group HQ)")
    ax.set_title("Management layers")
    ax.legend(loc="best", fontsize="small")
    return ax


HEADLINE_PANELS = (
    plot_entities,
    plot_loss_share,
    plot_debt_ratio,
    plot_profit,
    plot_zombies,
    plot_layers,
)


def headline_figure(ts: pd.DataFrame, title: str) -> Figure:
    """The six headline panels on one figure (no pyplot state is touched)."""
    fig = Figure(figsize=(15, 8), layout="constrained")
    axes = fig.subplots(2, 3)
    for panel, ax in zip(HEADLINE_PANELS, axes.ravel(), strict=True):
        panel(ts, ax)
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle(title)
    return fig


def _mark_start(ts: pd.DataFrame, ax: Axes) -> None:
    """A dotted line where the reform starts (the first simulated month)."""
    if len(ts) > 1:
        ax.axvline(_dates(ts).iloc[1], color="grey", lw=0.8, ls=":", label="reform start")


def _integer_ticks(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def plot_zones(zones: pd.DataFrame, ax: Axes, targets: Mapping[str, float] | None = None) -> Axes:
    """Zones and management bodies (一区多园, 一套班子), with their targets when given."""
    dates = _dates(zones)
    ax.step(dates, zones["zones"], where="post", color="C0", label="zones")
    ax.step(dates, zones["management_bodies"], where="post", color="C1", label="management bodies")
    for i, (name, value) in enumerate((targets or {}).items()):
        ax.axhline(value, color=f"C{i}", lw=0.8, ls="--", label=f"target: {name} {value:g}")
    _mark_start(zones, ax)
    _integer_ticks(ax)
    ax.set_ylabel("count")
    ax.set_title("Zones and management bodies")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_per_mu(zones: pd.DataFrame, ax: Axes) -> Axes:
    """亩均 tax and value added, indexed to month 0 = 100."""
    dates = _dates(zones)
    for i, (col, label) in enumerate((("tax_per_mu", "tax per mu"),
                                      ("value_added_per_mu", "value added per mu"),
                                      ("output_per_mu", "output per mu"))):  # fmt: skip
        ax.plot(dates, 100 * zones[col] / zones[col].iloc[0], color=f"C{i + 2}",
                label=f"{label} ({zones[col].iloc[0]:,.2f} x 10k yuan at start)")  # fmt: skip
    _mark_start(zones, ax)
    ax.set_ylabel("index, month 0 = 100")
    ax.set_title("Per-mu tax, value added and output")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_classes(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Shares of firms in classes A-D at each month (after the first evaluation)."""
    ranked = zones.dropna(subset=["share_A"])
    if ranked.empty:
        ax.text(0.5, 0.5, "no per-mu evaluation in this plan", ha="center", va="center")
        ax.set_axis_off()
        return ax
    dates = _dates(ranked)
    shares = [100 * ranked[f"share_{c}"] for c in "ABCD"]
    colours = ["tab:green", "tab:olive", "tab:orange", "tab:red"]
    ax.stackplot(dates, *shares, labels=[f"class {c}" for c in "ABCD"], colors=colours, alpha=0.8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of ranked firms")
    ax.set_title("Per-mu classes (A-D)")
    ax.legend(loc="lower left", fontsize="small", ncols=4)
    return ax


def plot_plans(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Firms under each of the five dispositions (一企一案) by month."""
    dates = _dates(zones)
    names = ("support", "merge", "compliance", "transfer", "closure")
    for i, name in enumerate(names):
        ax.step(dates, zones[f"firms_{name}"], where="post", color=f"C{i}", label=name)
    _mark_start(zones, ax)
    _integer_ticks(ax)
    ax.set_ylabel("firms")
    ax.set_title("Firms under a plan, by disposition")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_land(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Idle industrial land and idle land re-used since month 0, thousand mu."""
    dates = _dates(zones)
    ax.plot(dates, zones["idle_land_mu"] / 1e3, color="C3", label="idle land")
    ax.plot(dates, zones["land_reused_mu"] / 1e3, color="C2", label="re-used since start")
    ax.plot(dates, zones["land_freed_mu"] / 1e3, color="C7", label="freed since start")
    _mark_start(zones, ax)
    ax.set_ylabel("thousand mu")
    ax.set_title("Idle industrial land")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_firms(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Firms that entered and that left (closed, absorbed or left on their own) since month 0."""
    dates = _dates(zones)
    ax.plot(dates, zones["firms_entered"], color="C2", label="entered")
    ax.plot(dates, zones["firms_left"], color="C3", label="left, closed or absorbed")
    _mark_start(zones, ax)
    _integer_ticks(ax)
    ax.set_ylabel("firms since start")
    first, last = int(zones["firms"].iloc[0]), int(zones["firms"].iloc[-1])
    ax.set_title(f"Firms in the zones: {first:,} to {last:,}")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def parks_figure(
    zones: pd.DataFrame, title: str, targets: Mapping[str, float] | None = None
) -> Figure:
    """The park reform on one figure: zones, per-mu figures, classes, plans, land, firms."""
    fig = Figure(figsize=(15, 8), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    plot_zones(zones, axes[0], targets)
    plot_per_mu(zones, axes[1])
    plot_classes(zones, axes[2])
    plot_plans(zones, axes[3])
    plot_land(zones, axes[4])
    plot_firms(zones, axes[5])
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle(title)
    return fig


def plot_report_card(card: pd.DataFrame, ax: Axes) -> Axes:
    """改革高分报表: achieved as a percent of each target, green when met, red when not.

    For an at-most target (groups, layers, loss-making share) the bar is target / achieved, so
    100% or more always means met.
    """
    if card.empty:
        ax.text(0.5, 0.5, "no milestones in this policy", ha="center", va="center")
        ax.set_axis_off()
        return ax
    at_least = card["sense"] == "at_least"
    ratio = (card["achieved"] / card["target_value"]).where(
        at_least, card["target_value"] / card["achieved"]
    )
    labels = card["milestone"] + "  " + card["target"]
    colours = ["tab:green" if met else "tab:red" for met in card["met"]]
    ax.barh(range(len(card)), 100 * ratio.fillna(0.0).clip(upper=200), color=colours)
    ax.axvline(100, color="black", lw=1)
    ax.set_yticks(range(len(card)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("achieved, % of target (100 = met)")
    ax.set_title("Report card")
    return ax


def report_card_figure(card: pd.DataFrame, title: str) -> Figure:
    """The report card on its own figure."""
    fig = Figure(figsize=(9, 0.35 * max(len(card), 4) + 1.5), layout="constrained")
    plot_report_card(card, fig.subplots()).set_title(title)
    return fig


def plot_fan(
    bands_table: pd.DataFrame, ax: Axes, label: str = "", indicator: str | None = None
) -> Axes:
    """One line per scenario (mean over seeds) with its 5-95% band, from
    :func:`sim.analysis.bands`; with ``indicator``, its declared meaning and unit
    (:mod:`sim.outcomes`) title and label the axes."""
    if indicator is not None:
        declared = outcome(indicator)
        label = label or declared.meaning
        ax.set_ylabel(declared.unit)
    for i, (scenario, g) in enumerate(bands_table.groupby("scenario", sort=False)):
        dates = _dates(g)
        ax.plot(dates, g["mean"], color=f"C{i}", label=str(scenario))
        ax.fill_between(dates, g["low"], g["high"], color=f"C{i}", alpha=0.15, lw=0)
    ax.set_title(label)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_target_chances(chances: pd.DataFrame, ax: Axes) -> Axes:
    """Chance of meeting each milestone target, per scenario (from
    :func:`sim.analysis.target_probability`)."""
    table = chances.pivot_table(
        index=["milestone", "target"], columns="scenario", values="chance_met", sort=True
    )
    labels = [f"{m}  {t}" for m, t in table.index]
    width = 0.8 / max(len(table.columns), 1)
    for i, scenario in enumerate(table.columns):
        ax.barh(
            [y + i * width for y in range(len(table))],
            100 * table[scenario],
            height=width,
            color=f"C{i}",
            label=str(scenario),
        )
    ax.set_yticks([y + 0.4 - width / 2 for y in range(len(table))], labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("seeds meeting the target, %")
    ax.set_title("Chance of meeting each milestone target")
    ax.legend(loc="lower right", fontsize="small")
    return ax


# Charts of a sweep report (sim.report): one colour per scenario, units as people read them.

PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
           "tab:pink", "tab:olive", "tab:cyan")  # fmt: skip
"""Scenario colours; the reference scenario is grey (:func:`scenario_colours`)."""

REFERENCE_COLOUR = "tab:gray"

TITLES = {
    "entities": "Legal entities",
    "operating_entities": "Operating legal entities",
    "groups": "Groups",
    "max_layer": "Deepest management layer",
    "mean_layer": "Mean management layer",
    "loss_making_share": "Loss-making share",
    "operating_loss_share": "Loss-making share, one-offs excluded",
    "loss_makers_losses": "Losses of loss-makers, year to date",
    "profit": "Profit this month",
    "profit_ttm": "Profit, trailing 12 months",
    "debt_ratio": "Debt-to-asset ratio",
    "roe": "Return on equity",
    "capital_preservation": "Capital preservation (equity / month 0)",
    "zombies": "Zombie entities",
    "zombie_share": "Zombie share of operating entities",
    "jobs_affected": "Jobs affected, cumulative",
    "restructuring_cost": "Restructuring cost, cumulative",
    "creditor_losses": "Outside creditors' losses, cumulative",
    "assets_revitalised": "Idle assets revitalised, cumulative",
    "gov_function_entities": "Entities with government functions",
    "zones": "Development zones",
    "management_bodies": "Zone management bodies",
    "firms": "Firms in the zones",
    "idle_land_mu": "Idle industrial land",
    "tax_per_mu": "Tax per mu",
    "value_added_per_mu": "Value added per mu",
    "output_per_mu": "Output per mu",
    "share_D": "Firms in class D",
    "park_cost": "Park reform spending, cumulative",
    "park_jobs_affected": "Jobs affected by the park reform, cumulative",
    "land_reused_mu": "Idle land re-used, cumulative",
}
"""Short English panel titles; other indicators take their declared meaning (non-Latin text
dropped: the default fonts carry no Chinese glyphs)."""

_COUNT_UNITS = {
    "groups": "groups", "decoupled": "enterprises", "actions_deferred": "proposals",
    "zones": "zones", "management_bodies": "bodies", "parks": "parks", "bodies_cut": "bodies",
    **{name: "firms" for name in ("firms", "soe_firms", "firms_entered", "firms_left")},
    **{f"firms_{c}": "firms" for c in ("A", "B", "C", "D", "support", "merge", "compliance",
                                       "transfer", "closure")},
}  # fmt: skip


@dataclass(frozen=True)
class Display:
    """How an indicator is shown: values times ``scale`` in ``unit``; differences in
    ``diff_unit``; ``integer`` for counts (integer ticks)."""

    scale: float
    unit: str
    diff_unit: str
    integer: bool = False


def display(indicator: str) -> Display:
    """The display of an indicator, from its declared unit (:mod:`sim.outcomes`): shares in %,
    money in bn yuan, people in thousands, counts as integers."""
    unit = outcome(indicator).unit
    if unit == "share":
        return Display(100.0, "%", "percentage points")
    if unit == "share/yr":
        return Display(100.0, "% a year", "percentage points a year")
    if unit.startswith("mn yuan"):
        per = {"mn yuan/yr": " a year", "mn yuan/month": " a month"}.get(unit, "")
        return Display(1 / BN, f"bn yuan{per}", f"bn yuan{per}")
    if unit == "persons":
        return Display(1e-3, "thousand persons", "thousand persons")
    if unit == "count":
        name = _COUNT_UNITS.get(indicator, "entities")
        return Display(1.0, name, name, integer=True)
    if unit.startswith("万元"):  # 亩均 figures: the default fonts carry no Chinese glyphs
        shown = unit.replace("万元", "10k yuan")
        return Display(1.0, shown, shown)
    return Display(1.0, unit, unit)


def indicator_title(indicator: str) -> str:
    """A short English title for an indicator."""
    if indicator in TITLES:
        return TITLES[indicator]
    text = re.sub(r"\([^)]*[^\x00-\x7f][^)]*\)", "", outcome(indicator).meaning)
    text = re.sub(r"[^\x00-\x7f]+[:：]?", "", text).strip(" :,")
    return textwrap.shorten(text[:1].upper() + text[1:], 45, placeholder="...")


def scenario_label(scenario: str) -> str:
    """A scenario's name as a legend shows it (underscores as spaces)."""
    return scenario.replace("_", " ")


def scenario_colours(scenarios: Sequence[str], reference: str | None = None) -> dict[str, str]:
    """One colour per scenario, the same in every chart; the reference is grey."""
    colours = {}
    others = [s for s in scenarios if s != reference]
    for i, scenario in enumerate(others):
        colours[scenario] = PALETTE[i % len(PALETTE)]
    if reference is not None and reference in scenarios:
        colours[reference] = REFERENCE_COLOUR
    return {s: colours[s] for s in scenarios}


def _reform_line(start: str) -> Any:
    """Where a reform starting in month ``start`` is drawn: halfway between the last month
    before it and its first month (rows are plotted at their month, as :func:`_dates` does)."""
    first = pd.Timestamp(start)
    before = (pd.Period(start, freq="M") - 1).to_timestamp()
    return before + (first - before) / 2


def _value_axis(axis: Any, shown: Display, values: Any = None) -> None:
    """Integer ticks for counts, thousands separators for large numbers."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if shown.integer:
        axis.set_major_locator(MaxNLocator(integer=True))
    top = np.nanmax(np.abs(np.asarray(values, dtype=float))) if values is not None else 0.0
    if np.isfinite(top) and top >= 1000:
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _date_axis(ax: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def plot_fan_bands(bands_table: pd.DataFrame, ax: Axes, indicator: str,
                   colours: Mapping[str, str],
                   reform_starts: Sequence[str] = ()) -> Axes:  # fmt: skip
    """Median line with 50% and 90% bands per scenario (from :func:`sim.analysis.fan_bands`),
    and a dashed line before each reform start month (``YYYY-MM``): the rules act from the
    first month to its right."""
    shown = display(indicator)
    for scenario, g in bands_table.groupby("scenario", sort=False):
        colour = colours.get(str(scenario), "black")
        x = _dates(g)
        ax.fill_between(x, g["low_90"] * shown.scale, g["high_90"] * shown.scale,
                        color=colour, alpha=0.12, lw=0)  # fmt: skip
        ax.fill_between(x, g["low_50"] * shown.scale, g["high_50"] * shown.scale,
                        color=colour, alpha=0.28, lw=0)  # fmt: skip
        ax.plot(x, g["median"] * shown.scale, color=colour, lw=1.8)
    for start in reform_starts:
        ax.axvline(_reform_line(start), color="black", ls="--", lw=0.9)
    ax.set_title(indicator_title(indicator))
    ax.set_ylabel(shown.unit)
    _date_axis(ax)
    _value_axis(ax.yaxis, shown, bands_table[["low_90", "high_90"]].to_numpy() * shown.scale)
    ax.grid(alpha=0.3)
    return ax


def _grid(n: int, ncols: int = 3, width: float = 5.0, height: float = 3.6,
          extra: float = 1.2) -> tuple[Figure, list[Axes]]:  # fmt: skip
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(max(width * ncols, 8.0), height * nrows + extra), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel())
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def _legend_below(fig: Figure, handles: list[Any], labels: list[str]) -> None:
    """The legend under the panels, in rows as wide as the figure."""
    across = max(2, int(fig.get_figwidth() / 1.8))
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), across),
               frameon=False)  # fmt: skip


def _title(fig: Figure, title: str) -> None:
    """The figure's title, wrapped to its width."""
    fig.suptitle(textwrap.fill(title, width=int(fig.get_figwidth() * 11)))


def fan_figure(bands_table: pd.DataFrame, indicators: Sequence[str],
               colours: Mapping[str, str], title: str,
               reform_starts: Sequence[str] = ()) -> Figure:  # fmt: skip
    """Fan charts, one panel per indicator, one colour per scenario, the legend below."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, axes = _grid(len(indicators))
    for name, ax in zip(indicators, axes, strict=True):
        plot_fan_bands(bands_table[bands_table["indicator"] == name], ax, name, colours,
                       reform_starts)  # fmt: skip
    handles: list[Any] = [Line2D([], [], color=c, lw=2) for c in colours.values()]
    labels = [scenario_label(s) for s in colours]
    handles += [Patch(color="grey", alpha=0.45), Patch(color="grey", alpha=0.15)]
    labels += ["50% band", "90% band"]
    if reform_starts:
        handles.append(Line2D([], [], color="black", ls="--", lw=0.9))
        labels.append("reform from " + ", ".join(reform_starts))
    _legend_below(fig, handles, labels)
    _title(fig, title)
    return fig


def _dodge(k: int, width: float = 0.8) -> tuple[np.ndarray, float]:
    """Offsets of ``k`` side-by-side items within a slot of ``width``, and each item's width."""
    step = width / max(k, 1)
    return (np.arange(k) - (k - 1) / 2) * step, step


def paired_figure(paired: pd.DataFrame, colours: Mapping[str, str], reference: str,
                  title: str) -> Figure:  # fmt: skip
    """Mean paired difference (dot) and its confidence interval (bar) per scenario, by date, one
    panel per indicator; the zero line is the reference."""
    from matplotlib.lines import Line2D

    indicators = list(dict.fromkeys(paired["indicator"]))
    scenarios = [s for s in colours if s in set(paired["scenario"])]
    dates = sorted(set(paired["date"]))
    fig, axes = _grid(len(indicators), height=3.4)
    offsets, _ = _dodge(len(scenarios), 0.6)
    for name, ax in zip(indicators, axes, strict=True):
        shown = display(name)
        rows = paired[paired["indicator"] == name]
        for scenario, offset in zip(scenarios, offsets, strict=True):
            g = rows[rows["scenario"] == scenario].set_index("date").reindex(dates)
            x = np.arange(len(dates)) + offset
            mean = g["mean_diff"].to_numpy(dtype=float) * shown.scale
            low = g["ci_low"].to_numpy(dtype=float) * shown.scale
            high = g["ci_high"].to_numpy(dtype=float) * shown.scale
            err = np.vstack([mean - low, high - mean])
            ax.errorbar(x, mean, yerr=np.nan_to_num(err), fmt="o", color=colours[scenario],
                        capsize=3, ms=5, lw=1.4)  # fmt: skip
        ax.axhline(0, color=REFERENCE_COLOUR, lw=1)
        ax.set_xticks(range(len(dates)), dates)
        ax.set_xlim(-0.6, len(dates) - 0.4)
        sense = outcome(name).sense
        better = f" ({sense} is better)" if sense else ""
        ax.set_title(f"{indicator_title(name)}{better}", fontsize="medium")
        ax.set_ylabel(f"difference, {shown.diff_unit}")
        _value_axis(ax.yaxis, shown, rows[["ci_low", "ci_high"]].to_numpy() * shown.scale)
        ax.grid(axis="y", alpha=0.3)
    handles: list[Any] = [Line2D([], [], color=colours[s], marker="o", ls="") for s in scenarios]
    labels = [scenario_label(s) for s in scenarios]
    handles.append(Line2D([], [], color=REFERENCE_COLOUR, lw=1))
    labels.append(f"{scenario_label(reference)} (reference, 0)")
    _legend_below(fig, handles, labels)
    _title(fig, title)
    return fig


def _target_label(row: Any) -> str:
    """``2024-12  groups <= 38``: the milestone, the target and its threshold."""
    sign = {"at_least": "≥", "at_most": "≤"}.get(str(row.sense), "")
    value = float(row.target_value)
    if row.unit == "share":
        text = f"{100 * value:g}%"
    elif str(row.unit).startswith("mn yuan"):
        text = f"{value / BN:,.4g} bn yuan"
    else:
        text = f"{value:,.4g}"
    return f"{row.milestone}  {str(row.target).replace('_', ' ')} {sign} {text}"


def target_chance_figure(chances: pd.DataFrame, colours: Mapping[str, str],
                         title: str) -> Figure:  # fmt: skip
    """Chance of meeting each milestone target (dot) with its interval (line), one row per
    target and scenario, milestones separated by rules (from
    :func:`sim.analysis.target_chances`)."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import PercentFormatter

    targets = chances.drop_duplicates(["milestone", "target"])
    targets = targets.sort_values(["milestone", "target"]).reset_index(drop=True)
    scenarios = [s for s in colours if s in set(chances["scenario"])]
    offsets, _ = _dodge(len(scenarios), 0.7)
    fig = Figure(figsize=(10, 1.6 + len(targets) * (0.13 * len(scenarios) + 0.22)),
                 layout="constrained")  # fmt: skip
    ax = fig.subplots()
    index = {(r.milestone, r.target): i for i, r in enumerate(targets.itertuples())}
    for scenario, offset in zip(scenarios, offsets, strict=True):
        g = chances[chances["scenario"] == scenario]
        y = np.array([index[(m, t)] for m, t in zip(g["milestone"], g["target"], strict=True)])
        share = 100 * g["chance"].to_numpy(dtype=float)
        low, high = 100 * g["ci_low"].to_numpy(dtype=float), 100 * g["ci_high"].to_numpy(float)
        ax.hlines(y + offset, low, high, color=colours[scenario], lw=2, alpha=0.6)
        ax.plot(share, y + offset, "o", color=colours[scenario], ms=5)
    milestones = list(targets["milestone"])
    for i in range(1, len(milestones)):
        if milestones[i] != milestones[i - 1]:
            ax.axhline(i - 0.5, color="black", lw=0.6)
    ax.set_yticks(range(len(targets)), [_target_label(r) for r in targets.itertuples()])
    ax.set_ylim(len(targets) - 0.5, -0.5)
    ax.set_xlim(-2, 102)
    ax.xaxis.set_major_formatter(PercentFormatter())
    ax.set_xlabel("share of replications meeting the target (dot), with its interval (line)")
    ax.grid(axis="x", alpha=0.3)
    handles: list[Any] = [
        Line2D([], [], color=colours[s], marker="o", lw=2, alpha=0.8) for s in scenarios
    ]
    _legend_below(fig, handles, [scenario_label(s) for s in scenarios])
    _title(fig, title)
    return fig


def trade_off_figure(points: pd.DataFrame, colours: Mapping[str, str],
                     title: str) -> Figure:  # fmt: skip
    """Jobs affected against profit gained, one dot per replication, scenario means as large
    diamonds (from :func:`sim.analysis.trade_off`)."""
    from matplotlib.lines import Line2D

    jobs, profit = display("jobs_affected"), display("profit_ttm")
    fig = Figure(figsize=(8.5, 6.5), layout="constrained")
    ax = fig.subplots()
    for scenario, g in points.groupby("scenario", sort=False):
        colour = colours.get(str(scenario), "black")
        x, y = g["jobs_affected"] * jobs.scale, g["profit_gain"] * profit.scale
        ax.scatter(x, y, color=colour, alpha=0.55, s=28, lw=0)
        ax.scatter([x.mean()], [y.mean()], color=colour, marker="D", s=110,
                   edgecolors="black", linewidths=1.2, zorder=3)  # fmt: skip
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"jobs affected by the end, {jobs.unit}")
    ax.set_ylabel(f"profit gained (TTM, end minus month 0), {profit.unit}")
    ax.grid(alpha=0.3)
    handles: list[Any] = [
        Line2D([], [], color=colours[s], marker="o", ls="", alpha=0.7) for s in colours
    ]
    labels = [scenario_label(s) for s in colours]
    handles.append(Line2D([], [], color="white", marker="D", ls="", markeredgecolor="black", ms=9))
    labels.append("scenario mean")
    _legend_below(fig, handles, labels)
    _title(fig, title)
    return fig


def layer_figure(layers: pd.DataFrame, colours: Mapping[str, str], title: str) -> Figure:
    """Entities per management layer at month 0 and at the last month, grouped bars by scenario
    (from :func:`sim.analysis.layer_distribution`)."""
    from matplotlib.patches import Patch

    scenarios = [s for s in colours if s in set(layers["scenario"])]
    offsets, width = _dodge(len(scenarios))
    fig = Figure(figsize=(13, 5), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    top = layers["mean"].max()
    for ax, when, heading in zip(axes, ("start", "end"), ("Month 0", "Last month"), strict=True):
        part = layers[layers["when"] == when]
        for scenario, offset in zip(scenarios, offsets, strict=True):
            g = part[part["scenario"] == scenario]
            ax.bar(g["layer"] + offset, g["mean"], width=width * 0.95, color=colours[scenario])
        dates = sorted(set(part["date"]))
        ax.set_title(f"{heading} ({', '.join(dates)})")
        ax.set_xlabel("management layer (1 = group headquarters)")
        ax.set_xticks(sorted(set(part["layer"])))
        ax.grid(axis="y", alpha=0.3)
        _value_axis(ax.yaxis, Display(1.0, "entities", "entities", integer=True), [top])
    axes[0].set_ylabel("entities, mean over replications")
    _legend_below(fig, [Patch(color=colours[s]) for s in scenarios],
                  [scenario_label(s) for s in scenarios])  # fmt: skip
    _title(fig, title)
    return fig


def _count(value: float) -> str:
    """A mean count as a bar label: whole numbers from 10 on, one decimal below (0 as 0)."""
    if value == 0:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"


def fates_figure(fates: pd.DataFrame, colours: Mapping[str, str], title: str) -> Figure:
    """Entities that left, by fate, mean per replication, grouped by scenario (from
    :func:`sim.analysis.fate_counts`)."""
    from matplotlib.patches import Patch

    names = sorted(set(fates["fate"]))
    scenarios = [s for s in colours if s in set(fates["scenario"])]
    offsets, height = _dodge(len(scenarios))
    fig = Figure(figsize=(9, 1.3 + len(names) * (0.25 * len(scenarios) + 0.3)),
                 layout="constrained")  # fmt: skip
    ax = fig.subplots()
    for scenario, offset in zip(scenarios, offsets, strict=True):
        g = fates[fates["scenario"] == scenario].set_index("fate").reindex(names, fill_value=0)
        bars = ax.barh(np.arange(len(names)) + offset, g["mean"], height=height * 0.9,
                       color=colours[scenario])  # fmt: skip
        ax.bar_label(bars, labels=[_count(v) for v in g["mean"]], padding=3, fontsize="small")
    ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("entities per replication (mean)")
    ax.margins(x=0.08)
    _value_axis(ax.xaxis, Display(1.0, "entities", "entities", integer=True),
                [fates["mean"].max() if len(fates) else 0.0])  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    _legend_below(fig, [Patch(color=colours[s]) for s in scenarios],
                  [scenario_label(s) for s in scenarios])  # fmt: skip
    _title(fig, title)
    return fig
