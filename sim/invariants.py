"""Consistency checks of a :class:`sim.model.SOEModel`: a debugging aid for rules and tests.

:func:`check_invariants` raises :class:`AssertionError` naming the first broken invariant, the rows
and the ids involved. It checks, in this order:

1. bookkeeping sizes: one id, one name and one agent per state row; ids unique;
2. fates: live rows have ``fate == 0`` and ``died == -1``; dead rows a real fate code and a month of
   death; no birth or death after the current month;
3. the live forest: every live entity's parent is -1 or a live row; no cycles; ``layer`` is the
   parent's layer plus one (headquarters: 1); ``group`` is the root (headquarters: its own row);
4. the agents: each live agent's ``children`` equals exactly the live rows whose parent it is (no
   duplicates, no dead agents), dead agents have no children, ``model.agents`` is exactly the live
   entities;
5. numbers: no NaN in cash, receivables, idle assets, intra-group loans; assets, liabilities and
   the equity base finite; a live headquarters owes no intra-group loan (it has no parent); only
   live headquarters carry an equity base; dead rows hold no assets, liabilities, cash, loans,
   equity base or staff (exit and merge zero them; the event log keeps the last balance sheet);
6. the event log accounts for every row: the start roster's ids followed by the ids of ``enter``
   events, in order, are exactly the state's ids; every dead row has exactly one ``exit`` or
   ``merge`` event (with its fate and month of death), every live row none, and no event names an
   entity after its fate event;
7. the ledger is the event log: each ledger total equals the sum of its event column (to 1e-9
   relative), so nothing changed the ledger without logging the action;
8. with parks: exactly the live zones are agents, and :meth:`sim.parks.submodel.Parks.check`
   (land conserved, every firm and zone accounted for in the park event log, totals equal to
   their event columns, class shares summing to 1).

Clarity beats speed here: vectorised where cheap, plain loops over agents and events otherwise.
Call it after every structural operation in tests, or after a rule while debugging one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple, NoReturn

import numpy as np

from sim.events import EVENT_COLUMNS
from sim.state import FATES, LEDGER_COLUMNS, EntityState

if TYPE_CHECKING:
    from sim.model import SOEModel

MAX_LISTED = 5
"""Rows named in a message; the rest are counted."""

FATE_OPS = ("exit", "merge")
"""Event operations that end an entity."""


def _fail(message: str) -> NoReturn:
    raise AssertionError(message)


def _where(st: EntityState, rows: Iterable[int] | np.ndarray) -> str:
    """``row 3 (G1-03), row 7 (G1-07) and 4 more`` for messages."""
    rows = [int(r) for r in rows]
    shown = [f"row {r} ({st.ids[r]})" if 0 <= r < len(st.ids) else f"row {r}" for r in rows]
    more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
    return ", ".join(shown[:MAX_LISTED]) + more


def check_invariants(model: SOEModel) -> None:
    """Raise AssertionError on the first broken invariant of ``model`` (see the module doc)."""
    st = model.state
    _check_sizes(model, st)
    _check_fates(model, st)
    _check_forest(st)
    _check_agents(model, st)
    _check_numbers(st)
    _check_events(model, st)
    _check_ledger(model)
    if model.parks is not None:
        _check_zone_agents(model)
        model.parks.check()


def _check_zone_agents(model: SOEModel) -> None:
    parks = model.parks
    assert parks is not None
    registered = {id(a) for a in model.agents}
    for agent in parks.agents:
        alive = bool(parks.zone_alive[agent.index])
        if alive != (id(agent) in registered):
            state = "live zone missing from" if alive else "absorbed zone still in"
            _fail(f"{state} model.agents: {agent.zone_id}")


def _check_ledger(model: SOEModel) -> None:
    for name, column in LEDGER_COLUMNS.items():
        i = EVENT_COLUMNS.index(column)
        summed = float(sum(float(row[i]) for row in model.events.rows))  # type: ignore[misc, arg-type]
        total = float(getattr(model.ledger, name))
        if abs(summed - total) > 1e-9 * max(1.0, abs(total)):
            _fail(f"ledger {name} = {total!r} but the events' {column} sum to {summed!r}")


# -- 1. sizes ---------------------------------------------------------------------------------
def _check_sizes(model: SOEModel, st: EntityState) -> None:
    n = st.n
    if len(st.ids) != n or len(st.names) != n:
        _fail(f"state has {n} rows but {len(st.ids)} ids and {len(st.names)} names")
    for name in EntityState.FIELDS:
        if getattr(st, name).shape != (n,):
            _fail(f"state column {name} has shape {getattr(st, name).shape}, expected ({n},)")
    if st.profit_hist.shape[1] != n:
        _fail(f"profit_hist has {st.profit_hist.shape[1]} columns, expected {n}")
    ids = np.asarray(st.ids, dtype=object)
    uniq, counts = np.unique(ids, return_counts=True)
    if uniq.size != n:
        dup = uniq[counts > 1][:MAX_LISTED].tolist()
        rows = [np.flatnonzero(ids == d).tolist() for d in dup]
        _fail(
            "duplicate entity ids: "
            + "; ".join(f"{d!r} at rows {r}" for d, r in zip(dup, rows, strict=True))
        )
    for row in range(n):
        try:
            agent = model.entity(row)
        except IndexError:
            _fail(
                f"no agent for state row {row} ({st.ids[row]}); rows without agents: {row}..{n - 1}"
            )
        if agent.row != row:
            _fail(f"agent at row {row} ({st.ids[row]}) says its row is {agent.row}")


# -- 2. fates ---------------------------------------------------------------------------------
def _check_fates(model: SOEModel, st: EntityState) -> None:
    alive, fate, died, born = st.alive, st.fate, st.died, st.born
    month = model.month
    bad = np.flatnonzero(alive & (fate != 0))
    if bad.size:
        _fail(f"live rows with a fate: {_where(st, bad)} (fates {fate[bad][:MAX_LISTED].tolist()})")
    bad = np.flatnonzero(alive & (died != -1))
    if bad.size:
        _fail(
            f"live rows with a month of death: {_where(st, bad)} "
            f"(died {died[bad][:MAX_LISTED].tolist()})"
        )
    bad = np.flatnonzero(~alive & ((fate <= 0) | (fate >= len(FATES))))
    if bad.size:
        _fail(
            f"dead rows without a fate code in 1..{len(FATES) - 1}: {_where(st, bad)} "
            f"(fates {fate[bad][:MAX_LISTED].tolist()})"
        )
    bad = np.flatnonzero(~alive & (died < 0))
    if bad.size:
        _fail(f"dead rows without a month of death (died < 0): {_where(st, bad)}")
    bad = np.flatnonzero(~alive & (died < born))
    if bad.size:
        _fail(
            f"dead rows that died before they were born: {_where(st, bad)} "
            f"(born {born[bad][:MAX_LISTED].tolist()}, died {died[bad][:MAX_LISTED].tolist()})"
        )
    bad = np.flatnonzero((born > month) | (born < 0) | (died > month))
    if bad.size:
        _fail(f"rows born or dead outside months 0..{month}: {_where(st, bad)}")


# -- 3. the live forest -----------------------------------------------------------------------
def _check_forest(st: EntityState) -> None:
    n, alive, parent = st.n, st.alive, st.parent
    live = np.flatnonzero(alive)
    p = parent[live]
    bad = live[(p < -1) | (p >= n)]
    if bad.size:
        _fail(
            f"live rows with a parent outside -1..{n - 1}: {_where(st, bad)} "
            f"(parents {parent[bad][:MAX_LISTED].tolist()})"
        )
    bad = live[(p >= 0) & ~alive[np.maximum(p, 0)]]
    if bad.size:
        _fail(
            f"live rows whose parent is dead: {_where(st, bad)} (parents {_where(st, parent[bad])})"
        )

    # climb to the roots, at most one step per live entity; anything still climbing is in a cycle
    depth = np.ones(live.size, dtype=np.int64)
    root = live.copy()
    anc = p.copy()
    for _ in range(live.size + 1):
        up = np.flatnonzero(anc >= 0)
        if up.size == 0:
            break
        depth[up] += 1
        root[up] = anc[up]
        anc[up] = parent[anc[up]]
    else:
        start = int(live[np.flatnonzero(anc >= 0)[0]])
        seen: list[int] = []
        row = start
        while row not in seen:
            seen.append(row)
            row = int(parent[row])
        cycle = seen[seen.index(row) :]
        if len(cycle) == 1:
            _fail(f"the live forest has a cycle: {_where(st, cycle)} is its own parent")
        _fail(
            f"the live forest has a cycle: {_where(st, cycle)}, each the parent of the one "
            "before it and the first the child of the last"
        )

    layer, group = st.layer, st.group
    hq = live[p < 0]
    bad = hq[layer[hq] != 1]
    if bad.size:
        _fail(
            f"group headquarters not at layer 1: {_where(st, bad)} "
            f"(layers {layer[bad][:MAX_LISTED].tolist()})"
        )
    sub = live[p >= 0]
    bad = sub[layer[sub] != layer[parent[sub]] + 1]
    if bad.size:
        _fail(
            f"layer is not the parent's layer + 1 for {_where(st, bad)} "
            f"(layers {layer[bad][:MAX_LISTED].tolist()}, parents' layers "
            f"{layer[parent[bad]][:MAX_LISTED].tolist()})"
        )
    bad = hq[group[hq] != hq]
    if bad.size:
        _fail(
            f"group headquarters whose group is not themselves: {_where(st, bad)} "
            f"(group rows {group[bad][:MAX_LISTED].tolist()})"
        )
    wrong = group[live] != root
    if wrong.any():
        bad = live[wrong]
        _fail(
            f"group is not the root of the ownership tree for {_where(st, bad)} "
            f"(group rows {group[bad][:MAX_LISTED].tolist()}, roots "
            f"{root[wrong][:MAX_LISTED].tolist()})"
        )
    if not np.array_equal(depth, layer[live]):  # implied by the checks above; kept as a backstop
        bad = live[depth != layer[live]]
        _fail(f"layer is not the depth in the tree for {_where(st, bad)}")


# -- 4. agents --------------------------------------------------------------------------------
def _check_agents(model: SOEModel, st: EntityState) -> None:
    alive, parent = st.alive, st.parent
    live = np.flatnonzero(alive)
    sub = live[parent[live] >= 0]
    expected: dict[int, list[int]] = {int(r): [] for r in live.tolist()}
    for row, p in zip(sub.tolist(), parent[sub].tolist(), strict=True):
        expected[p].append(row)
    for row in range(st.n):
        agent = model.entity(row)
        kids = [c.row for c in agent.children]
        if not alive[row]:
            if kids:
                _fail(f"dead entity {_where(st, [row])} still lists children {_where(st, kids)}")
            continue
        if len(set(kids)) != len(kids):
            dup = sorted({k for k in kids if kids.count(k) > 1})
            _fail(f"children list of {_where(st, [row])} repeats {_where(st, dup)}")
        for child in agent.children:
            if child is not model.entity(child.row):
                _fail(
                    f"children list of {_where(st, [row])} holds a stale agent for row {child.row}"
                )
        got, want = set(kids), set(expected[row])
        if got != want:
            dead = sorted(k for k in got if not alive[k])
            if dead:
                _fail(
                    f"children list of {_where(st, [row])} holds dead entities {_where(st, dead)}"
                )
            extra, missing = sorted(got - want), sorted(want - got)
            msg = f"children list of {_where(st, [row])} does not match the parent array:"
            if extra:
                msg += (
                    f" lists {_where(st, extra)} whose parents are "
                    f"{parent[extra][:MAX_LISTED].tolist()};"
                )
            if missing:
                msg += f" misses {_where(st, missing)} whose parent it is;"
            _fail(msg.rstrip(";"))

    zones = model.parks.agents if model.parks is not None else []
    live_zones = {
        id(a) for a in zones if model.parks is not None and model.parks.zone_alive[a.index]
    }
    agents = [a for a in model.agents if id(a) not in live_zones]  # the zones are checked apart
    rows = [getattr(a, "row", None) for a in agents]
    if None in rows:
        _fail(f"model.agents holds {rows.count(None)} agents that are not entities")
    in_set = [int(r) for r in rows if r is not None]
    if len(set(in_set)) != len(in_set):
        _fail("model.agents holds two agents for one row")
    for agent, row in zip(agents, in_set, strict=True):
        if not 0 <= row < st.n or agent is not model.entity(row):
            _fail(f"model.agents holds an agent for row {row} that is not model.entity({row})")
    got, want = set(in_set), set(live.tolist())
    if got != want:
        dead, missing = sorted(got - want), sorted(want - got)
        _fail(
            "model.agents is not exactly the live entities:"
            + (f" holds dead {_where(st, dead)};" if dead else "")
            + (f" misses live {_where(st, missing)}" if missing else "")
        )


# -- 5. numbers -------------------------------------------------------------------------------
def _check_numbers(st: EntityState) -> None:
    for name in ("cash", "receivables", "idle_assets", "intra_loan"):
        bad = np.flatnonzero(np.isnan(getattr(st, name)))
        if bad.size:
            _fail(f"{name} is NaN at {_where(st, bad)}")
    for name in ("assets", "liabilities", "equity_base"):
        values = getattr(st, name)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            _fail(
                f"{name} is not finite at {_where(st, bad)} "
                f"(values {values[bad][:MAX_LISTED].tolist()})"
            )
    live_hq = st.alive & (st.parent < 0)
    bad = np.flatnonzero(live_hq & (st.intra_loan != 0))
    if bad.size:
        _fail(
            f"group headquarters owe an intra-group loan (they have no parent): "
            f"{_where(st, bad)} (intra_loan {st.intra_loan[bad][:MAX_LISTED].tolist()})"
        )
    dead = ~st.alive
    for name in ("assets", "liabilities", "cash", "intra_loan", "equity_base", "employees"):
        values = getattr(st, name)
        bad = np.flatnonzero(dead & (values != 0))
        if bad.size:
            _fail(
                f"dead rows still hold {name} (it left the portfolio or passed to the "
                f"absorber): {_where(st, bad)} (values {values[bad][:MAX_LISTED].tolist()})"
            )
    bad = np.flatnonzero(st.alive & ~live_hq & (st.equity_base != 0))
    if bad.size:
        _fail(
            f"subsidiaries carry a group equity base: {_where(st, bad)} "
            f"(equity_base {st.equity_base[bad][:MAX_LISTED].tolist()})"
        )


# -- 6. the event log -------------------------------------------------------------------------
class _Event(NamedTuple):
    seq: int
    op: str
    entity_id: str
    target_id: str
    fate: str
    month: int


def _events(model: SOEModel) -> list[_Event]:
    cols = [EVENT_COLUMNS.index(c) for c in ("op", "entity_id", "target_id", "fate", "month")]
    out = []
    for i, row in enumerate(model.events.rows):
        op, entity_id, target_id, fate, month = (row[c] for c in cols)
        out.append(_Event(i, str(op), str(entity_id), str(target_id), str(fate), int(str(month))))
    return out


def _check_events(model: SOEModel, st: EntityState) -> None:
    events = _events(model)
    start_ids = model.state.ids[: model.n_start]
    entered = [e.entity_id for e in events if e.op == "enter"]
    created = start_ids + entered
    if created != st.ids:
        k = next(
            (i for i, (a, b) in enumerate(zip(created, st.ids, strict=False)) if a != b),
            min(len(created), len(st.ids)),
        )
        _fail(
            f"start roster ({len(start_ids)} ids) plus enter events ({len(entered)}) do not "
            f"account for the state's {len(st.ids)} ids: first difference at row {k} "
            f"(from the log {created[k] if k < len(created) else '<none>'!r}, "
            f"in the state {st.ids[k] if k < len(st.ids) else '<none>'!r})"
        )
    row_of = {entity_id: row for row, entity_id in enumerate(st.ids)}
    for e in events:
        if e.op == "enter" and st.born[row_of[e.entity_id]] != e.month:
            row = row_of[e.entity_id]
            _fail(
                f"{_where(st, [row])} entered in month {e.month} (event {e.seq}) but born is "
                f"{st.born[row]}"
            )

    fate_event: dict[str, _Event] = {}
    for e in events:
        if e.op in FATE_OPS and e.entity_id in fate_event:
            first = fate_event[e.entity_id]
            _fail(
                f"{e.entity_id!r} has two fate events: {first.seq} ({first.op}) and "
                f"{e.seq} ({e.op})"
            )
        for entity_id in (e.entity_id, e.target_id):
            if entity_id == "":
                continue
            if entity_id not in row_of:
                _fail(f"event {e.seq} ({e.op}) names unknown id {entity_id!r}")
            if entity_id in fate_event:
                first = fate_event[entity_id]
                _fail(
                    f"event {e.seq} ({e.op}) names {entity_id!r} after its fate event "
                    f"{first.seq} ({first.op})"
                )
        if e.op in FATE_OPS:
            fate_event[e.entity_id] = e

    alive = st.alive
    for entity_id, e in fate_event.items():
        row = row_of[entity_id]
        if alive[row]:
            _fail(f"live {_where(st, [row])} has a fate event {e.seq} ({e.op}, fate {e.fate!r})")
        code = int(st.fate[row])
        fate = FATES[code] if 0 <= code < len(FATES) else str(code)
        if e.fate != fate or (e.op == "merge") != (fate == "merged"):
            _fail(
                f"{_where(st, [row])} has fate {fate!r} but its fate event {e.seq} is "
                f"{e.op} with fate {e.fate!r}"
            )
        if e.month != st.died[row]:
            _fail(
                f"{_where(st, [row])} died in month {st.died[row]} but its {e.op} event "
                f"{e.seq} is in month {e.month}"
            )
    missing = [r for r in np.flatnonzero(~alive).tolist() if st.ids[r] not in fate_event]
    if missing:
        _fail(f"dead rows without an exit or merge event: {_where(st, missing)}")
