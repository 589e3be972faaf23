"""Property tests of the structural operations: enter, exit, move, merge (and the month between).

Hypothesis builds small synthetic worlds and applies random sequences of operations, valid and
invalid. After each operation :func:`sim.invariants.check_invariants` must pass; a refused operation
must raise :class:`StructureError` and leave no trace; a valid one must obey the conservation laws
checked by the ``checked_*`` functions below. Example-based tests pin down the group-level
bookkeeping (equity base transfers), the checker itself, and regressions of bugs found here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from strategies import (
    CONSERVED,
    EXIT_FATES,
    RULE,
    assert_close,
    assert_unchanged,
    build_model,
    children_of,
    dead_rows,
    entry_specs,
    exit_args,
    fingerprint,
    group_figures,
    hq_rows,
    live_rows,
    merge_args,
    move_args,
    new_ops,
    one_entry,
    scale,
    totals,
    worlds,
)

from sim.config import EconomyConfig
from sim.economy import EntrySpec
from sim.invariants import check_invariants
from sim.model import SOEModel, StructureError
from sim.population.roster import validate_roster
from sim.state import FATE_CODE

GROUP_KEYS = ("assets", "liabilities", "equity", "equity_base")


# -- checked operations: apply one operation and assert its laws -------------------------------
def assert_totals(
    before: dict[str, float],
    model: SOEModel,
    what: str,
    change: dict[str, float] | None = None,
    keys: tuple[str, ...] = CONSERVED,
    yardstick: float = 0.0,
) -> None:
    after = totals(model)
    change = change or {}
    for key in keys:
        assert_close(
            after[key], before[key] + change.get(key, 0.0), f"{what}: portfolio {key}", yardstick
        )


def assert_groups(
    before: dict[int, dict[str, float]],
    model: SOEModel,
    what: str,
    change: dict[int, dict[str, float]],
    gone: tuple[int, ...] = (),
    yardstick: float = 0.0,
) -> None:
    """Each live group's figures equal ``before`` plus ``change``; groups in ``gone`` vanished;
    groups in ``change`` but not in ``before`` are new (their figures are the change)."""
    after = group_figures(model)
    expected_rows = (set(before) - set(gone)) | set(change)
    assert set(after) == expected_rows, (
        f"{what}: live groups {sorted(after)}, expected {sorted(expected_rows)}"
    )
    for hq, figures in after.items():
        base = before.get(hq, dict.fromkeys(GROUP_KEYS, 0.0))
        delta = change.get(hq, {})
        for key in GROUP_KEYS:
            assert_close(
                figures[key],
                base[key] + delta.get(key, 0.0),
                f"{what}: group {model.state.ids[hq]} {key}",
                yardstick,
            )


def subtree_sums(model: SOEModel, rows: list[int]) -> dict[str, float]:
    s = model.state
    a, li = float(s.assets[rows].sum()), float(s.liabilities[rows].sum())
    return {"assets": a, "liabilities": li, "equity": a - li}


def expect_refused(model: SOEModel, what: str, op: Callable[[], object]) -> None:
    before = fingerprint(model)
    with pytest.raises(StructureError):
        op()
    assert_unchanged(before, model, what)


def checked_move(model: SOEModel, row: int, new_parent: int) -> str:
    s = model.state
    what = f"move({row}, {new_parent})"
    sub = model.subtree(row)
    if new_parent in sub:
        expect_refused(model, what, lambda: model.move(row, new_parent, **RULE))
        return "refused (cycle)"
    old_parent = int(s.parent[row])
    if old_parent == new_parent:
        before = fingerprint(model)
        model.move(row, new_parent, **RULE)
        assert_unchanged(before, model, f"no-op {what}")
        return "no-op"

    tot, groups, yard = totals(model), group_figures(model), scale(model)
    layers, loans, n_events = s.layer[sub].copy(), s.intra_loan.copy(), len(model.events)
    old_group = int(s.group[row])
    new_group = int(s.group[new_parent]) if new_parent >= 0 else row
    new_layer = int(s.layer[new_parent]) + 1 if new_parent >= 0 else 1
    moved = subtree_sums(model, sub)
    base_row = float(s.equity_base[row])

    model.move(row, new_parent, **RULE)

    assert int(s.parent[row]) == new_parent
    if new_parent >= 0:
        assert row in children_of(model, new_parent)
    if old_parent >= 0:
        assert row not in children_of(model, old_parent)
    assert sorted(model.subtree(row)) == sorted(sub), f"{what}: the subtree changed"
    shift = s.layer[sub] - layers
    assert (shift == new_layer - layers[0]).all(), f"{what}: layer shifts {shift.tolist()}"
    assert (s.group[sub] == new_group).all(), f"{what}: subtree not all in group {new_group}"
    assert_totals(tot, model, what)

    if old_group == new_group:
        assert_groups(groups, model, what, {}, yardstick=yard)
        assert np.array_equal(s.intra_loan, loans), f"{what}: intra-group loans changed"
    else:
        transfer = base_row if old_parent < 0 else moved["equity"]
        gain = {**moved, "equity_base": transfer}
        change = {new_group: gain}
        gone: tuple[int, ...] = ()
        if old_parent < 0:
            gone = (old_group,)  # the whole group joins another
        else:
            change[old_group] = {k: -v for k, v in gain.items()}
        assert_groups(groups, model, what, change, gone, yard)
        assert s.intra_loan[row] == 0.0, f"{what}: loan to the old parent not converted"
        others = np.arange(s.n) != row
        assert np.array_equal(s.intra_loan[others], loans[others]), f"{what}: other loans changed"
    assert new_ops(model, n_events) == ["move"], f"{what}: events {new_ops(model, n_events)}"
    if new_parent < 0:
        return "spin-off"
    return "within group" if old_group == new_group else "across groups"


def checked_merge(model: SOEModel, row: int, into: int) -> str:
    s = model.state
    what = f"merge({row}, {into})"
    sub = model.subtree(row)
    if into in sub:
        expect_refused(model, what, lambda: model.merge(row, into, **RULE))
        return "refused (into own subtree)"
    tot, groups, yard = totals(model), group_figures(model), scale(model)
    kids = children_of(model, row)
    kid_subtrees = {k: (model.subtree(k), s.layer[model.subtree(k)].copy()) for k in kids}
    cols = (
        "assets",
        "liabilities",
        "cash",
        "receivables",
        "idle_assets",
        "land_mu",
        "employees",
        "revenue_base",
        "fixed_cost",
        "gov_cost",
    )
    row_vals = {c: float(getattr(s, c)[row]) for c in cols}
    into_vals = {c: float(getattr(s, c)[into]) for c in cols}
    old_group, new_group = int(s.group[row]), int(s.group[into])
    moved = subtree_sums(model, sub)
    base_row = float(s.equity_base[row])
    layer_into, n_groups, n_events = int(s.layer[into]), len(hq_rows(model)), len(model.events)

    model.merge(row, into, **RULE)

    assert not s.alive[row] and s.fate[row] == FATE_CODE["merged"]
    assert s.died[row] == model.month
    for c in cols:
        assert_close(
            float(getattr(s, c)[into]), into_vals[c] + row_vals[c], f"{what}: absorber's {c}"
        )
    assert_totals(tot, model, what)
    for k, (rows, layers) in kid_subtrees.items():
        assert int(s.parent[k]) == into, f"{what}: former child {k} not under the absorber"
        assert (s.layer[rows] - layers == layer_into + 1 - layers[0]).all()
        assert (s.group[rows] == new_group).all()
    if old_group == new_group:
        assert_groups(groups, model, what, {}, yardstick=yard)
    else:
        transfer = base_row if old_group == row else moved["equity"]
        gain = {**moved, "equity_base": transfer}
        if old_group == row:
            assert_groups(groups, model, what, {new_group: gain}, (old_group,), yard)
            assert len(hq_rows(model)) == n_groups - 1
        else:
            change = {new_group: gain, old_group: {k: -v for k, v in gain.items()}}
            assert_groups(groups, model, what, change, yardstick=yard)
    ops = new_ops(model, n_events)
    assert ops == ["move"] * len(kids) + ["merge"], f"{what}: events {ops}"
    if old_group == row:
        return "group HQ absorbed"
    return "within group" if old_group == new_group else "across groups"


def checked_exit(model: SOEModel, row: int, fate: str, proceeds: float, cost: float) -> str:
    s = model.state
    what = f"exit({row}, fate={fate!r}, proceeds={proceeds}, cost={cost})"
    p = int(s.parent[row])
    kids = children_of(model, row)
    if fate not in FATE_CODE or FATE_CODE[fate] < 2 or (p < 0 and kids):
        expect_refused(
            model, what, lambda: model.exit(row, fate=fate, proceeds=proceeds, cost=cost, **RULE)
        )
        return "refused (bad fate)" if fate not in EXIT_FATES else "refused (HQ with children)"
    tot, groups, yard = totals(model), group_figures(model), scale(model)
    a, li = float(s.assets[row]), float(s.liabilities[row])
    emp, rb = float(s.employees[row]), float(s.revenue_base[row])
    cash_p = float(s.cash[p]) if p >= 0 else 0.0
    kid_subtrees = {k: (model.subtree(k), s.layer[model.subtree(k)].copy()) for k in kids}
    group, n_events = int(s.group[row]), len(model.events)
    paid = proceeds - cost if p >= 0 else 0.0

    model.exit(row, fate=fate, proceeds=proceeds, cost=cost, **RULE)

    assert not s.alive[row] and s.fate[row] == FATE_CODE[fate] and s.died[row] == model.month
    change = {"assets": -a + paid, "liabilities": -li, "employees": -emp, "revenue_base": -rb}
    assert_totals(tot, model, what, change, keys=tuple(change), yardstick=yard)
    if p >= 0:
        assert_close(float(s.cash[p]), cash_p + paid, f"{what}: parent's cash")
        assert row not in children_of(model, p)
        delta = {"assets": -a + paid, "liabilities": -li, "equity": -a + paid + li}
        assert_groups(groups, model, what, {group: delta}, yardstick=yard)
    else:
        assert_groups(groups, model, what, {}, (group,), yard)
    for k, (rows, layers) in kid_subtrees.items():
        assert int(s.parent[k]) == p, f"{what}: child {k} not moved up to the parent"
        assert (s.layer[rows] == layers - 1).all(), f"{what}: child {k}'s subtree layers"
    ops = new_ops(model, n_events)
    assert ops == ["move"] * len(kids) + ["exit"], f"{what}: events {ops}"
    if p < 0:
        return "group HQ"
    return "with children" if kids else "leaf"


def checked_enter(model: SOEModel, spec: EntrySpec) -> str:
    s = model.state
    what = f"enter(parents={spec.parents.tolist()})"
    if not s.alive[spec.parents].all():
        expect_refused(model, what, lambda: model.enter(spec, **RULE))
        return "refused (dead parent)"
    tot, yard, n = totals(model), scale(model), s.n
    cash = s.cash.copy()
    parent_layer, parent_group = s.layer[spec.parents], s.group[spec.parents]

    rows = model.enter(spec, **RULE)

    s = model.state  # enter may reallocate the arrays
    k = spec.parents.size
    assert rows.tolist() == list(range(n, n + k))
    change = {
        "assets": float(spec.assets.sum() - spec.equity_injection.sum()),
        "liabilities": float(spec.liabilities.sum()),
        "employees": float(spec.employees.sum()),
    }
    assert_totals(tot, model, what, change, keys=tuple(change), yardstick=yard)
    assert (s.parent[rows] == spec.parents).all()
    assert (s.layer[rows] == parent_layer + 1).all()
    assert (s.group[rows] == parent_group).all()
    assert s.alive[rows].all() and (s.born[rows] == model.month).all()
    expected_cash = cash.copy()
    np.subtract.at(expected_cash, spec.parents, spec.equity_injection)
    np.testing.assert_allclose(s.cash[:n], expected_cash, rtol=1e-9, atol=1e-9 * yard)
    for r, p in zip(rows.tolist(), spec.parents.tolist(), strict=True):
        assert r in children_of(model, p)
    return "ok"


def checked_step(model: SOEModel) -> str:
    month, n_events = model.month, len(model.events)
    model.step()
    assert model.month == month + 1
    return "with structural events" if len(model.events) > n_events else "quiet"


# -- properties -------------------------------------------------------------------------------
OPS = ("move", "merge", "exit", "enter", "enter_dead_parent")


def apply_random_op(model: SOEModel, data: st.DataObject, ops: tuple[str, ...]) -> None:
    op = data.draw(st.sampled_from(ops), label="op")
    if op == "move":
        row, new_parent = data.draw(move_args(model), label="move")
        outcome = checked_move(model, row, new_parent)
    elif op == "merge":
        row, into = data.draw(merge_args(model), label="merge")
        outcome = checked_merge(model, row, into)
    elif op == "exit":
        outcome = checked_exit(model, *data.draw(exit_args(model), label="exit"))
    elif op == "enter":
        outcome = checked_enter(model, data.draw(entry_specs(model), label="enter"))
    elif op == "enter_dead_parent":
        dead = dead_rows(model)
        if not dead:
            return
        spec = data.draw(entry_specs(model, parents=dead + live_rows(model)), label="enter*")
        outcome = checked_enter(model, spec)
    else:
        outcome = checked_step(model)
    event(f"{op}: {outcome}")


def run_sequence(world: tuple[int, ...], data: st.DataObject, ops: tuple[str, ...]) -> None:
    model = build_model(*world)
    check_invariants(model)
    n_ops = data.draw(st.integers(1, 30), label="n_ops")
    for i in range(n_ops):
        if not live_rows(model):
            break
        apply_random_op(model, data, ops)
        note(f"after op {i}: {len(live_rows(model))} live of {model.state.n}")
        check_invariants(model)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), data=st.data())
def test_random_structural_operations_keep_invariants_and_conserve(
    world: tuple[int, ...], data: st.DataObject
) -> None:
    run_sequence(world, data, OPS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), data=st.data())
def test_operations_interleaved_with_months_keep_invariants(
    world: tuple[int, ...], data: st.DataObject
) -> None:
    run_sequence(world, data, (*OPS, "step", "step"))


@settings(max_examples=40, deadline=None)
@given(world=worlds(min_entities=20), data=st.data())
def test_move_within_group_changes_no_group_figure(
    world: tuple[int, ...], data: st.DataObject
) -> None:
    """Targeted: re-parent inside one group (the common 压缩层级 operation)."""
    model = build_model(*world)
    s = model.state
    candidates = [r for r in live_rows(model) if s.parent[r] >= 0]
    row = data.draw(st.sampled_from(candidates), label="row")
    sub = set(model.subtree(row))
    targets = [r for r in live_rows(model) if s.group[r] == s.group[row] and r not in sub]
    new_parent = data.draw(st.sampled_from(targets), label="new_parent")
    before = group_figures(model)
    checked_move(model, row, new_parent)
    after = group_figures(model)
    g = int(s.group[row])
    assert_close(after[g]["assets"], before[g]["assets"], "group assets")
    assert_close(after[g]["equity"], before[g]["equity"], "group equity", scale(model))
    check_invariants(model)


# -- examples ---------------------------------------------------------------------------------
@pytest.fixture
def model() -> SOEModel:
    """30 entities in three groups: G1 (rows 0-12), G2 (13-23), G3 (24-29)."""
    m = build_model(30, 3, 1)
    assert hq_rows(m) == [0, 13, 24]
    return m


def test_merge_hq_into_hq_absorbs_the_whole_group(model: SOEModel) -> None:
    s = model.state
    absorbed, absorber = 13, 0
    sub = [r for r in model.subtree(absorbed) if r != absorbed]
    layers = s.layer[sub].copy()
    base_a, base_b = float(s.equity_base[absorbed]), float(s.equity_base[absorber])
    groups = group_figures(model)
    checked_merge(model, absorbed, absorber)
    check_invariants(model)
    assert hq_rows(model) == [0, 24]
    assert (s.layer[sub] == layers).all(), "subsidiaries keep their layers"
    assert (s.group[sub] == absorber).all(), "subsidiaries join the absorber's group"
    assert s.equity_base[absorbed] == 0.0
    assert_close(float(s.equity_base[absorber]), base_a + base_b, "absorber's equity base")
    after = group_figures(model)
    assert_close(after[absorber]["assets"], groups[0]["assets"] + groups[13]["assets"], "assets")
    assert after[absorber]["entities"] == groups[0]["entities"] + groups[13]["entities"] - 1


def test_spin_off_founds_a_group_with_the_subtree_equity(model: SOEModel) -> None:
    s = model.state
    row = 1  # G1-01, with a subtree of its own
    sub = model.subtree(row)
    assert len(sub) > 1
    equity = float((s.assets[sub] - s.liabilities[sub]).sum())
    base_old = float(s.equity_base[0])
    checked_move(model, row, -1)
    check_invariants(model)
    assert hq_rows(model) == [0, 1, 13, 24]
    assert s.layer[row] == 1 and s.intra_loan[row] == 0.0
    assert_close(float(s.equity_base[row]), equity, "new group's equity base")
    assert_close(float(s.equity_base[0]), base_old - equity, "old group's equity base")
    assert model.entity(row).group is model.entity(row)


def test_move_hq_under_another_group_deepens_its_tree(model: SOEModel) -> None:
    s = model.state
    sub = model.subtree(24)
    layers = s.layer[sub].copy()
    checked_move(model, 24, 5)  # under G1-05, a layer-2 entity
    check_invariants(model)
    assert (s.layer[sub] == layers + 2).all()
    assert hq_rows(model) == [0, 13]


def test_exit_of_hq_needs_an_empty_group(model: SOEModel) -> None:
    expect_refused(model, "exit HQ", lambda: model.exit(24, fate="closed", **RULE))
    for child in children_of(model, 24):
        checked_move(model, child, 0)
    checked_exit(model, 24, "deregistered", proceeds=5.0, cost=1.0)
    check_invariants(model)
    assert hq_rows(model) == [0, 13]


def test_exit_of_subsidiary_moves_children_up_and_pays_parent(model: SOEModel) -> None:
    s = model.state
    row = 2  # G1-02, child of G1-01, parent of G1-03
    assert children_of(model, row) == [3]
    checked_exit(model, row, "transferred_out", proceeds=100.0, cost=7.5)
    check_invariants(model)
    assert s.parent[3] == 1 and s.layer[3] == 3 and s.layer[4] == 4


def test_invalid_operations_are_refused(model: SOEModel) -> None:
    expect_refused(model, "bad fate", lambda: model.exit(3, fate="merged", **RULE))
    expect_refused(model, "move under self", lambda: model.move(1, 1, **RULE))
    expect_refused(model, "move under grandchild", lambda: model.move(1, 3, **RULE))
    expect_refused(model, "merge into self", lambda: model.merge(5, 5, **RULE))
    expect_refused(model, "merge HQ into member", lambda: model.merge(0, 12, **RULE))
    checked_exit(model, 5, "closed", 0.0, 0.0)
    expect_refused(model, "move dead", lambda: model.move(5, 0, **RULE))
    expect_refused(model, "move under dead", lambda: model.move(6, 5, **RULE))
    expect_refused(model, "merge into dead", lambda: model.merge(6, 5, **RULE))
    expect_refused(model, "exit dead", lambda: model.exit(5, fate="closed", **RULE))
    expect_refused(model, "enter under dead", lambda: model.enter(one_entry(5), **RULE))
    expect_refused(model, "enter under -1", lambda: model.enter(one_entry(-1), **RULE))
    check_invariants(model)


def test_long_run_keeps_invariants() -> None:
    """A year of the economy on a few hundred entities, with structural events every month."""
    economy = EconomyConfig(bankruptcy_hazard=0.5, soft_budget=0.3, entry_rate=0.5)
    model = build_model(300, 0, 7, economy)
    for _ in range(12):
        model.step()
        check_invariants(model)
    ops = set(new_ops(model, 0))
    assert {"enter", "exit"} <= ops


# -- the checker catches what it should -------------------------------------------------------
def _corrupt_layer(m: SOEModel) -> None:
    m.state.layer[3] += 1


def _corrupt_cycle(m: SOEModel) -> None:
    m.state.parent[1] = 3


def _corrupt_group(m: SOEModel) -> None:
    m.state.group[5] = 13


def _corrupt_children(m: SOEModel) -> None:
    m.entity(0).children.append(m.entity(3))


def _corrupt_dead_parent(m: SOEModel) -> None:
    m.state.alive[1] = False
    m.state.fate[1] = FATE_CODE["closed"]
    m.state.died[1] = 0


def _corrupt_fate(m: SOEModel) -> None:
    m.merge(5, 0, **RULE)
    m.state.fate[5] = 0


def _corrupt_missing_event(m: SOEModel) -> None:
    m.exit(5, fate="closed", **RULE)
    del m.events.rows[-1]


def _corrupt_double_fate(m: SOEModel) -> None:
    m.exit(5, fate="closed", **RULE)
    m.events.rows.append(m.events.rows[-1])


def _corrupt_agents(m: SOEModel) -> None:
    m.deregister_agent(m.entity(7))


def _corrupt_nan(m: SOEModel) -> None:
    m.state.cash[8] = np.nan


def _corrupt_inf(m: SOEModel) -> None:
    m.state.liabilities[8] = np.inf


def _corrupt_hq_loan(m: SOEModel) -> None:
    m.state.intra_loan[13] = 1.0


def _corrupt_dead_stock(m: SOEModel) -> None:
    m.exit(5, fate="closed", **RULE)
    m.state.cash[5] = 1.0


def _corrupt_duplicate_id(m: SOEModel) -> None:
    m.state.ids[5] = m.state.ids[4]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (_corrupt_layer, "layer is not the parent's layer"),
        (_corrupt_cycle, "cycle"),
        (_corrupt_group, "group is not the root"),
        (_corrupt_children, "children list of row 0"),
        (_corrupt_dead_parent, "parent is dead"),
        (_corrupt_fate, "dead rows without a fate code"),
        (_corrupt_missing_event, "without an exit or merge event"),
        (_corrupt_double_fate, "two fate events"),
        (_corrupt_agents, "model.agents is not exactly the live entities"),
        (_corrupt_nan, "cash is NaN"),
        (_corrupt_inf, "liabilities is not finite"),
        (_corrupt_hq_loan, "headquarters owe an intra-group loan"),
        (_corrupt_dead_stock, "dead rows still hold cash"),
        (_corrupt_duplicate_id, "duplicate entity ids"),
    ],
)
def test_check_invariants_names_the_broken_invariant(
    model: SOEModel, corrupt: Callable[[SOEModel], None], message: str
) -> None:
    check_invariants(model)
    corrupt(model)
    with pytest.raises(AssertionError, match=message):
        check_invariants(model)


# -- regressions: bugs these properties found (fixed in sim/model.py) -------------------------
def test_merge_into_own_hq_keeps_hq_free_of_intra_loans(model: SOEModel) -> None:
    """Was: merge passed the absorbed entity's loan (owed to its parent) to the absorber even when
    the absorber was the group headquarters, which has no parent to owe it to; the adopted reform
    hit this in month 8 (loss_cutting's 兼并重组), and the live table could not be reloaded."""
    s = model.state
    row = 2  # G1-02: layer 3, owes its parent G1-01 an intra-group loan
    assert s.parent[row] != 0 and s.group[row] == 0 and s.intra_loan[row] > 0
    checked_merge(model, row, 0)
    assert s.intra_loan[0] == 0.0
    check_invariants(model)
    validate_roster(model.entity_table(np.flatnonzero(s.alive)))  # reloadable as a roster


def test_move_refuses_a_parent_below_minus_one(model: SOEModel) -> None:
    """Was: move(row, -2) stored -2 as the parent."""
    expect_refused(model, "move(5, -2)", lambda: model.move(5, -2, **RULE))


def test_new_ids_stay_unique_when_a_live_table_is_reloaded(model: SOEModel) -> None:
    """Was: every model numbered new entities from N0000001, so a model started from a reloaded
    end-of-run table re-issued ids already in its roster."""
    spec = one_entry(5)
    model.enter(spec, **RULE)
    roster = validate_roster(model.entity_table(np.flatnonzero(model.state.alive)))
    successor = SOEModel(model.config, roster=roster)
    successor.enter(spec, **RULE)
    check_invariants(successor)


def test_enter_refuses_a_malformed_spec_without_side_effects(model: SOEModel) -> None:
    """Was: enter grew the state and debited the parents' cash before it found that the spec's
    arrays had unequal lengths, leaving rows without ids or agents."""
    bad = dataclasses.replace(
        one_entry(5), parents=np.array([5, 6]), assets=np.array([1.0, 2.0, 3.0])
    )
    expect_refused(model, "enter(malformed spec)", lambda: model.enter(bad, **RULE))


def test_the_adopted_reform_keeps_invariants_every_month() -> None:
    """The rules of the Chongqing 2024 reform drive all four operations; check every month."""
    from sim.compose import compose_config

    for seed in range(3):
        config = compose_config(
            "policy=chongqing_2024",
            "population=synthetic",
            "population.n_entities=1500",
            f"seed={seed}",
        )
        model = SOEModel(config)
        for _ in range(12):
            model.step()
            check_invariants(model)
