"""Writing a run's outputs: staged in a hidden sibling folder and swapped in whole, or not at all.

A run's folder holds, when complete: ``config.yaml`` (as composed by Hydra, when run from the
command line), ``config.json`` (the resolved typed config), ``timeseries.parquet``,
``groups.parquet``, ``entities_start.parquet``, ``entities_end.parquet``, ``events.parquet``,
``report_card.parquet`` and ``report_card.csv``, ``summary.json``, ``headline.png`` and
``report_card.png``; with parks, also ``zones.parquet`` (monthly), ``park_events.parquet``,
``zone_table.parquet`` (each zone at the start and the end) and ``parks.png``.

:class:`RunFolder` stages every file in a fresh hidden sibling of the run folder
(``.NAME.staging-PID-RANDOM``) and renames it onto the run folder only after all were written, so
the folder is written whole or not at all; a failure or a signal removes the staging folder. A
folder that already holds anything (other than the files Hydra itself puts there) is refused unless
``output.replace`` is set; then the old folder is renamed aside, the new one renamed in, and the old
one deleted, so no moment shows old files beside new ones. JSON files are strict: non-finite
numbers are written as ``null``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import math
import os
import secrets
import shutil
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np
import pandas as pd

from sim import __version__
from sim.errors import SimInputError
from sim.runner import RunResult

HEADLINE = (
    "operating_entities",
    "entities",
    "groups",
    "max_layer",
    "loss_making_share",
    "operating_loss_share",
    "debt_ratio",
    "profit_ttm",
    "equity",
    "zombies",
    "idle_assets",
    "employees",
)
"""Indicators in the printed summary and in summary.json."""

PARK_HEADLINE = (
    "zones",
    "management_bodies",
    "firms",
    "idle_land_mu",
    "tax_per_mu",
    "value_added_per_mu",
    "output_per_mu",
    "firms_D",
    "park_cost",
    "park_jobs_affected",
)
"""Park indicators in the printed summary and in summary.json (when parks are simulated)."""

RUN_FILES = frozenset({
    "config.yaml", "config.json", "timeseries.parquet", "groups.parquet", "entities_start.parquet",
    "entities_end.parquet", "events.parquet", "report_card.parquet", "report_card.csv",
    "summary.json", "headline.png", "report_card.png", "zones.parquet", "park_events.parquet",
    "zone_table.parquet", "parks.png",
})  # fmt: skip
"""Every file a run may write; any of them in a folder means the folder holds a run."""


class RunFolderError(SimInputError):
    """The run folder cannot be written: it holds another run, is not a folder, or an OS error."""


def strict_json(value: object) -> object:
    """``value`` with non-finite floats (NaN, ±Infinity) as None and numpy scalars as Python ones,
    so ``json.dumps(..., allow_nan=False)`` writes strict JSON."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dump_json(value: object) -> str:
    """Strict JSON text (no NaN or Infinity; non-finite numbers become null)."""
    return json.dumps(strict_json(value), indent=2, ensure_ascii=False, allow_nan=False)


def summary_table(ts: pd.DataFrame, indicators: tuple[str, ...] = HEADLINE) -> pd.DataFrame:
    """Headline indicators at the start and the end of a run (``ts``: timeseries or zones)."""
    first, last = ts.iloc[0], ts.iloc[-1]
    return pd.DataFrame(
        {
            "indicator": indicators,
            f"start ({first['date']})": [first[k] for k in indicators],
            f"end ({last['date']})": [last[k] for k in indicators],
        },
    ).set_index("indicator")


def park_targets(result: RunResult) -> dict[str, float]:
    """The park milestones' zone and body targets (the tightest of each, relative ones
    resolved), for the chart."""
    card = result.report_card
    out: dict[str, float] = {}
    for name in ("zones", "management_bodies"):
        values = card.loc[card["target"] == name, "target_value"]
        if len(values):
            out[name] = float(values.min())
    return out


def summary(result: RunResult, command: str | None = None) -> dict[str, object]:
    """The content of summary.json: the command that reproduces the run (when known), config
    identity, headline start/end, targets met, event counts, timing."""
    ts, events, cfg = result.timeseries, result.events, result.config
    return {
        "command": command,
        "soe_sim_version": __version__,
        "seed": cfg.seed,
        "months": cfg.months,
        "start": ts["date"].iloc[0],
        "end": ts["date"].iloc[-1],
        "headline": {
            k: {"start": float(ts[k].iloc[0]), "end": float(ts[k].iloc[-1])} for k in HEADLINE
        },
        "policy": cfg.policy.name,
        "notes": cfg.milestone_notes(),
        "report_card": {
            "targets": len(result.report_card),
            "due_in_run": int(result.report_card["status"].isin(["met", "missed"]).sum()),
            "met": int(result.report_card["met"].sum()),
        },
        "events": {op: int(n) for op, n in events["op"].value_counts().sort_index().items()},
        "fates": {
            f: int(n)
            for f, n in events.loc[events["fate"] != "", "fate"].value_counts().sort_index().items()
        },
        "parks": None
        if result.zones is None
        else {
            "plan": cfg.parks.name,
            "headline": {
                k: {"start": float(result.zones[k].iloc[0]), "end": float(result.zones[k].iloc[-1])}
                for k in PARK_HEADLINE
            },
            "events": {
                op: int(n) for op, n in result.park_events["op"].value_counts().sort_index().items()
            }
            if result.park_events is not None
            else {},
        },
        "timing": {"run_seconds": round(result.seconds, 3)},
    }


