"""Run folders are written whole or not at all, never over another run, and nothing the run did
not create is ever removed: refusals, replacement, signals, unwritable folders, a full disk, strict
JSON, refused instantiating overrides and sweeps checked before their first job."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_runs import soe_sim

SMALL = ("population=synthetic", "population.n_entities=200", "months=2", "output.chart=false")


def one_error_line(proc: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.rglob(".*") if ".staging-" in p.name or ".replaced-" in p.name
    )


def strict_load(path: Path) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{path.name} holds {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


# 1. whole or not at all; an existing run is refused unless output.replace=true


def test_a_folder_holding_a_run_is_refused_and_left_unchanged(tmp_path):
    out = tmp_path / "run"
    assert soe_sim(*SMALL, f"hydra.run.dir={out}", cwd=tmp_path).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = soe_sim(*SMALL, "seed=5", f"hydra.run.dir={out}", cwd=tmp_path)
    line = one_error_line(proc)
    assert str(out) in line and "already holds a run" in line and "output.replace=true" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_a_folder_holding_anything_else_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    line = one_error_line(soe_sim(*SMALL, f"hydra.run.dir={out}", cwd=tmp_path))
    assert str(out) in line and "output.replace=true" in line
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_existing_empty_folder_is_used(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    proc = soe_sim(*SMALL, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.json").is_file() and leftovers(tmp_path) == []


def test_replace_swaps_the_whole_folder(tmp_path):
    out = tmp_path / "run"
    assert soe_sim(*SMALL, f"hydra.run.dir={out}", cwd=tmp_path).returncode == 0
    (out / "notes.txt").write_text("old", encoding="utf-8")
    assert (out / "entities_end.parquet").exists()
    proc = soe_sim(
        *SMALL,
        "seed=9",
        "output.entities=false",
        "output.replace=true",
        f"hydra.run.dir={out}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert not names & {"entities_start.parquet", "entities_end.parquet", "notes.txt"}
    assert strict_load(out / "summary.json")["seed"] == 9
    assert leftovers(tmp_path) == []


def test_write_outputs_refuses_then_replaces_in_process(tmp_path):
    from sim.config import OutputConfig, PopulationConfig, SimConfig
    from sim.outputs import RunFolderError, write_outputs
    from sim.runner import run_simulation

    config = SimConfig(
        months=2,
        population=PopulationConfig(n_entities=200),
        output=OutputConfig(chart=False),
    )
    result = run_simulation(config)
    out = tmp_path / "a" / "run"
    paths = write_outputs(result, out)
    assert paths[-1] == out / "summary.json"
    with pytest.raises(RunFolderError, match="already holds a run"):
        write_outputs(result, out)
    write_outputs(result, out, replace=True)
    assert {p.name for p in out.iterdir()} == {p.name for p in paths}
    assert leftovers(tmp_path) == []


# 2. signals: staging removed, one line, exit 130 (SIGINT) or 143 (SIGTERM)


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_run_leaves_nothing(tmp_path, sig, status):
    out = tmp_path / "outputs" / "run"
    env = {**os.environ, "MPLBACKEND": "Agg", "HYDRA_FULL_ERROR": "0"}
    # Long enough (30 million entity-months) that the signal lands mid-run on any machine.
    args = ["population=synthetic", "population.n_entities=50000", "months=600"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *args, "output.chart=false", f"hydra.run.dir={out}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A runner started in the background (e.g. `cmd &` in a script) ignores SIGINT, and the
        # child would inherit that; the test is about what soe-sim does when it gets the signal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not leftovers(tmp_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # the staging folder exists: the run is under way
    assert leftovers(tmp_path), "the run never started staging"
    time.sleep(1.5)
    assert proc.poll() is None, "the run ended before the signal"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "nothing written" in stderr
    assert leftovers(tmp_path) == []
    assert not out.exists() and not out.parent.exists()  # both were made by this run


# 3. unique default folders


def test_runs_started_together_get_their_own_folders(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "HYDRA_FULL_ERROR": "0"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "sim.cli", *SMALL, f"seed={seed}"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(3)
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    summaries = sorted((tmp_path / "outputs").glob("*/*/summary.json"))
    assert len(summaries) == 3
    assert sorted(strict_load(p)["seed"] for p in summaries) == [0, 1, 2]


# 4. never delete what the run did not create


def test_a_failed_run_keeps_the_users_empty_parent_folder(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    proc = soe_sim(
        "population=roster",
        "population.path=/nonexistent.csv",
        f"hydra.run.dir={mine / 'run'}",
        cwd=tmp_path,
    )
    assert "not found" in one_error_line(proc)
    assert mine.is_dir() and list(mine.iterdir()) == []


def test_a_failed_run_keeps_the_users_empty_run_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    proc = soe_sim(
        "population=roster",
        "population.path=/nonexistent.csv",
        f"hydra.run.dir={out}",
        cwd=tmp_path,
    )
    one_error_line(proc)
    assert out.is_dir() and list(out.iterdir()) == []


def test_a_failed_run_removes_the_folders_it_made(tmp_path):
    out = tmp_path / "a" / "b" / "run"
    proc = soe_sim(
        "population=roster",
        "population.path=/nonexistent.csv",
        f"hydra.run.dir={out}",
        cwd=tmp_path,
    )
    one_error_line(proc)
    assert list(tmp_path.iterdir()) == []


# 5. a file, an unwritable folder, a full disk


def test_a_run_folder_that_is_a_file_is_refused(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    line = one_error_line(soe_sim(*SMALL, f"hydra.run.dir={afile}", cwd=tmp_path))
    assert line.startswith("soe-sim: error: ") and str(afile) in line and "not a folder" in line
    assert afile.read_text(encoding="utf-8") == "x"
    line = one_error_line(soe_sim(*SMALL, f"hydra.run.dir={afile / 'run'}", cwd=tmp_path))
    assert str(afile / "run") in line and "Not a directory" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def run_in_process(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from hydra.core.global_hydra import GlobalHydra

    from sim import cli

    monkeypatch.setenv("HYDRA_FULL_ERROR", "0")
    monkeypatch.setattr(sys, "argv", ["soe-sim", *args])
    GlobalHydra.instance().clear()
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    GlobalHydra.instance().clear()
    return int(exit_info.value.code or 0), capsys.readouterr().err


def test_an_unwritable_folder_gives_one_line(tmp_path, monkeypatch, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):  # tests run as root, so chmod would not stop them
        if str(path).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    status, err = run_in_process(monkeypatch, capsys, *SMALL, f"hydra.run.dir={locked / 'run'}")
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("soe-sim: error: ") and str(locked / "run") in err
    assert "Permission denied" in err
    assert list(locked.iterdir()) == []


def test_a_full_disk_gives_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    import sim.outputs

    def full(frame, path, batch_rows=0):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sim.outputs, "write_parquet", full)
    out = tmp_path / "outputs" / "run"
    status, err = run_in_process(monkeypatch, capsys, *SMALL, f"hydra.run.dir={out}")
    assert status == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("soe-sim: error: ") and str(out) in err
    assert "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_tables_are_streamed_in_row_groups_and_read_back_equal(tmp_path):
    """A big table is written a batch at a time; text columns stay text even in a batch whose
    cells are all missing, and the file reads back equal."""
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from sim.outputs import write_parquet

    n = 1000
    frame = pd.DataFrame({
        "id": pd.Series([f"E{i}" for i in range(n)], dtype=object),
        # text missing in the whole first batch, which a schema taken from it would call null
        "name": pd.Series([None if i < 300 else f"n{i}" for i in range(n)], dtype=object),
        "flag": pd.Series([None if i % 7 else i % 2 == 0 for i in range(n)], dtype=object),
        "x": np.arange(n, dtype=np.float64) / 7,
        "k": np.arange(n, dtype=np.int64),
        "alive": np.arange(n) % 3 == 0,
    })  # fmt: skip
    path = tmp_path / "t.parquet"
    write_parquet(frame, path, batch_rows=256)
    file = pq.ParquetFile(path)
    assert file.metadata.num_row_groups == 4
    types = {f.name: str(f.type) for f in file.schema_arrow}
    assert types["name"] == "string" and types["flag"] == "bool"  # inferred from the whole frame

    def plain(f):  # pandas reads text back as str, with NaN for a missing cell
        return f.astype(object).where(f.notna(), None)

    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(plain(back), plain(frame))
    small = tmp_path / "s.parquet"
    write_parquet(frame.head(10), small, batch_rows=256)
    pd.testing.assert_frame_equal(plain(pd.read_parquet(small)), plain(frame.head(10)))


# 6. strict JSON


def test_summary_and_config_json_are_strict(tmp_path):
    import numpy as np

    from sim.config import OutputConfig, PopulationConfig, SimConfig
    from sim.outputs import dump_json, strict_json, write_outputs
    from sim.runner import run_simulation

    assert strict_json({"a": [float("nan"), np.float64("inf"), -math.inf, 1.5]}) == {
        "a": [None, None, None, 1.5]
    }
    assert "NaN" not in dump_json({"x": float("nan")})
    config = SimConfig(
        months=2, population=PopulationConfig(n_entities=200), output=OutputConfig(chart=False)
    )
    result = run_simulation(config)
    result.timeseries["debt_ratio"] = float("nan")
    result.timeseries["equity"] = math.inf
    write_outputs(result, tmp_path / "run")
    summary = strict_load(tmp_path / "run" / "summary.json")
    assert summary["headline"]["debt_ratio"] == {"start": None, "end": None}
    assert summary["headline"]["equity"] == {"start": None, "end": None}
    strict_load(tmp_path / "run" / "config.json")
    assert pd.read_parquet(tmp_path / "run" / "timeseries.parquet")["debt_ratio"].isna().all()


# 7. overrides that instantiate callables


@pytest.mark.parametrize(
    "override",
    [
        "+hydra.callbacks.x._target_=pathlib.Path.write_text",
        "++hydra.callbacks.x.path=x",
        "hydra/callbacks=whatever",
        "+population._target_=os.getcwd",
    ],
)
def test_instantiating_overrides_are_refused(tmp_path, override):
    out = tmp_path / "run"
    line = one_error_line(soe_sim(*SMALL, override, f"hydra.run.dir={out}", cwd=tmp_path))
    assert override in line and "SOE_SIM_ALLOW_INSTANTIATE=1" in line
    assert list(tmp_path.iterdir()) == []


def test_the_escape_hatch_lets_them_through(tmp_path):
    out = tmp_path / "run"
    proc = soe_sim(
        *SMALL,
        "+hydra.callbacks.x._target_=builtins.dict",
        f"hydra.run.dir={out}",
        cwd=tmp_path,
        env={"SOE_SIM_ALLOW_INSTANTIATE": "1"},
    )
    assert "SOE_SIM_ALLOW_INSTANTIATE" not in proc.stderr
    assert proc.returncode == 0, proc.stderr


# 8. every sweep value is checked before the first job runs


SWEEP_SMALL = ("population=synthetic", "population.n_entities=200", "output.chart=false")


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        (["months=1,0,1"], "sweep job 1 (months=0): config value months must be >= 1"),
        (["months=range(1,3)", "seed=choice(0,-1)"], "sweep job 1 (months=1 seed=-1)"),
        (["months=1,abc"], "sweep job 1 (months=abc)"),
        (["seed=range(0,300)", "months=1,0"], "sweep job 1 (months=0)"),  # value by value
        (["economy=default,nope"], "sweep job 1 (economy=nope): In 'config': Could not find"),
    ],
)
def test_a_bad_sweep_value_stops_the_sweep_before_it_starts(tmp_path, sweep, message):
    sweep_dir = tmp_path / "multirun" / "sweep"
    proc = soe_sim("-m", *sweep, *SWEEP_SMALL, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    line = one_error_line(proc)
    assert message in line
    assert list(tmp_path.iterdir()) == []


def test_a_good_sweep_writes_its_store_and_a_rerun_resumes_it(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ("-m", "seed=0,1", "months=1", *SWEEP_SMALL, f"hydra.sweep.dir={sweep_dir}")
    proc = soe_sim(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_parquet(sweep_dir / "store" / "runs")
    assert sorted(runs["seed"]) == [0, 1] and set(runs["status"]) == {"ok"}
    assert sorted(p.name for p in sweep_dir.iterdir()) == ["multirun.yaml", "store", "sweep.json"]
    assert strict_load(sweep_dir / "sweep.json")["status"] == "complete"
    assert leftovers(tmp_path) == []
    again = soe_sim(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 runs (0 failed, 2 already in the store)" in again.stdout


def test_a_sweep_writes_run_folders_when_asked(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = soe_sim(
        "-m", "seed=0,1", "months=1", "replications=2", "output.folders=true", *SWEEP_SMALL,
        f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    seeds = [strict_load(sweep_dir / str(j) / str(r) / "summary.json")["seed"]
             for j in (0, 1) for r in (0, 1)]  # fmt: skip
    assert seeds[0] == 0 and seeds[2] == 1 and len(set(seeds)) == 4
