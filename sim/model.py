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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

import mesa
import numpy as np
import pandas as pd
import pyarrow as pa

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
        numbered = roster["id"].str.extract(r"^N(\d+)$", expand=False).dropna()
        self._new_ids = int(numbered.astype("int64").max()) if len(numbered) else 0
        """Entities founded during the run are numbered on from the largest N-number in the roster,
        so a reloaded end-of-run table never sees an id again."""
        st.ids.extend(roster["id"].tolist())
        st.names.extend(pa.array(roster["name"], type=pa.string()))
        index = pd.Index(roster["id"])
        has_parent = roster["parent_id"].to_numpy() != ""
        parent = np.full(n, -1, dtype=np.int64)
        parent[has_parent] = index.get_indexer(roster["parent_id"].to_numpy()[has_parent])
        st.parent[:] = parent
        st.layer[:] = tree_depths(parent)
        st.group[:] = tree_roots(parent)
        st.alive[:] = True
        st.sector[:] = roster["sector"].map(SECTOR_CODE).to_numpy()
        st.status[:] = roster["status"].map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
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
        del roster, index
        release_freed_memory()
        self._entities = [Entity(self, row) for row in range(n)]
        for row in np.flatnonzero(~hq).tolist():
            self._entities[parent[row]].add_child(self._entities[row])

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
        row: dict[str, float | int | str] = {"month": self.month, "date": self.date}
        row.update(portfolio_row(snap))
        self._timeseries.append(row)
        if self.config.output.groups or self.month == 0:
            self._groups.append((self.month, self.date, group_sums(snap)))

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
        short = [SECTOR_SHORT_ZH[s] for s in spec.sector.tolist()]
        month, date, ids = self.month, self.date, st.ids
        groups = st.group[parents].tolist()
        group_names = {g: st.names[g] for g in set(groups)}
        events = []
        for row, p, g, label, a, li, staff in zip(
            r.tolist(), parents.tolist(), groups, short, spec.assets.tolist(),
            spec.liabilities.tolist(), spec.employees.tolist(), strict=True,
        ):  # fmt: skip
            self._new_ids += 1
            ids.append(f"N{self._new_ids:07d}")
            st.names.append(f"{group_names[g]}{label}新设{self._new_ids}号公司")
            agent = Entity(self, row)
            self._entities.append(agent)
            self._entities[p].add_child(agent)
            events.append(
                (
                    month,
                    date,
                    "enter",
                    ids[row],
                    ids[p],
                    ids[g],
                    ids[g],
                    rule,
                    reason,
                    "",
                    a,
                    li,
                    a - li,
                    staff,
                )
            )
        self.events.extend_entries(events)
        return r

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
        """Consolidated group indicators by month."""
        months = [np.full(t["group_row"].size, m, dtype=np.int64) for m, _, t in self._groups]
        dates = [np.full(t["group_row"].size, d, dtype=object) for _, d, t in self._groups]
        rows = np.concatenate([t["group_row"] for _, _, t in self._groups])
        frame = pd.DataFrame({
            "month": np.concatenate(months),
            "date": np.concatenate(dates),
            "group_id": np.asarray(self.state.ids, dtype=object)[rows],
        })  # fmt: skip
        sums = {name: np.concatenate([t[name] for _, _, t in self._groups])
                for name in self._groups[0][2]}  # fmt: skip
        for name, values in group_indicators(sums).items():
            frame[name] = values
        return frame

    def entity_table(self, rows: Sequence[int] | Iterable[int] | None = None) -> pd.DataFrame:
        """Every entity that ever existed, in the roster schema plus state and fate columns.

        Entities that left show zeros (their last balance sheet is in the event log). Flows
        are annualised at last month's rates of volume and cost (revenue, operating_cost,
        gov_function_cost); a live table can be reloaded as a roster.
        """
        st = self.state
        idx = np.arange(st.n) if rows is None else np.fromiter(rows, dtype=np.int64)
        ids = np.asarray(st.ids, dtype=object)
        parent = st.parent[idx]
        volume = st.revenue_base[idx]
        return pd.DataFrame(
            {
                "id": ids[idx],
                "parent_id": np.where(parent >= 0, ids[np.maximum(parent, 0)], ""),
                "name": st.names.to_arrow()
                .take(pa.array(idx))
                .to_pandas(types_mapper=pd.ArrowDtype),
                "sector": np.asarray(SECTOR_NAMES, dtype=object)[st.sector[idx]],
                "assets": st.assets[idx],
                "liabilities": st.liabilities[idx],
                "revenue": 12.0 * volume * st.productivity[idx],
                "operating_cost": 12.0 * (st.fixed_cost[idx] + st.var_cost_ratio[idx] * volume),
                "employees": st.employees[idx],
                "core": st.core[idx],
                "status": np.asarray(STATUSES, dtype=object)[st.status[idx]],
                "cash": st.cash[idx],
                "receivables": st.receivables[idx],
                "idle_assets": st.idle_assets[idx],
                "land_mu": st.land_mu[idx],
                "gov_function_cost": 12.0 * st.gov_cost[idx],
                "intra_group_loan": st.intra_loan[idx],
                "group_id": ids[st.group[idx]],
                "layer": st.layer[idx],
                "equity": st.assets[idx] - st.liabilities[idx],
                "profit_ttm": st.profit_hist[:, idx].sum(axis=0),
                "zombie": st.zombie[idx],
                "alive": st.alive[idx],
                "fate": np.asarray(FATES, dtype=object)[st.fate[idx]],
                "born_month": st.born[idx],
                "fate_month": st.died[idx],
            }
        )
