"""The golden scenarios: small fixed runs whose tables are checked in under tests/golden/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.compose import compose_config
from sim.runner import run_simulation

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

SCENARIOS: dict[str, tuple[str, ...]] = {
    "synthetic_reform": (
        "population=synthetic", "population.n_entities=300", "population.entities_per_group=25",
        "policy=chongqing_2024", "months=12", "seed=3", "parks=none",
    ),
    "chongqing_reference": ("months=6", "seed=0", "parks=none"),
}  # fmt: skip
"""Scenario name -> soe-sim overrides."""
TABLES: dict[str, tuple[str, ...]] = {
    "synthetic_reform": ("timeseries", "events", "groups", "report_card"),
    "chongqing_reference": ("timeseries", "report_card"),
}


def golden_tables(name: str) -> dict[str, pd.DataFrame]:
    """The tables of golden scenario ``name``, as the run produces them now."""
    cfg = compose_config(*SCENARIOS[name], "output.entities=false", "output.chart=false")
    result = run_simulation(cfg)
    out = {}
    for table in TABLES[name]:
        frame = getattr(result, table)
        assert frame is not None
        out[table] = frame
    return out
