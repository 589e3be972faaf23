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


# Bounds. A roster may hold tens of millions of rows and the model sums columns over all of
# them (group and roster totals, in float64; headcounts also in int64), so every numeric cell is
# capped such that a sum over 5e7 rows stays finite and exact enough: 5e7 x 1e9 mn yuan = 5e16,
# far below float64's 1.8e308, and 5e7 x 1e7 persons = 5e14, below 2**53 (exact in float64) and
# far below int64's 9.2e18. The caps are also far above any real entity, so a value above one is
# a wrong unit or a typo: 1e9 mn yuan is 10^15 yuan, over 100 times the total assets of the
# largest Chinese SOE group; no employer has 10 million staff; 1e8 mu is 66,700 km², more than
# the largest land-holding group (the Heilongjiang reclamation group, about 8e7 mu).
MAX_MONEY = 1e9
"""Largest absolute value of a money cell (mn yuan, or mn yuan/yr for flows) per entity."""
MAX_EMPLOYEES = 1e7
"""Largest headcount of one entity (persons)."""
MAX_LAND_MU = 1e8
"""Largest land holding of one entity (mu)."""

MAX_ID_LENGTH = 64
"""Longest id (characters)."""
MAX_N_DIGITS = 12
"""Most digits in an id of the form ``N<digits>``. Such N-numbers are reserved for entities
founded in the run: the model numbers them on from the largest N-number in the roster and parses
the digits into int64, so a roster may hold them (a reloaded end-of-run table does) only up to
12 digits, which leaves room for any number of entries."""


@dataclass(frozen=True)
class Column:
    """One roster column. ``low``/``high`` bound a numeric column's cells (inclusive)."""

    name: str
    kind: ColumnKind
    required: bool
    unit: str
    meaning: str
    default: object = None
    low: float | None = None
    high: float | None = None


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
    Column(
        "sector",
        "sector",
        True,
        "-",
        "business sector: an identifier in sim.sectors.SECTOR_NAMES (urban_investment, ...) or a "
        "Chinese name in sim.sectors.SECTOR_ALIASES (城投, 制造业, 服务业, ...); case and "
        "surrounding whitespace are ignored",
    ),
    Column(
        "assets",
        "money",
        True,
        "mn yuan",
        "total assets held outside the group (stock)",
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "liabilities",
        "money",
        True,
        "mn yuan",
        "liabilities owed outside the group (stock)",
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "revenue", "money", True, "mn yuan/yr", "annual operating revenue", low=0.0, high=MAX_MONEY
    ),
    Column(
        "operating_cost",
        "money",
        True,
        "mn yuan/yr",
        "annual operating cost, excluding interest, layer overhead and government functions",
        low=0.0,
        high=MAX_MONEY,
    ),
    Column("employees", "count", True, "persons", "headcount", low=0.0, high=MAX_EMPLOYEES),
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
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "receivables",
        "money",
        False,
        "mn yuan",
        "receivables, part of assets",
        0.0,
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "idle_assets",
        "money",
        False,
        "mn yuan",
        "idle assets (闲置资产) that earn nothing, part of assets",
        0.0,
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "land_mu",
        "area",
        False,
        "mu",
        "industrial land held (1 mu = 666.7 m²)",
        0.0,
        low=0.0,
        high=MAX_LAND_MU,
    ),
    Column(
        "gov_function_cost",
        "money",
        False,
        "mn yuan/yr",
        "annual cost of government functions the enterprise still carries (政企不分); 0 = none",
        0.0,
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "loss_years",
        "count",
        False,
        "years",
        "consecutive loss-making years up to the roster date (0: profitable last year); with "
        "support_last_year, classifies zombies at the start (sim.zombies)",
        0,
        low=0.0,
        high=100.0,
    ),
    Column(
        "support_last_year",
        "money",
        False,
        "mn yuan",
        "support received in the last year to stay afloat: parent loans, subsidies, rolled-over "
        "or guaranteed debt (预算软约束); 0 = none",
        0.0,
        low=0.0,
        high=MAX_MONEY,
    ),
    Column(
        "intra_group_loan",
        "money",
        False,
        "mn yuan",
        "loans owed to the direct parent (eliminated in consolidation); 0 for a group HQ",
        0.0,
        low=0.0,
        high=MAX_MONEY,
    ),
)

COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
OPTIONAL: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.required)
DEFAULT_CASH_SHARE = 0.08
"""Cash as a share of assets when a roster gives none (assumption: typical SOE liquidity)."""
