"""What the dashboard shows of a live model: matplotlib figures and small tables.

Each function reads the model's own outputs (the recorded indicators, the park submodel's
tables, the ownership trees) and draws or tabulates them; none changes the model. Titles and
units are the charts' (:func:`sim.plots.indicator_title`, :func:`sim.plots.display`), targets
and their status the report card's (:class:`sim.runner.RunResult`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim import plots
from sim.dashboard.adapter import DashboardModel
from sim.dashboard.levers import levers, value_at
from sim.model import SOEModel, month_label
from sim.plots import display, indicator_title
from sim.policies.milestones import report_card
from sim.runner import resolved_milestones
from sim.state import FATE_CODE

HEADLINE: tuple[str, ...] = plots.HEADLINE_INDICATORS
"""The headline indicators, one chart each: the panels of a run's ``headline.png``."""

ZONE_HEADLINE: tuple[str, ...] = ("zones", "management_bodies", "tax_per_mu")
"""The park reform's headline indicators (columns of the zones table)."""

STATUS_COLOURS = plots.STATUS_COLOURS


def format_value(indicator: str, value: float) -> str:
    """A value as the charts show it: scaled, rounded, with its display unit."""
    return display(indicator).format(value)


def indicators(model: SOEModel) -> pd.DataFrame:
    """The recorded indicators by month, the park submodel's columns joined when it runs (as
    the report card reads them)."""
    ts = model.timeseries()
    if model.parks is not None:
        ts = ts.merge(model.parks.timeseries().drop(columns="date"), on="month")
    return ts


def milestones(model: SOEModel) -> pd.DataFrame:
    """The report card so far, as a run's (:func:`sim.runner.resolved_milestones`): every
    target of the plan and of the park plan with what was achieved at its deadline; a deadline
    not reached yet is ``pending``."""
    cfg = model.config
    scored = indicators(model)
    card = report_card(scored, resolved_milestones(cfg, scored), cfg.start)
    y0, m0 = int(cfg.start[:4]), int(cfg.start[5:7])
    due = np.asarray([(int(d[:4]) - y0) * 12 + int(d[5:7]) - m0 + 1 for d in card["milestone"]],
                     dtype=np.int64)  # fmt: skip
    card["status"] = np.where(due > model.month, "pending", card["status"])
    return card


def milestone_rows(card: pd.DataFrame) -> pd.DataFrame:
    """The report card as the page lists it: deadline, target, target value, achieved, status."""
    sign = {"at_least": "≥", "at_most": "≤"}
    return pd.DataFrame(
        {
            "deadline": card["milestone"],
            "target": [indicator_title(i) for i in card["indicator"]],
            "target value": [f"{sign[s]} {format_value(i, v)}" for i, s, v in
                             zip(card["indicator"], card["sense"], card["target_value"],
                                 strict=True)],
            "achieved": [format_value(i, v) for i, v in
                         zip(card["indicator"], card["achieved"], strict=True)],
            "status": card["status"],
        }
    )  # fmt: skip


def summary(card: pd.DataFrame) -> str:
    """``3 met, 1 missed, 8 pending of 12 targets``."""
    counts = card["status"].value_counts()
    parts = [f"{int(counts.get(s, 0))} {s}" for s in ("met", "missed", "pending")]
    return f"{', '.join(parts)} of {len(card)} targets"


def plot_indicator(
    ts: pd.DataFrame, card: pd.DataFrame, model: SOEModel, indicator: str, ax: Axes
) -> None:
    """One indicator by month as the run charts draw it (:func:`sim.plots.plot_indicator`), its
    targets marked at their deadlines (green met, red missed, grey pending), over the run's
    whole horizon so the line grows month by month."""
    horizon = (month_label(model.config.start_date, 0),
               month_label(model.config.start_date, model.config.months))  # fmt: skip
    plots.plot_indicator(ts, ax, indicator, card, horizon=horizon)
    ax.title.set_fontsize("medium")
    ax.yaxis.label.set_fontsize("small")
    ax.tick_params(labelsize="small")


def _target_legend(fig: Figure) -> None:
    handles = [Line2D([], [], color="C0", label="indicator")] + [
        Line2D([], [], ls="none", marker="^", color=c, label=f"target {s}")
        for s, c in STATUS_COLOURS.items()
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize="small",
               frameon=False)  # fmt: skip


