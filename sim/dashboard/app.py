"""The dashboard page: Mesa's SolaraViz with the SOE model's charts, milestones, trees and zones.

Start it with ``soe-sim-dashboard`` (or ``solara run sim.dashboard.app``). The sidebar holds
SolaraViz's controls (Reset, play, Step) and the model inputs: the presets (scenario,
population, park plan), the seed and the lever sliders generated from the parameter
declarations (:mod:`sim.dashboard.levers`). Inputs take effect when the model is re-created with
Reset. The main area shows, on the first tab, the run's status, the headline charts with their
targets, the milestone report card and the levers in effect; on the second, a group's ownership
tree before and now; on the third, the development zones when the park reform runs.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.dashboard import views
from sim.dashboard.adapter import DashboardModel
from sim.dashboard.levers import GROUP_LABELS, GROUPS, model_params

TITLE = "SOE restructuring in Chongqing"


def _figure(make: Callable[[], Any], dependencies: list[Any], css: str) -> None:
    """A matplotlib figure as a PNG, redrawn only when ``dependencies`` change."""
    figure = solara.use_memo(make, dependencies)
    with solara.Column(classes=[css]):
        solara.FigureMatplotlib(figure, format="png", dependencies=dependencies, dpi=90)


def _html(tag: str, html: str, css: str = "") -> None:
    solara.HTML(tag=tag, unsafe_innerHTML=html, classes=[css] if css else [])


def _table(frame: Any, css: str = "") -> None:
    _html("div", views.html_table(frame), css)


@solara.component
def Status(model: DashboardModel) -> None:
    """The month reached, the inputs in use, and the headline indicators at start and now."""
    update_counter.get()
    composed = model.composed
    with solara.Card("Run", classes=["soe-status"]):
        done = "" if model.running else " · finished"
        _html("p", f"<b>Month {model.month} of {model.config.months}</b> ({escape(model.date)})"
              f"{done}", "soe-month")  # fmt: skip
        chosen = " · ".join(f"{GROUP_LABELS[g]}: <b>{escape(composed.choices[g])}</b>"
                            for g in GROUPS)  # fmt: skip
        _html("p", f"{chosen} · seed {model.config.seed} · {model.n_start:,} legal entities at "
              "the start")  # fmt: skip
        if model.config.policy.description:
            _html("p", f"<i>{escape(model.config.policy.description)}</i>")
        if composed.problem:
            solara.Error(f"Inputs not used: {composed.problem}")
        _table(views.headline_rows(model), "soe-headline-table")


@solara.component
def Headline(model: DashboardModel) -> None:
    """The headline indicators by month with their targets."""
    update_counter.get()
    _figure(lambda: views.headline_figure(model), [model, model.month], "soe-headline")


@solara.component
def Milestones(model: DashboardModel) -> None:
    """The report card so far: met, missed or pending, per deadline and target."""
    update_counter.get()
    card = views.milestones(model)
    with solara.Card("Milestones", classes=["soe-milestones"]):
        if card.empty:
            solara.Info("This plan sets no milestones.")
            return
        _html("p", f"<b>{views.summary(card)}</b> (as of {escape(model.date)})", "soe-summary")
        _table(views.milestone_rows(card), "soe-milestone-table")


@solara.component
def Levers(model: DashboardModel) -> None:
    """Every lever with the value the run uses, whether it was moved, its range and meaning."""
    update_counter.get()
    with solara.Card("Levers in effect", classes=["soe-levers"]):
        _html("p", "A slider left where it starts keeps the scenario's own value; press Reset "
              "to start a run with the inputs.")  # fmt: skip
        _table(views.lever_rows(model), "soe-lever-table")


@solara.component
def OwnershipTree(model: DashboardModel) -> None:
    """A group's ownership tree at month 0 and now; the largest group first."""
    update_counter.get()
    groups = views.start_groups(model)
    options = [f"{r.id} {r.name} ({r.entities} entities)" for r in groups.itertuples()]
    rows = dict(zip(options, groups["row"].tolist(), strict=True))
    chosen = solara.use_reactive(options[0])
    label = chosen.value if chosen.value in rows else options[0]  # another population: reset
    with solara.Card("Ownership tree", classes=["soe-tree"]):
        solara.Select("Group", value=label, values=options, on_value=chosen.set)
        hq = rows[label]
        _figure(lambda: views.tree_figure(model, hq), [model, model.month, hq], "soe-tree-chart")


@solara.component
def Zones(model: DashboardModel) -> None:
    """The development zones under the park reform: counts, charts and the zones table."""
    update_counter.get()
    with solara.Card("Development zones", classes=["soe-zones"]):
        counts = views.zone_counts(model)
        if counts is None:
            solara.Info("The park reform is off in this run (park plan: none).")
            return
        _table(counts, "soe-zone-counts")
        _figure(lambda: views.zones_figure(model), [model, model.month], "soe-zones-chart")
        table = views.zone_table(model)
        if table is not None:
            _html("p", f"<b>Zones in use by tax per mu</b> ({escape(model.date)}, top "
                  f"{len(table)})")  # fmt: skip
            _table(table, "soe-zone-table")


TABS: tuple[str, ...] = ("Indicators", "Ownership tree", "Development zones")
"""The main area's tabs; only the open one is drawn."""

CSS = """
.v-slider.v-input--horizontal { grid-template-areas: "prepend prepend prepend"
    "control control append" "messages messages messages"; }
.v-slider.v-input--horizontal > .v-input__prepend { margin-inline-end: 0; }
.v-slider.v-input--horizontal .v-label { white-space: normal; font-size: 0.85rem; }
.soe-table { font-size: 0.85rem; border-collapse: collapse; }
.soe-table th, .soe-table td { padding: 2px 8px; text-align: right; }
.soe-table th:first-child, .soe-table td:first-child { text-align: left; }
.soe-lever-table td, .soe-lever-table th { text-align: left; }
"""
"""Slider labels above their sliders: the generated labels (family, name, unit) are too long to
share the sidebar's width with the slider."""


@solara.component
def Main(model: DashboardModel) -> None:
    """The tabs of the main area, the open one drawn for the current model."""
    tab = solara.use_reactive(0)
    with solara.Column(classes=["soe-main"]):
        with solara.v.Tabs(v_model=tab.value, on_v_model=tab.set):
            for name in TABS:
                solara.v.Tab(children=[name])
        if tab.value == 0:
            with solara.Columns([1, 1]):
                Status(model)
                Milestones(model)
            Headline(model)
            Levers(model)
        elif tab.value == 1:
            OwnershipTree(model)
        else:
            Zones(model)


@solara.component
def Page() -> None:
    """SolaraViz's app bar, controls and model inputs (one model per browser session,
    re-created by Reset from the inputs), with the dashboard's tabs as its main area.

    The tabs are drawn here rather than as SolaraViz ``components``: SolaraViz lays those out
    with Solara's draggable grid, whose browser code needs Vue 2 and fails under the Vue 3
    frontend that current Solara serves."""
    first = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(first)
    solara.Style(CSS)
    SolaraViz(model, components=[], model_params=model_params(), name=TITLE)
    Main(model.value)
