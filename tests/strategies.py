"""Hypothesis strategies and helpers for tests of the model's structural operations.

Worlds are small synthetic populations (:func:`worlds`, :func:`build_model`); operation arguments
are drawn against the current model (:func:`move_args`, :func:`merge_args`, :func:`exit_args`,
:func:`entry_specs`), each with a share of deliberately invalid draws. :func:`fingerprint` and
:func:`assert_unchanged` check that a refused operation left no trace; :func:`totals`,
:func:`group_figures` and :func:`assert_close` support the conservation laws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.economy import EntrySpec
from sim.events import EVENT_COLUMNS
from sim.model import SOEModel
from sim.population.synthetic import generate
from sim.sectors import N_SECTORS
from sim.state import FATES, EntityState

RTOL = 1e-9
"""Relative tolerance of the conservation laws."""
EXIT_FATES: tuple[str, ...] = FATES[2:]
"""Fates :meth:`SOEModel.exit` accepts."""
BAD_FATES: tuple[str, ...] = ("merged", "alive", "gone", "")
RULE = {"rule": "test", "reason": "hypothesis"}
OP = EVENT_COLUMNS.index("op")
"""Position of the operation in an event-log row."""
"""Keyword arguments naming the rule in the event log."""

CONSERVED = (
    "assets", "liabilities", "cash", "receivables", "idle_assets", "land_mu", "employees",
    "revenue_base", "fixed_cost", "gov_cost", "equity_base", "revenue_capacity", "variable_cost",
)  # fmt: skip
"""Portfolio totals that ``move`` and ``merge`` leave unchanged (see :func:`totals`)."""


# -- worlds -----------------------------------------------------------------------------------
def build_model(
    n_entities: int, n_groups: int, seed: int, economy: EconomyConfig | None = None
) -> SOEModel:
    """A model of a synthetic population, built the documented way (roster passed in)."""
    pop = PopulationConfig(n_entities=n_entities, n_groups=n_groups)
    roster = generate(pop, np.random.default_rng(seed))
    config = SimConfig(seed=seed, population=pop, economy=economy or EconomyConfig())
    return SOEModel(config, roster=roster)


def one_entry(
    parent: int, injection: float = 1.0, assets: float = 2.0, liabilities: float = 1.0
) -> EntrySpec:
    """An :class:`EntrySpec` founding one small subsidiary under ``parent``."""
    return EntrySpec(
        parents=np.array([parent]),
        sector=np.array([0]),
        core=np.array([True]),
        equity_injection=np.array([injection]),
        assets=np.array([assets]),
        liabilities=np.array([liabilities]),
        revenue_base=np.array([0.1]),
        var_cost_ratio=np.array([0.5]),
        fixed_cost=np.array([0.1]),
        employees=np.array([3]),
        land_mu=np.array([0.0]),
    )


def worlds(min_entities: int = 5, max_entities: int = 80) -> st.SearchStrategy[tuple[int, ...]]:
    """``(n_entities, n_groups, seed)`` for :func:`build_model`."""
    return st.tuples(
        st.integers(min_entities, max_entities),
        st.integers(1, 6),
        st.integers(0, 2**32 - 1),
    )


# -- queries ----------------------------------------------------------------------------------
def live_rows(model: SOEModel) -> list[int]:
    return np.flatnonzero(model.state.alive).tolist()


def dead_rows(model: SOEModel) -> list[int]:
    return np.flatnonzero(~model.state.alive).tolist()


def children_of(model: SOEModel, row: int) -> list[int]:
    return [c.row for c in model.entity(row).children]


def hq_rows(model: SOEModel) -> list[int]:
    return [g.row for g in model.groups()]


# -- argument strategies ----------------------------------------------------------------------
def subjects(model: SOEModel) -> st.SearchStrategy[int]:
    """A live row, with group headquarters over-represented (they are few but special)."""
    return st.one_of(st.sampled_from(live_rows(model)), st.sampled_from(hq_rows(model)))


def move_args(model: SOEModel) -> st.SearchStrategy[tuple[int, int]]:
    """``(row, new_parent)``: any live target or -1 (spin-off), or (invalid) a row of the moved
    subtree, the row itself included."""
    live = live_rows(model)

    def targets(row: int) -> st.SearchStrategy[tuple[int, int]]:
        valid = st.one_of(st.just(-1), st.sampled_from(live), st.sampled_from(live))
        cycle = st.sampled_from(model.subtree(row))
        return st.tuples(st.just(row), st.one_of(valid, valid, cycle))

    return subjects(model).flatmap(targets)


def merge_args(model: SOEModel) -> st.SearchStrategy[tuple[int, int]]:
    """``(row, into)``: any live absorber, or (invalid) the row itself or one of its descendants."""
    live = live_rows(model)

    def absorbers(row: int) -> st.SearchStrategy[tuple[int, int]]:
        others = [r for r in live if r != row]
        own = st.sampled_from(model.subtree(row))
        return st.tuples(st.just(row), st.one_of(st.sampled_from(others), own) if others else own)

    return subjects(model).flatmap(absorbers)


money = st.floats(0.0, 500.0, allow_nan=False, allow_infinity=False)


def exit_args(model: SOEModel) -> st.SearchStrategy[tuple[int, str, float, float]]:
    """``(row, fate, proceeds, cost)``; a few fates are invalid."""
    fates = st.one_of(
        st.sampled_from(EXIT_FATES), st.sampled_from(EXIT_FATES), st.sampled_from(BAD_FATES)
    )
    return st.tuples(subjects(model), fates, money, money)


def entry_specs(
    model: SOEModel, parents: list[int] | None = None, max_size: int = 3
) -> st.SearchStrategy[EntrySpec]:
    """Small random :class:`EntrySpec` with parents drawn (with repeats) from ``parents``
    (default: the live rows). The figures need not be mutually consistent."""
    pool = live_rows(model) if parents is None else parents

    @st.composite
    def specs(draw: st.DrawFn) -> EntrySpec:
        k = draw(st.integers(1, max_size))

        def floats(strategy: st.SearchStrategy[float]) -> np.ndarray:
            return np.array(draw(st.lists(strategy, min_size=k, max_size=k)), dtype=np.float64)

        return EntrySpec(
            parents=np.array(
                draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k)), dtype=np.int64
            ),
            sector=np.array(
                draw(st.lists(st.integers(0, N_SECTORS - 1), min_size=k, max_size=k)),
                dtype=np.int64,
            ),
            core=np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)), dtype=bool),
            equity_injection=floats(st.floats(0.0, 50.0)),
            assets=floats(money),
            liabilities=floats(money),
            revenue_base=floats(st.floats(0.0, 50.0)),
            var_cost_ratio=floats(st.floats(0.0, 1.0)),
            fixed_cost=floats(st.floats(0.0, 5.0)),
            employees=np.array(
                draw(st.lists(st.integers(0, 2_000), min_size=k, max_size=k)), dtype=np.int64
            ),
            land_mu=floats(st.floats(0.0, 100.0)),
        )

    return specs()


# -- snapshots --------------------------------------------------------------------------------
def fingerprint(model: SOEModel) -> dict[str, Any]:
    """Everything a structural operation could touch: state arrays, ids, agents, event log."""
    s = model.state
    fp: dict[str, Any] = {name: getattr(s, name).copy() for name in EntityState.FIELDS}
    fp["profit_hist"] = s.profit_hist.copy()
    fp["n"] = s.n
    fp["ids"] = list(s.ids)
    fp["names"] = list(s.names)
    fp["children"] = [children_of(model, r) for r in range(s.n)]
    fp["agents"] = sorted(a.row for a in model.agents)  # type: ignore[attr-defined]
    fp["events"] = list(model.events.rows)
    fp["month"] = model.month
    return fp


def assert_unchanged(before: dict[str, Any], model: SOEModel, what: str) -> None:
    """Fail naming the first item of :func:`fingerprint` that ``what`` changed."""
    after = fingerprint(model)
    for key, old in before.items():
        new = after[key]
        if isinstance(old, np.ndarray):
            same = old.shape == new.shape and np.array_equal(
                old, new, equal_nan=old.dtype.kind == "f"
            )
        else:
            same = old == new
        assert same, f"{what} changed {key}"


def totals(model: SOEModel) -> dict[str, float]:
    """Portfolio totals over live entities; ``revenue_capacity`` is volume x productivity and
    ``variable_cost`` variable cost per month at neutral demand."""
    s = model.state
    live = s.alive
    out = {name: float(getattr(s, name)[live].sum()) for name in CONSERVED[:-2]}
    out["revenue_capacity"] = float((s.revenue_base * s.productivity)[live].sum())
    out["variable_cost"] = float((s.revenue_base * s.var_cost_ratio)[live].sum())
    return out


def scale(model: SOEModel) -> float:
    """Magnitude of the portfolio's balance sheet, the yardstick for absolute tolerances."""
    s = model.state
    return float(np.abs(s.assets[s.alive]).sum() + np.abs(s.liabilities[s.alive]).sum())


