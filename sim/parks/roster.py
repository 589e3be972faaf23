"""The zone roster: development zones (开发区/园区) and the firms in them, validated.

Two tables, CSV or Parquet, each a file:

- **zones**, one row per zone at the start (:data:`ZONE_COLUMNS`): its district, level, location,
  management bodies (管委会), operating company (an entity id of the SOE roster, or empty), leading
  industry and idle industrial land;
- **firms**, one row per firm in a zone (:data:`FIRM_COLUMNS`): its zone, the SOE entity that owns
  it (empty for a non-SOE firm), industry, land and its annual output, value added, tax and staff.

A zone's land is its firms' land plus its idle land. Money is in 万元 (10,000 yuan) a year, the
unit of 亩均 statistics; land in mu (亩, 666.7 m²). Validation refuses, with one message naming the
file, the rows and the column: missing or unknown columns, empty or duplicate ids, cells that are
not numbers or fall outside their bounds, unknown industries or levels, firms in a zone that is not
in the zones table, value added above output, and SOE links to entities not in the population.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import RosterError
from sim.parks.industries import INDUSTRY_ALIASES, INDUSTRY_NAMES

LEVELS: tuple[str, ...] = ("national", "municipal", "district")
"""国家级 national-level zones (never absorbed under the default rule), 市级 municipal, 区县级
district."""
LEVEL_ALIASES = {"国家级": "national", "市级": "municipal", "区县级": "district"}
MAX_LISTED = 5
MAX_LAND = 1e7
"""Largest land of one firm or zone's idle land, mu (about 6,700 km²: a wrong unit, not a zone)."""
MAX_FLOW = 1e9
"""Largest annual output, value added or tax of one firm, 万元 (10 trillion yuan)."""


@dataclass(frozen=True)
class Column:
    """One column: kind ``id``/``text``/``level``/``industry``/``number``/``count``, its unit and
    meaning, and for numbers their inclusive bounds."""

    name: str
    kind: str
    unit: str
    meaning: str
    low: float | None = None
    high: float | None = None


ZONE_COLUMNS: tuple[Column, ...] = (
    Column("zone_id", "id", "-", "unique identifier of the zone"),
    Column("name", "text", "-", "the zone's name; UTF-8, Chinese allowed"),
    Column("district", "text", "-", "the district or county (区县) the zone lies in"),
    Column("level", "level", "-", "national | municipal | district (国家级 | 市级 | 区县级)"),
    Column("x_km", "number", "km", "location east of a reference point", -1e4, 1e4),
    Column("y_km", "number", "km", "location north of a reference point", -1e4, 1e4),
    Column("bodies", "count", "count", "management bodies (管委会) running the zone", 0, 100),
    Column(
        "operator_id",
        "text",
        "-",
        "the zone's operating company (开发运营公司): an id in the SOE roster, or empty",
    ),
    Column("industry", "industry", "-", "the zone's leading industry (sim.parks.industries)"),
    Column(
        "idle_land_mu", "number", "mu", "industrial land of the zone held by no firm", 0, MAX_LAND
    ),
)
FIRM_COLUMNS: tuple[Column, ...] = (
    Column("firm_id", "id", "-", "unique identifier of the firm"),
    Column("zone_id", "text", "-", "the zone the firm is in (a zone_id of the zones table)"),
    Column("entity_id", "text", "-", "the SOE legal entity that owns it (SOE roster id), or empty"),
    Column("industry", "industry", "-", "the firm's industry (sim.parks.industries)"),
    Column("land_mu", "number", "mu", "industrial land the firm holds", 0.01, MAX_LAND),
    Column("output", "number", "万元/yr", "gross industrial output (工业总产值)", 0, MAX_FLOW),
    Column("value_added", "number", "万元/yr", "industrial value added (工业增加值)", 0, MAX_FLOW),
    Column("tax", "number", "万元/yr", "taxes paid (税收实际贡献)", 0, MAX_FLOW),
    Column("employees", "count", "persons", "headcount", 0, 1e7),
    Column("growth", "number", "share/yr", "trend growth of the firm's output", -0.5, 1.0),
)


