"""The SOE restructuring model: legal entities (法人) in group ownership trees, month by month.

Architecture (see README, "Architecture"): per-entity financial state lives in numpy arrays
(:class:`sim.state.EntityState`) updated vectorised by :class:`sim.economy.Economy`; one Mesa agent
per legal entity (:class:`Entity`) carries identity and structure (its row, its children) and is
created or removed by the sparse structural events. Every structural change goes through four
operations, :meth:`SOEModel.enter`, :meth:`SOEModel.exit`, :meth:`SOEModel.move` and
:meth:`SOEModel.merge`, which keep the tree, the arrays and the event log consistent. Rules propose,
the model applies.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

import mesa
import mesa.model
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals

from sim import rand, zombies
from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.economy import Economy, EntrySpec
from sim.events import EventLog
from sim.memory import release_freed_memory
from sim.metrics import (
    Baseline,
    Snapshot,
    entities,
    equity,
    group_indicators,
    group_sums,
    loss_makers_losses,
    operating_entities,
    portfolio_row,
)
from sim.parks.submodel import Parks
from sim.policies.engine import Policy
from sim.population.schema import STATUSES
from sim.rand import child_keys
from sim.sectors import SECTOR_CODE, SECTOR_NAMES, SECTOR_SHORT_ZH
from sim.state import (
    ADDITIVE,
    FATE_CODE,
    FATES,
    HISTORY_MONTHS,
    STOCKS_AND_FLOWS,
    EntityState,
    Ledger,
)
from sim.tree import tree_depths, tree_roots

STREAMS = ("population", "economy", "policy", "demand", "parks")
"""Sequential random streams spawned from the run seed. The sector demand path ("demand") draws
nothing that depends on the state, so two policies run with the same seed face the same macro
environment; the population, the entries ("economy": how many subsidiaries are founded and by
whom) and the rules' own draws ("policy") have their own streams. Per-entity draws (an entity's
shocks, its market exit, a zombie's fate) are not sequential: they are keyed by (seed, stream,
entity key, month) in :mod:`sim.rand`, so an entity meets the same shocks under every plan. The
park submodel's generated zone roster draws from "parks" (a stream added last: spawning one more
child leaves the others' seeds unchanged)."""


_ADDITIVE_FLOATS = EntityState.float_span(ADDITIVE)
_ADDITIVE_OTHERS = tuple(c for c in ADDITIVE if EntityState.FIELDS[c][0] != "float64")
_LEAVING_FLOATS = EntityState.float_span(STOCKS_AND_FLOWS)
_LEAVING_OTHERS = tuple(c for c in STOCKS_AND_FLOWS if EntityState.FIELDS[c][0] != "float64")
"""The columns a merger adds up and an exit zeroes: the float ones as a block of rows of
``EntityState.floats`` (one numpy call), the others by name."""
_EXIT_FATES = FATES[2:]
"""The fates of :meth:`SOEModel.exit` (not alive, not merged)."""


class StructureError(RuntimeError):
    """A structural operation would break the ownership forest (a bug in a rule, not bad input)."""


