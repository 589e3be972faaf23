"""Many seeded runs of one or more scenarios, serial or on a process pool, identically seeded.

Each run depends only on its own config and seed, so results do not depend on the number of
processes or the order in which runs finish; rows come back sorted by scenario and seed.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from sim.config import SimConfig
from sim.runner import run_simulation


def _one(job: tuple[str, SimConfig]) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario, cfg = job
    result = run_simulation(cfg)
    ts = result.timeseries
    card = result.report_card
    for frame in (ts, card):
        frame.insert(0, "seed", cfg.seed)
        frame.insert(0, "scenario", scenario)
    return ts, card


def run_ensemble(
    scenarios: dict[str, SimConfig], seeds: Sequence[int], processes: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every scenario for every seed; returns (timeseries, report cards), long format.

    ``processes``: 1 runs in this process; None uses every available core.
    """
    jobs = [
        (name, dataclasses.replace(cfg, seed=int(seed)))
        for name, cfg in scenarios.items()
        for seed in seeds
    ]
    processes = processes or len(os.sched_getaffinity(0))
    if processes == 1 or len(jobs) == 1:
        results = [_one(job) for job in jobs]
    else:
        # forkserver: forking this (multi-threaded) process is unsafe; the server imports the
        # package once and forks cheap workers from it.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.ensemble"])
        with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            results = list(pool.map(_one, jobs, chunksize=max(1, len(jobs) // (4 * processes))))
    ts = pd.concat([r[0] for r in results], ignore_index=True)
    cards = pd.concat([r[1] for r in results], ignore_index=True)
    return ts, cards