def headline_figure(model: SOEModel, names: Sequence[str] = HEADLINE) -> Figure:
    """The headline indicators of the run so far, two rows of charts."""
    ts, card = indicators(model), milestones(model)
    ncols = (len(names) + 1) // 2
    fig = Figure(figsize=(3.2 * ncols, 5.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(2, ncols)).ravel()
    for name, ax in zip(names, axes, strict=False):
        plot_indicator(ts, card, model, name, ax)
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    _target_legend(fig)
    return fig


def zones_figure(model: SOEModel) -> Figure | None:
    """Zones, management bodies and tax per mu by month (None when the park reform is off)."""
    if model.parks is None:
        return None
    zones, card = model.parks.timeseries(), milestones(model)
    fig = Figure(figsize=(9.6, 3.2), layout="constrained")
    axes = fig.subplots(1, 3)
    for name, ax in zip(ZONE_HEADLINE, axes, strict=True):
        plot_indicator(zones, card, model, name, ax)
    return fig


def zone_table(model: SOEModel, top: int = 12) -> pd.DataFrame | None:
    """The zones still in use now, by tax per mu (best first), from the park submodel's zone
    table; None when the park reform is off."""
    if model.parks is None:
        return None
    table = model.parks.zone_table(model, "now")
    live = table[table["alive"]].sort_values("tax_per_mu", ascending=False).head(top)
    return pd.DataFrame(
        {
            "zone": live["zone_id"],
            "name": live["name"],
            "district": live["district"],
            "parks": live["parks"],
            "management bodies": live["management_bodies"],
            "firms": live["firms"],
            "tax per mu": [format_value("tax_per_mu", v) for v in live["tax_per_mu"]],
        }
    )


def zone_counts(model: SOEModel) -> pd.DataFrame | None:
    """Zone headline figures at the start and now, formatted (None when parks are off)."""
    if model.parks is None:
        return None
    zones = model.parks.timeseries()
    first, last = zones.iloc[0], zones.iloc[-1]
    return pd.DataFrame(
        {
            "indicator": [indicator_title(n) for n in ZONE_HEADLINE],
            "start": [format_value(n, first[n]) for n in ZONE_HEADLINE],
            "now": [format_value(n, last[n]) for n in ZONE_HEADLINE],
        }
    )


# -- ownership trees -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """An ownership tree: rows, each row's parent within it (-1 at the root), a title."""

    rows: np.ndarray
    parent: np.ndarray
    title: str


def start_groups(model: DashboardModel) -> pd.DataFrame:
    """The group headquarters at month 0 with their entity counts, largest first."""
    hq = model.start_groups
    sizes = np.bincount(model.start_group, minlength=model.n_start)[hq]
    frame = pd.DataFrame(
        {
            "row": hq,
            "id": [model.state.ids[r] for r in hq.tolist()],
            "name": [model.state.names[r] for r in hq.tolist()],
            "entities": sizes,
        }
    )
    return frame.sort_values(["entities", "id"], ascending=[False, True], ignore_index=True)


def tree_before(model: DashboardModel, hq: int) -> Tree:
    """The group of headquarters row ``hq`` as it stood at month 0."""
    parent = model.start_parent
    rows = np.flatnonzero(model.start_group == hq)
    layers = model.start_layer[rows]
    title = (f"Before ({month_label(model.config.start_date, 0)}): {model.state.ids[hq]}, "
             f"{rows.size} entities, {int(layers.max())} layers")  # fmt: skip
    return Tree(rows, parent[rows], title)


def tree_now(model: DashboardModel, hq: int) -> Tree | None:
    """The group now: the one headed by ``hq``, or, if it was merged away, the group that holds
    most of its surviving entities (None when none is left)."""
    st = model.state
    note = ""
    if not (st.alive[hq] and st.parent[hq] < 0):
        members = np.flatnonzero(model.start_group == hq)
        members = members[st.alive[members]]
        if members.size == 0:
            return None
        root = int(np.bincount(st.group[members]).argmax())
        note = f", now in group {st.ids[root]}"
    else:
        root = hq
    rows = np.asarray(model.subtree(root), dtype=np.int64)
    parent = np.where(rows == root, -1, st.parent[rows])
    title = (f"Now ({model.date}): {st.ids[root]}{note}, {rows.size} entities, "
             f"{int(st.layer[rows].max())} layers")  # fmt: skip
    return Tree(rows, parent, title)


def _positions(tree: Tree) -> dict[int, tuple[float, float]]:
    """A tidy top-down layout: leaves side by side in depth-first order, each parent centred
    over its children, one row per layer."""
    children: dict[int, list[int]] = {int(r): [] for r in tree.rows}
    roots = []
    for r, p in zip(tree.rows.tolist(), tree.parent.tolist(), strict=True):
        if p >= 0 and p in children:
            children[p].append(r)
        else:
            roots.append(r)
    pos: dict[int, tuple[float, float]] = {}
    next_x = 0.0
    for root in roots:
        stack: list[tuple[int, int, bool]] = [(root, 0, False)]
        while stack:
            row, depth, done = stack.pop()
            kids = children[row]
            if done or not kids:
                if kids:
                    x = float(np.mean([pos[k][0] for k in kids]))
                else:
                    x, next_x = next_x, next_x + 1.0
                pos[row] = (x, -float(depth))
                continue
            stack.append((row, depth, True))
            stack.extend((k, depth + 1, False) for k in reversed(sorted(kids)))
    return pos


def _graph(tree: Tree) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(tree.rows.tolist())
    g.add_edges_from((int(p), int(r)) for r, p in zip(tree.rows, tree.parent, strict=True)
                     if p >= 0)  # fmt: skip
    return g


def _draw(tree: Tree, colours: list[str], ax: Axes, roots: set[int]) -> None:
    g = _graph(tree)
    pos = _positions(tree)
    size = 60.0 if tree.rows.size <= 60 else (25.0 if tree.rows.size <= 200 else 10.0)
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=False, edge_color="#999999", width=0.6)
    nx.draw_networkx_nodes(g, pos, nodelist=tree.rows.tolist(), node_color=colours,
                           node_size=[4 * size if r in roots else size for r in tree.rows],
                           ax=ax, linewidths=0)  # fmt: skip
    ax.set_title(tree.title, fontsize="medium")
    ax.set_axis_off()


