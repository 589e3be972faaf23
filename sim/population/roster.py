"""Read and validate a roster of real entities (one row per legal entity, 法人).

A roster is a CSV (UTF-8, with or without BOM) or Parquet table in the schema of
:mod:`sim.population.schema`. :func:`load_roster` reads a file; :func:`validate_roster` checks a
table and returns a normalised copy:

* exactly the schema columns, in schema order (unknown columns are dropped with a warning);
* ``id``, ``parent_id``, ``name``, ``sector``, ``status`` as Python ``str`` (object dtype),
  stripped of surrounding whitespace; ``parent_id`` is ``""`` for a group headquarters (集团);
  ``sector`` and ``status`` lowercased;
* money and area columns ``float64``, counts (``employees``, ``loss_years``) ``int64``,
  ``core`` ``bool``;
* schema defaults for missing optional columns and for empty cells in them;
* rows ordered so that every parent precedes its children (stable by depth, HQ depth 1),
  index ``0..n-1``.

Every problem raises one :class:`~sim.errors.RosterError` naming the source, the problem and
where it is: 1-based data row numbers in the original input order plus the entity ids (for a
CSV file that cannot be read as such, the line number too). All checks are vectorised, so a
roster of a million rows validates in a few seconds.

Numeric cells are bounded by the schema (``Column.low``/``Column.high``) so that no sum over the
roster can overflow; they are read as float64 and checked before the counts become int64.
Ids are at most :data:`~sim.population.schema.MAX_ID_LENGTH` characters, and N-numbers (ids
``N<digits>``, reserved for entities founded in the run) at most
:data:`~sim.population.schema.MAX_N_DIGITS` digits. Names must not be empty, and the roster's
total assets must be positive (every ratio to assets would be undefined otherwise).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.errors import RosterError
from sim.population.schema import (
    COLUMN_BY_NAME,
    COLUMNS,
    DEFAULT_CASH_SHARE,
    MAX_ID_LENGTH,
    MAX_N_DIGITS,
    REQUIRED,
    STATUSES,
)
from sim.sectors import SECTOR_NAMES

__all__ = ["load_roster", "validate_roster"]

logger = logging.getLogger(__name__)

CSV_SUFFIXES: tuple[str, ...] = (".csv",)
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")

MAX_LISTED = 5
"""How many offending rows (or values) an error message lists before saying "and N more"."""

SUM_TOLERANCE = 1e-9
"""Relative tolerance for ``cash + receivables + idle_assets <= assets``."""

_NA_TOKENS: frozenset[str] = frozenset({"", "nan", "na", "n/a", "null", "none"})
"""Text that counts as an empty cell in a numeric column (compared lowercased)."""

_TRUE_TOKENS: tuple[str, ...] = ("true", "1", "yes", "y", "t", "是")
_FALSE_TOKENS: tuple[str, ...] = ("false", "0", "no", "n", "f", "否")

_NUMERIC_KINDS = ("money", "count", "area")
_NUMERIC: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind in _NUMERIC_KINDS)
_COUNTS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "count")
"""Whole-number columns (``employees``, ``loss_years``), checked whole and returned as int64."""
_SUM_PARTS: tuple[str, ...] = ("cash", "receivables", "idle_assets")

_OTHER_DELIMITERS: dict[str, str] = {";": "';'", "\t": "a tab", "|": "'|'"}
"""Delimiters a roster file may mistakenly use instead of commas, as messages name them."""

_SAVE_AS_UTF8 = "save the file as UTF-8 (in Excel: Save As → CSV UTF-8)"
_N_NUMBER = r"^N\p{Nd}+$"
r"""An N-number id, as ``sim.model`` reads them (Python's ``\d`` is any Unicode digit)."""
_SURROGATE = re.compile("[\udc80-\udcff]")
"""An undecodable byte in text decoded with ``errors="surrogateescape"``."""


# --------------------------------------------------------------------------------------------
# Reading files


def load_roster(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet roster and return it validated and normalised.

    Args:
        path: a ``.csv`` file (UTF-8, with or without BOM) or a ``.parquet``/``.pq`` file.

    Returns:
        The normalised roster (see :func:`validate_roster`).

    Raises:
        RosterError: the file is missing, is not a file, has another extension, cannot be
            parsed, has no rows, or breaks the schema.
    """
    p = Path(path)
    return validate_roster(read_table(p), source=str(p))


def read_table(p: Path, what: str = "roster") -> pd.DataFrame:
    """The table in a CSV or Parquet file, unvalidated; ``what`` names the file in messages.

    Raises:
        RosterError: the file is missing, is not a file, has another extension, is empty or
            cannot be parsed.
    """
    if not p.exists():
        raise RosterError(f"{what} file {p} not found")
    if not p.is_file():
        raise RosterError(f"{what} file {p} is not a file")
    suffix = p.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise RosterError(
            f"{what} file {p} is not a CSV or Parquet file (expected .csv, .parquet or .pq)"
        )
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise RosterError(f"{what} file {p} could not be read: {exc}") from exc
    if size == 0:
        raise RosterError(f"{p}: {what} has no rows (the file is empty)")
    return _read_csv(p) if suffix in CSV_SUFFIXES else _read_parquet(p)


def _read_csv(p: Path) -> pd.DataFrame:
    """Read every cell of a CSV as text, keeping duplicate header names as they are."""
    try:
        with p.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise RosterError(f"roster file {p} could not be read: {exc}") from exc
    if b"\x00" in head:
        raise RosterError(f"roster file {p} could not be parsed as CSV: it holds binary data")
    header_line = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    delimiter = _other_delimiter(header_line.decode("utf-8", errors="replace").split(","))
    if delimiter is not None:
        raise RosterError(
            f"roster file {p} could not be parsed as CSV: the file seems to use "
            f"{_OTHER_DELIMITERS[delimiter]} as delimiter (its header, line 1, is split by "
            f"{_OTHER_DELIMITERS[delimiter]}, not by commas); soe-sim reads comma-separated "
            "files: save it with commas (in Excel: Save As → CSV UTF-8 (Comma delimited))"
        )
    try:
        # header=None keeps duplicated header names (pandas would rename them "x.1") and makes a
        # data line with more fields than the header a parse error instead of a silent index.
        raw = pd.read_csv(
            p,
            header=None,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            index_col=False,
        )
    except pd.errors.EmptyDataError as exc:
        raise RosterError(f"{p}: roster has no rows (the file is empty)") from exc
    except OSError as exc:
        raise RosterError(f"roster file {p} could not be read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RosterError(_encoding_message(p)) from exc
    except ValueError as exc:  # ParserError
        raise RosterError(f"roster file {p} could not be parsed as CSV: {exc}") from exc
    header = ["" if pd.isna(h) else str(h) for h in raw.iloc[0].tolist()]
    df = raw.iloc[1:].reset_index(drop=True)
    df.columns = pd.Index(header, dtype=object)
    return df


def _other_delimiter(header: Sequence[str]) -> str | None:
    """The delimiter the header seems to use instead of commas, or None.

    Args:
        header: the header cells as split at commas.

    Returns:
        A key of :data:`_OTHER_DELIMITERS` if splitting at it finds more required column names
        than splitting at commas did, else None.
    """

    def found(cells: Iterable[str]) -> int:
        return len({c.strip().strip('"').strip().lower() for c in cells} & set(REQUIRED))

    line = ",".join(header)
    with_commas = found(header)
    if with_commas == len(REQUIRED):
        return None
    best, best_found = None, with_commas
    for delimiter in _OTHER_DELIMITERS:
        n = found(line.split(delimiter)) if delimiter in line else 0
        if n > best_found:
            best, best_found = delimiter, n
    return best


def _encoding_message(p: Path) -> str:
    """Say where the first byte that is not UTF-8 is: data row, column and line.

    Only runs when reading failed, so it may re-read the file; it parses the CSV records up to
    the line holding that byte (to count rows as the reader does: cells may span lines, blank
    lines are skipped).
    """
    prefix = f"roster file {p} could not be parsed as CSV: it is not UTF-8"
    try:
        data = p.read_bytes()
    except OSError:
        return f"{prefix}; {_SAVE_AS_UTF8}"
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        start = bom + exc.start
    else:  # pandas disagreed; say what is known
        return f"{prefix}; {_SAVE_AS_UTF8}"
    line = data.count(b"\n", 0, start) + 1
    byte = f"0x{data[start]:02x}"
    end = data.find(b"\n", start)
    text = data[bom : len(data) if end < 0 else end].decode("utf-8", errors="surrogateescape")
    where = f"line {line}"
    try:
        header: list[str] = []
        records = (r for r in csv.reader(io.StringIO(text, newline="")) if r)
        for number, record in enumerate(records):
            if number == 0:
                header = record
            bad = [i for i, cell in enumerate(record) if _SURROGATE.search(cell)]
            if not bad:
                continue
            if number == 0:
                where = f"the header, line {line}"
            else:
                column = header[bad[0]] if bad[0] < len(header) else f"field {bad[0] + 1}"
                if _SURROGATE.search(column):
                    column = f"field {bad[0] + 1}"
                where = f"data row {number}, column {column.strip()!r}, line {line}"
            break
    except csv.Error:
        pass
    return f"{prefix} (the first undecodable byte, {byte}, is in {where}); {_SAVE_AS_UTF8}"


def _read_parquet(p: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(p, engine="pyarrow")
    except (ValueError, OSError, pa.ArrowException) as exc:
        raise RosterError(f"roster file {p} could not be parsed as Parquet: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Message formatting


def _fmt_num(v: float) -> str:
    return f"{v:.10g}"


def _rows(
    pos: np.ndarray,
    ids: np.ndarray | None,
    details: Sequence[str] | None = None,
    detail_label: str = "values",
) -> str:
    """Describe offending rows: ``rows 3, 7 (ids 'A12', 'B3')``, at most MAX_LISTED of them.

    Args:
        pos: 0-based positions in the original input order.
        ids: the ids of all rows (indexed by position), or None to leave them out.
        details: per-row detail strings, aligned with ``pos`` (only the first MAX_LISTED read).
        detail_label: what the details are, e.g. "values".
    """
    n = len(pos)
    shown = [int(i) for i in pos[:MAX_LISTED]]
    text = ("row " if n == 1 else "rows ") + ", ".join(str(i + 1) for i in shown)
    parts = []
    if ids is not None:
        parts.append(("id " if n == 1 else "ids ") + ", ".join(repr(ids[i]) for i in shown))
    if details is not None:
        label = detail_label.removesuffix("s") if n == 1 else detail_label
        parts.append(label + " " + ", ".join(details[: len(shown)]))
    if parts:
        text += " (" + "; ".join(parts) + ")"
    if n > MAX_LISTED:
        text += f" and {n - MAX_LISTED} more"
    return text


def _quoted(values: Sequence[object], limit: int = MAX_LISTED) -> str:
    text = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        text += f" and {len(values) - limit} more"
    return text


# --------------------------------------------------------------------------------------------
# Column conversion (all vectorised)


def _is_number_dtype(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s.dtype)) and not bool(
        pd.api.types.is_bool_dtype(s.dtype)
    )


def _text(s: pd.Series) -> pa.Array:
    """Column as a pyarrow large_string array, stripped of surrounding whitespace; missing -> "".

    Whole-number floats (an integer id column with gaps) read as integers ("12", not "12.0").
    """
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        obj = s.astype(str).to_numpy(dtype=object, copy=True)  # NaN stays NaN
        whole = np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 2.0**53)
        obj[whole] = v[whole].astype(np.int64).astype(str).astype(object)
        s = pd.Series(obj, dtype=object)
    arr: pa.Array | pa.ChunkedArray | None
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed or huge Python objects
        arr = None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pa.array(s.astype(str), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.cast(arr, pa.large_string())
    return pc.utf8_trim_whitespace(pc.fill_null(arr, ""))


def _np(arr: pa.Array) -> np.ndarray:
    """A null-free pyarrow array as a writable numpy array (Python str objects for strings)."""
    return np.array(arr.to_numpy(zero_copy_only=False), copy=True)


def _lower(text: pa.Array) -> pa.Array:
    return pc.utf8_lower(text)


def _isin(text: pa.Array, allowed: Iterable[str]) -> np.ndarray:
    value_set = pa.array(list(allowed), type=pa.large_string())
    return _np(pc.is_in(text, value_set=value_set))


def _equal(text: pa.Array, value: str) -> np.ndarray:
    return _np(pc.equal(text, pa.scalar(value, type=pa.large_string())))


class _Numbers:
    """A numeric column parsed from any dtype: values, empty cells and unparsable cells."""

    def __init__(
        self, values: np.ndarray, missing: np.ndarray, bad: np.ndarray, text: pa.Array | None
    ):
        self.values = values
        self.missing = missing
        self.bad = bad
        self.text = text

    def shown_text(self, pos: np.ndarray) -> list[str]:
        """The cells at ``pos`` (first MAX_LISTED) as written, quoted for a message."""
        if self.text is None:
            return [_fmt_num(self.values[i]) for i in pos[:MAX_LISTED]]
        return [repr(v) for v in self.text.take(pa.array(pos[:MAX_LISTED])).to_pylist()]


def _numbers(s: pd.Series | None, n: int) -> _Numbers:
    if s is None:  # optional column not given
        return _Numbers(np.full(n, np.nan), np.ones(n, bool), np.zeros(n, bool), None)
    if _is_number_dtype(s):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return _Numbers(v, np.isnan(v), np.zeros(n, bool), None)
    text = _text(s)
    empty = pc.equal(text, pa.scalar("", type=pa.large_string()))
    try:  # fast path: every non-empty cell is a number ("nan" and "inf" included)
        parsed = pc.cast(pc.if_else(empty, pa.scalar(None, pa.large_string()), text), pa.float64())
        v = _np(pc.fill_null(parsed, np.nan))
        return _Numbers(v, np.isnan(v), np.zeros(n, bool), text)
    except pa.ArrowInvalid:
        pass
    obj = pd.Series(_np(text), dtype=object)
    v = pd.to_numeric(obj, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    nan = np.isnan(v)
    is_na = _isin(_lower(text), _NA_TOKENS)
    return _Numbers(v, nan & is_na, nan & ~is_na, text)


# --------------------------------------------------------------------------------------------
# Validation


def validate_roster(df: pd.DataFrame, source: str = "<roster>") -> pd.DataFrame:
    """Check a roster table against the schema and return a normalised copy.

    Args:
        df: the roster, one row per legal entity; cells may be text or typed values.
        source: where the table came from, used in error messages (e.g. the file path).

    Returns:
        A new DataFrame with exactly the schema columns in schema order, typed, defaults filled,
        rows ordered parent before child (stable by depth), index 0..n-1.

    Raises:
        RosterError: one error for the first failed check, naming ``source``, the problem and the
            offending rows (1-based, original order) and ids.
    """
    if not isinstance(df, pd.DataFrame):
        raise RosterError(f"{source}: roster must be a pandas DataFrame, got {type(df).__name__}")
    n = len(df)
    if n == 0:
        raise RosterError(f"{source}: roster has no rows")

    # --- columns -----------------------------------------------------------------------------
    names = [str(c).strip().lower() for c in df.columns]
    name_index = pd.Index(names, dtype=object)
    dup_cols = name_index[name_index.duplicated()].unique().tolist()
    if dup_cols:
        raise RosterError(f"{source}: duplicate column(s) {_quoted(dup_cols, limit=len(dup_cols))}")
    cols: dict[str, pd.Series] = {
        name: df.iloc[:, i] for i, name in enumerate(names) if name in COLUMN_BY_NAME
    }
    missing_cols = [c for c in REQUIRED if c not in cols]
    if missing_cols:
        delimiter = _other_delimiter([str(c) for c in df.columns])
        hint = (
            ""
            if delimiter is None
            else f"; the column names seem to be joined by {_OTHER_DELIMITERS[delimiter]}"
            " (a file read with the wrong delimiter?)"
        )
        raise RosterError(
            f"{source}: missing required column(s) "
            f"{_quoted(missing_cols, limit=len(missing_cols))}; "
            f"required columns are: {', '.join(REQUIRED)}{hint}"
        )
    extra = [
        str(c) for c, name in zip(df.columns, names, strict=True) if name not in COLUMN_BY_NAME
    ]
    if extra:
        logger.warning(
            "%s: ignoring unknown roster column(s) %s", source, _quoted(extra, limit=len(extra))
        )

    # --- 3. ids --------------------------------------------------------------------------------
    id_text = _text(cols["id"])
    empty_id = _equal(id_text, "")
    if empty_id.any():
        raise RosterError(f"{source}: empty id in {_rows(np.flatnonzero(empty_id), None)}")
    id_length = _np(pc.utf8_length(id_text))
    long_id = id_length > MAX_ID_LENGTH
    if long_id.any():
        pos = np.flatnonzero(long_id)
        shown = [_short_id(id_text, int(i), int(id_length[i])) for i in pos[:MAX_LISTED]]
        raise RosterError(
            f"{source}: id longer than {MAX_ID_LENGTH} characters in "
            + _rows(pos, None, shown, "ids")
        )
    ids = _np(id_text)
    n_number = _np(pc.match_substring_regex(id_text, _N_NUMBER))
    long_number = n_number & (id_length - 1 > MAX_N_DIGITS)
    if long_number.any():
        pos = np.flatnonzero(long_number)
        raise RosterError(
            f"{source}: N-number id with more than {MAX_N_DIGITS} digits in {_rows(pos, ids)};"
            " ids of the form N<digits> are reserved for entities founded in the run, which are"
            " numbered on from the largest N-number in the roster, so a roster's N-numbers may"
            f" have at most {MAX_N_DIGITS} digits: give these entities other ids"
        )
    positions = np.arange(n, dtype=np.int64)
    first = _np(pc.index_in(id_text, value_set=id_text)).astype(np.int64)  # first occurrence
    later = first != positions
    if later.any():
        dup = later.copy()
        dup[first[later]] = True
        pos = np.flatnonzero(dup)
        groups = pd.Series(pos).groupby(ids[pos], sort=False).agg(list)
        shown = [
            f"{key!r} (rows {', '.join(str(int(i) + 1) for i in rows[:MAX_LISTED])}"
            + (f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else "")
            + ")"
            for key, rows in groups.iloc[:MAX_LISTED].items()
        ]
        more = f" and {len(groups) - MAX_LISTED} more" if len(groups) > MAX_LISTED else ""
        raise RosterError(f"{source}: duplicate ids: {', '.join(shown)}{more}")

    # --- names --------------------------------------------------------------------------------
    name_text = _text(cols["name"])
    empty_name = _equal(name_text, "")
    if empty_name.any():
        raise RosterError(
            f"{source}: empty name in {_rows(np.flatnonzero(empty_name), ids)};"
            " every entity needs its registered name"
        )

    # --- 4. tree ------------------------------------------------------------------------------
    parent_text = _text(cols["parent_id"])
    is_root = _equal(parent_text, "")
    parent = _np(pc.fill_null(pc.index_in(parent_text, value_set=id_text), -1)).astype(np.int64)
    parent_ids = _np(parent_text)
    unknown = ~is_root & (parent < 0)
    if unknown.any():
        pos = np.flatnonzero(unknown)
        raise RosterError(
            f"{source}: parent_id not found among ids in "
            + _rows(pos, ids, [repr(parent_ids[i]) for i in pos[:MAX_LISTED]], "parent_ids")
        )
    self_parent = ~is_root & (parent == positions)
    if self_parent.any():
        raise RosterError(
            f"{source}: entity is its own parent in {_rows(np.flatnonzero(self_parent), ids)}"
        )
    dist, top = _climb(parent, is_root)
    orphan = ~is_root[top]
    if orphan.any():
        raise RosterError(_cycle_message(source, ids, parent, top, orphan))
    depth = dist + 1

    # --- 5. numbers ---------------------------------------------------------------------------
    nums = {c: _numbers(cols.get(c), n) for c in _NUMERIC}
    for c in _NUMERIC:
        bad = nums[c].bad
        if bad.any():
            pos = np.flatnonzero(bad)
            values = nums[c].shown_text(pos)
            raise RosterError(
                f"{source}: non-numeric values in column {c!r} in {_rows(pos, ids, values)}"
            )
    for c in _NUMERIC:
        if COLUMN_BY_NAME[c].required and nums[c].missing.any():
            pos = np.flatnonzero(nums[c].missing)
            raise RosterError(
                f"{source}: empty or NaN value in required column {c!r} in {_rows(pos, ids)}"
            )
    for col in _NUMERIC:
        v = nums[col].values
        hit = np.isinf(v)
        if hit.any():
            pos = np.flatnonzero(hit)
            values = [_fmt_num(v[i]) for i in pos[:MAX_LISTED]]
            raise RosterError(
                f"{source}: infinite value in column {col!r} in {_rows(pos, ids, values)}"
            )
    for col in _NUMERIC:
        column = COLUMN_BY_NAME[col]
        lo = -math.inf if column.low is None else column.low
        hi = math.inf if column.high is None else column.high
        v = nums[col].values
        with np.errstate(invalid="ignore"):  # NaN (missing) compares False
            low, high = v < lo, v > hi
        if low.any():
            pos = np.flatnonzero(low)
            values = [_fmt_num(v[i]) for i in pos[:MAX_LISTED]]
            label = "negative value" if lo == 0 else f"value below {_bound(lo)}"
            raise RosterError(f"{source}: {label} in column {col!r} in {_rows(pos, ids, values)}")
        if high.any():
            pos = np.flatnonzero(high)
            values = [_fmt_num(v[i]) for i in pos[:MAX_LISTED]]
            raise RosterError(
                f"{source}: value too large in column {col!r} in {_rows(pos, ids, values)};"
                f" the schema allows at most {_bound(hi)} {column.unit} per entity"
                " (check the unit; the bound keeps totals over the roster finite)"
            )
    for col in _COUNTS:
        whole = nums[col].values
        fractional = np.isfinite(whole) & (whole != np.floor(whole))
        if fractional.any():
            pos = np.flatnonzero(fractional)
            values = [_fmt_num(whole[i]) for i in pos[:MAX_LISTED]]
            raise RosterError(f"{source}: {col} is not a whole number in {_rows(pos, ids, values)}")

    # --- 6. categories ------------------------------------------------------------------------
    sector_text = _lower(_text(cols["sector"]))
    sector = _np(sector_text)
    bad_sector = ~_isin(sector_text, SECTOR_NAMES)
    if bad_sector.any():
        pos = np.flatnonzero(bad_sector)
        bad_values = pd.unique(pd.Series(sector[pos], dtype=object)).tolist()
        raise RosterError(
            f"{source}: unknown sector {_quoted(bad_values)} in {_rows(pos, ids)};"
            f" valid sectors are: {', '.join(SECTOR_NAMES)}"
        )
    status = _categorical_default(cols.get("status"), n, str(COLUMN_BY_NAME["status"].default))
    bad_status = ~np.isin(status, np.array(STATUSES, dtype=object))
    if bad_status.any():
        pos = np.flatnonzero(bad_status)
        bad_values = pd.unique(pd.Series(status[pos], dtype=object)).tolist()
        raise RosterError(
            f"{source}: unknown status {_quoted(bad_values)} in {_rows(pos, ids)};"
            f" valid statuses are: {', '.join(STATUSES)}"
        )
    core, bad_core, core_shown = _core(cols.get("core"), n, bool(COLUMN_BY_NAME["core"].default))
    if bad_core.any():
        pos = np.flatnonzero(bad_core)
        raise RosterError(
            f"{source}: core value not understood in {_rows(pos, ids, core_shown)};"
            f" use one of {', '.join(_TRUE_TOKENS)} / {', '.join(_FALSE_TOKENS)}"
        )

    # --- defaults -----------------------------------------------------------------------------
    values_by_col: dict[str, np.ndarray] = {}
    for c in _NUMERIC:
        if c == "cash":
            continue
        v = nums[c].values.copy()
        default = COLUMN_BY_NAME[c].default
        if nums[c].missing.any():
            v[nums[c].missing] = float(default) if isinstance(default, int | float) else 0.0
        values_by_col[c] = v
    assets = values_by_col["assets"]
    cash = nums["cash"].values.copy()
    cash_missing = nums["cash"].missing
    if cash_missing.any():
        # DEFAULT_CASH_SHARE of assets, but never more than the assets left after receivables and
        # idle assets, so a default cannot by itself break the sum check below.
        room = np.maximum(assets - values_by_col["receivables"] - values_by_col["idle_assets"], 0)
        cash[cash_missing] = np.minimum(DEFAULT_CASH_SHARE * assets, room)[cash_missing]
    values_by_col["cash"] = cash

    # --- 7. parts of assets -------------------------------------------------------------------
    parts = [values_by_col[c] for c in _SUM_PARTS]
    total = parts[0] + parts[1] + parts[2]
    over = total > assets * (1.0 + SUM_TOLERANCE)
    if over.any():
        pos = np.flatnonzero(over)
        details = [
            " + ".join(_fmt_num(p[i]) for p in parts)
            + f" = {_fmt_num(total[i])} > {_fmt_num(assets[i])}"
            for i in pos[:MAX_LISTED]
        ]
        raise RosterError(
            f"{source}: cash + receivables + idle_assets exceeds assets in "
            + _rows(pos, ids, details, "sums")
        )

    # --- 8. HQ loans --------------------------------------------------------------------------
    loan = values_by_col["intra_group_loan"]
    hq_loan = is_root & (loan > 0)
    if hq_loan.any():
        pos = np.flatnonzero(hq_loan)
        values = [_fmt_num(loan[i]) for i in pos[:MAX_LISTED]]
        raise RosterError(
            f"{source}: intra_group_loan > 0 on a group headquarters (no parent_id) in "
            + _rows(pos, ids, values)
        )

    # --- 9. the whole roster ------------------------------------------------------------------
    if not assets.sum() > 0:  # bounded cells: the sum is finite
        raise RosterError(
            f"{source}: the roster's total assets are 0 (every entity has assets 0), so every"
            " ratio to assets (debt ratio, asset shares) would be undefined; give the entities"
            " their assets in mn yuan"
        )

    # --- assemble, parents first --------------------------------------------------------------
    order = np.argsort(depth, kind="stable")
    out: dict[str, pd.Series] = {
        "id": pd.Series(ids[order], dtype=object),
        "parent_id": pd.Series(parent_ids[order], dtype=object),
        "name": pd.Series(_np(name_text)[order], dtype=object),
        "sector": pd.Series(sector[order], dtype=object),
        "core": pd.Series(core[order], dtype=bool),
        "status": pd.Series(status[order], dtype=object),
    }
    for c in _NUMERIC:
        dtype = np.int64 if c in _COUNTS else np.float64
        out[c] = pd.Series(values_by_col[c][order].astype(dtype), dtype=dtype)
    return pd.DataFrame({c.name: out[c.name] for c in COLUMNS})


def _bound(v: float) -> str:
    """A schema bound for a message: ``1e+09`` rather than ``1000000000``."""
    return f"{v:g}"


def _short_id(text: pa.Array, i: int, length: int) -> str:
    """An overlong id for a message: its start, quoted, and its length."""
    start = str(text[i].as_py())[:24]
    return f"{start!r}... ({length} characters)"


def _climb(parent: np.ndarray, is_root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointer jumping up the parent links.

    Returns ``(dist, top)``: for an entity whose chain reaches a root, ``dist`` is its number of
    steps to that root and ``top`` the root; for an entity in or below a cycle, ``top`` is an
    entity on a cycle (it has climbed at least n steps) and is not a root.
    """
    n = len(parent)
    top = np.where(is_root, np.arange(n, dtype=np.int64), parent)
    dist = (~is_root).astype(np.int64)
    for _ in range(max(1, math.ceil(math.log2(n + 1))) + 1):
        new_top = top[top]
        if np.array_equal(new_top, top):
            break
        dist = dist + dist[top]
        top = new_top
    return dist, top


def _cycle_message(
    source: str, ids: np.ndarray, parent: np.ndarray, top: np.ndarray, orphan: np.ndarray
) -> str:
    pos = np.flatnonzero(orphan)
    on_cycle = np.unique(top[pos])  # every climbed-to entity is on a cycle
    start = int(on_cycle[0])
    walk = [start]
    node = int(parent[start])
    while node != start and len(walk) < 10:
        walk.append(node)
        node = int(parent[node])
    chain = " -> ".join(f"{ids[i]!r} (row {i + 1})" for i in walk)
    chain += f" -> {ids[start]!r}" if node == start else " -> ..."
    return (
        f"{source}: parent_id cycle {chain}; {len(pos)} entities never reach a group"
        " headquarters (in or below a cycle): " + _rows(pos, ids)
    )


def _categorical_default(s: pd.Series | None, n: int, default: str) -> np.ndarray:
    """Lowercased text of a categorical column as an object array; empty cells take ``default``."""
    if s is None:
        return np.full(n, default, dtype=object)
    text = _lower(_text(s))
    return _np(pc.if_else(pc.equal(text, ""), default, text))


def _core(s: pd.Series | None, n: int, default: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Parse the ``core`` column.

    Returns ``(values, bad, shown)``: ``shown`` holds the first MAX_LISTED bad cells as written,
    quoted for a message (empty when nothing is bad).
    """
    no_bad = np.zeros(n, bool)
    if s is None:
        return np.full(n, default, dtype=bool), no_bad, []
    if pd.api.types.is_bool_dtype(s.dtype):  # numpy bool, or nullable boolean with <NA>
        return s.fillna(default).to_numpy(dtype=bool), no_bad, []
    if _is_number_dtype(s):
        f = s.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(f)
        bad = ~missing & (f != 0) & (f != 1)
        shown = [repr(_fmt_num(x)) for x in f[bad][:MAX_LISTED]]
        return np.where(missing, default, f == 1), bad, shown
    raw = _text(s)
    lowered = _lower(raw)
    true = _isin(lowered, _TRUE_TOKENS)
    false = _isin(lowered, _FALSE_TOKENS)
    empty = _equal(lowered, "")
    bad = ~(true | false | empty)
    first_bad = pa.array(np.flatnonzero(bad)[:MAX_LISTED])
    shown = [repr(v) for v in raw.take(first_bad).to_pylist()]
    return true | (empty & default), bad, shown
