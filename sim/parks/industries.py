"""Industries of park firms: Chongqing's "33618" modern manufacturing clusters and the rest.

The "33618" system (重庆市 33618 现代制造业集群体系, 2023) names three trillion-yuan clusters,
three 500-bn clusters, six specialised emerging clusters and eighteen future industries; the
identifiers below cover the first twelve and group the rest as ``future`` and ``other``.

``correction`` is the industry correction coefficient (行业修正系数) that Chongqing's 2024 亩均
evaluation introduced (docs/sources.md, source 2): a firm's per-mu figures are multiplied by it
before scoring, so land-hungry industries (materials, food) are not ranked down for what their
technology needs. Chongqing's coefficients are not published; the values here are stated
assumptions (above 1 for land-intensive industries, below 1 for light and digital ones) and
levers a user may change in this file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Industry:
    """One industry of park firms."""

    name: str
    label_zh: str
    correction: float
    """Industry correction coefficient (行业修正系数) applied to per-mu figures before scoring."""
    weight: float
    """Share of a synthetic zone roster's firms in this industry (relative weight)."""
    cluster: bool
    """One of the "33618" clusters (the industries zones are consolidated around)."""


INDUSTRIES: tuple[Industry, ...] = (
    Industry("auto_nev", "智能网联新能源汽车", 1.00, 0.14, True),
    Industry("electronics", "新一代电子信息制造业", 0.95, 0.12, True),
    Industry("advanced_materials", "先进材料", 1.20, 0.12, True),
    Industry("smart_equipment", "智能装备及智能制造", 1.00, 0.10, True),
    Industry("food_processing", "食品及农产品加工", 1.15, 0.10, True),
    Industry("software", "软件信息服务", 0.80, 0.04, True),
    Industry("display", "新型显示", 0.95, 0.02, True),
    Industry("motorcycles", "高端摩托车", 1.00, 0.03, True),
    Industry("light_alloys", "轻合金材料", 1.20, 0.03, True),
    Industry("textiles", "轻纺", 1.10, 0.05, True),
    Industry("biomedicine", "生物医药", 0.90, 0.05, True),
    Industry("new_energy", "新能源及新型储能", 1.05, 0.05, True),
    Industry("future", "未来产业", 0.90, 0.03, False),
    Industry("other", "其他制造业", 1.10, 0.12, False),
)
"""Every industry; a firm's code in the state arrays is its position here."""

INDUSTRY_NAMES: tuple[str, ...] = tuple(i.name for i in INDUSTRIES)
INDUSTRY_CODE: dict[str, int] = {name: code for code, name in enumerate(INDUSTRY_NAMES)}
INDUSTRY_ALIASES: dict[str, str] = {i.label_zh: i.name for i in INDUSTRIES}
"""Chinese labels accepted in a roster's ``industry`` column."""
