"""The roster schema: one row per legal entity (法人), with units.

Money is in million yuan (百万元). Flows (revenue, operating cost, government-function cost) are
annual; the model turns them into monthly figures. Every population source (synthetic generator,
roster file, preset) produces a table in this schema, so the model has one way in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "text", "sector", "money", "count", "area", "bool", "status"]

STATUSES: tuple[str, ...] = ("operating", "shell", "dormant")
"""operating: a running business; shell (空壳): no business, kept for paperwork;
dormant (休眠): business suspended, still registered."""


@dataclass(frozen=True)
class Column:
    """One roster column."""

    name: str
    kind: ColumnKind
    required: bool
    unit: str
    meaning: str
    default: object = None


COLUMNS: tuple[Column, ...] = (
    Column("id", "id", True, "-", "unique identifier of the legal entity"),
    Column(
        "parent_id",
        "id",
        True,
        "-",
        "id of the direct parent (majority owner); empty for a group headquarters (集团)",
    ),
    Column("name", "text", True, "-", "registered name; UTF-8, Chinese allowed"),
    Column("sector", "sector", True, "-", "business sector, one of sim.sectors.SECTOR_NAMES"),
    Column("assets", "money", True, "mn yuan", "total assets held outside the group (stock)"),
    Column("liabilities", "money", True, "mn yuan", "liabilities owed outside the group (stock)"),
    Column("revenue", "money", True, "mn yuan/yr", "annual operating revenue"),
    Column(
        "operating_cost",
        "money",
        True,
        "mn yuan/yr",
        "annual operating cost, excluding interest, layer overhead and government functions",
    ),
    Column("employees", "count", True, "persons", "headcount"),
    Column(
        "core",
        "bool",
        False,
        "-",
        "whether the entity's business is a core business (主责主业) of its group",
        True,
    ),
    Column("status", "status", False, "-", "operating | shell | dormant", "operating"),
    Column(
        "cash",
        "money",
        False,
        "mn yuan",
        "cash and equivalents, part of assets; default 8% of assets",
        None,
    ),
    Column("receivables", "money", False, "mn yuan", "receivables, part of assets", 0.0),
    Column(
        "idle_assets",
        "money",
        False,
        "mn yuan",
        "idle assets (闲置资产) that earn nothing, part of assets",
        0.0,
    ),
    Column("land_mu", "area", False, "mu", "industrial land held (1 mu = 666.7 m²)", 0.0),
    Column(
        "gov_function_cost",
        "money",
        False,
        "mn yuan/yr",
        "annual cost of government functions the enterprise still carries (政企不分); 0 = none",
        0.0,
    ),
    Column(
        "intra_group_loan",
        "money",
        False,
        "mn yuan",
        "loans owed to the direct parent (eliminated in consolidation); 0 for a group HQ",
        0.0,
    ),
)

COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
OPTIONAL: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.required)
DEFAULT_CASH_SHARE = 0.08
"""Cash as a share of assets when a roster gives none (assumption: typical SOE liquidity)."""
