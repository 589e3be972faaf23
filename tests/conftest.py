"""Shared fixtures: a hand-built five-entity world with a deterministic economy."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.model import SOEModel
from sim.population.roster import validate_roster

matplotlib.use("Agg")


def five_entity_roster() -> pd.DataFrame:
    """Group G with subsidiaries A and B; A owns A1 and A2 (layers 1, 2, 2, 3, 3).

    Money in mn yuan, flows per year: monthly revenue and cost are these divided by 12.
    """
    rows = [
        # id,  parent, sector,        assets, liab, revenue, opcost, staff, cash, loan
        ("G", "", "manufacturing", 1000.0, 600.0, 1200.0, 960.0, 100, 100.0, 0.0),
        ("A", "G", "manufacturing", 400.0, 200.0, 600.0, 540.0, 50, 40.0, 20.0),
        ("B", "G", "commerce", 300.0, 150.0, 2400.0, 2376.0, 30, 30.0, 0.0),
        ("A1", "A", "manufacturing", 50.0, 40.0, 120.0, 168.0, 10, 1.0, 5.0),
        ("A2", "A", "services", 20.0, 5.0, 0.0, 6.0, 0, 2.0, 0.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "parent_id",
            "sector",
            "assets",
            "liabilities",
            "revenue",
            "operating_cost",
            "employees",
            "cash",
            "intra_group_loan",
        ],
    )
    frame["name"] = ["重庆测试集团", "甲公司", "乙公司", "甲一公司", "甲二公司"]
    frame["status"] = ["operating", "operating", "operating", "operating", "shell"]
    return validate_roster(frame, source="five_entity_roster")


def calm_economy(**overrides: float) -> EconomyConfig:
    """No shocks, no entry, no exits: every number is hand-computable."""
    base: dict[str, float] = dict(
        demand_vol_scale=0.0,
        idio_vol=0.0,
        entry_rate=0.0,
        bankruptcy_hazard=0.0,
        zombie_exit_rate=0.0,
        zombie_recovery_rate=0.0,
        fixed_cost_share=0.3,
        interest_rate=0.06,
        interest_bearing_share=0.5,
        entity_overhead=1.2,
        layer_overhead=0.01,
        soft_budget=0.75,
    )
    base.update(overrides)
    return EconomyConfig(**base)  # type: ignore[arg-type]


def five_entity_model(**economy: float) -> SOEModel:
    """The five-entity world under the calm economy."""
    cfg = SimConfig(
        seed=1,
        months=12,
        population=PopulationConfig(source="roster", path="-"),
        economy=calm_economy(**economy),
    )
    return SOEModel(cfg, roster=five_entity_roster())


@pytest.fixture
def world() -> SOEModel:
    """A fresh five-entity model."""
    return five_entity_model()