def month_label(start: dt.date, month: int) -> str:
    """``YYYY-MM`` of simulated month ``month`` (1 = the start month; 0 = the month before)."""
    index = start.year * 12 + start.month - 1 + month - 1
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def random_streams(seed: int) -> dict[str, np.random.Generator]:
    """One generator per named stream, all derived from ``seed``."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)}


def _start_roster(cfg: PopulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """The start roster ``cfg`` asks for (:func:`sim.population.build_roster`). A roster shipped
    with the package (``builtin:``) is read and validated once per process and copied for each
    run: ensembles run one preset for many seeds, and reading the Chongqing roster costs about a
    tenth of a run. Reading a file draws nothing from ``rng``, so this changes no result."""
    from sim.population import BUILTIN_PREFIX, build_roster, resolve_path

    if cfg.source == "roster" and cfg.path is not None and cfg.path.startswith(BUILTIN_PREFIX):
        path = resolve_path(cfg.path)
        try:
            stat = path.stat()
        except OSError:
            return build_roster(cfg, rng)  # the loader reports it
        return _shipped_roster(str(path), stat.st_mtime_ns, stat.st_size).copy()
    return build_roster(cfg, rng)


def _parent_rows(ids: pd.Series, parent_ids: pd.Series) -> np.ndarray:
    """Row of each entity's parent, -1 for a headquarters (``parent_id`` empty).

    Replaces ``pd.Index(ids).get_indexer`` on the non-empty parent ids, which hashes a million
    Python strings. Arrow numbers the ids and then the parent ids by one hash table, in C++:
    a string's number is its first appearance, so with unique ids id ``i`` is number ``i``,
    and a parent id numbered below ``n`` is that row, as ``get_indexer`` finds it; one numbered
    ``n`` or more is not an id (-1, as before). Ids that are not unique (a roster that skipped
    validation) take the pandas path, which rejects them."""
    n = len(ids)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    id_arr = pa.array(ids, type=pa.large_string())
    parent_arr = pa.array(parent_ids, type=pa.large_string())
    encoded = pa.chunked_array([id_arr, parent_arr], type=pa.large_string()).dictionary_encode()
    codes = np.concatenate(
        [pc.fill_null(chunk.indices, -1).to_numpy() for chunk in encoded.chunks]
    ).astype(np.int64)
    if not np.array_equal(codes[:n], np.arange(n)):
        has_parent = parent_ids.to_numpy() != ""
        parent = np.full(n, -1, dtype=np.int64)
        parent[has_parent] = pd.Index(ids).get_indexer(parent_ids.to_numpy()[has_parent])
        return parent
    parent = codes[n:]
    parent[parent >= n] = -1
    parent[pc.fill_null(pc.equal(parent_arr, ""), False).to_numpy(zero_copy_only=False)] = -1
    return parent


def _codes(values: pd.Series, code: Mapping[str, int]) -> np.ndarray:
    """``values.map(code).to_numpy()`` for a column of known labels, by an Arrow lookup
    (``Series.map`` goes through a million Python strings). A label not in ``code`` takes
    the pandas path, so an unknown label fails (or not) exactly as before."""
    labels = pa.array(list(code), type=pa.large_string())
    found = pc.index_in(pa.array(values, type=pa.large_string()), value_set=labels)
    if found.null_count:
        return values.map(code).to_numpy()
    return np.asarray(list(code.values()), dtype=np.int64)[found.to_numpy()]


@functools.lru_cache(maxsize=4)
def _shipped_roster(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """The validated roster at ``path`` (keyed by its modification time and size too, so a file
    changed meanwhile is read again). Shared: callers copy it."""
    from sim.population.roster import load_roster

    return load_roster(path)


class Entity(mesa.Agent):
    """A legal entity (法人): a group headquarters (layer 1) or a subsidiary (子企业).

    Financial state is in ``model.state`` at row ``row``; the agent holds identity and structure.
    """

    model: SOEModel
    children: Sequence[Entity] = ()
    """Direct subsidiaries (live). A shared empty tuple until the first child: most entities are
    leaves, and a million empty lists cost ~60 MB."""

    def __init__(self, model: SOEModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @classmethod
    def create_rows(cls, model: SOEModel, rows: range) -> list[Entity]:
        """One agent per state row in ``rows`` (consecutive), registered with ``model``, in order.

        Replaces ``[Entity(model, row) for row in rows]``, whose ``Agent.__init__`` calls
        ``Model.register_agent`` once per agent through Mesa's signal wrapper (a ``notify`` call
        and a debug message formatted per agent): about 4 us an agent, seconds at a million.
        Here the agents get the attributes ``Agent.__init__`` gives them, in the same order
        (``model``, ``unique_id``, ``pos``, then ``row``: the instances share one key table), and
        are added to ``model.agents`` and ``model.agents_by_type[cls]`` in one dict update each,
        with the unique ids ``register_agent`` would have handed out (consecutive from
        ``model.agent_id_counter``). The result is the same registry, in the same order.

        Mesa's ``AGENT_ADDED`` signal goes out per agent in the ordinary way only if someone
        could receive it; when something observes it (or a signal batch is open), when the
        agent type feeds a Mesa dataset, when Mesa's debug log is on, or when the model
        overrides ``register_agent``, the agents are made one by one with ``cls(model, row)``.

        A row number and a unique id that are equal share one int object (ids run one ahead
        of rows when only entities are registered): 32 bytes an agent less, no other effect.
        """
        if _registers_one_by_one(model, cls):
            return [cls(model, row) for row in rows]
        k = len(rows)
        first_id = model.agent_id_counter
        ids = range(first_id, first_id + k)
        lo, hi = min(rows.start, first_id), max(rows.stop, first_id + k)
        if hi - lo <= 2 * k:  # overlapping ranges: one int object for each value in either
            pool = list(range(lo, hi))
            row_objs = pool[rows.start - lo : rows.stop - lo]
            id_objs = pool[first_id - lo : first_id - lo + k]
        else:
            row_objs, id_objs = list(rows), list(ids)
        new = object.__new__
        agents: list[Entity] = []
        add = agents.append
        for unique_id, row in zip(id_objs, row_objs, strict=True):
            # Each agent gets its attributes before the next is made: an instance made while
            # the class's key table was still empty would need a dict of its own (+220 bytes).
            agent = new(cls)
            agent.model = model
            agent.unique_id = unique_id  # type: ignore[assignment]  # Mesa declares it None
            agent.pos = None
            agent.row = row
            add(agent)
        model.agent_id_counter = first_id + k
        fresh = dict.fromkeys(agents)
        model.agents._agents.update(fresh)
        by_type = model.agents_by_type
        if cls not in by_type and agents:
            by_type[cls] = _HardKeyAgentSet([], random=model.random)
        if agents:
            by_type[cls]._agents.update(fresh)  # from a dict: its hashes are reused
        return agents

    def add_child(self, child: Entity) -> None:
        """Record a new direct subsidiary (structural operations only)."""
        if self.children:
            cast(list[Entity], self.children).append(child)
        else:
            self.children = [child]

    def remove_child(self, child: Entity) -> None:
        """Forget a direct subsidiary (structural operations only)."""
        cast(list[Entity], self.children).remove(child)

    @property
    def entity_id(self) -> str:
        """The roster id."""
        return self.model.state.ids[self.row]

    @property
    def name(self) -> str:
        """The registered name."""
        return self.model.state.names[self.row]

    @property
    def parent(self) -> Entity | None:
        """The direct parent, or None for a group headquarters."""
        p = int(self.model.state.parent[self.row])
        return self.model.entity(p) if p >= 0 else None

    @property
    def layer(self) -> int:
        """Management layer, 1 = group headquarters."""
        return int(self.model.state.layer[self.row])

    @property
    def group(self) -> Entity:
        """The group headquarters this entity belongs to."""
        return self.model.entity(int(self.model.state.group[self.row]))

    @property
    def alive(self) -> bool:
        """Whether the entity is still in the portfolio."""
        return bool(self.model.state.alive[self.row])

    def __repr__(self) -> str:
        return f"Entity({self.entity_id!r}, layer={self.layer})"


def _registers_one_by_one(model: mesa.Model, cls: type[mesa.Agent]) -> bool:
    """Whether agents of ``cls`` must go through ``Agent.__init__`` one by one to keep Mesa's
    behaviour (see :meth:`Entity.create_rows`): someone may receive the ``AGENT_ADDED``
    signal, the type is tracked by a Mesa dataset, Mesa's debug log is on, or the model
    registers agents its own way."""
    internals = ("_suppress", "_batch_context", "subscribers")
    if (_MESA_MODEL_LOG is None or not all(hasattr(model, a) for a in internals)
            or not hasattr(model.agents, "_agents")):  # fmt: skip
        return True  # another Mesa than the one this fast path was written for: the slow path
    signalled = not model._suppress and (
        model._batch_context is not None
        or ("agents", ModelSignals.AGENT_ADDED) in model.subscribers
    )
    return (
        signalled
        or bool(getattr(cls, "_datasets", ()))
        or _MESA_MODEL_LOG.isEnabledFor(logging.DEBUG)
        or type(model).register_agent is not mesa.Model.register_agent
        or cls.__init__ is not Entity.__init__  # a subclass that does more on creation
    )


_MESA_MODEL_LOG: logging.Logger | None = getattr(mesa.model, "_mesa_logger", None)
"""The logger ``Model.register_agent`` writes its per-agent debug message to."""


class SOEModel(mesa.Model):
    """A portfolio of SOE groups under a restructuring policy; one step is one month."""

    def __init__(self, config: SimConfig, roster: pd.DataFrame | None = None) -> None:
        super().__init__(rng=config.seed)
        self.config = config
        self._month = 0
        self._date = month_label(config.start_date, 0)
        """The clock as plain attributes, set at the start of each step: the structural
        operations read it for every event, and ``model.time`` is a Mesa observable (slower)."""
        self.streams = random_streams(config.seed)
        self._entities: list[Entity] = []
        self._group_names: dict[int, str] = {}
        """Names of the headquarters that founded entities so far, by row (names never change)."""
        self._start_history: tuple[np.ndarray, np.ndarray] | None = None
        """The roster's zombie history, applied once the economy has set the start flows."""
        self._load(roster)
        self.economy = Economy(
            config.economy, self.streams["economy"], self.streams["demand"], seed=config.seed
        )
        self.economy.initialise(self.state)
        if self._start_history is not None:
            zombies.initial_history(self.state, config.economy, *self._start_history)
            zombies.classify(self.state, config.economy)
            self._start_history = None
        # Month 0 is the month before the start: its year to date is that share of the TTM.
        self._month0_of_year = int(month_label(config.start_date, 0)[5:7])
        self.state.profit_ytd[:] = self.state.ttm_profit() * (self._month0_of_year / 12.0)
        self.events = EventLog()
        self.pending_entries: EntrySpec | None = None
        self._deferred: dict[str, int] = {}
        self.policy = Policy(config.policy, self.streams["policy"], config.start)
        self.stages: list[tuple[str, Callable[[SOEModel], None]]] = [
            ("economy", SOEModel._economy_stage),
            ("market", SOEModel._market_stage),
            ("policy", self.policy.step),
            ("entries", SOEModel._entry_stage),
            ("record", SOEModel._record),
        ]
        """The month, in order: each stage is a function of the model (a new submodel adds one)."""
        self.parks: Parks | None = None
        """The park submodel (zones and firms, :mod:`sim.parks`) when ``parks.enabled``."""
        if config.parks.enabled:
            self.parks = Parks(self, config.parks, config.population.zones)
            self.stages.insert(3, ("parks", self.parks.step))
        self.start_roster = self.entity_table() if config.output.entities else None
        """The start state in the roster schema (``entities_start``), kept when entity tables are
        output (a million-entity table is ~250 MB)."""
        start = Snapshot.take(self.state, Baseline())
        self.baseline = Baseline(
            equity=equity(start),
            entities=entities(start),
            operating_entities=operating_entities(start),
            losses=loss_makers_losses(start) * 12.0 / self._month0_of_year,
        )
        self._timeseries: list[dict[str, float | int | str]] = []
        self._groups: list[tuple[int, str, dict[str, np.ndarray]]] = []
        """Per recorded month: (month, date, group_sums); the indicators are derived at the end."""
        self._record()

    # -- construction -------------------------------------------------------------------------
    def _load(self, roster: pd.DataFrame | None) -> None:
        """Fill the state from the roster (built from the config when None), then create one
        agent per entity. A roster built here is freed before the agents are made, which at a
        million entities lowers peak memory by its size."""
        if roster is None:
            roster = _start_roster(self.config.population, self.streams["population"])
        n = len(roster)
        self.n_start = n
        """Entities at month 0: rows 0 .. n_start - 1."""
        econ, months = self.config.economy, self.config.months
        # Room for the entries expected over the run, so the arrays are not copied mid-run.
        self.state = st = EntityState(n, headroom=1.1 * econ.entry_rate * months / 12)
        id_col = roster["id"]
        # Only ids starting with N can match; the same extraction on those alone.
        numbered = id_col[id_col.str.startswith("N", na=False).to_numpy(dtype=bool)]
        numbered = numbered.str.extract(r"^N(\d+)$", expand=False).dropna()
        self._new_ids = int(numbered.astype("int64").max()) if len(numbered) else 0
        """Entities founded during the run are numbered on from the largest N-number in the roster,
        so a reloaded end-of-run table never sees an id again."""
        st.ids.extend(id_col.tolist())
        st.names.extend(pa.array(roster["name"], type=pa.string()))
        parent = _parent_rows(id_col, roster["parent_id"])
        st.parent[:] = parent
        st.layer[:] = tree_depths(parent)
        st.group[:] = tree_roots(parent)
        st.alive[:] = True
        st.sector[:] = _codes(roster["sector"], SECTOR_CODE)
        st.status[:] = _codes(roster["status"], {s: i for i, s in enumerate(STATUSES)})
        st.core[:] = roster["core"].to_numpy(dtype=bool)
        for col in ("assets", "liabilities", "cash", "receivables", "idle_assets", "land_mu"):
            getattr(st, col)[:] = roster[col].to_numpy(dtype=np.float64)
        st.intra_loan[:] = roster["intra_group_loan"].to_numpy(dtype=np.float64)
        st.employees[:] = roster["employees"].to_numpy(dtype=np.int64)
        revenue = roster["revenue"].to_numpy(dtype=np.float64) / 12.0
        opcost = roster["operating_cost"].to_numpy(dtype=np.float64) / 12.0
        fixed_share = self.config.economy.fixed_cost_share
        st.revenue_base[:] = revenue
        st.productivity[:] = 1.0
        st.fixed_cost[:] = np.where(revenue > 0, fixed_share * opcost, opcost)
        st.var_cost_ratio[:] = np.divide(
            (1.0 - fixed_share) * opcost, revenue, out=np.zeros(n), where=revenue > 0
        )
        st.gov_cost[:] = roster["gov_function_cost"].to_numpy(dtype=np.float64) / 12.0
        st.died[:] = -1
        st.key[:] = np.arange(n, dtype=np.uint64)  # initial entities: key = row
        self._foundings: tuple[int, dict[int, int]] = (0, {})
        """(month, founder key -> entities it founded that month), for new entities' keys."""
        hq = parent < 0
        st.equity_base[:] = np.where(hq, np.bincount(st.group, weights=st.equity(), minlength=n), 0)
        self._start_history = (
            roster["loss_years"].to_numpy(dtype=np.int64),
            roster["support_last_year"].to_numpy(dtype=np.float64),
        )
        del roster, id_col
        release_freed_memory()
        self._entities = Entity.create_rows(self, range(n))
        self._link_children(parent)

    def _link_children(self, parent: np.ndarray) -> None:
        """Give each start entity its direct subsidiaries, in row order.

        Replaces ``add_child`` once per subsidiary in row order (a million method calls): the
        subsidiaries sorted stably by parent are each parent's children in row order, so each
        parent gets its run of that order as one list slice, the list ``add_child`` would
        have built."""
        kids = np.flatnonzero(parent >= 0)
        if kids.size == 0:
            return
        kids = kids[np.argsort(parent[kids], kind="stable")]
        owners, first = np.unique(parent[kids], return_index=True)
        agents = self._entities
        ordered = [agents[row] for row in kids.tolist()]
        bounds = [*first.tolist(), kids.size]
        for owner, a, b in zip(owners.tolist(), bounds, bounds[1:], strict=False):
            agents[owner].children = ordered[a:b]

    # -- lookup -------------------------------------------------------------------------------
    @property
    def month(self) -> int:
        """Months simulated so far (the Mesa clock ``model.time``, read when a step starts)."""
        return self._month

    @property
    def date(self) -> str:
        """``YYYY-MM`` of the month last simulated (month 0: the month before the start)."""
        return self._date

    def entity(self, row: int) -> Entity:
        """The agent at a state row (also for entities that have exited)."""
        return self._entities[row]

    def row_of(self, entity_id: str) -> int:
        """State row of a roster id (linear search; for tests and notebooks, not inner loops)."""
        return self.state.ids.index(entity_id)

    def groups(self) -> list[Entity]:
        """Live group headquarters."""
        st = self.state
        return [self._entities[r] for r in np.flatnonzero(st.alive & (st.parent < 0)).tolist()]

    def subtree(self, row: int) -> list[int]:
        """Rows of an entity and all its live descendants, the entity first."""
        out, stack = [], [self._entities[row]]
        while stack:
            ent = stack.pop()
            out.append(ent.row)
            stack.extend(ent.children)
        return out

    def is_ancestor(self, ancestor: int, row: int) -> bool:
        """Whether ``ancestor`` is ``row`` or one of its ancestors."""
        parent = self.state.parent
        while row >= 0:
            if row == ancestor:
                return True
            row = parent.item(row)
        return False

    @property
    def ledger(self) -> Ledger:
        """Cumulative flows: the sums of the event log's flow columns."""
        return self.events.ledger

    @property
    def economy_params(self) -> EconomyConfig:
        """The economy's parameters."""
        return self.config.economy

    def set_soft_budget(self, share: float) -> None:
        """Share of a subsidiary's cash shortfall its parent covers, from now on."""
        self.economy.soft_budget = share

    def has_children(self, row: int) -> bool:
        """Whether the entity has live subsidiaries."""
        return bool(self._entities[row].children)

    def latest_indicators(self) -> dict[str, float | int | str] | None:
        """The portfolio indicators recorded last (month - 1 while a month is being simulated)."""
        return self._timeseries[-1] if self._timeseries else None

    # -- the month ----------------------------------------------------------------------------
    def step(self) -> None:
        """One month: each stage in :attr:`stages` (economy, market exits and proposed entries,
        the policy's rules, entries founded, the metrics recorded)."""
        month = int(self.time)
        if month != self._month:
            self._month, self._date = month, month_label(self.config.start_date, month)
        for _, stage in self.stages:
            stage(self)

    def _economy_stage(self) -> None:
        if self.date.endswith("-01"):  # the reporting year starts: year-to-date flows restart
            self.state.profit_ytd[:] = 0.0
            self.state.one_off_ytd[:] = 0.0
        self.economy.step(self.state, self.month)

    def _market_stage(self) -> None:
        """Market exits, and the entries the market proposes (founded after the policy stage)."""
        st = self.state
        # Own-books equity after the month's trading; entry eligibility uses it too (founders are
        # judged on the books before this month's exits).
        solo = st.solo_equity()
        for row in self.economy.propose_bankruptcies(st, solo).tolist():
            self._liquidate(row, "insolvent without parent support")
        self._zombie_fates()
        self.pending_entries = self.economy.propose_entries(st, solo)

    def _liquidate(self, row: int, reason: str) -> None:
        """A market exit (bankrupt): assets sold at the economy's liquidation recovery rate, the
        parent gets any surplus, creditors bear any shortfall."""
        st = self.state
        recovery = self.config.economy.liquidation_recovery * st.assets[row]
        self.exit(
            row,
            fate="bankrupt",
            proceeds=max(recovery - st.liabilities[row], 0.0),
            creditor_loss=max(st.liabilities[row] - recovery, 0.0),
            rule="economy",
            reason=reason,
        )

    def _zombie_fates(self) -> None:
        """Zombies unaided (:mod:`sim.zombies`): some restructure and recover, some are forced
        out by their creditors (more as the budget constraint hardens)."""
        st, econ = self.state, self.config.economy
        rows = np.flatnonzero(st.zombie & st.alive)
        if rows.size == 0:
            return
        draws = rand.uniform(self.config.seed, rand.STREAM_ZOMBIE, st.key[rows], self.month)
        exit_p = zombies.monthly_hazard(econ.zombie_exit_rate) * zombies.hardness(
            econ, self.economy.soft_budget
        )
        recover_p = zombies.monthly_hazard(econ.zombie_recovery_rate)
        leaving = rows[(draws < exit_p) & (st.parent[rows] >= 0)]
        for row in leaving.tolist():
            self._liquidate(row, "zombie forced out by its creditors")
        # Recovery from the top of the unit interval, exit from the bottom: a harder budget
        # constraint widens the exit band without moving who recovers (pairing across plans).
        recovering = rows[(draws >= max(exit_p, 1.0 - recover_p)) & st.alive[rows]]
        cut = zombies.restructure(st, econ, recovering)
        for row, share in zip(recovering.tolist(), cut.tolist(), strict=True):
            reason = f"zombie restructured with its creditors: costs cut {share:.0%}"
            self.note("restructure", row, rule="economy", reason=reason)

    def _entry_stage(self) -> None:
        """Found the month's approved entries whose founder is still alive."""
        spec, self.pending_entries = self.pending_entries, None
        if spec is not None:
            spec = spec.where(self.state.alive[spec.parents])
        if spec is not None:
            self.enter(spec, rule="economy", reason="new subsidiary founded")

    def _record(self) -> None:
        for rule, count in self._deferred.items():
            self.events.record(
                month=self.month, date=self.date, op="deferred", entity_id="", rule=rule,
                reason="proposals refused for lack of capacity, budget or job headroom",
                flows={"actions_deferred": count},
            )  # fmt: skip
        self._deferred.clear()
        if self.month > 0:  # month 0's year to date is the start year's TTM (set at load)
            self.state.profit_ytd += self.state.profit
        snap = Snapshot.take(self.state, self.baseline, self.ledger, int(self.date[5:7]))
        # The group sums first: the portfolio's layer counts are then read off theirs.
        sums = group_sums(snap) if self.config.output.groups or self.month == 0 else None
        row: dict[str, float | int | str] = {"month": self.month, "date": self.date}
        row.update(portfolio_row(snap))
        self._timeseries.append(row)
        if sums is not None:
            self._groups.append((self.month, self.date, sums))

    # -- structural operations ----------------------------------------------------------------
    def _check_alive(self, row: int, what: str) -> None:
        st = self.state
        if not (0 <= row < st.n) or not st.alive.item(row):
            raise StructureError(f"{what} row {row} is not a live entity")

    def event(
        self,
        op: str,
        row: int,
        *,
        rule: str,
        reason: str,
        target: int = -1,
        group: int = -1,
        new_group: int = -1,
        fate: str = "",
        flows: Mapping[str, float] | None = None,
    ) -> None:
        """Log an event about the entity at ``row`` (its balance sheet as it stands now) with
        the action's flows (:data:`sim.events.FLOW_COLUMNS`)."""
        st = self.state
        ids = st.ids
        a, li = st.assets.item(row), st.liabilities.item(row)
        # The row as EventLog.record would build it, appended directly: this runs for most
        # events, and the keyword call costs more than the rest of it.
        self.events.append(
            (
                self._month,
                self._date,
                op,
                ids[row],
                ids[target] if target >= 0 else "",
                ids[group] if group >= 0 else "",
                ids[new_group] if new_group >= 0 else "",
                rule,
                reason,
                fate,
                a,
                li,
                a - li,
                st.employees.item(row),
            ),
            flows,
        )

    def enter(self, spec: EntrySpec, *, rule: str, reason: str) -> np.ndarray:
        """Found new subsidiaries: each parent pays the equity injection from its cash.

        Consolidated effect: the group's assets and liabilities both grow by the new entity's
        external debt (the injection only moves cash inside the group).

        Each new entity's ``key`` (behind its random draws) is a hash of its founder's key, the
        month and its ordinal among the entities that founder founded this month, in the order
        of ``spec`` (:func:`sim.rand.child_keys`): the same founding gets the same key, and so
        the same shocks, under every plan that makes it.
        """
        st = self.state
        k = spec.parents.size
        lengths = {name: np.shape(getattr(spec, name)) for name in spec.__dataclass_fields__}
        if any(shape != (k,) for shape in lengths.values()):
            raise StructureError(f"EntrySpec arrays must all have length {k}: {lengths}")
        for p in np.unique(spec.parents).tolist():
            self._check_alive(p, "parent")
        rows = st.grow(k)
        r = np.arange(rows.start, rows.stop)
        parents = spec.parents
        np.subtract.at(st.cash, parents, spec.equity_injection)
        np.subtract.at(st.assets, parents, spec.equity_injection)
        st.parent[rows] = parents
        st.group[rows] = st.group[parents]
        st.layer[rows] = st.layer[parents] + 1
        st.alive[rows] = True
        st.born[rows] = self.month
        st.died[rows] = -1
        # key: hash of (founder's key, birth month, ordinal among its foundings this month)
        if self._foundings[0] != self.month:
            self._foundings = (self.month, {})
        founded = self._foundings[1]
        founder_keys = st.key[parents]
        ordinals = np.empty(k, dtype=np.int64)
        for i, fk in enumerate(founder_keys.tolist()):
            before = founded.get(fk, 0)
            ordinals[i] = before
            founded[fk] = before + 1
        st.key[rows] = child_keys(founder_keys, self.month, ordinals)
        st.sector[rows] = spec.sector
        st.core[rows] = spec.core
        st.assets[rows] = spec.assets
        st.liabilities[rows] = spec.liabilities
        st.cash[rows] = spec.assets
        st.revenue_base[rows] = spec.revenue_base
        st.productivity[rows] = 1.0
        st.var_cost_ratio[rows] = spec.var_cost_ratio
        st.fixed_cost[rows] = spec.fixed_cost
        st.employees[rows] = spec.employees
        st.land_mu[rows] = spec.land_mu
        st.since_support[rows] = self.config.economy.zombie_window
        self._found(rows, spec, rule=rule, reason=reason)
        return r

    def _found(self, rows: slice, spec: EntrySpec, *, rule: str, reason: str) -> None:
        """The ids, names, agents and ``enter`` events of the entities just founded at
        ``rows`` (their state already set), in ``spec`` order.

        Replaces a loop that numbered, named, created (``Entity(self, row)``), linked and
        logged one entity at a time: the ids and names are built as two lists, the agents by
        :meth:`Entity.create_rows` (the same agents and unique ids, in row order), each is
        appended to its founder's children in that order, and the events are the same tuples."""
        st = self.state
        parents = spec.parents.tolist()
        groups = st.group[spec.parents].tolist()
        group_names = self._group_names
        for g in set(groups).difference(group_names):
            group_names[g] = st.names[g]
        first = self._new_ids + 1
        numbers = range(first, first + len(parents))
        self._new_ids += len(parents)
        new_ids = [f"N{i:07d}" for i in numbers]
        st.ids.extend(new_ids)
        st.names.append_many(
            [
                f"{group_names[g]}{SECTOR_SHORT_ZH[sector]}新设{i}号公司"
                for g, sector, i in zip(groups, spec.sector.tolist(), numbers, strict=True)
            ]
        )
        agents = Entity.create_rows(self, range(rows.start, rows.stop))
        self._entities.extend(agents)
        owners = self._entities
        for p, agent in zip(parents, agents, strict=True):
            owner = owners[p]
            if owner.children:
                cast(list[Entity], owner.children).append(agent)
            else:
                owner.children = [agent]
        month, date, ids = self.month, self.date, st.ids
        assets, liabilities = spec.assets.tolist(), spec.liabilities.tolist()
        staff = spec.employees.tolist()
        head, why = (month, date, "enter"), (rule, reason, "")
        self.events.extend_entries(
            [
                (*head, new_id, ids[p], ids[g], ids[g], *why, a, li, a - li, n)
                for new_id, p, g, a, li, n in zip(
                    new_ids, parents, groups, assets, liabilities, staff, strict=True
                )
            ]
        )

    def exit(
        self,
        row: int,
        *,
        fate: str,
        rule: str,
        reason: str,
        proceeds: float = 0.0,
        cost: float = 0.0,
        creditor_loss: float = 0.0,
        jobs: int = 0,
    ) -> None:
        """Remove an entity from the portfolio: closure, bankruptcy, transfer out, deregistration.

        Its external assets and liabilities leave; its parent receives ``proceeds`` (sale price or
        liquidation surplus) and pays ``cost`` (severance, fees); the difference to the entity's
        equity is booked in the parent's profit. ``jobs`` counts the employees affected. Its
        subsidiaries are first moved up to its parent. A group headquarters can exit only once it
        has no subsidiaries; it has no parent, so its proceeds and costs go to or come from its
        owner (the state), outside the portfolio, and are logged (and in the ledger) all the
        same. The event is written after all of this, before the row is retired.
        """
        if fate not in _EXIT_FATES:
            raise StructureError(f"unknown exit fate {fate!r}; expected one of {_EXIT_FATES}")
        self._check_alive(row, "exiting")
        st = self.state
        agent = self._entities[row]
        p = st.parent.item(row)
        if agent.children and p < 0:
            raise StructureError(f"group headquarters {st.ids[row]} has subsidiaries; merge it")
        if agent.children:
            moved = f"parent {st.ids[row]} exited"
            for child in list(agent.children):
                self.move(child.row, p, rule=rule, reason=moved)
        one_off = 0.0
        if p >= 0:
            st.cash[p] += proceeds - cost
            st.assets[p] += proceeds - cost
            one_off = proceeds - cost - (st.assets.item(row) - st.liabilities.item(row))
            self._book(p, one_off)
            self._entities[p].remove_child(agent)
        flows = {"proceeds": proceeds, "cost": cost, "creditor_loss": creditor_loss,
                 "jobs_affected": jobs, "one_off": one_off}  # fmt: skip
        self.event("exit", row, rule=rule, reason=reason, group=st.group.item(row), fate=fate,
                   flows=flows)  # fmt: skip
        self._retire(row, fate)

    def _book(self, row: int | np.ndarray, amount: float | np.ndarray) -> None:
        """Book a one-off gain (or loss, negative) in this month's profit of ``row`` (or of an
        array of rows, with an array of amounts; rows must then be distinct). The caller's event
        carries the amount in ``one_off``.

        The balance sheet has already moved; this labels the equity change as profit (利润总额
        includes disposal results and restructuring costs), so TTM profit and the loss-making
        share see it, while the smoothed indicators behind zombie classification do not.
        """
        st = self.state
        st.profit[row] += amount
        st.profit_hist[self._month % HISTORY_MONTHS, row] += amount
        st.one_off_ytd[row] += amount

    def charge(
        self,
        op: str,
        row: int,
        cost: float,
        *,
        rule: str,
        reason: str,
        flows: Mapping[str, float] | None = None,
    ) -> None:
        """The entity pays a one-off ``cost`` from its cash, booked in its profit; one event
        ``op`` carries the cost and ``flows``."""
        self._check_alive(row, "charged")
        st = self.state
        st.cash[row] -= cost
        st.assets[row] -= cost
        self._book(row, -cost)
        self.event(op, row, rule=rule, reason=reason, group=st.group.item(row),
                   flows={"cost": cost, "one_off": -cost, **(flows or {})})  # fmt: skip

    def programme(
        self,
        op: str,
        *,
        rule: str,
        reason: str,
        flows: Mapping[str, np.ndarray],
        one_off: np.ndarray | None = None,
    ) -> None:
        """A vectorised programme's flows this month, one array over all rows per flow, logged as
        one ``op`` event with the portfolio totals (``entity_id`` empty); ``one_off`` is booked
        in each row's profit.

        One row a month rather than one per entity or group keeps the log small at national
        scale (a million entities would add millions of rows); the per-entity effects are in the
        state and the entity tables."""
        totals = {name: float(v.sum()) for name, v in flows.items()}
        if one_off is not None:
            rows = np.flatnonzero(one_off)
            self._book(rows, one_off[rows])
            totals["one_off"] = float(one_off[rows].sum())
        if any(totals.values()):
            self.events.record(month=self.month, date=self.date, op=op, entity_id="",
                               rule=rule, reason=reason, flows=totals)  # fmt: skip

    def note(self, op: str, row: int, *, rule: str, reason: str) -> None:
        """Log a change to one entity's economics that moves no money."""
        self.event(op, row, rule=rule, reason=reason, group=self.state.group.item(row))

    def defer(self, rule: str, count: int = 1) -> None:
        """Count refused proposals; logged as one ``deferred`` event per rule at month end."""
        self._deferred[rule] = self._deferred.get(rule, 0) + count

    def _retire(self, row: int, fate: str) -> None:
        """Mark a row dead and zero its stocks and flows: they have left (exit) or passed to the
        absorber (merge); the event log holds its last balance sheet."""
        st = self.state
        st.floats[_LEAVING_FLOATS, row] = 0.0
        for col in _LEAVING_OTHERS:
            getattr(st, col)[row] = 0
        st.profit_hist[:, row] = 0.0
        st.alive[row] = False
        st.zombie[row] = False
        st.fate[row] = FATE_CODE[fate]
        st.died[row] = self._month
        self._entities[row].remove()

    def move(self, row: int, new_parent: int, *, rule: str, reason: str) -> None:
        """Re-parent an entity with its whole subtree (划转); ``new_parent=-1`` makes it a group.

        Layers of the subtree follow. Across groups the move is a free transfer at book value: the
        receiving group's equity base grows by the subtree's equity (or by the whole base when a
        headquarters joins another group), and the moved entity's loan from its old parent is
        converted to equity.
        """
        self._check_alive(row, "moving")
        st = self.state
        if new_parent < -1:
            raise StructureError(f"new parent row {new_parent} is neither a row nor -1")
        if new_parent >= 0:
            self._check_alive(new_parent, "new parent")
            if self.is_ancestor(row, new_parent):
                raise StructureError(
                    f"moving {st.ids[row]} under {st.ids[new_parent]} would create a cycle"
                )
        old_parent = st.parent.item(row)
        if old_parent == new_parent:
            return
        agent = self._entities[row]
        # A leaf (most moves) is indexed by its row alone: numpy indexes a scalar several times
        # faster than an array, and the sums and assignments below come out the same.
        sub: int | np.ndarray = np.array(self.subtree(row)) if agent.children else row
        old_group = st.group.item(row)
        new_group = st.group.item(new_parent) if new_parent >= 0 else row
        new_layer = st.layer.item(new_parent) + 1 if new_parent >= 0 else 1
        self.event(
            "move",
            row,
            rule=rule,
            reason=reason,
            target=new_parent,
            group=old_group,
            new_group=new_group,
        )
        st.layer[sub] += new_layer - st.layer.item(row)
        if old_group != new_group:
            if old_parent < 0:
                transfer = st.equity_base.item(row)
                st.equity_base[row] = 0.0
            else:
                transfer = float((st.assets[sub] - st.liabilities[sub]).sum())
                st.equity_base[old_group] -= transfer
            st.equity_base[new_group] += transfer
            st.group[sub] = new_group
            st.intra_loan[row] = 0.0
        if old_parent >= 0:
            self._entities[old_parent].remove_child(agent)
        if new_parent >= 0:
            self._entities[new_parent].add_child(agent)
        st.parent[row] = new_parent

    def merge(
        self, row: int, into: int, *, rule: str, reason: str, cost: float = 0.0, jobs: int = 0
    ) -> None:
        """Absorb an entity into another (吸收合并): balance sheets, staff and business add up.

        The absorbed entity's subsidiaries move under the absorber first. A loan from the absorber
        to the absorbed entity cancels; one owed elsewhere inside the group passes to the absorber;
        one owed to another group is converted to equity. The absorber then pays the integration
        ``cost`` (booked in its profit) and cuts ``jobs`` of the combined staff; the event, with
        the absorbed entity's last balance sheet and these flows, is written after all of it.
        """
        self._check_alive(row, "merged")
        self._check_alive(into, "absorbing")
        st = self.state
        if row == into or self.is_ancestor(row, into):
            raise StructureError(
                f"cannot merge {st.ids[row]} into its own descendant {st.ids[into]}"
            )
        agent = self._entities[row]
        if agent.children:
            moved = f"parent {st.ids[row]} merged into {st.ids[into]}"
            for child in list(agent.children):
                self.move(child.row, into, rule=rule, reason=moved)
        p, old_group, new_group = st.parent.item(row), st.group.item(row), st.group.item(into)
        if old_group != new_group:
            if p < 0:
                transfer = st.equity_base.item(row)
                st.equity_base[row] = 0.0
            else:
                transfer = st.assets.item(row) - st.liabilities.item(row)
                st.equity_base[old_group] -= transfer
            st.equity_base[new_group] += transfer
        elif into != p and st.parent[into] >= 0:
            st.intra_loan[into] += st.intra_loan[row]
        # Scalars as Python numbers (``.item``): the same IEEE arithmetic as numpy scalars, at
        # a fraction of the cost, and this runs once per merger.
        rb_a, rb_b = st.revenue_base.item(row), st.revenue_base.item(into)
        rb = rb_a + rb_b
        if rb > 0:  # the rates, weighted by volume
            for arr in (st.var_cost_ratio, st.productivity, st.idio):
                arr[into] = (arr.item(row) * rb_a + arr.item(into) * rb_b) / rb
        st.floats[_ADDITIVE_FLOATS, into] += st.floats[_ADDITIVE_FLOATS, row]
        for col in _ADDITIVE_OTHERS:
            arr = getattr(st, col)
            arr[into] += arr[row]
        st.profit_hist[:, into] += st.profit_hist[:, row]
        since, status = st.since_support, st.status
        since[into] = min(since.item(into), since.item(row))
        status[into] = min(status.item(into), status.item(row))
        cut = min(int(jobs), st.employees.item(into))
        st.employees[into] -= cut
        st.cash[into] -= cost
        st.assets[into] -= cost
        self._book(into, -cost)
        if p >= 0:
            self._entities[p].remove_child(agent)
        self.event(
            "merge",
            row,
            rule=rule,
            reason=reason,
            target=into,
            group=old_group,
            new_group=new_group,
            fate="merged",
            flows={"cost": cost, "jobs_affected": cut, "one_off": -cost},
        )
        self._retire(row, "merged")

    # -- outputs ------------------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """Portfolio indicators by month (month 0 is the start state)."""
        return pd.DataFrame(self._timeseries)

    def group_timeseries(self) -> pd.DataFrame:
        """Consolidated group indicators by month.

        The month and date of each row are repeated from one value a month, the group ids
        taken from the Arrow ids (the text columns pandas would make from object arrays of
        Python strings), and the frame takes the indicator arrays as they are (``copy=False``)
        rather than inserting and consolidating them one by one."""
        sizes = [t["group_row"].size for _, _, t in self._groups]
        which = np.repeat(np.arange(len(sizes)), sizes)
        rows = np.concatenate([t["group_row"] for _, _, t in self._groups])
        dates = pa.array([d for _, d, _ in self._groups], type=pa.large_string())
        ids = pa.array(self.state.ids, type=pa.large_string())
        sums = {name: np.concatenate([t[name] for _, _, t in self._groups])
                for name in self._groups[0][2]}  # fmt: skip
        return pd.DataFrame(
            {
                "month": np.array([m for m, _, _ in self._groups], dtype=np.int64)[which],
                "date": _text(dates.take(pa.array(which))),
                "group_id": _text(ids.take(pa.array(rows))),
                **group_indicators(sums),
            },
            copy=False,
        )

    def entity_table(self, rows: Sequence[int] | Iterable[int] | None = None) -> pd.DataFrame:
        """Every entity that ever existed, in the roster schema plus state and fate columns.

        Entities that left show zeros (their last balance sheet is in the event log). Flows
        are annualised at last month's rates of volume and cost (revenue, operating_cost,
        gov_function_cost); a live table can be reloaded as a roster.

        Built without Python objects per row: the text columns are Arrow ``take``s of the ids
        and labels (what pandas would otherwise make, by converting object arrays of Python
        strings to its Arrow-backed ``str`` columns), and the frame takes its columns as they
        are (``copy=False``: each is a fresh array, and a consolidated copy of a million-row
        table would cost its size again). For every row (``rows`` None) each column is a copy
        of the state column rather than a gather, and the names are the state's own (immutable)
        Arrow array when no entity was founded yet.
        """
        st = self.state
        every = rows is None
        idx = np.arange(st.n) if rows is None else np.fromiter(rows, dtype=np.int64)

        def col(values: np.ndarray) -> np.ndarray:
            return values.copy() if every else values[idx]

        ids = pa.array(st.ids, type=pa.large_string())
        parent = col(st.parent)
        volume = col(st.revenue_base)
        names = st.names.to_arrow()
        if not every or len(names) != st.n:
            names = names.take(pa.array(idx))
        assets, liabilities = col(st.assets), col(st.liabilities)
        return pd.DataFrame(
            {
                "id": _text(ids if every else ids.take(pa.array(idx))),
                "parent_id": _text(
                    pc.if_else(
                        pa.array(parent >= 0),
                        ids.take(pa.array(np.maximum(parent, 0))),
                        pa.scalar("", pa.large_string()),
                    )
                ),
                "name": names.to_pandas(types_mapper=pd.ArrowDtype),
                "sector": _text(_labels(SECTOR_NAMES, col(st.sector))),
                "assets": assets,
                "liabilities": liabilities,
                "revenue": 12.0 * volume * col(st.productivity),
                "operating_cost": 12.0 * (col(st.fixed_cost) + col(st.var_cost_ratio) * volume),
                "employees": col(st.employees),
                "core": col(st.core),
                "status": _text(_labels(STATUSES, col(st.status))),
                "cash": col(st.cash),
                "receivables": col(st.receivables),
                "idle_assets": col(st.idle_assets),
                "land_mu": col(st.land_mu),
                "gov_function_cost": 12.0 * col(st.gov_cost),
                "intra_group_loan": col(st.intra_loan),
                "group_id": _text(ids.take(pa.array(col(st.group)))),
                "layer": col(st.layer),
                "equity": assets - liabilities,
                "profit_ttm": _ttm_of(st.profit_hist, idx),
                "zombie": col(st.zombie),
                "alive": col(st.alive),
                "fate": _text(_labels(FATES, col(st.fate))),
                "born_month": col(st.born),
                "fate_month": col(st.died),
            },
            copy=False,
        )


_TTM_CHUNK = 1 << 16
"""Entities per block in :func:`_ttm_of`."""


def _ttm_of(hist: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``hist[:, idx].sum(axis=0)``, a block of entities at a time.

    The gather lays each entity's twelve months out contiguously and numpy sums each of them
    on its own (pairwise, not in month order, so :meth:`EntityState.ttm_profit` would differ
    in the last bits); gathering a block at a time gives every entity the same sum without
    the (12, n) copy of the whole history (110 MB at a million entities)."""
    out = np.empty(idx.size)
    for a in range(0, idx.size, _TTM_CHUNK):
        out[a : a + _TTM_CHUNK] = hist[:, idx[a : a + _TTM_CHUNK]].sum(axis=0)
    return out


def _labels(labels: Sequence[str], codes: np.ndarray) -> pa.Array:
    """The label of each code, as Arrow strings."""
    return pa.array(labels, type=pa.large_string()).take(pa.array(codes))


def _text(values: pa.Array) -> pd.Series | np.ndarray:
    """A text column as pandas makes it from an object array of Python strings: its
    Arrow-backed ``str`` (the same large-string data); an empty one stays ``object``."""
    if len(values) == 0:
        return np.array([], dtype=object)
    return values.to_pandas()
