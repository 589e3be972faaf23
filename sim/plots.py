"""Charts of run outputs, for a committee as much as for an engineer.

Each ``plot_*`` function takes a table and an ``ax``, draws, and returns the ax; each
``*_figure`` function returns a :class:`~matplotlib.figure.Figure` (no pyplot state is touched);
only the output layer (:mod:`sim.outputs`), the sweep report (:mod:`sim.report`) and notebooks
decide where figures go. Every chart has a title that says what it shows, units, display names from
:mod:`sim.labels` (not identifiers), counts on integer ticks, shares in %, money in one unit with
thousands separators, the reform start and the milestone targets marked where they apply.

The words are English unless the figure is made inside :func:`language` ``("zh")``, which also
selects a Chinese font (Noto Sans CJK SC from the ``zh`` extra, ``mplfonts``).
"""

from __future__ import annotations

import contextlib
import functools
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim import labels as _labels
from sim.errors import SimInputError
from sim.labels import indicator_name, plan_name, t
from sim.outcomes import outcome

BN = 1_000.0
"""mn yuan per bn yuan (亿元 x 10)."""

ZH_EXTRA = "uv run --extra zh soe-sim output.lang=zh"


class FontMissingError(SimInputError):
    """Chinese charts were asked for, but no Chinese font is installed."""