def column_table(columns: Sequence[Column]) -> str:
    """A Markdown table of ``columns`` (for the README)."""
    lines = ["| column | unit | meaning | range |", "|---|---|---|---|"]
    for c in columns:
        bounds = f"[{c.low:g}, {c.high:g}]" if c.low is not None and c.high is not None else ""
        lines.append(f"| `{c.name}` | {c.unit} | {c.meaning} | {bounds} |")
    return "\n".join(lines)


def _rows(pos: np.ndarray, values: Iterable[object] | None = None) -> str:
    shown = [int(i) for i in pos[:MAX_LISTED]]
    text = ("row " if len(pos) == 1 else "rows ") + ", ".join(str(i + 1) for i in shown)
    if values is not None:
        shown_values = [v.item() if isinstance(v, np.generic) else v for v in values]
        text += " (" + ", ".join(repr(v) for v in shown_values[:MAX_LISTED]) + ")"
    if len(pos) > MAX_LISTED:
        text += f" and {len(pos) - MAX_LISTED} more"
    return text


def _validate(df: pd.DataFrame, columns: Sequence[Column], source: str) -> pd.DataFrame:
    names = [c.name for c in columns]
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise RosterError(f"{source}: missing column(s) {', '.join(missing)}")
    unknown = [str(c) for c in df.columns if c not in names]
    if unknown:
        raise RosterError(f"{source}: unknown column(s) {', '.join(unknown)}; columns: {names}")
    if len(df) == 0:
        raise RosterError(f"{source}: no rows")
    out: dict[str, pd.Series] = {}
    for c in columns:
        s = df[c.name]
        where = f"{source}: column {c.name}"
        if c.kind in ("id", "text", "level", "industry"):
            text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
            if c.kind == "id":
                bad = np.flatnonzero((text == "").to_numpy())
                if bad.size:
                    raise RosterError(f"{where}: empty at {_rows(bad)}")
                dup = np.flatnonzero(text.duplicated(keep="first").to_numpy())
                if dup.size:
                    raise RosterError(f"{where}: duplicate id at {_rows(dup, text.iloc[dup])}")
            if c.kind in ("level", "industry"):
                aliases = LEVEL_ALIASES if c.kind == "level" else INDUSTRY_ALIASES
                allowed = LEVELS if c.kind == "level" else INDUSTRY_NAMES
                text = text.map(lambda v, a=aliases: a.get(v, v))
                bad = np.flatnonzero(~text.isin(allowed).to_numpy())
                if bad.size:
                    raise RosterError(
                        f"{where}: unknown value at {_rows(bad, text.iloc[bad])}; "
                        f"allowed: {', '.join(allowed)} (or their Chinese names)"
                    )
            out[c.name] = text.reset_index(drop=True)
            continue
        num = pd.to_numeric(s, errors="coerce")
        bad = np.flatnonzero(num.isna().to_numpy())
        if bad.size:
            raise RosterError(f"{where}: not a number at {_rows(bad, s.iloc[bad])}")
        values = num.to_numpy(dtype=np.float64)
        assert c.low is not None and c.high is not None
        bad = np.flatnonzero((values < c.low) | (values > c.high) | ~np.isfinite(values))
        if bad.size:
            raise RosterError(
                f"{where}: outside [{c.low:g}, {c.high:g}] ({c.unit}) at {_rows(bad, values[bad])}"
            )
        if c.kind == "count":
            bad = np.flatnonzero(values != np.round(values))
            if bad.size:
                raise RosterError(f"{where}: not a whole number at {_rows(bad, values[bad])}")
            out[c.name] = pd.Series(values.astype(np.int64))
        else:
            out[c.name] = pd.Series(values)
    return pd.DataFrame(out)