PARQUET_BATCH_ROWS = 131_072
"""Rows converted to Arrow and written at a time (one row group each): a million-entity table
is never held twice in memory, once as pandas and once as Arrow."""


def write_parquet(frame: pd.DataFrame, path: Path, batch_rows: int = PARQUET_BATCH_ROWS) -> None:
    """``frame`` as a Parquet file, streamed in row groups of ``batch_rows``: the Arrow copy
    alive at any time is one batch, not the table. Every batch is written with the schema Arrow
    infers from the whole frame (as ``to_parquet`` would for a small one), so a batch whose text
    cells are all missing still writes strings and an object column of booleans writes booleans.
    Reads back equal to ``frame`` (index dropped)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(frame) <= batch_rows:
        frame.to_parquet(path, index=False)
        return
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, len(frame), batch_rows):
            batch = frame.iloc[start : start + batch_rows]
            writer.write_table(pa.Table.from_pandas(batch, schema=schema, preserve_index=False))


def _write_tables(tables: dict[str, pd.DataFrame | None], folder: Path) -> None:
    for name, table in tables.items():
        if table is not None:
            write_parquet(table, folder / f"{name}.parquet")


def write_files(
    result: RunResult, folder: Path, *, config_yaml: str | None = None, command: str | None = None
) -> list[str]:
    """Write every output of a run into the existing ``folder`` (no staging); returns the names,
    ``summary.json`` last."""
    cfg = result.config
    if config_yaml is not None:
        (folder / "config.yaml").write_text(config_yaml, encoding="utf-8")
    (folder / "config.json").write_text(dump_json(dataclasses.asdict(cfg)), encoding="utf-8")
    tables = {
        "timeseries": result.timeseries,
        "groups": result.groups,
        "entities_start": result.entities_start,
        "entities_end": result.entities_end,
        "events": result.events,
        "zones": result.zones,
        "park_events": result.park_events,
        "zone_table": result.zone_table,
        "report_card": result.report_card,
    }
    result.report_card.to_csv(folder / "report_card.csv", index=False)
    if not cfg.output.chart:
        _write_tables(tables, folder)
    else:  # the tables in a thread (Arrow and Parquet release the GIL) while the charts draw
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="soe-sim-parquet") as pool:
            written = pool.submit(_write_tables, tables, folder)
            write_charts(result, folder)
            written.result()
    (folder / "summary.json").write_text(dump_json(summary(result, command)), encoding="utf-8")
    names = sorted(p.name for p in folder.iterdir() if p.name != "summary.json")
    return [*names, "summary.json"]


def reform_start(result: RunResult) -> str | None:
    """The month the SOE rules start acting (``policy.start``, else the run's first month), or
    None when no rule family is on."""
    policy = result.config.policy
    if not policy.enabled_families():
        return None
    ts = result.timeseries
    return policy.start or (str(ts["date"].iloc[1]) if len(ts) > 1 else None)


def write_charts(result: RunResult, folder: Path) -> None:
    """``headline.png``, ``report_card.png`` and (with parks) ``parks.png``, in
    ``output.lang``."""
    from sim.labels import plan_name, t
    from sim.plots import headline_figure, language, parks_figure, report_card_figure

    cfg, ts, card = result.config, result.timeseries, result.report_card
    first, last = str(ts["date"].iloc[0]), str(ts["date"].iloc[-1])
    with language(cfg.output.lang):
        policy = plan_name(cfg.policy.name)
        title = t("Report card: {policy}, seed {seed}").format(policy=policy, seed=cfg.seed)
        report_card_figure(card, title).savefig(folder / "report_card.png", dpi=110)
        title = t("{policy}: seed {seed}, {first} to {last}").format(
            policy=policy, seed=cfg.seed, first=first, last=last
        )
        headline_figure(ts, title, card, reform_start(result)).savefig(
            folder / "headline.png", dpi=110
        )
        if result.zones is not None:
            title = t("Park reform: {plan}, seed {seed}, {first} to {last}").format(
                plan=plan_name(cfg.parks.name), seed=cfg.seed, first=first, last=last
            )
            parks_figure(result.zones, title, park_targets(result)).savefig(
                folder / "parks.png", dpi=110
            )


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back (they are delivered on exit) while folders are renamed or
    removed, so an interrupt cannot cut a swap or a clean-up in half."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _hidden_sibling(path: Path, kind: str) -> Path:
    return path.parent / f".{path.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _listing(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (f", … ({len(names)} entries)" if len(names) > most else "")


class RunFolder:
    """A run folder written whole or not at all (see the module docstring).

    ``own`` names entries that the caller's framework put into the folder for this run (Hydra's
    ``.hydra`` folder or job log); they do not count as another run and move along with the new
    files. Use as a context manager: entering creates the staging folder (:attr:`stage`), leaving
    removes it unless :meth:`commit` swapped it in.
    """

    def __init__(self, path: Path, *, replace: bool = False, own: Iterable[str] = ()) -> None:
        self.path = Path(os.path.abspath(path))
        self.replace = replace
        self.own = frozenset(own)
        self.stage: Path | None = None
        self.committed = False

    def _error(self, err: OSError, doing: str) -> RunFolderError:
        name = str(err.filename) if err.filename else ""
        inside = name.startswith((str(self.path), str(self.path.parent / f".{self.path.name}.")))
        where = f" ({name})" if name and not inside else ""
        return RunFolderError(
            f"cannot {doing} run folder {self.path}: {err.strerror or err}{where}"
        )

    def foreign(self) -> list[str]:
        """Entries of the folder that neither this run nor its framework (``own``) put there."""
        if not os.path.lexists(self.path):
            return []
        if not self.path.is_dir():
            raise RunFolderError(f"run folder {self.path} is a file, not a folder")
        try:
            return sorted(p.name for p in self.path.iterdir() if p.name not in self.own)
        except OSError as err:
            raise self._error(err, "read") from err

    def _refusal(self, entries: list[str], meanwhile: bool = False) -> RunFolderError:
        held = "already holds a run" if RUN_FILES & set(entries) else "is not empty"
        when = " (written while this run was going)" if meanwhile else ""
        return RunFolderError(
            f"run folder {self.path} {held}{when} ({_listing(entries)}); "
            "add output.replace=true to replace it, or choose another folder (hydra.run.dir=...)"
        )

    def check(self) -> None:
        """Raise :class:`RunFolderError` if the folder cannot take this run."""
        entries = self.foreign()
        if entries and not self.replace:
            raise self._refusal(entries)

    def open(self) -> Path:
        """Check the folder and create the staging folder; returns it."""
        self.check()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            stage = _hidden_sibling(self.path, "staging")
            stage.mkdir()
        except OSError as err:
            raise self._error(err, "create") from err
        self.stage = stage
        return stage

    def write(
        self, result: RunResult, *, config_yaml: str | None = None, command: str | None = None
    ) -> list[Path]:
        """Write every output of ``result`` into the staging folder and swap it in."""
        assert self.stage is not None, "RunFolder.write needs an open folder"
        try:
            names = write_files(result, self.stage, config_yaml=config_yaml, command=command)
        except OSError as err:
            raise self._error(err, "write") from err
        self.commit()
        return [self.path / name for name in names]

    def commit(self) -> None:
        """Swap the staging folder in: onto an empty (or absent) folder by one rename; onto an
        old run (``replace``) by renaming the old folder aside, the new one in, then deleting
        the old one."""
        assert self.stage is not None, "RunFolder.commit needs an open folder"
        with signals_deferred():
            try:
                self._swap(self.stage)
            except OSError as err:
                raise self._error(err, "write") from err

    def _swap(self, stage: Path) -> None:
        path = self.path
        entries = self.foreign()
        if entries and not self.replace:
            raise self._refusal(entries, meanwhile=True)
        if path.is_dir():
            for name in self.own:
                if os.path.lexists(path / name) and not os.path.lexists(stage / name):
                    os.rename(path / name, stage / name)
        aside = None
        if entries:
            aside = _hidden_sibling(path, "replaced")
            os.rename(path, aside)
        try:
            os.rename(stage, path)  # replaces an empty folder; fails if one appeared meanwhile
        except OSError as err:
            if aside is not None:
                os.rename(aside, path)
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise self._refusal(self.foreign(), meanwhile=True) from err
            raise
        self.stage = None
        self.committed = True
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging folder, if any."""
        if self.stage is not None:
            with signals_deferred():
                shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None

    def __enter__(self) -> RunFolder:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def write_outputs(
    result: RunResult,
    out_dir: Path,
    *,
    config_yaml: str | None = None,
    command: str | None = None,
    replace: bool | None = None,
) -> list[Path]:
    """Write every output of a run into ``out_dir``, whole or not at all; returns the final paths.

    ``command`` (the soe-sim command line that made the run) is recorded in summary.json. A folder
    that already holds anything is refused (:class:`RunFolderError`) unless ``replace`` (default:
    the run's ``output.replace``).
    """
    if replace is None:
        replace = result.config.output.replace
    with RunFolder(out_dir, replace=replace) as folder:
        return folder.write(result, config_yaml=config_yaml, command=command)
