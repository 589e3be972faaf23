"""Read and validate a roster of real entities (one row per legal entity, 法人).

A roster is a CSV (UTF-8, with or without BOM) or Parquet table in the schema of
:mod:`sim.population.schema`. :func:`load_roster` reads a file; :func:`validate_roster` checks a
table and returns a normalised copy:

* exactly the schema columns, in schema order (unknown columns are dropped with a warning);
* ``id``, ``parent_id``, ``name``, ``sector``, ``status`` as Python ``str`` (object dtype),
  stripped of surrounding whitespace; ``parent_id`` is ``""`` for a group headquarters (集团);
  ``status`` lowercased; ``sector`` the sector's identifier (:data:`sim.sectors.SECTOR_NAMES`),
  for a cell holding the identifier in any case or a Chinese name of the sector
  (:data:`sim.sectors.SECTOR_ALIASES`: 城投, 制造业, 服务业, ...);
* money and area columns ``float64``, counts (``employees``, ``loss_years``) ``int64``,
  ``core`` ``bool``;
* schema defaults for missing optional columns and for empty cells in them;
* rows ordered so that every parent precedes its children (stable by depth, HQ depth 1),
  index ``0..n-1``.

Every problem raises one :class:`~sim.errors.RosterError` naming the source, the problem and
where it is: 1-based data row numbers in the original input order plus the entity ids (for a
CSV file that cannot be read as such, the line number too). All checks are vectorised, and a CSV
file is read by Arrow's multithreaded reader with the numbers parsed as it reads, so loading a
roster of a million rows takes about 1.6 s in the process (about 3 s for a whole process that
only loads it, imports included), at a peak memory little above that of the table returned.

Numeric cells are bounded by the schema (``Column.low``/``Column.high``) so that no sum over the
roster can overflow; they are read as float64 and checked before the counts become int64.
Ids are at most :data:`~sim.population.schema.MAX_ID_LENGTH` characters, and N-numbers (ids
``N<digits>``, reserved for entities founded in the run) at most
:data:`~sim.population.schema.MAX_N_DIGITS` digits. Names must not be empty, and the roster's
total assets must be positive (every ratio to assets would be undefined otherwise).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import logging
import math
import mmap
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
from sim.sectors import SECTOR_ALIASES, SECTOR_CODE, SECTOR_NAMES, SECTORS

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

_SECTOR_KEYS = pa.array(
    [*SECTOR_NAMES, *(a.lower() for a in SECTOR_ALIASES)], type=pa.large_string()
)
"""What a lowercased ``sector`` cell may be: an identifier or a Chinese name (alias)."""
_SECTOR_KEY_CODE = np.array(
    [*range(len(SECTOR_NAMES)), *(SECTOR_CODE[s] for s in SECTOR_ALIASES.values())], dtype=np.int8
)
"""The sector code of each of :data:`_SECTOR_KEYS`."""
_SECTOR_OBJECTS = np.array(SECTOR_NAMES, dtype=object)
_STATUS_OBJECTS = np.array(STATUSES, dtype=object)

_NUMERIC_KINDS = ("money", "count", "area")
_NUMERIC: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind in _NUMERIC_KINDS)
_COUNTS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "count")
"""Whole-number columns (``employees``, ``loss_years``), checked whole and returned as int64."""
_SUM_PARTS: tuple[str, ...] = ("cash", "receivables", "idle_assets")
_TEXT: tuple[str, ...] = ("id", "parent_id", "name", "sector", "status")
"""The text columns, in the rows of the returned frame's block of Python strings."""

_OTHER_DELIMITERS: dict[str, str] = {";": "';'", "\t": "a tab", "|": "'|'"}
"""Delimiters a roster file may mistakenly use instead of commas, as messages name them."""

type _Cells = pd.Series | pa.Array | pa.ChunkedArray
"""A column as :func:`_validate` takes it: a pandas Series, or Arrow arrays from the CSV reader
(float64 for the numeric columns, strings for the others)."""