def group_figures(model: SOEModel) -> dict[int, dict[str, float]]:
    """Consolidated figures of each live group, keyed by headquarters row: the plain sums over
    live members that :func:`sim.metrics.group_table` reports, plus the group's equity base."""
    s = model.state
    live = np.flatnonzero(s.alive)
    grp = s.group[live]
    out: dict[int, dict[str, float]] = {}
    for hq in np.flatnonzero(s.alive & (s.parent < 0)).tolist():
        members = live[grp == hq]
        a, li = float(s.assets[members].sum()), float(s.liabilities[members].sum())
        out[hq] = {
            "assets": a,
            "liabilities": li,
            "equity": a - li,
            "entities": float(members.size),
            "equity_base": float(s.equity_base[hq]),
        }
    return out


def assert_close(actual: float, expected: float, what: str, yardstick: float = 0.0) -> None:
    """``actual == expected`` to :data:`RTOL` relative to the larger of them and ``yardstick``
    (pass the portfolio :func:`scale` where a figure is a difference of large sums)."""
    tol = RTOL * max(abs(actual), abs(expected), yardstick, 1.0)
    assert abs(actual - expected) <= tol, (
        f"{what}: got {actual!r}, expected {expected!r} (difference {actual - expected:.3g}, "
        f"tolerance {tol:.3g})"
    )


def new_ops(model: SOEModel, since: int) -> list[str]:
    """Operations of the events logged after the first ``since``."""
    return [str(e[OP]) for e in model.events.rows[since:]]
