"""The rules' lazy rankings and sort-free selections give exactly what a full sort gives.

The rules read their candidates best first through :func:`sim.policies.ranking.ranked` and pick
each group's largest entity with :func:`sim.policies.ranking.max_per_cell`, so that a month costs
little more than the few dozen candidates taken, at any population size. These tests compare
them with the stable sorts they replace on random inputs full of ties (few distinct values,
signed zeros, infinities, NaN), read to every length.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.compose import compose_config
from sim.model import SOEModel
from sim.policies.loss_cutting import _in_turn, healthy_absorbers
from sim.policies.quality import _largest, _positions
from sim.policies.ranking import max_per_cell, ranked
from sim.sectors import N_SECTORS

FLOATS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf, np.nan]),
    st.floats(-1e6, 1e6, allow_nan=False),
)


def _rows(draw: st.DrawFn, size: int) -> np.ndarray:
    """Ascending distinct rows, as the rules' ``np.flatnonzero`` gives them."""
    gaps = draw(hnp.arrays(np.int64, size, elements=st.integers(1, 5)))
    return np.cumsum(gaps)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(0, 300), first=st.integers(0, 40))
def test_ranked_is_a_stable_argsort_read_lazily(data, size, first):
    rows = _rows(data.draw, size)
    key = data.draw(hnp.arrays(np.float64, size, elements=FLOATS))
    expected = rows[np.argsort(key, kind="stable")].tolist()
    assert list(ranked(rows, key.copy(), first)) == expected
    n = data.draw(st.integers(0, size))
    assert list(islice(ranked(rows, key.copy(), first), n)) == expected[:n]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(0, 300), first=st.integers(1, 20))
def test_ranked_integer_keys(data, size, first):
    rows = _rows(data.draw, size)
    key = data.draw(hnp.arrays(np.int16, size, elements=st.integers(-3, 3)))
    assert list(ranked(rows, key, first)) == rows[np.argsort(key, kind="stable")].tolist()


@pytest.mark.parametrize("size", [10_000, 200_000])
def test_ranked_large_with_many_ties(size):
    rng = np.random.default_rng(size)
    rows = np.flatnonzero(rng.random(3 * size) < 1 / 3)
    key = np.round(rng.normal(size=rows.size), 1)  # a few dozen distinct values
    expected = rows[np.argsort(key, kind="stable")].tolist()
    assert list(islice(ranked(rows, key, 50), 5_000)) == expected[:5_000]
    assert list(ranked(rows, key, 50)) == expected


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(1, 300), first=st.integers(1, 20))
def test_in_turn_is_the_lexsort(data, size, first):
    rows = _rows(data.draw, size)
    layer = data.draw(hnp.arrays(np.int16, size, elements=st.integers(1, 6)))
    ttm = data.draw(hnp.arrays(np.float64, size, elements=st.sampled_from([-1.0, -2.0, -0.5])))
    expected = rows[np.lexsort((ttm, -layer))].tolist()
    assert list(_in_turn(rows, layer, ttm, first)) == expected


def _last_of_stable_sort(cell: np.ndarray, value: np.ndarray, rows: np.ndarray) -> dict:
    """What the sort-based selection picked: after a stable sort by value, the last row of each
    cell (np.unique on the reversed keys)."""
    order = np.argsort(value, kind="stable")
    keys, by = cell[order][::-1], rows[order][::-1]
    uniq, first = np.unique(keys, return_index=True)
    return dict(zip(uniq.tolist(), by[first].tolist(), strict=True))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(0, 300), n_cells=st.integers(1, 12))
def test_max_per_cell_is_the_last_of_a_stable_sort(data, size, n_cells):
    rows = _rows(data.draw, size)
    cell = data.draw(hnp.arrays(np.int64, size, elements=st.integers(0, n_cells - 1)))
    value = data.draw(
        hnp.arrays(
            np.float64,
            size,
            elements=st.one_of(
                st.sampled_from([0.0, -0.0, 3.0, np.inf, -np.inf, np.nan]),
                st.floats(-10, 10, allow_nan=False),
            ),
        )
    )
    winner = max_per_cell(cell, value, rows, n_cells)
    got = {c: int(w) for c, w in enumerate(winner.tolist()) if w >= 0}
    assert got == _last_of_stable_sort(cell, value, rows)


def test_healthy_absorbers_are_the_largest_of_each_group_and_sector():
    model = SOEModel(
        compose_config("population=synthetic", "population.n_entities=3000", "months=4")
    )
    for month in range(4):
        model.run_for(1)
        st = model.state
        if month == 2:  # many ties: assets in steps of 50
            st.assets[:] = np.round(st.assets / 50.0) * 50.0
        ttm = st.ttm_profit()
        healthy = np.flatnonzero(
            st.alive & (st.status == 0) & ~st.zombie & (ttm > 0) & (st.solo_equity() > 0)
        )
        cell = st.group[healthy].astype(np.int64) * N_SECTORS + st.sector[healthy]
        expected = _last_of_stable_sort(cell, st.assets[healthy], healthy)
        got = healthy_absorbers(model, ttm)
        assert got == expected
        assert list(got) == sorted(expected)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), rows=st.integers(0, 30), cols=st.integers(1, 12), k=st.integers(-2, 14))
def test_largest_is_the_stable_descending_sort(data, rows, cols, k):
    values = data.draw(
        hnp.arrays(
            np.float64,
            (rows, cols),
            elements=st.sampled_from([0.0, -0.0, 1.0, 2.0, 1e-9, np.inf, -np.inf, np.nan]),
        )
    )
    expected = np.zeros((rows, cols), dtype=bool)
    expected[np.arange(rows)[:, None], np.argsort(-values, axis=1, kind="stable")[:, :k]] = True
    np.testing.assert_array_equal(_largest(values, k), expected)
    finite = np.nan_to_num(values, nan=3.0, posinf=np.inf, neginf=-5.0)
    expected = np.zeros((rows, cols), dtype=bool)
    expected[np.arange(rows)[:, None], np.argsort(-finite, axis=1, kind="stable")[:, :k]] = True
    np.testing.assert_array_equal(_largest(finite, k), expected)


@settings(max_examples=200, deadline=None)
@given(values=hnp.arrays(np.float64, st.integers(0, 200), elements=FLOATS))
def test_positions_are_the_double_argsort(values):
    expected = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    np.testing.assert_array_equal(_positions(values), expected)
