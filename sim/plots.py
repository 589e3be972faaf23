"""Charts of run outputs.

Each function takes a table and an ``ax``, draws, and returns the ax; only the output layer
(:mod:`sim.outputs`) and notebooks decide where figures go. Labels are English because the default
fonts carry no Chinese glyphs.
"""

from __future__ import annotations

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
