"""Golden-output regression: small fixed scenarios reproduce their checked-in tables.

A failure means results moved. If that was intended, regenerate with
``uv run python scripts/make_golden.py`` and say in the commit message why they moved.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from golden import GOLDEN_DIR, SCENARIOS, TABLES, golden_tables
from pandas.testing import assert_frame_equal

CASES = [(name, table) for name in SCENARIOS for table in TABLES[name]]


@pytest.fixture(scope="module")
def fresh():
    return {name: golden_tables(name) for name in SCENARIOS}


@pytest.mark.parametrize(("name", "table"), CASES)
def test_scenario_reproduces_its_golden_table(fresh, name, table):
    expected = pd.read_csv(GOLDEN_DIR / f"{name}.{table}.csv", keep_default_na=False,
                           na_values=[""])  # fmt: skip
    buffer = io.StringIO()
    fresh[name][table].to_csv(buffer, index=False)
    buffer.seek(0)
    actual = pd.read_csv(buffer, keep_default_na=False, na_values=[""])
    assert list(actual.columns) == list(expected.columns), "columns changed"
    assert len(actual) == len(expected), (
        f"{name}.{table}: {len(actual)} rows, golden {len(expected)}"
    )
    assert_frame_equal(actual, expected, check_exact=False, rtol=1e-12, atol=1e-9,
                       obj=f"{name}.{table}")  # fmt: skip


def test_chongqing_reference_starts_from_the_exact_roster(fresh):
    ts = fresh["chongqing_reference"]["timeseries"]
    assert ts["operating_entities"].iloc[0] == 2260
    assert ts["groups"].iloc[0] == 51
