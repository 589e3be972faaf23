"""Same config and seed give identical outputs, in-process, in a subprocess and in a sweep."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
from pandas.testing import assert_frame_equal

from sim.compose import compose_config
from sim.config import PopulationConfig, SimConfig
from sim.runner import run_simulation

TABLES = ("timeseries", "groups", "entities_start", "entities_end", "events")


def small_config(seed: int) -> SimConfig:
    return SimConfig(
        seed=seed, months=12, population=PopulationConfig(n_entities=400, entities_per_group=20)
    )


def tables(cfg: SimConfig) -> dict[str, pd.DataFrame]:
    result = run_simulation(cfg)
    return {name: getattr(result, name) for name in TABLES}


def test_same_seed_same_tables():
    first, second = tables(small_config(11)), tables(small_config(11))
    assert len(first["events"]) > 0
    for name in TABLES:
        assert_frame_equal(first[name], second[name], check_exact=True, obj=name)


def test_different_seed_different_run():
    first, second = tables(small_config(11)), tables(small_config(12))
    assert not first["timeseries"]["profit"].equals(second["timeseries"]["profit"])


def test_single_run_and_sweep_job_agree_exactly(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    common = ["months=6", "output.chart=false", "population=synthetic", "population.n_entities=300"]
    single = tmp_path / "single"
    subprocess.run(
        [sys.executable, "-m", "sim.cli", *common, "seed=5", f"hydra.run.dir={single}"],
        check=True,
        env=env,
        capture_output=True,
    )
    sweep = tmp_path / "sweep"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "-m",
            *common,
            "seed=4,5",
            "output.folders=true",
            f"hydra.sweep.dir={sweep}",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    for name in TABLES:
        assert_frame_equal(
            pd.read_parquet(single / f"{name}.parquet"),
            pd.read_parquet(sweep / "1" / "0" / f"{name}.parquet"),
            check_exact=True,
            obj=name,
        )
    in_process = tables(compose_config(*common, "seed=5"))
    assert_frame_equal(
        in_process["timeseries"], pd.read_parquet(single / "timeseries.parquet"), check_exact=True
    )
