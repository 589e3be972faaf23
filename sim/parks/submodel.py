"""The park submodel: development zones as Mesa agents, their firms as arrays, one stage a month.

Zones are few (about a hundred in Chongqing) and are what the consolidation acts on, so each is a
Mesa agent (:class:`Zone`) holding its land and its firms' rows. Firms are many (thousands, a
national run hundreds of thousands), are not legal entities of the SOE portfolio, and are acted on
in bulk (scores, classes, shocks), so they are rows of numpy arrays (:class:`FirmArrays`), like the
entities' financial state, with no agent each: an agent per firm would add its Python object cost
and nothing a rule reads. A firm owned by an SOE links to its legal entity's row.

The stage (:meth:`Parks.step`, after the SOE policy stage) runs, in order:

1. **owners**: firms whose SOE owner left the portfolio follow it (closed with it; merged: the
   absorber owns them; transferred out: no longer an SOE's); operators likewise;
2. **economy**: each firm's output moves by its trend and a keyed shock (the same under every
   plan); non-SOE firms leave on their own with a keyed chance (higher in class D);
3. **consolidation** (一区多园): the mergers planned at ``start`` fall due (:mod:`.consolidation`);
   an absorbed zone's operating company is merged into the host's through the SOE model's
   :meth:`~sim.world.World.merge`, so it appears in the SOE event log;
4. **operating companies** transformed into industrial-investment companies (``operators``);
5. **plans** falling due resolve: closure, transfer, merger, support, compliance;
6. **evaluation** (亩均论英雄) and new **plans** (一企一案) when due (:mod:`.scoring`);
7. **land**: idle land re-used by new firms (招大引强, more in better zones) and by the zone's
   top-ranked firms (资源要素优化配置);
8. **record**: the month's ``zones.parquet`` row.

Land is conserved: every mu is held by a live firm or idle in a zone (an absorbed zone's idle land
passes to its host). :meth:`Parks.check` verifies it, the event log's accounting and the class
shares.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from sim import rand
from sim.parks import consolidation
from sim.parks.config import ParksConfig, ZonesConfig
from sim.parks.industries import INDUSTRY_CODE, INDUSTRY_NAMES
from sim.parks.log import TOTALS, ParkLog
from sim.parks.roster import LEVELS, check_operators
from sim.parks.scoring import CLASSES, classify, score, zone_scores
from sim.parks.synthetic import OUTPUT_PER_WORKER, WAN_PER_MN
from sim.state import FATES

if TYPE_CHECKING:
    from sim.model import SOEModel

PLANS: tuple[str, ...] = ("support", "merge", "compliance", "transfer", "closure")
"""The five dispositions of 一企一案: 帮扶提升, 兼并重组, 倒逼规范, 合作转移, 依法关停."""
PLANS_ZH = dict(
    zip(PLANS, ("帮扶提升", "兼并重组", "倒逼规范", "合作转移", "依法关停"), strict=True)
)
SUPPORT, MERGE, COMPLIANCE, TRANSFER, CLOSURE = range(5)
FIRM_FATES: tuple[str, ...] = ("alive", "closed", "merged", "exited")
"""closed: closed by plan (依法关停) or with its SOE owner; merged: absorbed by another firm;
exited: left on its own (market exit, or after forced compliance)."""
STREAM_FIRM_SHOCK, STREAM_FIRM_EXIT, STREAM_PLAN, STREAM_ZONE = 11, 12, 13, 14
"""Keyed random streams of the park submodel (:mod:`sim.rand`): a firm's shocks, exit and plan
outcomes, and a zone's merger delay, each keyed by firm or zone, so they pair across plans."""
ZONE_KEY_BASE = 1 << 40
"""Zone keys (for delays and entrants' keys) start here, apart from firm keys."""


