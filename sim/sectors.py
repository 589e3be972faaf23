"""Sectors (行业) of SOE business and their economic parameters.

Identifiers are the lowercase names a roster's ``sector`` column uses; it may use the Chinese names
in :data:`SECTOR_ALIASES` instead (城投, 制造业, 服务业, ...). The numbers are
plausible values for Chinese local SOEs where the sources are silent (docs/sources.md lists the
figures they do not give); each is documented with its unit and meaning and is a free parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class SectorProfile:
    """Economic profile of one sector.

    Attributes:
        name: lowercase identifier used in rosters and configs.
        label_zh: Chinese label.
        turnover: revenue / assets, per year (1/yr).
        margin: mean operating margin before interest, overhead and government burden
            (share of revenue).
        margin_sd: cross-entity standard deviation of that margin (share of revenue).
        debt_ratio: typical liabilities / assets at the start (share).
        demand_vol: stationary standard deviation of the sector's monthly log demand level
            (log points).
        staff_per_revenue: employees per million yuan of annual revenue (persons / mn yuan).
        land_per_asset: land held per million yuan of assets (mu / mn yuan).
        weight: share of a synthetic population's entities in this sector (relative weight).
    """

    name: str
    label_zh: str
    turnover: float
    margin: float
    margin_sd: float
    debt_ratio: float
    demand_vol: float
    staff_per_revenue: float
    land_per_asset: float
    weight: float


# Order matters: a sector's code in the state arrays is its position here.
SECTORS: tuple[SectorProfile, ...] = (
    SectorProfile(
        name="urban_investment",
        label_zh="城投/基础设施",
        turnover=0.08,
        margin=0.38,
        margin_sd=0.25,
        debt_ratio=0.64,
        demand_vol=0.06,
        staff_per_revenue=0.8,
        land_per_asset=0.020,
        weight=0.13,
    ),
    SectorProfile(
        name="transport",
        label_zh="交通运输",
        turnover=0.12,
        margin=0.28,
        margin_sd=0.2,
        debt_ratio=0.62,
        demand_vol=0.08,
        staff_per_revenue=1.2,
        land_per_asset=0.015,
        weight=0.09,
    ),
    SectorProfile(
        name="energy",
        label_zh="能源",
        turnover=0.35,
        margin=0.1,
        margin_sd=0.07,
        debt_ratio=0.60,
        demand_vol=0.10,
        staff_per_revenue=0.6,
        land_per_asset=0.010,
        weight=0.07,
    ),
    SectorProfile(
        name="utilities",
        label_zh="水务/公用事业",
        turnover=0.18,
        margin=0.18,
        margin_sd=0.12,
        debt_ratio=0.55,
        demand_vol=0.04,
        staff_per_revenue=1.5,
        land_per_asset=0.012,
        weight=0.07,
    ),
    SectorProfile(
        name="construction",
        label_zh="建筑",
        turnover=0.55,
        margin=0.055,
        margin_sd=0.04,
        debt_ratio=0.74,
        demand_vol=0.12,
        staff_per_revenue=0.9,
        land_per_asset=0.004,
        weight=0.11,
    ),
    SectorProfile(
        name="manufacturing",
        label_zh="制造业(33618集群)",
        turnover=0.65,
        margin=0.05,
        margin_sd=0.05,
        debt_ratio=0.58,
        demand_vol=0.14,
        staff_per_revenue=1.6,
        land_per_asset=0.030,
        weight=0.12,
    ),
    SectorProfile(
        name="finance",
        label_zh="金融",
        turnover=0.08,
        margin=0.45,
        margin_sd=0.25,
        debt_ratio=0.80,
        demand_vol=0.08,
        staff_per_revenue=0.3,
        land_per_asset=0.0005,
        weight=0.07,
    ),
    SectorProfile(
        name="agriculture",
        label_zh="农业",
        turnover=0.4,
        margin=0.06,
        margin_sd=0.06,
        debt_ratio=0.55,
        demand_vol=0.10,
        staff_per_revenue=2.5,
        land_per_asset=0.080,
        weight=0.05,
    ),
    SectorProfile(
        name="commerce",
        label_zh="商贸流通",
        turnover=1.1,
        margin=0.03,
        margin_sd=0.025,
        debt_ratio=0.66,
        demand_vol=0.09,
        staff_per_revenue=0.7,
        land_per_asset=0.006,
        weight=0.10,
    ),
    SectorProfile(
        name="real_estate",
        label_zh="房地产",
        turnover=0.15,
        margin=0.18,
        margin_sd=0.18,
        debt_ratio=0.78,
        demand_vol=0.18,
        staff_per_revenue=0.5,
        land_per_asset=0.010,
        weight=0.08,
    ),
    SectorProfile(
        name="services",
        label_zh="综合服务",
        turnover=0.5,
        margin=0.06,
        margin_sd=0.06,
        debt_ratio=0.50,
        demand_vol=0.08,
        staff_per_revenue=2.0,
        land_per_asset=0.008,
        weight=0.11,
    ),
)

MAX_MARGIN = 0.9
"""Operating margins drawn for entities are capped here so that operating cost stays positive."""

SECTOR_SHORT_ZH: tuple[str, ...] = tuple(s.label_zh.split("/")[0].split("(")[0] for s in SECTORS)
"""Short Chinese label per sector code, used in generated entity names (城投, 制造业, …)."""
SECTOR_NAMES: tuple[str, ...] = tuple(s.name for s in SECTORS)
SECTOR_CODE: dict[str, int] = {name: code for code, name in enumerate(SECTOR_NAMES)}
N_SECTORS = len(SECTORS)

SECTOR_ALIASES: dict[str, str] = {
    # urban_investment
    "城投/基础设施": "urban_investment",
    "城投": "urban_investment",
    "基础设施": "urban_investment",
    "城市建设投资": "urban_investment",
    "城投公司": "urban_investment",
    # transport
    "交通运输": "transport",
    "交通": "transport",
    "运输": "transport",
    "交通运输业": "transport",
    # energy
    "能源": "energy",
    "能源业": "energy",
    "煤炭": "energy",
    # utilities
    "水务/公用事业": "utilities",
    "水务": "utilities",
    "公用事业": "utilities",
    # construction
    "建筑": "construction",
    "建筑业": "construction",
    "建工": "construction",
    # manufacturing
    "制造业(33618集群)": "manufacturing",
    "制造业（33618集群）": "manufacturing",
    "制造业": "manufacturing",
    "制造": "manufacturing",
    # finance
    "金融": "finance",
    "金融业": "finance",
    "金融服务": "finance",
    # agriculture
    "农业": "agriculture",
    "农林牧渔": "agriculture",
    "农林牧渔业": "agriculture",
    "农垦": "agriculture",
    # commerce
    "商贸流通": "commerce",
    "商贸": "commerce",
    "流通": "commerce",
    "商业": "commerce",
    "贸易": "commerce",
    "批发零售": "commerce",
    "批发和零售业": "commerce",
    # real_estate
    "房地产": "real_estate",
    "房地产业": "real_estate",
    "地产": "real_estate",
    # services
    "综合服务": "services",
    "服务业": "services",
    "服务": "services",
    "文旅": "services",
    "文化旅游": "services",
    "旅游": "services",
}
"""Chinese names a roster's ``sector`` column may use instead of an identifier, each naming one
sector: every sector's ``label_zh``, the parts of a label joined by "/" and a label without its
note in parentheses (also with full-width parentheses), and common synonyms. Names that could mean
more than one sector are left out: 电力 (energy or utilities), 物流 (transport or commerce), 物业
(services or real estate), 基建 (urban investment or construction), 工业. The loader matches a
cell after stripping surrounding whitespace and lowercasing it."""


def _check_aliases() -> None:
    """Every alias names a sector and is no identifier; every label and part of one is an alias."""
    for alias, name in SECTOR_ALIASES.items():
        if name not in SECTOR_CODE:
            raise ValueError(f"sector alias {alias!r} names unknown sector {name!r}")
        if alias != alias.strip().lower() or alias in SECTOR_CODE:
            raise ValueError(f"sector alias {alias!r} must be stripped, lowercase, no identifier")
    for s in SECTORS:
        for label in (s.label_zh, *s.label_zh.split("/"), s.label_zh.split("(")[0]):
            if SECTOR_ALIASES.get(label) != s.name:
                raise ValueError(f"sector label {label!r} must be an alias of {s.name!r}")


_check_aliases()


def sector_array(attr: str) -> np.ndarray:
    """One attribute of every sector as a float array indexed by sector code."""
    return np.array([getattr(s, attr) for s in SECTORS], dtype=np.float64)


COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "urban_investment": ("construction", "real_estate", "utilities", "transport"),
    "transport": ("urban_investment", "construction", "commerce"),
    "energy": ("utilities", "manufacturing"),
    "utilities": ("energy", "urban_investment"),
    "construction": ("urban_investment", "real_estate", "transport"),
    "manufacturing": ("energy", "commerce"),
    "finance": ("services", "real_estate"),
    "agriculture": ("commerce", "services"),
    "commerce": ("agriculture", "services", "transport"),
    "real_estate": ("construction", "urban_investment", "finance"),
    "services": ("commerce", "finance", "agriculture"),
}
"""Complementary sectors for strategic restructuring of groups (upstream/downstream or shared
customers); an assumption, used when no group shares the weaker group's main sector."""
