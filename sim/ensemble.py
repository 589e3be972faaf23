"""Many seeded runs of one or more scenarios, as two long tables, for notebooks and studies.

:func:`run_ensemble` is a thin layer over the sweep machinery (:mod:`sim.sweep`): every
(scenario, seed) becomes a run written to a results store (a temporary one unless ``store`` is
given, which also makes a long ensemble resumable), on a process pool or in this process, and the
tables are read back. Each run depends only on its own config and seed, so results do not depend
on the number of processes or the order in which runs finish; rows come back in the order of
``scenarios`` and ``seeds``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.config import SimConfig
from sim.store import read
from sim.sweep import RunSpec, SweepError, execute


def _specs(scenarios: dict[str, SimConfig], seeds: Sequence[int]) -> list[RunSpec]:
    runs = []
    for name, cfg in scenarios.items():
        lean = dataclasses.replace(
            cfg, output=dataclasses.replace(cfg.output, events=False, groups=False, chart=False)
        )
        for r, seed in enumerate(seeds):
            runs.append(RunSpec(name, dataclasses.replace(lean, seed=int(seed)), r, int(seed)))
    return runs


def _ordered(frame: pd.DataFrame, scenarios: Sequence[str], by: Sequence[str]) -> pd.DataFrame:
    """Rows in the order of ``scenarios``, then replication (and ``by``); the store's
    ``run_key`` and ``replication`` columns dropped."""
    order = {name: i for i, name in enumerate(scenarios)}
    frame = frame.assign(_order=frame["scenario"].map(order))
    frame = frame.sort_values(["_order", "replication", *by], kind="stable", ignore_index=True)
    return frame.drop(columns=["_order", "run_key", "replication"])


def run_ensemble(
    scenarios: dict[str, SimConfig],
    seeds: Sequence[int],
    processes: int | None = None,
    *,
    store: Path | str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every scenario for every seed; returns (timeseries, report cards), long format, each
    row led by ``scenario`` and ``seed``.

    ``processes``: 1 runs in this process; None uses every available core. ``store``: a folder
    for the results store (kept, and resumed when called again); default a temporary one. A run
    that fails raises :class:`sim.sweep.SweepError` naming it.
    """
    runs = _specs(scenarios, seeds)
    with tempfile.TemporaryDirectory(prefix="soe-sim-ensemble-") as tmp:
        root = Path(store) if store is not None else Path(tmp) / "store"
        execute(runs, root, workers=processes or 0)
        wanted = list(scenarios)
        keys = {s.run_key for s in runs}
        columns = ["run_key", "status", "scenario", "seed", "error_type", "error_message"]
        table = read(root, "runs", columns=columns, scenarios=wanted)
        failed = table[table["run_key"].isin(keys) & (table["status"] != "ok")]
        if len(failed):
            first = failed.iloc[0]
            raise SweepError(
                f"{len(failed)} of {len(runs)} runs failed; first: scenario "
                f"{first['scenario']!r}, seed {first['seed']}: {first['error_type']}: "
                f"{first['error_message']}"
            )
        ts = read(root, "timeseries", scenarios=wanted)
        cards = read(root, "report_card", scenarios=wanted)
    ts = _ordered(ts[ts["run_key"].isin(keys)], wanted, ["month"])
    cards = _ordered(cards[cards["run_key"].isin(keys)], wanted, [])
    return ts, cards