BEFORE_COLOURS = {"still in the portfolio": "tab:blue", "merged": "tab:orange",
                  "closed, sold or deregistered": "tab:red"}  # fmt: skip
NOW_COLOURS = {"from the start tree": "tab:blue", "from another group": "tab:purple",
               "founded during the run": "tab:green"}  # fmt: skip


def tree_figure(model: DashboardModel, hq: int) -> Figure:
    """The group of headquarters row ``hq`` before (month 0, each entity coloured by what
    became of it) and now (coloured by where its entities came from)."""
    st = model.state
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    before = tree_before(model, hq)
    fate = st.fate[before.rows]
    colours = np.where(fate == 0, BEFORE_COLOURS["still in the portfolio"],
                       np.where(fate == FATE_CODE["merged"], BEFORE_COLOURS["merged"],
                                BEFORE_COLOURS["closed, sold or deregistered"]))  # fmt: skip
    _draw(before, colours.tolist(), left, {hq})
    _legend_below(left, BEFORE_COLOURS)
    now = tree_now(model, hq)
    if now is None:
        right.text(0.5, 0.5, "every entity of this group has left the portfolio",
                   ha="center", va="center")  # fmt: skip
        right.set_axis_off()
    else:
        start_group = model.start_group
        origin = np.where(
            now.rows >= model.n_start,
            NOW_COLOURS["founded during the run"],
            np.where(start_group[np.minimum(now.rows, model.n_start - 1)] == hq,
                     NOW_COLOURS["from the start tree"], NOW_COLOURS["from another group"]),
        )  # fmt: skip
        _draw(now, origin.tolist(), right, {int(now.rows[0])})
        _legend_below(right, NOW_COLOURS)
    return fig


def _legend_below(ax: Axes, colours: dict[str, str]) -> None:
    handles = [Line2D([], [], ls="none", marker="o", color=c, label=k) for k, c in colours.items()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3,
              fontsize="x-small", frameon=False)  # fmt: skip


def html_table(frame: pd.DataFrame) -> str:
    """A table as HTML, its cells escaped."""
    return str(frame.to_html(index=False, border=0, classes="soe-table", na_rep="-"))


def headline_rows(model: SOEModel, names: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """The headline indicators at month 0 and now, formatted."""
    ts = model.timeseries()
    first, last = ts.iloc[0], ts.iloc[-1]
    return pd.DataFrame(
        {
            "indicator": [indicator_title(n) for n in names],
            "start": [format_value(n, first[n]) for n in names],
            "now": [format_value(n, last[n]) for n in names],
        }
    )


def lever_rows(model: DashboardModel) -> pd.DataFrame:
    """Every slider's lever: the value the run uses (``moved`` when set from the slider), and
    its help (meaning and declared range)."""
    moved = model.composed.moved
    inputs = levers()
    return pd.DataFrame(
        {
            "lever": [lv.label for lv in inputs.values()],
            "in effect": [f"{value_at(model.config, p)}{' (moved)' if p in moved else ''}"
                          for p in inputs],
            "meaning": [lv.help for lv in inputs.values()],
        }
    )  # fmt: skip
