"""Candidates in rank order, sorted only as far as a rule reads them.

A rule ranks its candidates (loss-makers, non-core subsidiaries, enterprises carrying government
functions) and takes them best first until its monthly quota is used: a few dozen out of up to
hundreds of thousands at national scale. Sorting all of them every month was most of the
policy stage's cost there. :func:`ranked` gives the same rows in the same order as a stable
argsort but sorts a prefix at a time, as far as the rule reads. The other helpers replace sorts
and per-row Python loops over the population with a few passes: :func:`max_per_cell` finds each
group's largest entity, :func:`numbering` numbers the groups present (as ``np.unique`` would),
:func:`flags` turns a set of rows into a mask.

Each gives exactly what the sort or loop it replaces gave, ties included (see
``tests/test_policy_scale.py``), so the rules' results do not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def ranked(rows: np.ndarray, key: np.ndarray, first: int = 64) -> Iterator[int]:
    """``rows`` in ascending order of ``key`` (one value per row), ties in the order of ``rows``:
    exactly ``rows[np.argsort(key, kind="stable")].tolist()``, produced lazily.

    Each round selects the ``k`` smallest keys left (``k`` is ``first``, doubling each round) with
    ``np.partition`` instead of a sort, and takes *every* row whose key is at most the k-th
    smallest value: ties with it included, so which rows are taken does not depend on how the
    partition breaks ties. In the full stable sort all of them come before every row left out,
    so a stable sort of just these rows is the next stretch of the full order; the rows left
    keep the order of ``rows``, so later rounds order their ties as the full sort does. When
    few rows are left, or the k-th value is NaN (numpy sorts NaN last), the rest is sorted whole.

    ``key`` should be a fresh array (not a view of the state): the order is the one at the call,
    however the state changes while the caller reads.
    """
    k = max(int(first), 1)
    while rows.size:
        if rows.size <= 2 * k:
            yield from rows[np.argsort(key, kind="stable")].tolist()
            return
        kth = np.partition(key, k - 1)[k - 1]
        if kth != kth:  # NaN: fewer than k comparable keys are left
            yield from rows[np.argsort(key, kind="stable")].tolist()
            return
        head = key <= kth
        taken = np.flatnonzero(head)
        yield from rows[taken[np.argsort(key[taken], kind="stable")]].tolist()
        rest = ~head
        rows, key = rows[rest], key[rest]
        k *= 2


def max_per_cell(cell: np.ndarray, value: np.ndarray, rows: np.ndarray, n_cells: int) -> np.ndarray:
    """For each of ``n_cells`` cells, the row with the largest ``value`` among ``rows`` in it
    (``cell``, ``value``: one per row; ``rows`` ascending), the largest row among equal values;
    -1 for an empty cell.

    The same choice as the last row of each cell after a stable ascending sort by ``value``
    (what ``np.unique`` on the reversed sorted keys picks), made with ``np.maximum.at`` passes
    instead of sorting: each cell's largest value, then the largest row holding it. A sort puts
    NaN last, so in a cell with a NaN value the last row with NaN is chosen. (Rows go through
    float64, exact below 2**53, where ``np.maximum.at`` is several times faster than on int64.)
    """
    best = np.full(n_cells, -np.inf)
    with np.errstate(invalid="ignore"):  # NaN propagates: such a cell has no top row here
        np.maximum.at(best, cell, value)
    top = value == best[cell]
    nan = np.isnan(value)
    if nan.any():
        top |= nan
    top = np.flatnonzero(top)
    winner = np.full(n_cells, -1.0)
    np.maximum.at(winner, cell[top], rows[top].astype(np.float64))
    return winner.astype(np.int64)


def numbering(n: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values taken by ``keys`` (rows, ``0 <= key < n``, such as the groups of some
    entities) as a mask over the ``n`` rows, and each row's position among them (meaningful
    where the mask is true): ``np.flatnonzero(mask)`` and ``positions[keys]`` are what
    ``np.unique(keys, return_inverse=True)`` returns, from a mask instead of a sort.

    (``keys`` go through ``intp``, numpy's index type, several times faster as an index than
    the state's int32; positions are int32, while they fit, to halve the memory the lookups
    touch.)"""
    mask = np.zeros(n, dtype=bool)
    mask[keys.astype(np.intp)] = True
    positions: np.ndarray = np.cumsum(mask, dtype=np.int32 if n < 2**31 else np.int64)
    positions -= 1
    return mask, positions


def flags(n: int, rows: Iterable[int]) -> np.ndarray:
    """A mask over ``n`` rows, true at ``rows`` (a set of rows, such as the busy ones): to drop
    them from a candidate array in one step instead of testing each candidate in Python."""
    mask = np.zeros(n, dtype=bool)
    mask[np.fromiter(rows, dtype=np.intp)] = True
    return mask
