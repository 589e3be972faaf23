"""The chongqing_2023 preset reproduces the end-2023 state in docs/sources.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.config import PopulationConfig, SimConfig
from sim.model import SOEModel
from sim.population import resolve_path
from sim.population.roster import load_roster

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def start() -> SOEModel:
    cfg = SimConfig(population=PopulationConfig(source="roster", path="builtin:chongqing_2023.csv"))
    return SOEModel(cfg)


def test_groups_and_entities(start):
    ts = start.timeseries().iloc[0]
    assert ts["groups"] == 51
    assert ts["operating_entities"] == 2260  # as reported; shells and dormant ones on top
    assert 2260 < ts["entities"] <= 1.15 * 2260


def test_loss_making_share_is_about_a_third(start):
    assert start.timeseries().iloc[0]["loss_making_share"] == pytest.approx(0.34, abs=0.01)


def test_debt_ratio_in_the_observed_band(start):
    assert 0.57 <= start.timeseries().iloc[0]["debt_ratio"] <= 0.65


def test_deepest_chains_and_share_of_deep_groups(start):
    st = start.state
    hq = np.flatnonzero(st.parent < 0)
    depth = np.zeros(st.n, dtype=np.int64)
    np.maximum.at(depth, st.group, st.layer)
    depth = depth[hq]
    assert 5 <= depth.max() <= 8
    assert 0.25 <= (depth > 5).mean() <= 0.45


def test_preset_file_loads_as_a_user_roster():
    roster = load_roster(resolve_path("builtin:chongqing_2023.csv"))
    assert roster["name"].str.contains("集团").any()


def test_generator_script_reproduces_the_shipped_file(tmp_path):
    out = tmp_path / "chongqing.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_chongqing_roster.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    shipped = resolve_path("builtin:chongqing_2023.csv")
    assert out.read_bytes() == shipped.read_bytes()