@functools.cache
def cjk_font() -> str:
    """The family name of the Chinese font the ``zh`` extra ships (Noto Sans CJK SC, from the
    ``mplfonts`` package), registered with matplotlib on first use."""
    try:
        import mplfonts  # type: ignore[import-untyped]
    except ImportError:
        raise FontMissingError(
            "output.lang=zh needs a Chinese font, which the optional extra 'zh' installs: "
            f"run `{ZH_EXTRA}` (or `uv sync --extra zh` once)"
        ) from None
    from matplotlib import font_manager

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise FontMissingError(
            f"output.lang=zh: the font file {path} is missing; reinstall mplfonts"
        )
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Figures made inside the block are in ``lang`` (``en`` or ``zh``), with a font that has its
    glyphs; save or show them inside the block too."""
    import matplotlib as mpl

    rc: Any = {}
    if lang == "zh":
        rc = {"font.family": "sans-serif", "font.sans-serif": [cjk_font(), "DejaVu Sans"],
              "axes.unicode_minus": False}  # fmt: skip
    with _labels.language(lang), mpl.rc_context(rc):
        yield


def _dates(ts: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(ts["date"], format="%Y-%m")


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

    def format(self, value: float) -> str:
        """``value`` (in the indicator's declared unit) as people read it, with its unit."""
        if value != value:
            return "–"
        v = value * self.scale
        if self.unit.startswith("%"):
            return f"{v:.1f}{self.unit}"
        digits = 0 if self.integer or abs(v) >= 100 else (1 if abs(v) >= 10 else 2)
        unit = "" if self.unit in ("", "-") else f" {self.unit}"
        return f"{v:,.{digits}f}{unit}"


def display(indicator: str) -> Display:
    """The display of an indicator, from its declared unit (:mod:`sim.outcomes`): shares in %,
    money in bn yuan (亿元 in Chinese), people in thousands, counts as integers."""
    unit = outcome(indicator).unit
    zh = _labels.current() == "zh"
    if unit == "share":
        return Display(100.0, "%", t("percentage points"))
    if unit == "share/yr":
        return Display(100.0, t("% a year"), t("percentage points a year"))
    if unit.startswith("mn yuan"):
        if zh:
            per = {"mn yuan/yr": "/年", "mn yuan/month": "/月"}.get(unit, "")
            return Display(0.01, f"亿元{per}", f"亿元{per}")
        per = {"mn yuan/yr": " a year", "mn yuan/month": " a month"}.get(unit, "")
        return Display(1 / BN, f"bn yuan{per}", f"bn yuan{per}")
    if unit == "persons":
        return Display(1e-3, t("thousand persons"), t("thousand persons"))
    if unit == "count":
        name = t(_COUNT_UNITS.get(indicator, "entities"))
        return Display(1.0, name, name, integer=True)
    if unit == "layer":
        return Display(1.0, t("layers"), t("layers"), integer=indicator == "max_layer")
    if unit.startswith("万元"):  # 亩均 figures
        shown = unit.replace("/mu/yr", "/亩/年") if zh else unit.replace("万元", "10k yuan")
        return Display(1.0, shown, shown)
    if unit == "mu":
        return Display(1.0, t("mu"), t("mu"))
    return Display(1.0, t(unit), t(unit))


def indicator_title(indicator: str) -> str:
    """An indicator's display name in the current language (:data:`sim.labels.INDICATORS`)."""
    return indicator_name(indicator)


def scenario_label(scenario: str) -> str:
    """A scenario's or plan's display name (:data:`sim.labels.PLANS`; else underscores as
    spaces)."""
    return plan_name(scenario)


def _reform_line(start: str) -> Any:
    """Where a reform starting in month ``start`` is drawn: halfway between the last month
    before it and its first month (rows are plotted at their month, as :func:`_dates` does)."""
    first = pd.Timestamp(start)
    before = (pd.Period(start, freq="M") - 1).to_timestamp()
    return before + (first - before) / 2


def _mark_start(ts: pd.DataFrame, ax: Axes, start: str | None = None) -> None:
    """A dotted line before the reform's first month (``start``; by default the run's first
    simulated month)."""
    if start is None and len(ts) > 1:
        start = str(ts["date"].iloc[1])
    if start is not None and str(ts["date"].iloc[0]) < start <= str(ts["date"].iloc[-1]):
        ax.axvline(_reform_line(start), color="grey", lw=0.9, ls=":", label=t("reform start"))


def _integer_ticks(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


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
    if _labels.current() == "zh":  # numbered months, not English month names
        formats = ["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"]
        offsets = ["", "%Y年", "%Y年%-m月", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, formats=formats,
                                                          offset_formats=offsets))  # fmt: skip
    else:
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _sign(sense: str) -> str:
    return {"at_least": "≥", "at_most": "≤"}.get(sense, "")


def plot_indicator(
    ts: pd.DataFrame,
    ax: Axes,
    indicator: str,
    targets: pd.DataFrame | None = None,
    start: str | None = None,
    horizon: tuple[str, str] | None = None,
) -> Axes:
    """One indicator by month in its display unit, the reform start dotted and each milestone
    target on it (a report card's rows, :func:`sim.policies.milestones.report_card`) as a
    triangle pointing the way it must be met, labelled with its value, coloured by its status
    (:data:`STATUS_COLOURS`). ``horizon`` (first and last month, YYYY-MM) fixes the x axis, so a
    run in progress grows across it; targets within it are drawn."""
    from matplotlib.dates import date2num

    shown = display(indicator)
    dates = _dates(ts)
    values = ts[indicator].to_numpy(dtype=float) * shown.scale
    ax.plot(dates, values, color="C0", lw=1.8)
    if outcome(indicator).unit == "mn yuan/yr" or (values.min() < 0 < values.max()):
        ax.axhline(0, color="grey", lw=0.7)
    _mark_start(ts, ax, start)
    marked = targets[targets["indicator"] == indicator] if targets is not None else None
    first, last = (dates.iloc[0], dates.iloc[-1]) if horizon is None else map(pd.Timestamp, horizon)
    rows: list[Any] = list(marked.itertuples()) if marked is not None else []
    for row in rows:
        when = pd.Timestamp(row.milestone)
        if not first <= when <= last:
            continue
        value = row.target_value * shown.scale
        marker = "v" if row.sense == "at_most" else "^"
        colour = STATUS_COLOURS.get(str(row.status), "tab:grey")
        ax.plot(date2num(when), value, marker=marker, ms=8, color=colour, ls="")
        ax.annotate(f"{_sign(row.sense)} {shown.format(row.target_value)}", (when, value),
                    textcoords="offset points", xytext=(4, 6), fontsize="small")  # fmt: skip
    ax.set_title(indicator_title(indicator))
    ax.set_ylabel(shown.unit)
    _date_axis(ax)
    if horizon is not None:
        ax.set_xlim(date2num(first), date2num(last))
    _value_axis(ax.yaxis, shown, values)
    ax.grid(alpha=0.3)
    return ax


STATUS_COLOURS = {"met": "tab:green", "missed": "tab:red", "pending": "tab:grey"}
"""Colours of a target's status on the charts (other statuses are grey)."""

HEADLINE_INDICATORS = (
    "operating_entities",
    "groups",
    "max_layer",
    "loss_making_share",
    "debt_ratio",
    "profit_ttm",
    "zombies",
    "jobs_affected",
)
"""The panels of ``headline.png``: the reform's headline indicators, one a panel."""


def _legend_below(fig: Figure, handles: list[Any], labels_: list[str]) -> None:
    """The legend under the panels, in rows as wide as the figure."""
    across = max(2, int(fig.get_figwidth() / 1.8))
    fig.legend(handles, labels_, loc="outside lower center", ncols=min(len(labels_), across),
               frameon=False)  # fmt: skip


def _title(fig: Figure, title: str) -> None:
    """The figure's title, wrapped to its width."""
    width = int(fig.get_figwidth() * (6 if _labels.current() == "zh" else 11))
    fig.suptitle(textwrap.fill(title, width=width))


def _marks_legend(fig: Figure, targets: bool, start: bool) -> None:
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    names: list[str] = []
    if start:
        handles.append(Line2D([], [], color="grey", lw=0.9, ls=":"))
        names.append(t("reform start"))
    if targets:
        for colour, status in (("tab:green", "met"), ("tab:red", "missed")):
            handles.append(Line2D([], [], color=colour, marker="v", ls=""))
            names.append(f"{t('target')}: {t(status)}")
    if handles:
        _legend_below(fig, handles, names)


def headline_figure(
    ts: pd.DataFrame,
    title: str,
    card: pd.DataFrame | None = None,
    start: str | None = None,
    indicators: Sequence[str] = HEADLINE_INDICATORS,
) -> Figure:
    """The headline indicators, one panel each, with the report card's targets on them and the
    reform start (``start``, YYYY-MM; the first simulated month by default) dotted."""
    fig, axes = _grid(len(indicators), ncols=4, width=4.2, height=3.3)
    for name, ax in zip(indicators, axes, strict=True):
        plot_indicator(ts, ax, name, card, start)
    has_targets = card is not None and bool(card["indicator"].isin(list(indicators)).any())
    _marks_legend(fig, has_targets, len(ts) > 1)
    _title(fig, title)
    return fig


def plot_zones(zones: pd.DataFrame, ax: Axes, targets: Mapping[str, float] | None = None) -> Axes:
    """Zones and management bodies (一区多园, 一套班子), with their targets when given."""
    dates = _dates(zones)
    ax.step(dates, zones["zones"], where="post", color="C0", label=indicator_title("zones"))
    ax.step(dates, zones["management_bodies"], where="post", color="C1",
            label=t("management bodies"))  # fmt: skip
    names = {"zones": indicator_title("zones"), "management_bodies": t("management bodies")}
    for i, (name, value) in enumerate((targets or {}).items()):
        ax.axhline(value, color=f"C{i}", lw=0.8, ls="--",
                   label=t("target {name} {value}").format(name=names.get(name, name),
                                                           value=f"≤ {value:g}"))  # fmt: skip
    _mark_start(zones, ax)
    _integer_ticks(ax)
    _date_axis(ax)
    ax.set_ylabel(t("count"))
    ax.set_title(t("Zones and management bodies"))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_per_mu(zones: pd.DataFrame, ax: Axes) -> Axes:
    """亩均 tax, value added and output, indexed to month 0 = 100."""
    dates = _dates(zones)
    for i, col in enumerate(("tax_per_mu", "value_added_per_mu", "output_per_mu")):
        start = display(col).format(zones[col].iloc[0])
        ax.plot(dates, 100 * zones[col] / zones[col].iloc[0], color=f"C{i + 2}",
                label=t("{label} ({value} at start)").format(label=indicator_title(col),
                                                             value=start))  # fmt: skip
    _mark_start(zones, ax)
    _date_axis(ax)
    ax.set_ylabel(t("index, month 0 = 100"))
    ax.set_title(t("Per-mu tax, value added and output"))
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_classes(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Shares of firms in classes A-D at each month (after the first evaluation)."""
    ranked = zones.dropna(subset=["share_A"])
    if ranked.empty:
        ax.text(0.5, 0.5, t("no per-mu evaluation in this plan"), ha="center", va="center")
        ax.set_axis_off()
        return ax
    dates = _dates(ranked)
    shares = [100 * ranked[f"share_{c}"] for c in "ABCD"]
    colours = ["tab:green", "tab:olive", "tab:orange", "tab:red"]
    ax.stackplot(dates, *shares, labels=[t("class {c}").format(c=c) for c in "ABCD"],
                 colors=colours, alpha=0.8)  # fmt: skip
    ax.set_ylim(0, 100)
    _date_axis(ax)
    ax.set_ylabel(t("% of ranked firms"))
    ax.set_title(t("Per-mu classes (A-D)"))
    ax.legend(loc="lower left", fontsize="small", ncols=4)
    return ax


def plot_plans(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Firms under each of the five dispositions (一企一案) by month."""
    dates = _dates(zones)
    names = ("support", "merge", "compliance", "transfer", "closure")
    for i, name in enumerate(names):
        ax.step(dates, zones[f"firms_{name}"], where="post", color=f"C{i}", label=t(name))
    _mark_start(zones, ax)
    _integer_ticks(ax)
    _date_axis(ax)
    ax.set_ylabel(t("firms"))
    ax.set_title(t("Firms under a plan, by disposition"))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_land(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Idle industrial land and idle land re-used since month 0, thousand mu."""
    dates = _dates(zones)
    ax.plot(dates, zones["idle_land_mu"] / 1e3, color="C3", label=t("idle land"))
    ax.plot(dates, zones["land_reused_mu"] / 1e3, color="C2", label=t("re-used since start"))
    ax.plot(dates, zones["land_freed_mu"] / 1e3, color="C7", label=t("freed since start"))
    _mark_start(zones, ax)
    _date_axis(ax)
    ax.set_ylabel(t("thousand mu"))
    ax.set_title(t("Idle industrial land"))
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_firms(zones: pd.DataFrame, ax: Axes) -> Axes:
    """Firms that entered and that left (closed, absorbed or left on their own) since month 0."""
    dates = _dates(zones)
    ax.plot(dates, zones["firms_entered"], color="C2", label=t("entered"))
    ax.plot(dates, zones["firms_left"], color="C3", label=t("left, closed or absorbed"))
    _mark_start(zones, ax)
    _integer_ticks(ax)
    _date_axis(ax)
    ax.set_ylabel(t("firms since start"))
    first, last = int(zones["firms"].iloc[0]), int(zones["firms"].iloc[-1])
    ax.set_title(t("Firms in the zones: {first} to {last}").format(first=f"{first:,}",
                                                                   last=f"{last:,}"))  # fmt: skip
    ax.legend(loc="upper left", fontsize="small")
    return ax


def parks_figure(
    zones: pd.DataFrame, title: str, targets: Mapping[str, float] | None = None
) -> Figure:
    """The park reform on one figure: zones, per-mu figures, classes, plans, land, firms."""
    fig = Figure(figsize=(15, 8.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    plot_zones(zones, axes[0], targets)
    plot_per_mu(zones, axes[1])
    plot_classes(zones, axes[2])
    plot_plans(zones, axes[3])
    plot_land(zones, axes[4])
    plot_firms(zones, axes[5])
    for ax in axes:
        ax.grid(alpha=0.3)
    _title(fig, title)
    return fig


def _card_text(row: Any) -> str:
    shown = display(str(row.indicator))
    target = shown.format(float(row.target_value))
    status = t(str(row.status))
    if row.achieved != row.achieved:
        return t("target {sign} {target}: {status}").format(sign=_sign(row.sense), target=target,
                                                           status=status)  # fmt: skip
    return t("achieved {achieved}, target {sign} {target}: {status}").format(
        achieved=shown.format(float(row.achieved)), sign=_sign(row.sense), target=target,
        status=status)  # fmt: skip


def plot_report_card(card: pd.DataFrame, ax: Axes) -> Axes:
    """改革高分报表: each target's achieved value as a percent of the target (the black line),
    green when met, red when missed, grey when it falls outside the run; each bar says what was
    achieved, the target with its sign (≤ at most, ≥ at least) and whether it was met."""
    if card.empty:
        ax.text(0.5, 0.5, t("no milestones in this policy"), ha="center", va="center")
        ax.set_axis_off()
        return ax
    ratio = (card["achieved"] / card["target_value"]).to_numpy(dtype=float)
    shown = np.nan_to_num(100 * ratio, nan=0.0).clip(0, 200)
    colours = [{"met": "tab:green", "missed": "tab:red"}.get(str(s), "lightgrey")
               for s in card["status"]]  # fmt: skip
    y = np.arange(len(card))
    ax.barh(y, shown, color=colours, height=0.7)
    ax.axvline(100, color="black", lw=1.2)
    for yi, value, row in zip(y, shown, card.itertuples(), strict=True):
        ax.text(max(value, 100) + 3, float(yi), _card_text(row), va="center", fontsize="small")
    names = [f"{m}  {indicator_title(str(i))}"
             for m, i in zip(card["milestone"], card["indicator"], strict=True)]  # fmt: skip
    ax.set_yticks(y, names)
    ax.set_ylim(len(card) - 0.5, -0.5)
    ax.set_xlim(0, 330)
    ax.set_xticks([0, 50, 100, 150, 200])
    ax.set_xlabel(t("achieved as % of target (the line is the target)"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(t("Report card"))
    return ax


def report_card_figure(card: pd.DataFrame, title: str) -> Figure:
    """The report card on its own figure."""
    fig = Figure(figsize=(11, 0.38 * max(len(card), 4) + 1.6), layout="constrained")
    plot_report_card(card, fig.subplots()).set_title("")
    _title(fig, title)
    return fig


def plot_fan(
    bands_table: pd.DataFrame, ax: Axes, label: str = "", indicator: str | None = None
) -> Axes:
    """One line per scenario (mean over seeds) with its 5-95% band, from
    :func:`sim.analysis.bands`; with ``indicator``, its display name, unit and scale."""
    shown = display(indicator) if indicator is not None else Display(1.0, "", "")
    if indicator is not None:
        label = label or indicator_title(indicator)
        ax.set_ylabel(shown.unit)
    seeds = ""
    if "seeds" in bands_table:
        seeds = t("mean over {n} seeds, 5-95% band").format(n=int(bands_table["seeds"].max()))
    for i, (scenario, g) in enumerate(bands_table.groupby("scenario", sort=False)):
        dates = _dates(g)
        ax.plot(dates, g["mean"] * shown.scale, color=f"C{i}", label=scenario_label(str(scenario)))
        ax.fill_between(dates, g["low"] * shown.scale, g["high"] * shown.scale, color=f"C{i}",
                        alpha=0.15, lw=0)  # fmt: skip
    ax.set_title(f"{label}\n{seeds}" if seeds else label)
    _date_axis(ax)
    _value_axis(ax.yaxis, shown, bands_table["high"].to_numpy() * shown.scale)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_target_chances(chances: pd.DataFrame, ax: Axes, seeds: int | None = None) -> Axes:
    """Chance of meeting each milestone target, per scenario (from
    :func:`sim.analysis.target_probability`), each bar labelled with its %."""
    table = chances.pivot_table(
        index=["milestone", "target"], columns="scenario", values="chance_met", sort=True
    )
    names = [f"{m}  {_target_name(tg)}" for m, tg in table.index]
    width = 0.8 / max(len(table.columns), 1)
    for i, scenario in enumerate(table.columns):
        bars = ax.barh(
            [y + i * width for y in range(len(table))],
            100 * table[scenario],
            height=width,
            color=f"C{i}",
            label=scenario_label(str(scenario)),
        )
        ax.bar_label(bars, fmt="%.0f%%", padding=2, fontsize="x-small")
    ax.set_yticks([y + 0.4 - width / 2 for y in range(len(table))], names)
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.set_xlabel(t("seeds meeting the target, %"))
    title = t("Chance of meeting each milestone target")
    ax.set_title(f"{title} ({t('{n} seeds').format(n=seeds)})" if seeds else title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def _target_name(target: str) -> str:
    """A milestone target's display name: its indicator's (:data:`sim.policies` TARGETS)."""
    from sim.policies.milestones import TARGETS

    return indicator_title(TARGETS[target].indicator) if target in TARGETS else target


# Charts of a sweep report (sim.report): one colour per scenario, units as people read them.

PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
           "tab:pink", "tab:olive", "tab:cyan")  # fmt: skip
"""Scenario colours; the reference scenario is grey (:func:`scenario_colours`)."""

REFERENCE_COLOUR = "tab:gray"


def scenario_colours(scenarios: Sequence[str], reference: str | None = None) -> dict[str, str]:
    """One colour per scenario, the same in every chart; the reference is grey."""
    colours = {}
    others = [s for s in scenarios if s != reference]
    for i, scenario in enumerate(others):
        colours[scenario] = PALETTE[i % len(PALETTE)]
    if reference is not None and reference in scenarios:
        colours[reference] = REFERENCE_COLOUR
    return {s: colours[s] for s in scenarios}


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
    labels += [t("50% band"), t("90% band")]
    if reform_starts:
        handles.append(Line2D([], [], color="black", ls="--", lw=0.9))
        labels.append(t("reform from {months}").format(months=", ".join(reform_starts)))
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
        heading = indicator_title(name)
        if sense:
            heading = t("{title} ({sense} is better)").format(title=heading, sense=t(sense))
        ax.set_title(heading, fontsize="medium")
        ax.set_ylabel(t("difference, {unit}").format(unit=shown.diff_unit))
        _value_axis(ax.yaxis, shown, rows[["ci_low", "ci_high"]].to_numpy() * shown.scale)
        ax.grid(axis="y", alpha=0.3)
    handles: list[Any] = [Line2D([], [], color=colours[s], marker="o", ls="") for s in scenarios]
    labels = [scenario_label(s) for s in scenarios]
    handles.append(Line2D([], [], color=REFERENCE_COLOUR, lw=1))
    labels.append(t("{plan} (reference, 0)").format(plan=scenario_label(reference)))
    _legend_below(fig, handles, labels)
    _title(fig, title)
    return fig


def _target_label(row: Any) -> str:
    """``2024-12  groups <= 38``: the milestone, the target and its threshold."""
    text = display(str(row.indicator)).format(float(row.target_value)) if hasattr(
        row, "indicator") else f"{float(row.target_value):,.4g}"  # fmt: skip
    return f"{row.milestone}  {_target_name(str(row.target))} {_sign(str(row.sense))} {text}"


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
    ax.set_xlabel(t("share of replications meeting the target (dot), with its interval (line)"))
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
    ax.set_xlabel(t("jobs affected by the end, {unit}").format(unit=jobs.unit))
    ax.set_ylabel(t("profit gained (TTM, end minus month 0), {unit}").format(unit=profit.unit))
    ax.grid(alpha=0.3)
    handles: list[Any] = [
        Line2D([], [], color=colours[s], marker="o", ls="", alpha=0.7) for s in colours
    ]
    labels = [scenario_label(s) for s in colours]
    handles.append(Line2D([], [], color="white", marker="D", ls="", markeredgecolor="black", ms=9))
    labels.append(t("scenario mean"))
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
    for ax, when, heading in zip(
        axes, ("start", "end"), (t("Month 0"), t("Last month")), strict=True
    ):
        part = layers[layers["when"] == when]
        for scenario, offset in zip(scenarios, offsets, strict=True):
            g = part[part["scenario"] == scenario]
            ax.bar(g["layer"] + offset, g["mean"], width=width * 0.95, color=colours[scenario])
        dates = sorted(set(part["date"]))
        ax.set_title(f"{heading} ({', '.join(dates)})")
        ax.set_xlabel(t("management layer (1 = group headquarters)"))
        ax.set_xticks(sorted(set(part["layer"])))
        ax.grid(axis="y", alpha=0.3)
        _value_axis(ax.yaxis, Display(1.0, t("entities"), t("entities"), integer=True), [top])
    axes[0].set_ylabel(t("entities, mean over replications"))
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
    ax.set_yticks(range(len(names)), [t(n.replace("_", " ")) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(t("entities per replication (mean)"))
    ax.margins(x=0.08)
    _value_axis(ax.xaxis, Display(1.0, t("entities"), t("entities"), integer=True),
                [fates["mean"].max() if len(fates) else 0.0])  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    _legend_below(fig, [Patch(color=colours[s]) for s in scenarios],
                  [scenario_label(s) for s in scenarios])  # fmt: skip
    _title(fig, title)
    return fig
