"""Every indicator the model reports, declared once: unit, level, sense and meaning.

The report card (which way a target is met), the analysis (which way "better" points in a paired
comparison) and the charts read this table; the indicator's definition is its function in
:mod:`sim.metrics` (or its ledger field in :class:`sim.state.Ledger`). Adding an indicator is one
function and one entry here; a test checks that every output column has an entry.

``sense``: ``higher`` or ``lower`` is better, or ``None`` where neither is (assets, headcount).
``level``: ``portfolio`` (a column of ``timeseries.parquet``), ``group`` (also a column of
``groups.parquet``), ``ledger`` (a cumulative flow of ``timeseries.parquet``, the sum of an event
column), ``zone`` (a column of ``zones.parquet``, the park submodel's monthly table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Sense = Literal["higher", "lower"]
Level = Literal["portfolio", "group", "ledger", "zone"]


@dataclass(frozen=True)
class Outcome:
    """One indicator."""

    name: str
    unit: str
    level: Level
    sense: Sense | None
    meaning: str

    @property
    def sign(self) -> int:
        """+1 where higher is better, -1 where lower is: ``sign * (b - a) > 0`` means b is
        better than a."""
        if self.sense is None:
            raise ValueError(f"indicator {self.name!r} has no better direction")
        return 1 if self.sense == "higher" else -1


def _o(name: str, unit: str, level: Level, sense: Sense | None, meaning: str) -> Outcome:
    return Outcome(name, unit, level, sense, meaning)


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    _o("entities", "count", "group", "lower",
       "legal entities (法人户数): operating, shell and dormant"),
    _o("entities_cut_share", "share", "portfolio", "higher",
       "net cut in all legal entities since month 0"),
    _o("operating_entities", "count", "portfolio", "lower",
       "operating legal entities, as Chongqing reports them"),
    _o("operating_entities_cut_share", "share", "portfolio", "higher",
       "net cut in operating legal entities since month 0 (减数量, as reported)"),
    _o("groups", "count", "portfolio", "lower", "groups (集团)"),
    _o("max_layer", "layer", "group", "lower", "deepest management layer (减层级)"),
    _o("mean_layer", "layer", "group", "lower", "mean management layer"),
    _o("loss_making_share", "share", "group", "lower",
       "亏损面: share of operating entities loss-making year to date, one-offs included"),
    _o("operating_loss_share", "share", "portfolio", "lower",
       "经营性亏损面: share of operating entities loss-making year to date without one-offs"),
    _o("loss_makers_losses", "mn yuan", "group", "lower",
       "亏损额: losses of loss-making operating entities, year to date"),
    _o("losses_cut_share", "share", "portfolio", "higher",
       "cut in loss-makers' losses year to date against the same months before the start (减亏损)"),
    _o("revenue", "mn yuan/month", "group", "higher", "revenue this month"),
    _o("profit", "mn yuan/month", "group", "higher", "profit before tax this month (利润总额)"),
    _o("profit_ttm", "mn yuan/yr", "group", "higher", "trailing-twelve-month profit"),
    _o("assets", "mn yuan", "group", None, "consolidated total assets"),
    _o("liabilities", "mn yuan", "group", "lower", "consolidated total liabilities"),
    _o("equity", "mn yuan", "group", "higher", "consolidated equity"),
    _o("debt_ratio", "share", "group", "lower", "debt-to-asset ratio (资产负债率)"),
    _o("roe", "share/yr", "group", "higher", "return on equity"),
    _o("capital_preservation", "ratio", "group", "higher",
       "equity / equity at month 0 (保值增值率)"),
    _o("employees", "persons", "group", None, "headcount"),
    _o("zombies", "count", "group", "lower", "zombie entities (僵尸企业)"),
    _o("zombie_share", "share", "portfolio", "lower", "zombies, share of operating entities"),
    _o("idle_assets", "mn yuan", "group", "lower", "idle assets held (闲置资产)"),
    _o("support", "mn yuan/month", "portfolio", "lower", "soft-budget support paid by parents"),
    _o("gov_function_entities", "count", "portfolio", "lower",
       "entities still carrying government functions (政企不分)"),
    _o("assets_revitalised", "mn yuan", "ledger", "higher", "idle assets revitalised (盘活)"),
    _o("cash_recovered", "mn yuan", "ledger", "higher", "cash received for revitalised assets"),
    _o("central_local_cash", "mn yuan", "ledger", "higher",
       "cash recovered through central-local cooperation (央地合作)"),
    _o("receivables_collected", "mn yuan", "ledger", "higher", "receivables collected (清收债权)"),
    _o("debt_repaid", "mn yuan", "ledger", "higher", "external debt repaid (清偿债务)"),
    _o("hazards_cleared", "mn yuan", "ledger", "higher",
       "high-risk subsidiaries' debt paid down (清除风险隐患)"),
    _o("decoupled", "count", "ledger", "higher", "enterprises decoupled (脱钩)"),
    _o("restructuring_cost", "mn yuan", "ledger", "lower", "restructuring costs paid"),
    _o("jobs_affected", "persons", "ledger", "lower",
       "employees whose employer was closed, sold or cut by a merger"),
    _o("creditor_losses", "mn yuan", "ledger", "lower", "outside creditors' losses"),
    _o("actions_deferred", "count", "ledger", "lower", "proposals refused for lack of capacity, "
       "budget or job headroom"),
    _o("one_off_results", "mn yuan", "ledger", "higher",
       "disposal results and restructuring costs booked in profit"),
    _o("turnarounds_started", "count", "ledger", None, "turnaround programmes started"),
    # the park submodel (zones.parquet)
    _o("zones", "count", "zone", "lower", "development zones (开发区), each with its parks"),
    _o("management_bodies", "count", "zone", "lower", "management bodies (管委会) of the zones"),
    _o("parks", "count", "zone", None, "parks (园) in the zones: the zones of the start roster "
       "still in use, merged ones included"),
    _o("firms", "count", "zone", None, "firms in the zones"),
    _o("soe_firms", "count", "zone", None, "firms in the zones owned by an SOE of the portfolio"),
    _o("land_mu", "mu", "zone", None, "industrial land of the zones, held or idle"),
    _o("idle_land_mu", "mu", "zone", "lower", "idle industrial land (闲置工业用地)"),
    _o("output_per_mu", "万元/mu/yr", "zone", "higher", "亩均产值: output per mu of firms' land"),
    _o("value_added_per_mu", "万元/mu/yr", "zone", "higher",
       "亩均增加值: value added per mu of firms' land"),
    _o("tax_per_mu", "万元/mu/yr", "zone", "higher", "亩均税收: tax per mu of firms' land"),
    _o("firm_output", "mn yuan/yr", "zone", "higher", "firms' annual output"),
    _o("firm_tax", "mn yuan/yr", "zone", "higher", "firms' annual tax"),
    _o("firm_employees", "persons", "zone", None, "firms' headcount"),
    *(_o(f"firms_{c}", "count", "zone", None, f"firms ranked {c} at the last evaluation")
      for c in "ABCD"),
    *(_o(f"share_{c}", "share", "zone", None, f"share of ranked firms in class {c}")
      for c in "ABCD"),
    *(_o(f"firms_{p}", "count", "zone", None, f"firms under a plan of {p} (一企一案)")
      for p in ("support", "merge", "compliance", "transfer", "closure")),
    _o("firms_entered", "count", "zone", None, "firms that entered the zones since month 0"),
    _o("firms_left", "count", "zone", None, "firms that left, closed or were absorbed"),
    _o("park_cost", "mn yuan", "zone", "lower", "the park reform's spending on zones and firms "
       "so far (its operating companies' mergers and transformations are SOE costs, in the SOE "
       "ledger with rule parks)"),
    _o("park_jobs_affected", "persons", "zone", "lower",
       "employees of firms the park reform closed, cut in mergers or pushed out by surcharges"),
    _o("land_freed_mu", "mu", "zone", None, "land that became idle since month 0"),
    _o("land_reused_mu", "mu", "zone", "higher", "idle land taken up again (盘活) since month 0"),
    _o("surcharges", "mn yuan", "zone", None, "differentiated prices paid under forced compliance"),
    _o("bodies_cut", "count", "zone", "higher", "management bodies abolished"),
)}  # fmt: skip
"""Every indicator by name. Layer counts ``layer_1`` .. ``layer_10`` (entities per layer) are a
family of their own: :func:`outcome` answers for them."""


def outcome(name: str) -> Outcome:
    """The declared outcome ``name`` (``layer_K`` counts included)."""
    if name in OUTCOMES:
        return OUTCOMES[name]
    if name.startswith("layer_") and name[6:].isdigit():
        return Outcome(name, "count", "portfolio", None, f"entities at layer {name[6:]}")
    raise KeyError(f"unknown indicator {name!r}; declared: {sorted(OUTCOMES)}")


SWEEP_OBJECTIVES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("targets_met", "share", "portfolio", "higher",
            "share of the milestone targets due within the run that were met"),
    Outcome("profit_gain", "mn yuan", "portfolio", "higher",
            "profit over the last twelve months at the end of the run minus at month 0"),
)}  # fmt: skip
"""Measures of a whole run that a sweep job can return as its objective (``objectives=[...]``)
besides any indicator's value at the end of the run."""


def objective(name: str) -> Outcome:
    """A sweep objective: one of :data:`SWEEP_OBJECTIVES` or an indicator."""
    if name in SWEEP_OBJECTIVES:
        return SWEEP_OBJECTIVES[name]
    try:
        return outcome(name)
    except KeyError:
        raise KeyError(
            f"unknown objective {name!r}; objectives: {sorted(SWEEP_OBJECTIVES)} or an "
            "indicator's final value"
        ) from None
