"""The results store of a sweep: every run's tables as Parquet datasets, one file per run.

Layout under ``<sweep dir>/store/``::

    runs/<scenario>/<run_key>.parquet          one row per run: identity, status, provenance
    timeseries/<scenario>/<run_key>.parquet    portfolio indicators by month
    groups/<scenario>/<run_key>.parquet        consolidated group indicators by month
    report_card/<scenario>/<run_key>.parquet   milestone targets and their attainment
    events/<scenario>/<run_key>.parquet        the event log

``<scenario>`` is :func:`slug` of the scenario's name. Every row of every table carries
:data:`KEYS`: ``scenario`` (the name), ``run_key`` (:func:`sim.sweep.run_key`: a hash of the
resolved config and seed), ``seed`` (the run's own seed: ``soe-sim seed=S`` with the scenario's
overrides reruns it) and ``replication``.

Each file is written to a temporary name (``NAME.HOST.PID.tmp``) and renamed into place, so a
file is whole or absent whatever kills the process; a run's ``runs`` row is written after its
other tables, so a run with a ``runs`` row is finished and the others are rewritten by a rerun
under the same names. Nothing is appended, so a sweep that is killed and rerun ends with exactly
the files of an uninterrupted one. A failed run's ``runs`` row is written with a marker
(``failed/<scenario>/<run_key>``): a rerun tries it again, and a success removes the marker.

Read a table with :func:`read` (pandas), or directly::

    duckdb -c "SELECT scenario, avg(profit_ttm) FROM read_parquet('store/timeseries/**/*.parquet')
               WHERE date = '2024-12' GROUP BY scenario"
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TABLES = (
    "runs", "timeseries", "groups", "report_card", "events", "zones", "park_events", "zone_table",
)  # fmt: skip
"""The datasets of a store; ``runs`` is written last for each run. The park tables (``zones``,
``park_events``, ``zone_table``) are written for runs that simulate parks."""

KEYS = ("scenario", "run_key", "seed", "replication")
"""Columns every row of every table carries, first."""

VOLATILE = ("run_seconds", "wall_seconds", "finished_at", "pid")
"""Columns of ``runs`` that describe how a run was made rather than what it computed: they differ
between launchers and reruns, and are left out when two stores are compared."""

SUFFIX = ".parquet"
_TMP = ".tmp"
STALE_SECONDS = 6 * 3600
"""A temporary file of another host older than this is taken as left by a killed writer."""


class StoreError(ValueError):
    """A store that cannot be read: missing, or not a store."""


def slug(scenario: str) -> str:
    """A folder name for a scenario: letters, digits, ``.``, ``_`` and ``-`` kept, ``=`` as
    ``-``, anything else as ``_``; a short hash is added when characters were replaced, so two
    names never share a folder. No ``=`` remains, so readers see no Hive partitions and take
    ``scenario`` from the files."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", scenario.replace("=", "-"))[:80] or "_"
    if plain == scenario and not plain.startswith("."):
        return plain
    digest = hashlib.sha1(scenario.encode("utf-8")).hexdigest()[:8]
    return f"{plain.lstrip('.')}-{digest}"


_STABLE = {pa.bool_(): pa.bool_(), pa.int64(): pa.int64(), pa.float64(): pa.float64()}


def _stable(kind: pa.DataType) -> pa.DataType:
    """A column type that does not depend on the values: text (or all-missing) as string,
    integers as int64, floats as float64, flags as bool (a run whose optional text column is all
    empty gets the same type as one where it is filled)."""
    if kind in _STABLE:
        return kind
    if pa.types.is_integer(kind):
        return pa.int64()
    if pa.types.is_floating(kind):
        return pa.float64()
    return pa.string()


def to_arrow(frame: pd.DataFrame, keys: Mapping[str, object]) -> pa.Table:
    """``frame`` with the key columns first, as an Arrow table of stable types."""
    body = pa.Table.from_pandas(frame, preserve_index=False)
    n = len(frame)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name, value in keys.items():
        kind = pa.string() if isinstance(value, str) else pa.int64()
        columns[name] = pa.array([value] * n, type=kind)
    for name, column in zip(body.column_names, body.columns, strict=True):
        if name not in columns:
            wanted = _stable(column.type)
            columns[name] = column if column.type == wanted else column.cast(wanted)
    return pa.table(columns)


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f"{path.name}.{socket.gethostname()}.{os.getpid()}{_TMP}")
    pq.write_table(table, tmp)  # snappy, Parquet's default: half zstd's time for 8% more bytes
    os.replace(tmp, path)