_SAVE_AS_UTF8 = "save the file as UTF-8 (in Excel: Save As → CSV UTF-8)"
_N_NUMBER = r"^N\p{Nd}+$"
r"""An N-number id, as ``sim.model`` reads them (Python's ``\d`` is any Unicode digit)."""
_SURROGATE = re.compile("[\udc80-\udcff]")
"""An undecodable byte in text decoded with ``errors="surrogateescape"``."""
_CSV_BLOCK = 1 << 22
"""Bytes of CSV text Arrow's reader parses per block (blocks are parsed in parallel)."""
_SLICE = 1 << 16
"""Rows of text made into Python strings at a time."""
_PARALLEL_ROWS = 100_000
"""Rosters from this many rows number their ids in a second thread (smaller ones need no thread)."""


# --------------------------------------------------------------------------------------------
# Reading files


def load_roster(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet roster and return it validated and normalised.

    A CSV file is read by Arrow's multithreaded reader with the numeric columns typed (see
    :func:`_read_csv_typed`); a file that reader declines (a cell that is not a number, a ragged or
    undecodable line, ...) is read again as text, every cell a string, which finds and reports the
    problem as :func:`validate_roster` describes.

    Args:
        path: a ``.csv`` file (UTF-8, with or without BOM) or a ``.parquet``/``.pq`` file.

    Returns:
        The normalised roster (see :func:`validate_roster`).

    Raises:
        RosterError: the file is missing, is not a file, has another extension, cannot be
            parsed, has no rows, or breaks the schema.
    """
    p = Path(path)
    source = str(p)
    if _check_file(p, "roster") in CSV_SUFFIXES:
        typed = _read_csv_typed(p, _sniff_csv(p))
        if typed is not None:
            n = typed.num_rows
            if n == 0:
                raise RosterError(f"{source}: roster has no rows")
            cols = _schema_columns(typed.column_names, typed.columns, source)
            del typed  # the columns are released one by one as they are validated
            _release()
            return _validate(cols, n, source)
    return validate_roster(read_table(p), source=source)


def read_table(p: Path, what: str = "roster") -> pd.DataFrame:
    """The table in a CSV or Parquet file, unvalidated; ``what`` names the file in messages.

    Raises:
        RosterError: the file is missing, is not a file, has another extension, is empty or
            cannot be parsed.
    """
    suffix = _check_file(p, what)
    return _read_csv(p) if suffix in CSV_SUFFIXES else _read_parquet(p)


def _check_file(p: Path, what: str) -> str:
    """Check that ``p`` is a non-empty CSV or Parquet file; return its lowercased suffix."""
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
    return suffix


def _sniff_csv(p: Path) -> bytes:
    """The first bytes of a CSV file, after refusing binary data and other delimiters."""
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
    return head


def _read_csv(p: Path) -> pd.DataFrame:
    """Read every cell of a CSV as text, keeping duplicate header names as they are."""
    _sniff_csv(p)
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


def _read_csv_typed(p: Path, head: bytes) -> pa.Table | None:
    """The roster in a CSV file as Arrow columns, numbers parsed, or None to read it as text.

    The schema's numeric columns are read as float64 (empty cells null), all others as strings.
    None when this reader and :func:`_read_csv` might not agree on the cells, so the text reader
    (and the checks on its cells) decides: a header that is not one plain line holding every
    required column once, a cell that is not a number or not UTF-8, a ragged line, a line of
    blanks, an unterminated quote, a quote character inside a text cell.
    """
    text = head.removeprefix(b"\xef\xbb\xbf")
    end = text.find(b"\n")
    if end < 0:
        return None
    line = text[:end].removesuffix(b"\r")
    if b'"' in line or b"\r" in line:
        return None
    try:
        header = line.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    names = [h.strip().lower() for h in header]
    if len(set(names)) < len(names) or not set(REQUIRED) <= set(names):
        return None
    try:
        quotes = _count_quotes(p)
    except (OSError, ValueError):  # ValueError: mmap of a file emptied meanwhile
        return None
    if quotes % 2:  # an odd count: a quote is not closed, or is a character of a cell
        return None
    numeric = set(_NUMERIC)
    types = {
        h: pa.float64() if c in numeric else pa.string() for h, c in zip(header, names, strict=True)
    }
    try:
        # The file's bytes too are read into the loader's pool (see _pool).
        with pa.OSFile(str(p), "r", memory_pool=_pool()) as source:
            table = pacsv.read_csv(
                source,
                memory_pool=_pool(),
                read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK),
                # Cells can only span lines inside quotes; without any, the reader may split the
                # file into blocks at any line end.
                parse_options=pacsv.ParseOptions(newlines_in_values=quotes > 0),
                convert_options=pacsv.ConvertOptions(
                    column_types=types,
                    null_values=[""],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=True,
                ),
            )
    except (pa.ArrowException, OSError):
        return None
    if table.column_names != header or [f.type for f in table.schema] != list(types.values()):
        return None
    if quotes:  # every quote must open or close a cell: none may be a character of a cell
        for column in table.columns:
            if pa.types.is_string(column.type) and pc.any(pc.match_substring(column, '"')).as_py():
                return None
    return table


@functools.cache
def _pool() -> pa.MemoryPool:
    """The memory pool for the loader's large Arrow arrays (the CSV table, the id hash table, ...).

    Arrow's jemalloc pool, set to give freed memory back to the system at once: the table's
    columns are freed one by one as they become numpy arrays and Python strings, which can then
    reuse that memory. (The default pool keeps much of the memory freed, in particular by the CSV
    reader's worker threads: with it, a roster's numbers would be held twice.) Without jemalloc,
    the default pool.
    """
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:
        return pa.default_memory_pool()
    return pool


def _count_quotes(p: Path) -> int:
    """How many double quotes the file holds (most rosters hold none, which is quick to see)."""
    with p.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        at = view.find(b'"')
        if at < 0:
            return 0
        count, step = 0, 1 << 24
        for begin in range(at, len(view), step):
            count += view[begin : begin + step].count(b'"')
        return count


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
    ids: _Ids | None,
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


def _text(s: _Cells) -> pa.Array:
    """Column as a pyarrow large_string array, stripped of surrounding whitespace; missing -> "".

    Whole-number floats (an integer id column with gaps) read as integers ("12", not "12.0").
    """
    return _strip(_unstripped(s))


def _text_pieces(s: _Cells) -> list[pa.Array]:
    """:func:`_text` of a column in pieces (the CSV reader's chunks), to be freed one by one."""
    if isinstance(s, pa.ChunkedArray) and s.num_chunks > 1:
        return [_text(chunk) for chunk in s.chunks]
    return [_text(s)]


def _unstripped(s: _Cells) -> pa.Array:
    """:func:`_text` but for the stripping."""
    arr: pa.Array | pa.ChunkedArray | None
    if isinstance(s, pa.Array | pa.ChunkedArray):  # strings from the CSV reader
        arr = s
    else:
        if pd.api.types.is_float_dtype(s.dtype):
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)
            obj = s.astype(str).to_numpy(dtype=object, copy=True)  # NaN stays NaN
            whole = np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 2.0**53)
            obj[whole] = v[whole].astype(np.int64).astype(str).astype(object)
            s = pd.Series(obj, dtype=object)
        try:
            arr = pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed or huge objects
            arr = None
        if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = pa.array(s.astype(str), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks(memory_pool=_pool())
    return pc.fill_null(pc.cast(arr, pa.large_string(), memory_pool=_pool()), "")


_SPACE_LEADS = np.array([0xC2, 0xE1, 0xE2, 0xE3], dtype=np.uint8)
"""First bytes of the UTF-8 encodings of the whitespace characters above U+007F (U+0085, U+00A0,
U+1680, U+2000..U+205F, U+3000)."""


def _strip(text: pa.Array) -> pa.Array:
    """A null-free large_string array stripped of surrounding Unicode whitespace.

    Stripping copies every string; most columns need none, which the first and last bytes of the
    strings tell: a string can only start (end) with whitespace if its first (last) character is
    below U+0021 or starts with one of :data:`_SPACE_LEADS`.
    """
    data = text.buffers()[2]
    if data is None or len(text) == 0:  # every string empty
        return text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[
        text.offset : text.offset + len(text) + 1
    ]
    start, end = offsets[:-1], offsets[1:]
    length = end - start
    filled = length > 0
    if not filled.all():
        start, end, length = start[filled], end[filled], length[filled]
    byte = np.frombuffer(data, dtype=np.uint8)
    last = byte[end - 1]
    first = byte[start]
    suspect = (first < 0x21) | np.isin(first, _SPACE_LEADS) | (last < 0x21)
    suspect |= (length >= 2) & (byte[np.maximum(end - 2, start)] == 0xC2)
    lead = byte[np.maximum(end - 3, start)]
    suspect |= (length >= 3) & (lead >= 0xE1) & (lead <= 0xE3)
    return pc.utf8_trim_whitespace(text, memory_pool=_pool()) if suspect.any() else text


def _distinct(s: _Cells) -> tuple[np.ndarray, pa.Array]:
    """A text column as ``(cell, distinct)``: the distinct cells, stripped as by :func:`_text`,
    and for every row the position of its cell among them (``distinct.take(cell)`` is the
    column's :func:`_text`)."""
    encoded = pc.dictionary_encode(_unstripped(s), memory_pool=_pool())
    return encoded.indices.to_numpy(), _strip(encoded.dictionary)


class _Ids:
    """The ids by row as Python strings, made only for the few rows a message names."""

    def __init__(self, text: pa.Array) -> None:
        self.text = text

    def __getitem__(self, i: int) -> str:
        return str(self.text[int(i)].as_py())

    def take(self, pos: np.ndarray) -> np.ndarray:
        return _np(self.text.take(pa.array(pos)))


def _np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A null-free pyarrow array as a writable numpy array (Python str objects for strings)."""
    out = arr.to_numpy(zero_copy_only=False)
    return out if out.flags.writeable else out.copy()


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


def _numbers(s: _Cells | None, n: int, out: np.ndarray) -> _Numbers:
    """Parse a numeric column into ``out`` (float64, length n): NaN where a cell is empty."""
    if s is None:  # optional column not given
        out.fill(np.nan)
        return _Numbers(out, np.ones(n, bool), np.zeros(n, bool), None)
    if isinstance(s, pa.Array | pa.ChunkedArray) and pa.types.is_floating(s.type):
        at = 0  # numbers parsed by the CSV reader, null where a cell is empty
        for chunk in s.chunks if isinstance(s, pa.ChunkedArray) else [s]:
            out[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)  # null -> NaN
            at += len(chunk)
        return _Numbers(out, np.isnan(out), np.zeros(n, bool), None)
    if _is_number_dtype(s):
        out[...] = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return _Numbers(out, np.isnan(out), np.zeros(n, bool), None)
    text = _text(s)
    empty = pc.equal(text, pa.scalar("", type=pa.large_string()))
    try:  # fast path: every non-empty cell is a number ("nan" and "inf" included)
        parsed = pc.cast(pc.if_else(empty, pa.scalar(None, pa.large_string()), text), pa.float64())
        out[...] = _np(pc.fill_null(parsed, np.nan))
        return _Numbers(out, np.isnan(out), np.zeros(n, bool), text)
    except pa.ArrowInvalid:
        pass
    obj = pd.Series(_np(text), dtype=object)
    out[...] = pd.to_numeric(obj, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    nan = np.isnan(out)
    is_na = _isin(_lower(text), _NA_TOKENS)
    return _Numbers(out, nan & is_na, nan & ~is_na, text)


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
    columns = [df.iloc[:, i] for i in range(df.shape[1])]
    return _validate(_schema_columns(list(df.columns), columns, source), n, source)


def _schema_columns(header: Sequence[object], columns: Sequence[_Cells], source: str) -> dict:
    """The schema's columns by name, from a table's header and columns (aligned).

    Raises:
        RosterError: duplicate column names (after stripping and lowercasing) or a required
            column missing. Unknown columns are left out with a warning.
    """
    names = [str(c).strip().lower() for c in header]
    name_index = pd.Index(names, dtype=object)
    dup_cols = name_index[name_index.duplicated()].unique().tolist()
    if dup_cols:
        raise RosterError(f"{source}: duplicate column(s) {_quoted(dup_cols, limit=len(dup_cols))}")
    cols: dict[str, _Cells] = {
        name: columns[i] for i, name in enumerate(names) if name in COLUMN_BY_NAME
    }
    missing_cols = [c for c in REQUIRED if c not in cols]
    if missing_cols:
        delimiter = _other_delimiter([str(c) for c in header])
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
    extra = [str(c) for c, name in zip(header, names, strict=True) if name not in COLUMN_BY_NAME]
    if extra:
        logger.warning(
            "%s: ignoring unknown roster column(s) %s", source, _quoted(extra, limit=len(extra))
        )
    return cols


def _validate(cols: dict[str, _Cells], n: int, source: str) -> pd.DataFrame:
    """The checks and the normalised table of :func:`validate_roster`, from the schema's columns.

    ``cols`` is emptied as the columns are read, so that each can be freed once converted: first
    the numbers (into the arrays the returned frame holds) and the categorical columns (into codes
    of their few distinct cells), then the checks in the order the module docstring lists.
    """
    floats = [c for c in _NUMERIC if c not in _COUNTS]
    float_block = np.empty((len(floats), n), dtype=np.float64)
    count_rows = np.empty((len(_COUNTS), n), dtype=np.float64)
    numeric_rows = dict(zip(floats, float_block, strict=True)) | dict(
        zip(_COUNTS, count_rows, strict=True)
    )
    nums: dict[str, _Numbers] = {}
    for c in _NUMERIC:
        nums[c] = _numbers(cols.pop(c, None), n, numeric_rows[c])
        _release()
    id_text = _text(cols.pop("id"))
    parent_text = _text(cols.pop("parent_id"))
    # Numbering the ids, the dearest step, runs in a second thread (Arrow lets go of the GIL)
    # while this one converts the other columns. Nothing raises before the checks.
    parallel = n >= _PARALLEL_ROWS
    with ThreadPoolExecutor(max_workers=1) if parallel else contextlib.nullcontext() as executor:
        numbering = executor.submit(_number, id_text, parent_text) if executor else None
        sector_cell, sector_distinct = _distinct(cols.pop("sector"))
        status_cell, status_distinct = _categorical_default(
            cols.pop("status", None), n, str(COLUMN_BY_NAME["status"].default)
        )
        core_column = cols.pop("core", None)
        core, bad_core, core_shown = _core(core_column, n, bool(COLUMN_BY_NAME["core"].default))
        del core_column
        name_text = _text_pieces(cols.pop("name"))
        empty_name = np.concatenate([_equal(piece, "") for piece in name_text])
        number = _number(id_text, parent_text) if numbering is None else numbering.result()
        del numbering
    _release()
    names = _strings(name_text, n)  # after the numbering, whose tables are freed now

    # --- 3. ids --------------------------------------------------------------------------------
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
    ids = _Ids(id_text)
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
    del empty_id, id_length, long_id, n_number, long_number
    positions = np.arange(n, dtype=np.int64)
    if not np.array_equal(number[:n], positions):
        first = _np(pc.index_in(id_text, value_set=id_text)).astype(np.int64)  # first occurrence
        later = first != positions
        dup = later.copy()
        dup[first[later]] = True
        pos = np.flatnonzero(dup)
        groups = pd.Series(pos).groupby(ids.take(pos), sort=False).agg(list)
        shown = [
            f"{key!r} (rows {', '.join(str(int(i) + 1) for i in rows[:MAX_LISTED])}"
            + (f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else "")
            + ")"
            for key, rows in groups.iloc[:MAX_LISTED].items()
        ]
        more = f" and {len(groups) - MAX_LISTED} more" if len(groups) > MAX_LISTED else ""
        raise RosterError(f"{source}: duplicate ids: {', '.join(shown)}{more}")

    # --- names --------------------------------------------------------------------------------
    if empty_name.any():
        raise RosterError(
            f"{source}: empty name in {_rows(np.flatnonzero(empty_name), ids)};"
            " every entity needs its registered name"
        )
    del empty_name

    # --- 4. tree ------------------------------------------------------------------------------
    is_root = _equal(parent_text, "")
    parent = number[n:].astype(np.int64)
    parent[parent >= n] = -1
    del number
    unknown = ~is_root & (parent < 0)
    if unknown.any():
        pos = np.flatnonzero(unknown)
        shown = [repr(v) for v in parent_text.take(pa.array(pos[:MAX_LISTED])).to_pylist()]
        raise RosterError(
            f"{source}: parent_id not found among ids in " + _rows(pos, ids, shown, "parent_ids")
        )
    del parent_text, unknown
    self_parent = ~is_root & (parent == positions)
    if self_parent.any():
        raise RosterError(
            f"{source}: entity is its own parent in {_rows(np.flatnonzero(self_parent), ids)}"
        )
    del self_parent, positions
    dist, top = _climb(parent, is_root)
    orphan = ~is_root[top]
    if orphan.any():
        raise RosterError(_cycle_message(source, ids, parent, top, orphan))
    del top, orphan
    depth = dist + 1
    del dist

    # --- 5. numbers ---------------------------------------------------------------------------
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
    # Categorical columns hold few distinct cells: they are checked per distinct cell.
    sector_distinct = _lower(sector_distinct)
    sector_key = pc.index_in(sector_distinct, value_set=_SECTOR_KEYS)
    bad_sector = _np(pc.is_null(sector_key))[sector_cell]
    if bad_sector.any():
        pos = np.flatnonzero(bad_sector)
        bad_values = pd.unique(_np(sector_distinct)[sector_cell[pos]]).tolist()
        raise RosterError(
            f"{source}: unknown sector {_quoted(bad_values)} in {_rows(pos, ids)};"
            f" valid sectors are: {', '.join(SECTOR_NAMES)}; Chinese names are accepted too:"
            f" {', '.join(s.label_zh for s in SECTORS)} and the other names in"
            " sim.sectors.SECTOR_ALIASES"
        )
    sector_code = _SECTOR_KEY_CODE[_np(pc.fill_null(sector_key, 0))][sector_cell]
    status_key = pc.index_in(status_distinct, value_set=pa.array(STATUSES, pa.large_string()))
    bad_status = _np(pc.is_null(status_key))[status_cell]
    if bad_status.any():
        pos = np.flatnonzero(bad_status)
        bad_values = pd.unique(_np(status_distinct)[status_cell[pos]]).tolist()
        raise RosterError(
            f"{source}: unknown status {_quoted(bad_values)} in {_rows(pos, ids)};"
            f" valid statuses are: {', '.join(STATUSES)}"
        )
    status_code = _np(pc.fill_null(status_key, 0)).astype(np.int8)[status_cell]
    del sector_cell, sector_distinct, sector_key, bad_sector
    del status_cell, status_distinct, status_key, bad_status
    if bad_core.any():
        pos = np.flatnonzero(bad_core)
        raise RosterError(
            f"{source}: core value not understood in {_rows(pos, ids, core_shown)};"
            f" use one of {', '.join(_TRUE_TOKENS)} / {', '.join(_FALSE_TOKENS)}"
        )

    # --- defaults (in place: the checks above saw the cells as given) -------------------------
    for c in _NUMERIC:
        default = COLUMN_BY_NAME[c].default
        if c != "cash" and nums[c].missing.any():
            fill = float(default) if isinstance(default, int | float) else 0.0
            np.copyto(nums[c].values, fill, where=nums[c].missing)
    assets = numeric_rows["assets"]
    cash_missing = nums["cash"].missing
    if cash_missing.any():
        # DEFAULT_CASH_SHARE of assets, but never more than the assets left after receivables and
        # idle assets, so a default cannot by itself break the sum check below.
        room = np.maximum(assets - numeric_rows["receivables"] - numeric_rows["idle_assets"], 0)
        np.copyto(
            numeric_rows["cash"], np.minimum(DEFAULT_CASH_SHARE * assets, room), where=cash_missing
        )
        del room
    del nums, cash_missing

    # --- 7. parts of assets -------------------------------------------------------------------
    parts = [numeric_rows[c] for c in _SUM_PARTS]
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
    del parts, total, over

    # --- 8. HQ loans --------------------------------------------------------------------------
    loan = numeric_rows["intra_group_loan"]
    hq_loan = is_root & (loan > 0)
    if hq_loan.any():
        pos = np.flatnonzero(hq_loan)
        values = [_fmt_num(loan[i]) for i in pos[:MAX_LISTED]]
        raise RosterError(
            f"{source}: intra_group_loan > 0 on a group headquarters (no parent_id) in "
            + _rows(pos, ids, values)
        )
    del hq_loan

    # --- 9. the whole roster ------------------------------------------------------------------
    if not assets.sum() > 0:  # bounded cells: the sum is finite
        raise RosterError(
            f"{source}: the roster's total assets are 0 (every entity has assets 0), so every"
            " ratio to assets (debt ratio, asset shares) would be undefined; give the entities"
            " their assets in mn yuan"
        )

    # --- assemble, parents first --------------------------------------------------------------
    # A roster already parents first (as the generator and an end-of-run table write it) keeps
    # its order without a permutation of every column.
    ordered = bool((depth[1:] >= depth[:-1]).all())
    order = None if ordered else np.argsort(depth, kind="stable")
    del depth

    def in_order(values: np.ndarray) -> np.ndarray:
        """``values`` in the final row order (``values`` itself if that is the order)."""
        return values if order is None else values[order]

    def reorder(row: np.ndarray) -> None:
        """Put a row of a block in the final order, in place."""
        if order is not None:
            row[...] = row[order]

    # The numbers in place (the frame's blocks), the counts as int64.
    for row in float_block:
        reorder(row)
    counts = np.empty((len(_COUNTS), n), dtype=np.int64)
    for row, count in zip(count_rows, counts, strict=True):
        reorder(row)
        count[...] = row
    del row, count, count_rows, numeric_rows
    # The text as Python strings, put in the final order: the names (made above), the ids, a
    # parent's id the parent's own id object, and one object per sector or status.
    text = np.empty((len(_TEXT), n), dtype=object)
    text[2] = in_order(names)
    del names, ids
    _strings([id_text], n, out=text[0])
    del id_text
    _release()
    reorder(text[0])
    parent[is_root] = 0
    if order is not None:  # the row of the parent in the final order
        row_of = np.empty(n, dtype=np.int64)
        row_of[order] = np.arange(n)
        parent = row_of[parent]
        del row_of
    parent, is_root = in_order(parent), in_order(is_root)
    np.take(text[0], parent, out=text[1])
    text[1][is_root] = ""
    del parent, is_root
    np.take(_SECTOR_OBJECTS, in_order(sector_code), out=text[3])
    np.take(_STATUS_OBJECTS, in_order(status_code), out=text[4])
    core_block = np.empty((1, n), dtype=bool)
    core_block[0] = in_order(core)  # a copy: a typed core column may be the caller's array
    frames = [
        pd.DataFrame(text.T, columns=[*_TEXT], dtype=object, copy=False),
        pd.DataFrame(float_block.T, columns=floats, copy=False),
        pd.DataFrame(counts.T, columns=list(_COUNTS), copy=False),
        pd.DataFrame(core_block.T, columns=["core"], copy=False),
    ]
    return pd.concat(frames, axis=1)[[c.name for c in COLUMNS]]


def _number(id_text: pa.Array, parent_text: pa.Array) -> np.ndarray:
    """Number the ids, then the parent ids, by one hash table: with unique ids, id i is number i,
    and a parent id that is no id gets a number of n or more (int32, length 2n)."""
    encoded = pc.dictionary_encode(pa.chunked_array([id_text, parent_text]), memory_pool=_pool())
    return np.concatenate([c.indices.to_numpy() for c in encoded.chunks])


def _strings(pieces: list[pa.Array], n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Python strings of the text in ``pieces`` (n in all) into ``out`` (a new object array if
    None), freeing each piece once made; a long piece is made in slices, so that no array of
    all n objects is made besides ``out``."""
    if out is None:
        out = np.empty(n, dtype=object)
    at = 0
    while pieces:
        piece = pieces.pop(0)
        for start in range(0, len(piece), _SLICE):
            part = piece.slice(start, _SLICE)
            out[at : at + len(part)] = part.to_numpy(zero_copy_only=False)
            at += len(part)
        del piece
    return out


def _release() -> None:
    """Give the memory Arrow holds but no longer uses back to the system, so that the arrays
    made next can have it (Arrow's allocators keep freed memory for reuse)."""
    _pool().release_unused()
    pa.default_memory_pool().release_unused()


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
    source: str, ids: _Ids, parent: np.ndarray, top: np.ndarray, orphan: np.ndarray
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


def _categorical_default(s: _Cells | None, n: int, default: str) -> tuple[np.ndarray, pa.Array]:
    """A categorical column as :func:`_distinct` gives it, lowercased; empty cells take
    ``default``."""
    if s is None:
        return np.zeros(n, dtype=np.int8), pa.array([default], pa.large_string())
    cell, distinct = _distinct(s)
    distinct = _lower(distinct)
    return cell, pc.if_else(pc.equal(distinct, ""), default, distinct)


def _core(s: _Cells | None, n: int, default: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Parse the ``core`` column.

    Returns ``(values, bad, shown)``: ``shown`` holds the first MAX_LISTED bad cells as written,
    quoted for a message (empty when nothing is bad).
    """
    no_bad = np.zeros(n, bool)
    if s is None:
        return np.full(n, default, dtype=bool), no_bad, []
    if isinstance(s, pa.Array | pa.ChunkedArray):  # text from the CSV reader
        pass
    elif pd.api.types.is_bool_dtype(s.dtype):  # numpy bool, or nullable boolean with <NA>
        return s.fillna(default).to_numpy(dtype=bool), no_bad, []
    elif _is_number_dtype(s):
        f = s.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(f)
        bad = ~missing & (f != 0) & (f != 1)
        shown = [repr(_fmt_num(x)) for x in f[bad][:MAX_LISTED]]
        return np.where(missing, default, f == 1), bad, shown
    cell, raw = _distinct(s)
    lowered = _lower(raw)
    true = _isin(lowered, _TRUE_TOKENS)
    false = _isin(lowered, _FALSE_TOKENS)
    empty = _equal(lowered, "")
    bad = ~(true | false | empty)[cell]
    first_bad = pa.array(cell[np.flatnonzero(bad)[:MAX_LISTED]])
    shown = [repr(v) for v in raw.take(first_bad).to_pylist()]
    return (true | (empty & default))[cell], bad, shown