def validate_parks(
    zones: pd.DataFrame,
    firms: pd.DataFrame,
    entity_ids: Sequence[str] | pd.Index | None = None,
    *,
    sources: tuple[str, str] = ("<zones>", "<firms>"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables validated and normalised (columns in schema order, numbers as float64 or
    int64, industries and levels as identifiers). ``entity_ids``: the SOE population's ids, which
    operator and owner links must name (None: not checked)."""
    z = _validate(zones, ZONE_COLUMNS, sources[0])
    f = _validate(firms, FIRM_COLUMNS, sources[1])
    bad = np.flatnonzero(~f["zone_id"].isin(z["zone_id"]).to_numpy())
    if bad.size:
        raise RosterError(
            f"{sources[1]}: column zone_id names no zone of {sources[0]} at "
            f"{_rows(bad, f['zone_id'].iloc[bad])}"
        )
    bad = np.flatnonzero((f["value_added"] > f["output"]).to_numpy())
    if bad.size:
        raise RosterError(f"{sources[1]}: column value_added exceeds output at {_rows(bad)}")
    if entity_ids is not None:
        check_links(z, f, entity_ids, sources)
    return z, f


def check_links(
    zones: pd.DataFrame,
    firms: pd.DataFrame,
    entity_ids: Sequence[str] | pd.Index,
    sources: tuple[str, str] = ("<zones>", "<firms>"),
) -> None:
    """Refuse operator and owner links to entities that are not in the SOE population."""
    known = entity_ids if isinstance(entity_ids, pd.Index) else pd.Index(entity_ids)
    for frame, col, src in ((zones, "operator_id", sources[0]), (firms, "entity_id", sources[1])):
        values = frame[col].to_numpy(dtype=object)
        linked = np.flatnonzero(values != "")
        # A hash lookup of the linked ids only (Series.isin on Arrow strings against a million
        # ids took 10 s).
        missing = known.get_indexer(pd.Index(values[linked])) < 0
        bad = linked[missing]
        if bad.size:
            raise RosterError(
                f"{src}: column {col} names no entity of the SOE population at "
                f"{_rows(bad, frame[col].iloc[bad])} (a zone roster belongs with the "
                "population it was made for)"
            )


def check_operators(
    zones: pd.DataFrame,
    operator_rows: np.ndarray,
    parent: np.ndarray,
    status: np.ndarray,
    source: str = "<zones>",
) -> None:
    """Refuse operating companies that are group headquarters or not operating (shells,
    dormant entities): merging a zone's operator into another's moves the operator's whole
    subtree, so a headquarters would take its group with it. ``operator_rows``: the state row
    of each zone's operator (-1: none); ``parent``/``status``: the SOE population's arrays."""
    linked = operator_rows >= 0
    rows = operator_rows[linked]
    bad_hq = np.flatnonzero(linked)[parent[rows] < 0]
    if bad_hq.size:
        raise RosterError(
            f"{source}: column operator_id names a group headquarters at "
            f"{_rows(bad_hq, zones['operator_id'].iloc[bad_hq])}; a zone's operating company "
            "must be a subsidiary"
        )
    bad = np.flatnonzero(linked)[status[rows] != 0]
    if bad.size:
        raise RosterError(
            f"{source}: column operator_id names a shell or dormant entity at "
            f"{_rows(bad, zones['operator_id'].iloc[bad])}; a zone's operating company must be "
            "operating"
        )


def load_parks(
    zones_path: str | Path,
    firms_path: str | Path,
    entity_ids: Sequence[str] | pd.Index | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate a zone roster's two files (CSV or Parquet)."""
    from sim.population.roster import read_table

    zp, fp = Path(zones_path), Path(firms_path)
    zones = read_table(zp, "zone roster")
    firms = read_table(fp, "firm roster")
    return validate_parks(zones, firms, entity_ids, sources=(str(zp), str(fp)))