def _writer_gone(tmp: Path) -> bool:
    """Whether the process that is writing ``tmp`` has died: on this host, its pid is gone; on
    another host (a shared filesystem), the file is older than :data:`STALE_SECONDS`."""
    parts = tmp.name.removesuffix(_TMP).rsplit(".", 2)
    if len(parts) == 3 and parts[2].isdigit():
        host, pid = parts[1], int(parts[2])
        if host == socket.gethostname():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
            return pid == os.getpid()  # this process is not writing it now
    try:
        return time.time() - tmp.stat().st_mtime > STALE_SECONDS
    except FileNotFoundError:
        return False


class Store:
    """A store folder: writes runs, says which are finished."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, table: str, scenario: str, run_key: str) -> Path:
        return self.root / table / slug(scenario) / f"{run_key}{SUFFIX}"

    def finished(self) -> set[tuple[str, str]]:
        """``(scenario folder, run_key)`` of every run with a ``runs`` row that did not fail
        (failed runs are tried again)."""
        runs = self.root / "runs"
        if not runs.is_dir():
            return set()
        done = {(p.parent.name, p.name.removesuffix(SUFFIX)) for p in runs.glob(f"*/*{SUFFIX}")}
        return done - self.failed()

    def failed(self) -> set[tuple[str, str]]:
        """``(scenario folder, run_key)`` of every run whose last try failed."""
        marks = self.root / "failed"
        if not marks.is_dir():
            return set()
        return {(p.parent.name, p.name) for p in marks.glob("*/*") if not p.name.endswith(_TMP)}

    def _mark(self, scenario: str, run_key: str) -> Path:
        return self.root / "failed" / slug(scenario) / run_key

    def put(
        self,
        scenario: str,
        run_key: str,
        keys: Mapping[str, object],
        tables: Mapping[str, pd.DataFrame | None],
        record: Mapping[str, object],
    ) -> None:
        """Write one run: its tables (those that are not None), then its ``runs`` row; a
        record with ``status`` ``failed`` is marked for a retry."""
        for name, frame in tables.items():
            if frame is None:
                continue
            path = self.path(name, scenario, run_key)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(to_arrow(frame, keys), path)
        mark = self._mark(scenario, run_key)
        failed = record.get("status") == "failed"
        if failed:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
        path = self.path("runs", scenario, run_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(to_arrow(pd.DataFrame([dict(record)]), keys), path)
        if not failed:
            with contextlib.suppress(FileNotFoundError):
                mark.unlink()

    def scenario_record(self, scenario: str) -> dict[str, object] | None:
        """One finished run's ``runs`` row in the scenario's folder (any), or None."""
        folder = self.root / "runs" / slug(scenario)
        for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
            try:
                rows = pq.read_table(path).to_pylist()
            except (OSError, pa.ArrowException):
                continue
            if rows:
                return rows[0]
        return None

    def clean(self) -> int:
        """Remove temporary files that killed writers left (never one still being written);
        returns how many."""
        removed = 0
        if self.root.is_dir():
            for tmp in self.root.glob(f"*/*/*{_TMP}"):
                if _writer_gone(tmp):
                    with contextlib.suppress(FileNotFoundError):
                        tmp.unlink()
                        removed += 1
        return removed


def store_root(path: Path | str) -> Path:
    """The store of a sweep folder, or the store folder itself."""
    path = Path(path)
    if (path / "store" / "runs").is_dir():
        return path / "store"
    if (path / "runs").is_dir():
        return path
    raise StoreError(f"{path} holds no results store (no store/runs/ folder)")


def files(root: Path | str, table: str) -> list[Path]:
    """A table's files in a fixed order (scenario folder, then run key)."""
    return sorted(Path(root).glob(f"{table}/*/*{SUFFIX}"))


def _read(paths: Sequence[Path], columns: Sequence[str] | None) -> Iterator[pa.Table]:
    for path in paths:
        yield pq.read_table(path, columns=list(columns) if columns else None)


def read(
    path: Path | str,
    table: str,
    columns: Sequence[str] | None = None,
    scenarios: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One table of a store (or of a sweep folder holding one) as a pandas frame, rows in a
    fixed order: by scenario folder, run key, then as the run wrote them. ``scenarios`` keeps
    only those scenarios (by name)."""
    if table not in TABLES:
        raise StoreError(f"unknown store table {table!r}; tables: {', '.join(TABLES)}")
    root = store_root(path)
    paths = files(root, table)
    if scenarios is not None:
        wanted = {slug(s) for s in scenarios}
        paths = [p for p in paths if p.parent.name in wanted]
    if not paths:
        return pd.DataFrame(columns=list(columns or KEYS))
    arrow = pa.concat_tables(list(_read(paths, columns)), promote_options="default")
    return arrow.to_pandas()


__all__ = [
    "KEYS",
    "TABLES",
    "VOLATILE",
    "Store",
    "StoreError",
    "files",
    "read",
    "slug",
    "store_root",
    "to_arrow",
]