class Zone(mesa.Agent):
    """A development zone (开发区): its land, management bodies, operating company and firms.

    Financial figures are its firms' (rows of :class:`FirmArrays` whose ``zone`` is this zone's
    index); a zone merged into a host leaves the model and lives on as one of the host's parks."""

    def __init__(self, model: mesa.Model, index: int, zone_id: str, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.zone_id = zone_id
        self.name = name
        self.parks: list[str] = [zone_id]
        """The parks (园) of the zone: itself and the zones merged into it (一区多园)."""

    def __repr__(self) -> str:
        return f"Zone({self.zone_id}, parks={len(self.parks)})"


class FirmArrays:
    """Struct of arrays for firms in zones (rows never reused); money in 万元 a year."""

    INT = ("zone", "park", "entity", "born", "died", "plan_until", "plan_target", "d_count")
    FLOAT = ("land", "output", "value_added", "tax", "growth", "score", "last_output")

    def __init__(self, n: int) -> None:
        self.n = 0
        self.ids: list[str] = []
        self.capacity = 0
        self._reserve(max(n, 16))

    def _reserve(self, capacity: int) -> None:
        def grow(old: np.ndarray | None, dtype: type, fill: float) -> np.ndarray:
            new: np.ndarray = np.full(capacity, fill, dtype=dtype)
            if old is not None:
                new[: self.n] = old[: self.n]
            return new

        for name in self.INT:
            setattr(self, name, grow(getattr(self, name, None), np.int64, -1))
        for name in self.FLOAT:
            setattr(self, name, grow(getattr(self, name, None), np.float64, 0.0))
        self.industry = grow(getattr(self, "industry", None), np.int64, 0)
        self.employees = grow(getattr(self, "employees", None), np.int64, 0)
        self.key = grow(getattr(self, "key", None), np.uint64, 0)
        self.alive = grow(getattr(self, "alive", None), np.bool_, 0)
        self.fate = grow(getattr(self, "fate", None), np.int64, 0)
        self.cls = grow(getattr(self, "cls", None), np.int64, -1)
        self.plan = grow(getattr(self, "plan", None), np.int64, -1)
        self.capacity = capacity

    def add(self, k: int) -> slice:
        """Room for ``k`` more rows; returns their slice."""
        if self.n + k > self.capacity:
            self._reserve(max(int(self.capacity * 1.5), self.n + k))
        rows = slice(self.n, self.n + k)
        self.n += k
        return rows

    zone: np.ndarray
    park: np.ndarray
    entity: np.ndarray
    born: np.ndarray
    died: np.ndarray
    plan_until: np.ndarray
    plan_target: np.ndarray
    d_count: np.ndarray
    land: np.ndarray
    output: np.ndarray
    value_added: np.ndarray
    tax: np.ndarray
    growth: np.ndarray
    score: np.ndarray
    last_output: np.ndarray
    industry: np.ndarray
    employees: np.ndarray
    key: np.ndarray
    alive: np.ndarray
    fate: np.ndarray
    cls: np.ndarray
    plan: np.ndarray


@functools.lru_cache(maxsize=4)
def _shipped_parks(
    zones: str, firms: str, stamp: tuple[int, int, int, int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A zone roster shipped with the package, read and validated once per process (keyed by
    the files' modification times and sizes too); ensembles run one preset for many seeds.
    Shared: callers copy it."""
    from sim.parks.roster import load_parks

    return load_parks(zones, firms)


def _month_index(start: str, date: str) -> int:
    """Simulated month whose label is ``date`` (1 = the start month)."""
    y0, m0 = map(int, start.split("-"))
    y, m = map(int, date.split("-"))
    return (y - y0) * 12 + (m - m0) + 1


class Parks:
    """The park submodel of one run (see the module docstring)."""

    def __init__(self, model: SOEModel, cfg: ParksConfig, zones_cfg: ZonesConfig) -> None:
        self.cfg = cfg
        self.seed = model.config.seed
        self.start = model.config.start
        st = model.state
        ids = pd.Index(list(st.ids))  # once: a million ids take about 0.3 s to list and hash
        zones, firms = self._roster(model, zones_cfg, ids)
        nz = len(zones)
        self.zone_ids: list[str] = zones["zone_id"].tolist()
        self.zone_names: list[str] = zones["name"].tolist()
        districts = pd.Index(sorted(set(zones["district"])))
        self.district_names: list[str] = list(districts)
        self.district = districts.get_indexer(pd.Index(zones["district"])).astype(np.int64)
        self.level = pd.Index(LEVELS).get_indexer(pd.Index(zones["level"])).astype(np.int64)
        self.x = zones["x_km"].to_numpy(dtype=np.float64)
        self.y = zones["y_km"].to_numpy(dtype=np.float64)
        self.bodies = zones["bodies"].to_numpy(dtype=np.int64).copy()
        self.lead = zones["industry"].map(INDUSTRY_CODE).to_numpy(dtype=np.int64)
        self.idle = zones["idle_land_mu"].to_numpy(dtype=np.float64).copy()
        self.zone_alive = np.ones(nz, dtype=bool)
        self.host = np.full(nz, -1, dtype=np.int64)
        self.zone_key = (ZONE_KEY_BASE + np.arange(nz)).astype(np.uint64)
        self._merged_into: dict[str, str] = {}
        """Entity id -> the id of the entity it was merged into, from the SOE event log."""
        self._row_of: dict[str, int] = {}
        """Entity id -> row, filled on first need (:meth:`_owners`): a dict over a million ids
        costs about 100 MB, and most runs never need it."""
        self.operator = np.where(
            zones["operator_id"].to_numpy() != "",
            ids.get_indexer(pd.Index(zones["operator_id"])),
            -1,
        ).astype(np.int64)
        source = zones_cfg.zones_path if zones_cfg.source == "roster" else "<generated zones>"
        n0 = model.n_start
        check_operators(zones, self.operator, st.parent[:n0], st.status[:n0], str(source))
        self.transformed: set[int] = set()
        """Rows of the operating companies transformed so far."""
        self.agents = [
            Zone(model, z, zid, name)
            for z, (zid, name) in enumerate(zip(self.zone_ids, self.zone_names, strict=True))
        ]
        n = len(firms)
        self.f = f = FirmArrays(n)
        rows = f.add(n)
        f.ids.extend(firms["firm_id"].tolist())
        zone_index = pd.Index(self.zone_ids)
        f.zone[rows] = zone_index.get_indexer(pd.Index(firms["zone_id"]))
        f.park[rows] = f.zone[rows]
        owners = firms["entity_id"].to_numpy()
        f.entity[rows] = np.where(owners != "", ids.get_indexer(pd.Index(firms["entity_id"])), -1)
        f.industry[rows] = firms["industry"].map(INDUSTRY_CODE).to_numpy()
        for col, name in (
            ("land_mu", "land"),
            ("output", "output"),
            ("value_added", "value_added"),
            ("tax", "tax"),
            ("growth", "growth"),
        ):
            getattr(f, name)[rows] = firms[col].to_numpy(dtype=np.float64)
        f.employees[rows] = firms["employees"].to_numpy(dtype=np.int64)
        f.key[rows] = np.arange(n, dtype=np.uint64)
        f.alive[rows] = True
        f.born[rows] = 0
        f.d_count[rows] = 0
        # Last year's output, for the first evaluation's growth term: the trend backwards.
        f.last_output[rows] = f.output[rows] / (1.0 + f.growth[rows])
        self.total_land = float(f.land[:n].sum() + self.idle.sum())
        self.n_start_firms = n
        self.log = ParkLog()
        self._event_cursor = 0
        self._mergers: list[consolidation.Merger] = []
        self._planned = False
        self._last_evaluation: int | None = None
        """Month of the last evaluation (None before the first: growth is then over the year
        before the start, from each firm's trend)."""
        self._transformed_all = False
        self._one_led = False
        self._entry_carry = np.zeros(nz)
        self._entrants = 0
        self.showcase_zones: list[str] = []
        self._rows: list[dict[str, float | int | str]] = []
        self.zones_table_start = self.zone_table(model, "start")
        self._record(model)

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def _roster(
        model: SOEModel, cfg: ZonesConfig, ids: pd.Index
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        from sim.parks.roster import check_links, load_parks, validate_parks
        from sim.population import BUILTIN_PREFIX, resolve_path

        st = model.state
        if cfg.source == "roster":
            assert cfg.zones_path is not None and cfg.firms_path is not None
            zp, fp = resolve_path(cfg.zones_path), resolve_path(cfg.firms_path)
            shipped = cfg.zones_path.startswith(BUILTIN_PREFIX) and cfg.firms_path.startswith(
                BUILTIN_PREFIX
            )
            if not shipped:
                return load_parks(zp, fp, ids)
            try:
                stamp = (zp.stat().st_mtime_ns, zp.stat().st_size, fp.stat().st_mtime_ns,
                         fp.stat().st_size)  # fmt: skip
            except OSError:
                return load_parks(zp, fp, ids)  # the loader reports it
            zones, firms = _shipped_parks(str(zp), str(fp), stamp)
            check_links(zones, firms, ids, (str(zp), str(fp)))
            return zones.copy(), firms.copy()
        from sim.parks.synthetic import generate

        n = model.n_start
        zones, firms = generate(
            cfg,
            model.streams["parks"],
            entity_ids=ids,
            sector=st.sector[:n],
            status=st.status[:n],
            parent=st.parent[:n],
            revenue=st.revenue_base[:n] * 12.0,
        )
        # The generator links only to the population's own entities: no link check needed.
        return validate_parks(zones, firms, sources=("<generated zones>", "<generated firms>"))

    # -- helpers ------------------------------------------------------------------------------
    def live_firms(self) -> np.ndarray:
        f = self.f
        return np.flatnonzero(f.alive[: f.n])

    def _ev(self, model: SOEModel, op: str, row: int | None = None, **kw: object) -> None:
        f = self.f
        if row is not None:
            kw.setdefault("firm_id", f.ids[row])
            kw.setdefault("zone_id", self.zone_ids[int(f.zone[row])])
            kw.setdefault("land_mu", float(f.land[row]))
            kw.setdefault("employees", int(f.employees[row]))
            kw.setdefault("score", float(f.score[row]) if f.cls[row] >= 0 else math.nan)
        self.log.record(model.month, model.date, op, **kw)  # type: ignore[arg-type]

    def _firm_leaves(
        self,
        model: SOEModel,
        row: int,
        fate: str,
        *,
        reason: str,
        rule: str,
        plan: str = "",
        target: int = -1,
        jobs: float = 0.0,
        cost: float = 0.0,
        land_to_zone: bool = True,
    ) -> None:
        """A firm ends: its land goes idle in its zone (or to its acquirer), one event."""
        f = self.f
        land = float(f.land[row])
        freed = land if land_to_zone else 0.0
        self._ev(
            model,
            "firm_exit",
            row,
            rule=rule,
            reason=reason,
            fate=fate,
            plan=plan,
            target_firm_id=f.ids[target] if target >= 0 else "",
            jobs_affected=jobs,
            cost=cost,
            land_freed=freed,
        )
        if land_to_zone:
            self.idle[f.zone[row]] += land
        f.alive[row] = False
        f.fate[row] = FIRM_FATES.index(fate)
        f.died[row] = model.month
        f.land[row] = f.output[row] = f.value_added[row] = f.tax[row] = 0.0
        f.employees[row] = 0
        f.plan[row] = -1

    # -- the month ----------------------------------------------------------------------------
    def step(self, model: SOEModel) -> None:
        """One month of the park submodel (stages 1-8 of the module docstring)."""
        self._owners(model)
        self._economy(model)
        c = self.cfg.consolidation
        if c.enabled:
            if not self._planned and model.month >= _month_index(self.start, c.start):
                self._planned = True  # at start, or in the first month of a run begun later
                self._plan_consolidation(model)
            self._consolidate(model)
        o = self.cfg.operators
        if (
            o.transform
            and not self._transformed_all
            and model.month >= _month_index(self.start, o.date)
        ):
            self._transformed_all = True  # at the date, or in the first month of a later run
            self._transform(model)
        # Plans falling due resolve before a ranking, so a firm whose plan ends this month can
        # be given a new one (a firm ranked D again is closed at once, not a cycle later).
        self._resolve_plans(model)
        e = self.cfg.evaluation
        if e.enabled:
            first = _month_index(self.start, e.first)
            if model.month >= first and (model.month - first) % e.every_months == 0:
                self._evaluate(model)
                self._resolve_plans(model)  # plans of no duration end the month they start
        self._land(model)
        self._record(model)

    def _owners(self, model: SOEModel) -> None:
        """Firms and operating companies follow their SOE owner's fate: closed with it, owned by
        its absorber after a merger (through chains of mergers), no longer an SOE's after a
        transfer out. Mergers are read from the SOE event log as it grows."""
        rows = model.events.rows
        for ev in rows[self._event_cursor :]:
            if ev[2] == "merge":
                self._merged_into[str(ev[3])] = str(ev[4])  # entity id -> absorbing entity id
        self._event_cursor = len(rows)
        st, f = model.state, self.f
        ops = np.flatnonzero(self.operator >= 0)
        dead_ops = ops[~st.alive[self.operator[ops]]]
        linked = np.flatnonzero(f.alive[: f.n] & (f.entity[: f.n] >= 0))
        dead = linked[~st.alive[f.entity[linked]]]
        if dead_ops.size == 0 and dead.size == 0:
            return
        for z in dead_ops.tolist():
            last = self._absorber(model, int(self.operator[z]))
            self.operator[z] = last if last >= 0 and st.alive[last] else -1
        for row in dead.tolist():
            owner = int(f.entity[row])
            last = self._absorber(model, owner)  # the owner itself unless it was merged
            fate = FATES[int(st.fate[last])] if last >= 0 else "merged"
            if fate == "alive":
                f.entity[row] = last
            elif fate == "transferred_out":
                f.entity[row] = -1
                self._ev(
                    model,
                    "owner_change",
                    row,
                    rule="soe",
                    reason=f"its SOE owner {st.ids[last]} was transferred out of the portfolio",
                )
            else:
                self._firm_leaves(
                    model,
                    row,
                    "closed",
                    rule="soe",
                    reason=f"its SOE owner {st.ids[last] if last >= 0 else ''} "
                    f"left the portfolio ({fate})",
                )

    def _absorber(self, model: SOEModel, row: int) -> int:
        """The end of ``row``'s chain of mergers: the entity it was last merged into (alive, or
        dead by another fate), ``row`` itself if it was not merged, -1 if the absorber is
        unknown."""
        st = model.state
        while FATES[int(st.fate[row])] == "merged":
            target = self._merged_into.get(st.ids[row])
            if target is None:
                return -1
            row = self._row(model, target)
            if row < 0:
                return -1
        return row

    def _row(self, model: SOEModel, eid: str) -> int:
        """The state row of entity ``eid`` (a dict filled on first need, then kept up to date)."""
        ids = model.state.ids
        for r in range(len(self._row_of), len(ids)):
            self._row_of[ids[r]] = r
        return self._row_of.get(eid, -1)

    def _economy(self, model: SOEModel) -> None:
        """Trend growth and a mean-preserving keyed shock; market exits of non-SOE firms."""
        f, p = self.f, self.cfg.economy
        live = self.live_firms()
        if live.size == 0:
            return
        keys = f.key[live]
        growth = f.growth[live].copy()
        if self.cfg.evaluation.enabled:
            growth += np.where(f.cls[live] == 0, self.cfg.evaluation.a_growth_bonus, 0.0)
        sd = p.volatility / math.sqrt(12.0)
        shock = rand.normal(self.seed, STREAM_FIRM_SHOCK, keys, model.month)
        factor = np.exp(np.log1p(np.maximum(growth, -0.99)) / 12.0 + sd * shock - 0.5 * sd * sd)
        f.output[live] *= factor
        f.value_added[live] *= factor
        f.tax[live] *= factor
        hazard = 1.0 - (1.0 - p.exit_rate) ** (1.0 / 12.0)
        weak = np.where(f.cls[live] == 3, p.weak_exit_factor, 1.0)
        u = rand.uniform(self.seed, STREAM_FIRM_EXIT, keys, model.month)
        leaving = live[(u < hazard * weak) & (f.entity[live] < 0) & (f.plan[live] < 0)]
        for row in leaving.tolist():
            # Not a job the reform affects: firms leave at this rate under every plan.
            self._firm_leaves(
                model, row, "exited", rule="economy", reason="left the zone on its own"
            )

    # -- 一区多园 --------------------------------------------------------------------------------
    def zone_land(self) -> np.ndarray:
        f, live = self.f, self.live_firms()
        return np.bincount(f.zone[live], weights=f.land[live], minlength=len(self.zone_ids))

    def _scores_now(self, month: int) -> np.ndarray:
        """Every live firm's score on its figures now; growth is since the last evaluation (a
        year before the first), annualised. A firm without output then scores no growth."""
        f, live = self.f, self.live_firms()
        out = np.zeros(f.n)
        ratio = np.divide(f.output[live], f.last_output[live], out=np.ones(live.size),
                          where=f.last_output[live] > 0)  # fmt: skip
        months = month - self._last_evaluation if self._last_evaluation is not None else 12
        growth = ratio ** (12.0 / max(months, 1)) - 1.0
        out[live] = score(
            self.cfg.evaluation,
            f.land[live],
            f.output[live],
            f.value_added[live],
            f.tax[live],
            growth,
            f.industry[live],
        )
        return out

    def _plan_consolidation(self, model: SOEModel) -> None:
        zones = np.flatnonzero(self.zone_alive)
        f, live = self.f, self.live_firms()
        scores = self._scores_now(model.month)
        zs = zone_scores(f.zone[live], f.land[live], scores[live], len(self.zone_ids))
        firms = np.bincount(f.zone[live], minlength=len(self.zone_ids))
        land = self.zone_land() + self.idle
        c = self.cfg.consolidation
        pairs = consolidation.plan(
            c,
            district=self.district[zones],
            national=self.level[zones] == 0,
            x=self.x[zones],
            y=self.y[zones],
            land=land[zones],
            firms=firms[zones],
            scores=zs[zones],
            industry=self.lead[zones],
        )
        pairs = [(int(zones[a]), int(zones[b])) for a, b in pairs]
        delays = (
            rand.uniform(self.seed, STREAM_ZONE, self.zone_key[[a for a, _ in pairs]], 0)
            if pairs
            else np.zeros(0)
        )
        last = max(_month_index(self.start, c.deadline), model.month)
        self._mergers = consolidation.schedule(c, pairs, model.month, last, delays)
        for m in self._mergers:
            self.log.record(
                model.month,
                model.date,
                "zone_merge_planned",
                rule="consolidation",
                zone_id=self.zone_ids[m.zone],
                target_zone_id=self.zone_ids[m.host],
                reason=f"small, scattered or weak (小散弱): to be merged in month {m.month}",
                score=float(zs[m.zone]),
            )

    def _consolidate(self, model: SOEModel) -> None:
        due = [m for m in self._mergers if m.month == model.month]
        for m in due:
            self._merge_zone(model, m.zone, m.host)
        if not self._one_led and model.month >= _month_index(
            self.start, self.cfg.consolidation.deadline
        ):
            self._one_led = True  # at the deadline, or in the first month of a run begun later
            self._one_leadership(model)

    def _one_leadership(self, model: SOEModel) -> None:
        """一套班子: by the deadline every zone is run by one management body."""
        c = self.cfg.consolidation
        for z in np.flatnonzero(self.zone_alive & (self.bodies > 1)).tolist():
            cut = int(self.bodies[z]) - 1
            self.bodies[z] = 1
            self.log.record(
                model.month,
                model.date,
                "bodies_merged",
                rule="consolidation",
                zone_id=self.zone_ids[z],
                cost=c.body_cost * cut,
                bodies_cut=cut,
                reason="一套班子: the zone's management bodies merged into one",
            )

    def _merge_zone(self, model: SOEModel, zone: int, host: int) -> None:
        f = self.f
        while not self.zone_alive[host]:  # the host was itself absorbed meanwhile
            host = int(self.host[host])
        if zone == host or not self.zone_alive[zone]:
            return
        c = self.cfg.consolidation
        moved = np.flatnonzero(f.alive[: f.n] & (f.zone[: f.n] == zone))
        f.zone[moved] = host
        self.idle[host] += self.idle[zone]
        self.idle[zone] = 0.0
        self._entry_carry[host] += self._entry_carry[zone]
        self._entry_carry[zone] = 0.0
        cut = int(self.bodies[zone])
        if self.bodies[host] > 1:  # 一套班子: one leadership for the enlarged zone
            cut += int(self.bodies[host]) - 1
            self.bodies[host] = 1
        self.bodies[zone] = 0
        self.zone_alive[zone] = False
        self.host[zone] = host
        self.agents[host].parks.extend(self.agents[zone].parks)
        self.agents[zone].remove()
        self.log.record(
            model.month,
            model.date,
            "zone_merge",
            rule="consolidation",
            zone_id=self.zone_ids[zone],
            target_zone_id=self.zone_ids[host],
            fate="merged",
            reason="一区多园: merged into its host zone as a park",
            land_mu=float(f.land[moved].sum()),
            employees=int(f.employees[moved].sum()),
            cost=c.body_cost * cut,
            bodies_cut=cut,
        )
        op, op_host = int(self.operator[zone]), int(self.operator[host])
        st = model.state
        if op >= 0 and st.alive[op]:
            if op_host < 0 or not st.alive[op_host]:
                self.operator[host] = op  # the host takes the absorbed zone's company
            elif c.merge_operators and op != op_host and not model.is_ancestor(op, op_host):
                jobs = round(c.operator_job_cut * int(st.employees[op]))
                model.merge(
                    op,
                    op_host,
                    rule="parks",
                    cost=c.operator_merge_cost,
                    jobs=jobs,
                    reason=f"压减平台: operator of {self.zone_ids[zone]} merged into the "
                    f"operator of host zone {self.zone_ids[host]}",
                )
        self.operator[zone] = -1

    def _transform(self, model: SOEModel) -> None:
        """Operating companies turned into industrial-investment companies."""
        o, st = self.cfg.operators, model.state
        for z in np.flatnonzero(self.zone_alive & (self.operator >= 0)).tolist():
            row = int(self.operator[z])
            if not st.alive[row] or row in self.transformed:
                continue  # a company running several zones is transformed once
            self.transformed.add(row)
            # Handing its government functions back is a decoupling (政企分离): counted as one.
            carried = st.gov_cost.item(row) > 0
            model.charge(
                "transform",
                row,
                o.cost,
                rule="parks",
                reason=f"operator of {self.zone_ids[z]} turned into an "
                "industrial-investment company"
                + ("; government functions back to the management body" if carried else ""),
                flows={"decoupled": 1.0} if carried else None,
            )
            st.gov_cost[row] = 0.0
            st.fixed_cost[row] *= 1.0 - o.fixed_cost_cut

    # -- 亩均论英雄 and 一企一案 ------------------------------------------------------------------
    def _evaluate(self, model: SOEModel) -> None:
        f, e = self.f, self.cfg.evaluation
        live = self.live_firms()
        if live.size == 0:
            return
        scores = self._scores_now(model.month)
        f.score[live] = scores[live]
        f.cls[live] = classify(e, scores[live])
        f.d_count[live] = np.where(f.cls[live] == 3, f.d_count[live] + 1, 0)
        grew = np.zeros(f.n, dtype=bool)  # output did not fall since the last evaluation
        grew[live] = f.output[live] >= f.last_output[live]
        f.last_output[live] = f.output[live]
        self._last_evaluation = model.month
        order = live[np.argsort(-scores[live], kind="stable")]
        zs = zone_scores(f.zone[live], f.land[live], scores[live], len(self.zone_ids))
        alive = np.flatnonzero(self.zone_alive & ~np.isnan(zs))
        best = alive[np.argsort(-zs[alive], kind="stable")][: e.showcase]
        self.showcase_zones = [self.zone_ids[z] for z in best.tolist()]
        for r in order[: e.showcase].tolist():
            self._ev(model, "showcase", r, rule="evaluation", reason="亩均 10强: top firm")
        for z in best.tolist():
            self.log.record(
                model.month,
                model.date,
                "showcase",
                rule="evaluation",
                zone_id=self.zone_ids[z],
                score=float(zs[z]),
                reason="亩均 10强: top zone",
            )
        if self.cfg.dispositions.enabled:
            self._assign_plans(model, live, grew)

    def _assign_plans(self, model: SOEModel, live: np.ndarray, grew: np.ndarray) -> None:
        f, d = self.f, self.cfg.dispositions
        low = (f.cls[live] == 3) | ((f.cls[live] == 2) & d.include_c)
        todo = live[low & (f.plan[live] < 0)]
        idle_left = self.idle.copy()
        zone_alive = self.zone_alive
        # The acquirer a merger would pick in each (zone, industry): its best-scoring A- or
        # B-class firm not owned by an SOE (an SOE's acquisitions are the SOE reform's call).
        able = live[(f.cls[live] <= 1) & (f.cls[live] >= 0) & (f.entity[live] < 0)]
        able = able[np.lexsort((able, -f.score[able]))]  # best score first, then row
        acquirer: dict[tuple[int, int], int] = {}
        for r, z, i in zip(able.tolist(), f.zone[able].tolist(), f.industry[able].tolist(),
                           strict=True):  # fmt: skip
            acquirer.setdefault((z, i), r)
        for row in todo.tolist():
            zone, ind = int(f.zone[row]), int(f.industry[row])
            growing = bool(grew[row])
            plan, target = COMPLIANCE, -1
            if f.entity[row] >= 0:  # an SOE's firm: the SOE reform decides on the entity
                plan = SUPPORT if growing else COMPLIANCE
            elif f.cls[row] == 3 and (f.d_count[row] >= 2 or f.score[row] < d.closure_score):
                plan = CLOSURE
            else:
                dest = -1
                if ind != self.lead[zone]:
                    options = np.flatnonzero(
                        zone_alive & (self.lead == ind) & (idle_left >= f.land[row])
                    )
                    if options.size:
                        dest = int(options[np.argmax(idle_left[options])])
                if dest >= 0:
                    plan, target = TRANSFER, dest
                    idle_left[dest] -= f.land[row]
                elif (zone, ind) in acquirer:
                    plan, target = MERGE, acquirer[(zone, ind)]
                elif growing:
                    plan = SUPPORT
            self._start_plan(model, row, plan, target)

    def _start_plan(self, model: SOEModel, row: int, plan: int, target: int = -1) -> None:
        f, d = self.f, self.cfg.dispositions
        months = (
            d.support_months,
            d.merge_months,
            d.compliance_months,
            d.transfer_months,
            d.closure_months,
        )[plan]
        f.plan[row] = plan
        f.plan_until[row] = model.month + months
        f.plan_target[row] = target
        cost = d.support_cost * float(f.land[row]) if plan == SUPPORT else 0.0
        reason = f"一企一案: {PLANS_ZH[PLANS[plan]]} ({PLANS[plan]}), {months} months"
        kw: dict[str, object] = {}
        if plan == TRANSFER:
            kw["target_zone_id"] = self.zone_ids[target]
        elif plan == MERGE:
            kw["target_firm_id"] = f.ids[target]
        self._ev(
            model,
            "plan",
            row,
            rule="dispositions",
            plan=PLANS[plan],
            reason=reason,
            cost=cost,
            **kw,
        )

    def _resolve_plans(self, model: SOEModel) -> None:
        f, d = self.f, self.cfg.dispositions
        live = self.live_firms()
        due = live[(f.plan[live] >= 0) & (f.plan_until[live] <= model.month)]
        if due.size == 0:
            return
        draws = rand.uniform(self.seed, STREAM_PLAN, f.key[due], model.month)
        for row, u in zip(due.tolist(), draws.tolist(), strict=True):
            plan, target = int(f.plan[row]), int(f.plan_target[row])
            name = PLANS[plan]
            f.plan[row] = -1
            if plan == CLOSURE:
                if u < d.closure_failure:
                    self._ev(
                        model,
                        "plan_failed",
                        row,
                        rule="dispositions",
                        plan=name,
                        reason="closure blocked",
                    )
                    continue
                jobs = float(f.employees[row])
                self._firm_leaves(
                    model,
                    row,
                    "closed",
                    rule="dispositions",
                    plan=name,
                    reason="依法关停: closed by law",
                    jobs=jobs,
                    cost=d.closure_cost * jobs,
                )
            elif plan == TRANSFER:
                land = float(f.land[row])
                if int(f.zone[row]) == target:  # its zone was merged into the destination
                    self._ev(
                        model,
                        "plan_done",
                        row,
                        rule="dispositions",
                        plan=name,
                        reason="合作转移: its zone became part of the destination",
                    )
                    continue
                if (
                    u < d.transfer_failure
                    or not self.zone_alive[target]
                    or self.idle[target] < land
                ):
                    self._fell_through(model, row, name, "transfer")
                    continue
                source = int(f.zone[row])
                self.idle[source] += land
                self.idle[target] -= land
                f.zone[row] = target
                f.park[row] = target
                self._ev(
                    model,
                    "firm_transfer",
                    row,
                    rule="dispositions",
                    plan=name,
                    zone_id=self.zone_ids[source],
                    target_zone_id=self.zone_ids[target],
                    reason="合作转移: moved to a zone led by its industry",
                    cost=d.transfer_cost * land,
                    land_freed=land,
                    land_reused=land,
                )
            elif plan == MERGE:
                if u < d.merge_failure or not f.alive[target]:
                    self._fell_through(model, row, name, "merger")
                    continue
                cut = round(d.merge_job_cut * int(f.employees[row]))
                lift = 1.0 + d.merge_uplift
                f.land[target] += f.land[row]
                f.output[target] += f.output[row] * lift
                f.value_added[target] += f.value_added[row] * lift
                f.tax[target] += f.tax[row] * lift
                f.last_output[target] += f.last_output[row]
                f.employees[target] += int(f.employees[row]) - cut
                self._firm_leaves(
                    model,
                    row,
                    "merged",
                    rule="dispositions",
                    plan=name,
                    target=target,
                    land_to_zone=False,
                    jobs=float(cut),
                    reason="兼并重组: absorbed by a stronger firm of its industry",
                )
            elif plan == SUPPORT:
                ok = u < d.support_success
                if ok:
                    self._uplift(row, d.support_uplift)
                self._ev(
                    model,
                    "plan_done",
                    row,
                    rule="dispositions",
                    plan=name,
                    reason="帮扶提升: " + ("upgraded" if ok else "support did not work"),
                )
            else:  # COMPLIANCE: upgrade, leave (a non-SOE firm) or pay and stay
                paid = d.surcharge * float(f.land[row]) * d.compliance_months / 12.0
                upgraded = u < d.compliance_improve
                leaves = not upgraded and f.entity[row] < 0
                leaves = leaves and u < d.compliance_improve + d.compliance_exit
                if upgraded:
                    self._uplift(row, d.support_uplift)
                outcome = ("upgraded under surcharged prices" if upgraded
                           else "left rather than comply" if leaves
                           else "paid the surcharges, unchanged")  # fmt: skip
                self._ev(model, "plan_done", row, rule="dispositions", plan=name,
                         surcharges=paid, reason=f"倒逼规范: {outcome}")  # fmt: skip
                if leaves:
                    self._firm_leaves(model, row, "exited", rule="dispositions", plan=name,
                                      reason="left the zone under surcharged prices",
                                      jobs=float(f.employees[row]))  # fmt: skip

    def _fell_through(self, model: SOEModel, row: int, plan: str, what: str) -> None:
        """A transfer or merger that fell through: the firm is forced to comply instead."""
        self._ev(model, "plan_failed", row, rule="dispositions", plan=plan,
                 reason=f"{what} fell through: forced to comply instead")  # fmt: skip
        self._start_plan(model, row, COMPLIANCE)

    def _uplift(self, row: int, share: float) -> None:
        f = self.f
        for arr in (f.output, f.value_added, f.tax):
            arr[row] *= 1.0 + share

    # -- 盘活闲置工业用地, 招大引强 ----------------------------------------------------------
    def _land(self, model: SOEModel) -> None:
        """Idle land re-used: new firms take part (more in better zones), the zone's top-ranked
        firms the rest (only under the reform, which ranks them)."""
        f, p, lp = self.f, self.cfg.economy, self.cfg.land
        reform = lp.enabled
        rate = lp.reuse_rate if reform else p.reuse_rate
        if rate <= 0:
            return
        live = self.live_firms()
        nz = len(self.zone_ids)
        zones = np.flatnonzero(self.zone_alive & (self.idle > 0))
        if zones.size == 0:
            return
        land_z = np.bincount(f.zone[live], weights=f.land[live], minlength=nz)
        out_z = np.bincount(f.zone[live], weights=f.output[live], minlength=nz)
        va_z = np.bincount(f.zone[live], weights=f.value_added[live], minlength=nz)
        tax_z = np.bincount(f.zone[live], weights=f.tax[live], minlength=nz)
        per_mu = np.divide(out_z, land_z, out=np.zeros(nz), where=land_z > 0)
        alive = self.zone_alive & (land_z > 0)
        mean = float(out_z[alive].sum() / land_z[alive].sum()) if alive.any() else 0.0
        reused_total = 0.0
        entrants: list[tuple[int, float]] = []
        top = np.zeros(0, dtype=np.int64)
        if reform:
            top = live[f.cls[live] == 0]
        for z in zones.tolist():
            offer = rate * self.idle[z]
            share = 1.0
            if reform:
                rel = per_mu[z] / mean if mean > 0 and land_z[z] > 0 else 1.0
                share = min(1.0, lp.entry_share * rel**lp.attraction)
            # Land offered to entrants accumulates until it makes a plot, never beyond the
            # zone's idle land (nor beyond one plot while the zone has no room for one).
            carry = self._entry_carry[z] + offer * share
            self._entry_carry[z] = min(carry, max(self.idle[z], p.entrant_land_mu))
            while self._entry_carry[z] >= p.entrant_land_mu and self.idle[z] >= p.entrant_land_mu:
                self._entry_carry[z] -= p.entrant_land_mu
                self.idle[z] -= p.entrant_land_mu
                entrants.append((z, p.entrant_land_mu))
                reused_total += p.entrant_land_mu
            rest = min(offer * (1.0 - share), self.idle[z])
            if reform and rest > 0:
                mine = top[f.zone[top] == z]
                if mine.size:
                    weights = f.land[mine] / f.land[mine].sum()
                    extra = rest * weights
                    lift = 1.0 + lp.expansion_yield * extra / f.land[mine]
                    f.output[mine] *= lift
                    f.value_added[mine] *= lift
                    f.tax[mine] *= lift
                    f.land[mine] += extra
                    self.idle[z] -= rest
                    reused_total += rest
        if entrants:
            self._enter(model, entrants, per_mu, out_z, va_z, tax_z, mean)
        if reused_total:
            self.log.record(
                model.month,
                model.date,
                "land_reuse",
                rule="land" if reform else "economy",
                reason="盘活闲置工业用地: idle land taken up by new and top-ranked firms",
                land_reused=reused_total,
            )

    def _enter(
        self,
        model: SOEModel,
        entrants: list[tuple[int, float]],
        per_mu: np.ndarray,
        out_z: np.ndarray,
        va_z: np.ndarray,
        tax_z: np.ndarray,
        mean: float,
    ) -> None:
        f, p = self.f, self.cfg.economy
        rows = f.add(len(entrants))
        zones = np.array([z for z, _ in entrants], dtype=np.int64)
        land = np.array([a for _, a in entrants])
        level = np.where(per_mu[zones] > 0, per_mu[zones], mean) * p.entrant_quality
        output = land * level
        va_ratio = np.divide(
            va_z[zones], out_z[zones], out=np.full(zones.size, 0.227), where=out_z[zones] > 0
        )
        tax_ratio = np.divide(
            tax_z[zones], out_z[zones], out=np.full(zones.size, 0.026), where=out_z[zones] > 0
        )
        start = rows.start
        for _ in range(len(entrants)):
            self._entrants += 1
            f.ids.append(f"FN{self._entrants:06d}")
        f.zone[rows] = zones
        f.park[rows] = zones
        f.entity[rows] = -1
        f.industry[rows] = self.lead[zones]
        f.land[rows] = land
        f.output[rows] = output
        f.value_added[rows] = output * va_ratio
        f.tax[rows] = output * tax_ratio
        f.employees[rows] = np.maximum(1, np.round(output / OUTPUT_PER_WORKER)).astype(np.int64)
        live = self.live_firms()
        f.growth[rows] = float(f.growth[live].mean()) if live.size else 0.0
        f.last_output[rows] = output
        f.alive[rows] = True
        f.born[rows] = model.month
        f.died[rows] = -1
        f.d_count[rows] = 0
        # Ordinal of each entrant among its zone's entrants this month: a zone's entrants get
        # the same keys whatever entered other zones (pairing across plans).
        order = np.argsort(zones, kind="stable")
        first = np.searchsorted(zones[order], zones[order])
        ordinal = np.empty(len(zones), dtype=np.int64)
        ordinal[order] = np.arange(len(zones)) - first
        f.key[rows] = rand.child_keys(self.zone_key[zones], model.month, ordinal)
        for i in range(len(entrants)):
            row = start + i
            self._ev(
                model,
                "firm_enter",
                row,
                rule="land" if self.cfg.land.enabled else "economy",
                reason="招大引强: new firm on re-used idle land",
            )

    # -- outputs ------------------------------------------------------------------------------
    def _record(self, model: SOEModel) -> None:
        f = self.f
        live = self.live_firms()
        land = float(f.land[live].sum())
        row: dict[str, float | int | str] = {
            "month": model.month,
            "date": model.date,
            "zones": int(self.zone_alive.sum()),
            "management_bodies": int(self.bodies[self.zone_alive].sum()),
            "parks": int(sum(len(self.agents[z].parks) for z in np.flatnonzero(self.zone_alive))),
            "firms": int(live.size),
            "soe_firms": int((f.entity[live] >= 0).sum()),
            "land_mu": land + float(self.idle.sum()),
            "idle_land_mu": float(self.idle.sum()),
            "output_per_mu": float(f.output[live].sum()) / land if land else math.nan,
            "value_added_per_mu": float(f.value_added[live].sum()) / land if land else math.nan,
            "tax_per_mu": float(f.tax[live].sum()) / land if land else math.nan,
            "firm_output": float(f.output[live].sum()) / WAN_PER_MN,
            "firm_tax": float(f.tax[live].sum()) / WAN_PER_MN,
            "firm_employees": int(f.employees[live].sum()),
        }
        ranked = live[f.cls[live] >= 0]
        counts = np.bincount(f.cls[ranked], minlength=4)
        for i, name in enumerate(CLASSES):
            row[f"firms_{name}"] = int(counts[i])
            row[f"share_{name}"] = counts[i] / ranked.size if ranked.size else math.nan
        plans = np.bincount(f.plan[live][f.plan[live] >= 0], minlength=len(PLANS))
        for i, name in enumerate(PLANS):
            row[f"firms_{name}"] = int(plans[i])
        row["firms_entered"] = self._entrants
        row["firms_left"] = int((~f.alive[: f.n]).sum())
        for total, column in TOTALS.items():
            row[total] = self.log.totals[column]
        self._rows.append(row)

    def timeseries(self) -> pd.DataFrame:
        """``zones.parquet``: the park indicators by month (month 0 is the start state)."""
        return pd.DataFrame(self._rows)

    def events(self) -> pd.DataFrame:
        """``park_events.parquet``: the park event log."""
        return self.log.to_frame()

    def zone_table(self, model: SOEModel, when: str) -> pd.DataFrame:
        """One row per zone of the start roster, as it stands (``zones_start`` / ``zones_end``)."""
        f = self.f
        live = self.live_firms()
        nz = len(self.zone_ids)
        scores = self._scores_now(model.month)
        land = np.bincount(f.zone[live], weights=f.land[live], minlength=nz)
        out = np.bincount(f.zone[live], weights=f.output[live], minlength=nz)
        va = np.bincount(f.zone[live], weights=f.value_added[live], minlength=nz)
        tax = np.bincount(f.zone[live], weights=f.tax[live], minlength=nz)
        zs = zone_scores(f.zone[live], f.land[live], scores[live], nz)
        firms = np.bincount(f.zone[live], minlength=nz)
        st = model.state
        host = [self.zone_ids[int(h)] if h >= 0 else "" for h in self.host]
        return pd.DataFrame(
            {
                "when": when,
                "date": model.date,
                "zone_id": self.zone_ids,
                "name": self.zone_names,
                "district": [self.district_names[d] for d in self.district],
                "level": [LEVELS[lv] for lv in self.level],
                "alive": self.zone_alive.copy(),
                "merged_into": host,
                "parks": [len(a.parks) if self.zone_alive[a.index] else 0 for a in self.agents],
                "management_bodies": self.bodies.copy(),
                "operator_id": [st.ids[int(r)] if r >= 0 else "" for r in self.operator],
                "industry": [INDUSTRY_NAMES[i] for i in self.lead],
                "firms": firms,
                "land_mu": land + self.idle,
                "idle_land_mu": self.idle.copy(),
                "output_per_mu": np.divide(out, land, out=np.full(nz, np.nan), where=land > 0),
                "value_added_per_mu": np.divide(va, land, out=np.full(nz, np.nan), where=land > 0),
                "tax_per_mu": np.divide(tax, land, out=np.full(nz, np.nan), where=land > 0),
                "score": zs,
                "showcase": [z in self.showcase_zones for z in self.zone_ids],
            }
        )

    # -- invariants ---------------------------------------------------------------------------
    def check(self) -> None:
        """Raise AssertionError if land is not conserved, a firm or zone is unaccounted for in
        the event log, a total differs from its event column, or class shares do not sum to 1."""
        f = self.f
        live = self.live_firms()
        held = float(f.land[live].sum() + self.idle.sum())
        if not math.isclose(held, self.total_land, rel_tol=1e-9, abs_tol=1e-6):
            raise AssertionError(f"land not conserved: {held} mu held, {self.total_land} at start")
        if (self.idle < -1e-9).any():
            raise AssertionError(f"negative idle land in zones {np.flatnonzero(self.idle < -1e-9)}")
        if (self.idle[~self.zone_alive] > 1e-9).any():
            raise AssertionError("an absorbed zone still holds idle land")
        if (f.zone[live] < 0).any() or (~self.zone_alive[f.zone[live]]).any():
            raise AssertionError("a live firm is in a zone that is no longer a zone")
        ev = self.events()
        exits = ev[ev["op"] == "firm_exit"]["firm_id"]
        if exits.duplicated().any():
            raise AssertionError(f"firms with two exits: {exits[exits.duplicated()].tolist()[:5]}")
        dead = {f.ids[r] for r in np.flatnonzero(~f.alive[: f.n]).tolist()}
        if set(exits) != dead:
            raise AssertionError(
                f"dead firms and firm_exit events differ: {sorted(dead ^ set(exits))[:5]}"
            )
        entered = ev[ev["op"] == "firm_enter"]["firm_id"].tolist()
        if f.ids[self.n_start_firms :] != entered:
            raise AssertionError("firms not in the start roster differ from the firm_enter events")
        merged = ev[ev["op"] == "zone_merge"]["zone_id"]
        gone = {self.zone_ids[z] for z in np.flatnonzero(~self.zone_alive).tolist()}
        if merged.duplicated().any() or set(merged) != gone:
            raise AssertionError(
                f"absorbed zones and zone_merge events differ: {sorted(gone ^ set(merged))[:5]}"
            )
        for column in self.log.totals:
            total, summed = self.log.totals[column], float(ev[column].sum())
            if not math.isclose(total, summed, rel_tol=1e-9, abs_tol=1e-9):
                raise AssertionError(f"park total {column} {total} is not its event sum {summed}")
        if not np.isin(f.cls[live], (-1, 0, 1, 2, 3)).all():
            raise AssertionError("a live firm has a class code outside A-D (or unranked)")
        for row in self._rows:  # each recorded month's class shares
            if (
                int(row["firms_A"])
                + int(row["firms_B"])
                + int(row["firms_C"])
                + int(row["firms_D"])
            ):
                shares = sum(float(row[f"share_{c}"]) for c in CLASSES)
                if not math.isclose(shares, 1.0, rel_tol=1e-12):
                    raise AssertionError(f"class shares of month {row['month']} sum to {shares}")
