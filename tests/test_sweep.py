"""Sweeps: paired replications, one results store, resume after a kill, failures as records."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim import store as st
from sim import sweep
from sim.compose import compose_config
from sim.config import SimConfig
from sim.errors import ConfigError
from sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]


SMALL = ("population=synthetic", "population.n_entities=300", "months=6", "replications=3")


def small(policy: str = "chongqing_2024") -> SimConfig:
    return compose_config(f"policy={policy}", *SMALL)


def plans() -> list[sweep.RunSpec]:
    return sweep.specs(small(), "reform") + sweep.specs(small("no_reform"), "no_reform")


def contents(root: Path) -> dict[str, pd.DataFrame]:
    """Every table of a store, volatile columns dropped, in a fixed row order."""
    out = {}
    for table in st.TABLES:
        frame = st.read(root, table)
        out[table] = frame.drop(columns=[c for c in st.VOLATILE if c in frame]).reset_index(
            drop=True
        )
    return out


def assert_same_store(a: Path, b: Path) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    files_b = sorted(p.relative_to(b) for p in b.rglob("*.parquet"))
    assert files_a == files_b
    left, right = contents(a), contents(b)
    for table in st.TABLES:
        assert_frame_equal(left[table], right[table], check_exact=True, obj=table)


# replications and their seeds


def test_replication_seeds_start_at_the_seed_and_extend_as_a_prefix():
    seeds = sweep.replication_seeds(7, 50)
    assert seeds[0] == 7
    assert sweep.replication_seeds(7, 10) == seeds[:10]
    assert len(set(seeds)) == 50
    assert all(0 <= s < 2**63 for s in seeds)
    child = np.random.SeedSequence(7).spawn(3)[2]  # replication 3 is the third child
    assert seeds[3] == int(child.generate_state(1, np.uint64)[0]) >> 1
    assert sweep.replication_seeds(8, 10)[1:] != seeds[1:10]


def test_every_scenario_runs_the_same_seeds():
    runs = plans()
    by_scenario = {}
    for spec in runs:
        by_scenario.setdefault(spec.scenario, []).append(spec.config.seed)
    assert by_scenario["reform"] == by_scenario["no_reform"] == sweep.replication_seeds(0, 3)


def test_run_key_follows_the_config_and_seed_but_not_outputs_or_run_settings():
    cfg = small()
    key = sweep.run_key(cfg)
    assert sweep.run_key(dataclasses.replace(cfg, workers=2, replications=9)) == key
    assert sweep.run_key(dataclasses.replace(cfg, scenario="x")) == key
    chart_off = dataclasses.replace(cfg.output, chart=False, events=False)
    assert sweep.run_key(dataclasses.replace(cfg, output=chart_off)) == key
    assert sweep.run_key(dataclasses.replace(cfg, seed=1)) != key
    assert sweep.run_key(dataclasses.replace(cfg, months=7)) != key


def test_scenario_names_come_from_the_swept_overrides():
    cfg = small()
    assert sweep.scenario_name(cfg, ["policy=gradual", "months=3"], ["policy"]) == "chongqing_2024"
    assert sweep.scenario_name(cfg, ["seed=3"], ["seed"]) == "chongqing_2024"
    both = ["policy=gradual", "economy=downturn", "replications=5"]
    assert sweep.scenario_name(cfg, both, None) == "economy=downturn policy=gradual"
    assert sweep.scenario_name(dataclasses.replace(cfg, scenario="plan B"), both) == "plan B"


# the store


def test_the_store_holds_every_run_with_its_keys_and_reruns_exactly(tmp_path):
    runs = plans()
    outcome = sweep.execute(runs, tmp_path / "store")
    assert (outcome.ran, outcome.failed, outcome.skipped) == (6, 0, 0)
    tables = contents(tmp_path / "store")
    for name in ("runs", "timeseries", "groups", "report_card", "events"):
        frame = tables[name]
        assert list(frame.columns[:4]) == list(st.KEYS), name
        assert frame.groupby(["scenario", "run_key"]).ngroups == 6, name
    runs_table = tables["runs"]
    assert set(runs_table["status"]) == {"ok"}
    assert {"code_version", "packages", "config", "overrides", "base_seed"} <= set(runs_table)
    # each stored run is the run its seed gives on its own
    spec = runs[4]  # no_reform, replication 1
    alone = run_simulation(spec.config).timeseries
    stored = tables["timeseries"]
    stored = stored[stored["run_key"] == spec.run_key].drop(columns=list(st.KEYS))
    assert_frame_equal(stored.reset_index(drop=True), alone, check_exact=True, check_dtype=False)
    assert (stored.shape[0], runs_table.shape[0]) == (7, 6)


def test_park_tables_are_stored_for_runs_with_parks_only(tmp_path):
    runs = sweep.specs(small(), "parks") + sweep.specs(
        compose_config("policy=chongqing_2024", "parks=none", *SMALL), "no_parks"
    )
    sweep.execute(runs, tmp_path / "store")
    for table in ("zones", "park_events", "zone_table"):
        frame = st.read(tmp_path / "store", table)
        assert set(frame["scenario"]) == {"parks"}, table
        assert frame.groupby("run_key").ngroups == 3, table
    zones = st.read(tmp_path / "store", "zones")
    alone = run_simulation(runs[1].config).zones
    stored = zones[zones["run_key"] == runs[1].run_key].drop(columns=list(st.KEYS))
    assert_frame_equal(stored.reset_index(drop=True), alone, check_exact=True, check_dtype=False)


def test_duckdb_reads_the_store_as_the_readme_says(tmp_path):
    sweep.execute(plans(), tmp_path / "store")
    glob = str(tmp_path / "store" / "timeseries" / "**" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT scenario, count(DISTINCT seed) AS seeds, avg(profit_ttm) AS profit "
        f"FROM read_parquet('{glob}') WHERE month = 6 GROUP BY scenario ORDER BY scenario"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("no_reform", 3), ("reform", 3)]


def test_the_store_does_not_depend_on_the_number_of_processes(tmp_path):
    runs = plans()
    sweep.execute(runs, tmp_path / "one" / "store", workers=1)
    sweep.execute(runs, tmp_path / "two" / "store", workers=2)
    assert_same_store(tmp_path / "one" / "store", tmp_path / "two" / "store")


def test_a_rerun_skips_finished_runs_and_redoes_unfinished_ones(tmp_path):
    runs = plans()
    root = tmp_path / "store"
    sweep.execute(runs, root)
    before = contents(root)
    victim = st.Store(root).path("runs", runs[2].scenario, runs[2].run_key)
    victim.unlink()  # as if killed after its tables but before its runs row
    host = socket.gethostname()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    folder = root / "events" / "reform"
    (folder / f"killed.parquet.{host}.{dead}.tmp").write_bytes(b"partial")  # its writer died
    live = folder / f"writing.parquet.{host}.{os.getppid()}.tmp"  # another writer, still going
    remote = folder / "writing.parquet.otherhost.1.tmp"  # on another host, recent
    live.write_bytes(b"partial")
    remote.write_bytes(b"partial")
    outcome = sweep.execute(runs, root)
    assert (outcome.ran, outcome.skipped) == (1, 5)
    assert sorted(root.rglob("*.tmp")) == sorted([live, remote])
    live.unlink()
    remote.unlink()
    after = contents(root)
    for table in st.TABLES:
        assert_frame_equal(before[table], after[table], check_exact=True, obj=table)


def test_a_run_that_raises_becomes_a_failure_record_and_is_retried(tmp_path, monkeypatch):
    runs = plans()
    bad = runs[1].config.seed
    real = sweep.run_simulation

    def flaky(cfg):
        if cfg.seed == bad and cfg.policy.reform:
            raise ZeroDivisionError("the books do not balance\nsecond line")
        return real(cfg)

    monkeypatch.setattr(sweep, "run_simulation", flaky)
    outcome = sweep.execute(runs, tmp_path / "store")
    assert (outcome.ran, outcome.failed) == (6, 1)
    table = st.read(tmp_path / "store", "runs")
    failed = table[table["status"] == "failed"]
    assert failed[["scenario", "seed", "error_type", "error_message"]].values.tolist() == [
        ["reform", bad, "ZeroDivisionError", "the books do not balance"]
    ]
    ts = st.read(tmp_path / "store", "timeseries")
    assert failed["run_key"].iloc[0] not in set(ts["run_key"])
    again = sweep.execute(runs, tmp_path / "store")  # a failure is tried again
    assert (again.ran, again.failed, again.skipped) == (1, 1, 5)
    monkeypatch.setattr(sweep, "run_simulation", real)  # fixed: the retry succeeds
    fixed = sweep.execute(runs, tmp_path / "store")
    assert (fixed.ran, fixed.failed, fixed.skipped) == (1, 0, 5)
    assert set(st.read(tmp_path / "store", "runs")["status"]) == {"ok"}
    assert not [p for p in (tmp_path / "store" / "failed").rglob("*") if p.is_file()]


def test_an_unguarded_script_runs_in_one_process_instead_of_crashing(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from sim import sweep\n"
        "from sim.config import PopulationConfig, SimConfig\n"
        "cfg = SimConfig(months=2, replications=3, population=PopulationConfig(n_entities=200))\n"
        f"print(sweep.execute(sweep.specs(cfg, 'x'), {str(tmp_path / 'store')!r}, workers=2))\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "not under `if __name__ == '__main__':`" in proc.stderr
    assert "ran=3" in proc.stdout


# the command line


SWEEP = (
    "-m", "policy=no_reform,chongqing_2024", "replications=4", "months=6",
    "population=synthetic", "population.n_entities=400",
)  # fmt: skip


def soe_sim(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        capture_output=True, text=True, env=env, timeout=600, check=False, **kwargs,
    )  # fmt: skip


def test_a_sweep_writes_one_store_one_progress_bar_and_a_status(tmp_path):
    folder = tmp_path / "sweep"
    proc = soe_sim(*SWEEP, "workers=2", f"hydra.sweep.dir={folder}")
    assert proc.returncode == 0, proc.stderr
    runs = st.read(folder, "runs")
    assert sorted(runs["scenario"].unique()) == ["chongqing_2024", "no_reform"]
    assert len(runs) == 8 and set(runs["replication"]) == {0, 1, 2, 3}
    status = json.loads((folder / "sweep.json").read_text())
    assert (status["status"], status["expected_runs"], status["ran"]) == ("complete", 8, 8)
    assert "8/8" in proc.stderr and "[HYDRA]" not in proc.stdout
    assert proc.stdout.splitlines()[0].startswith("soe-sim 0.1.0: sweep complete: 8 runs")


def test_a_killed_sweep_resumes_to_the_store_of_an_uninterrupted_one(tmp_path):
    whole = tmp_path / "whole"
    assert soe_sim(*SWEEP, f"hydra.sweep.dir={whole}").returncode == 0
    killed = tmp_path / "killed"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *SWEEP, "workers=2", f"hydra.sweep.dir={killed}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes its workers too
    )
    deadline = time.monotonic() + 300
    while len(list(killed.glob("store/runs/*/*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    held = len(list(killed.glob("store/runs/*/*.parquet")))
    assert 3 <= held < 8, "the kill should land mid-sweep"
    assert json.loads((killed / "sweep.json").read_text())["status"] == "incomplete"
    again = soe_sim(*SWEEP, f"hydra.sweep.dir={killed}")
    assert again.returncode == 0, again.stderr
    assert "already in the store" in again.stdout
    assert json.loads((killed / "sweep.json").read_text())["status"] == "complete"
    assert_same_store(whole / "store", killed / "store")


def test_a_sweep_folder_of_another_code_version_is_refused(tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "sweep.json").write_text(json.dumps({"code_version": "0.0.1"}))
    proc = soe_sim(*SWEEP, f"hydra.sweep.dir={folder}")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("soe-sim: error: sweep folder")
    assert "0.0.1" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["sweep.json"]


@pytest.mark.parametrize("name", ["compare_plans"])
def test_named_sweeps_are_checked_and_named_by_plan(tmp_path, name):
    folder = tmp_path / "sweep"
    proc = soe_sim(
        f"sweep={name}", "replications=2", "months=2", "workers=1", "population=synthetic",
        "population.n_entities=200", f"hydra.sweep.dir={folder}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    scenarios = set(st.read(folder, "runs")["scenario"])
    assert scenarios == {"no_reform", "chongqing_2024", "gradual", "loss_cutting_first",
                         "mergers_first"}  # fmt: skip
    bad = soe_sim(f"sweep={name}", "months=0", f"hydra.sweep.dir={tmp_path / 'bad'}")
    assert bad.returncode == 2 and "months must be >= 1" in bad.stderr
    assert not (tmp_path / "bad").exists()


LAUNCHERS = {
    "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    "submitit_local": ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"],
    "ray": ["hydra/launcher=ray", "+hydra.launcher.ray.init.include_dashboard=false",
            "+hydra.launcher.ray.init.num_cpus=2"],
}  # fmt: skip


@pytest.fixture(scope="module")
def basic_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("basic") / "sweep"
    proc = soe_sim(*SWEEP, f"hydra.sweep.dir={folder}")
    assert proc.returncode == 0, proc.stderr
    return folder / "store"


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_every_launcher_writes_the_same_store(tmp_path, basic_store, launcher):
    folder = tmp_path / "sweep"
    proc = soe_sim(*SWEEP, *LAUNCHERS[launcher], f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((folder / "sweep.json").read_text())["status"] == "complete"
    assert_same_store(basic_store, folder / "store")


def test_a_job_returns_its_objectives_as_means_over_its_replications(tmp_path):
    runs = plans()
    root = tmp_path / "store"
    sweep.execute(runs, root)
    mine = [s for s in runs if s.scenario == "reform"]
    values = sweep.objective_values(root, mine, ["targets_met", "profit_gain", "jobs_affected"])
    ts = st.read(root, "timeseries", scenarios=["reform"])
    card = st.read(root, "report_card", scenarios=["reform"])
    due = card[card["status"].isin(["met", "missed"])]
    expected_met = np.mean([g["met"].mean() for _, g in due.groupby("run_key")])
    end, start = ts[ts["month"] == 6], ts[ts["month"] == 0]
    gain = end["profit_ttm"].to_numpy() - start["profit_ttm"].to_numpy()
    assert values == pytest.approx([expected_met, gain.mean(), end["jobs_affected"].mean()])
    with pytest.raises(ConfigError, match="unknown objective 'profits'"):
        dataclasses.replace(small(), objectives=["profits"])


def test_the_readme_duckdb_query_runs_on_a_store(tmp_path, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = text.split("uv run python - <<'SQL'\n", 1)[1].split("\nSQL\n", 1)[0]
    folder = tmp_path / "plans"
    sweep.execute(plans(), folder / "store")
    code = code.replace("sweeps/plans", str(folder)).replace("2026-12", "2024-06")
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("│ reform")]
    assert len(rows) == 1 and "│     3 │" in rows[0], out  # one plan, three pairs


def test_an_interrupted_first_sweep_keeps_its_store_and_resumes(tmp_path):
    whole = tmp_path / "whole"
    assert soe_sim(*SWEEP, f"hydra.sweep.dir={whole}").returncode == 0
    folder = tmp_path / "new" / "sweep"  # made by the interrupted command itself
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *SWEEP, "workers=2", f"hydra.sweep.dir={folder}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while len(list(folder.glob("store/runs/*/*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err and "Traceback" not in err
    assert len(list(folder.glob("store/runs/*/*.parquet"))) >= 2  # kept, not cleaned up
    assert json.loads((folder / "sweep.json").read_text())["status"] == "incomplete"
    assert soe_sim(*SWEEP, f"hydra.sweep.dir={folder}").returncode == 0
    assert_same_store(whole / "store", folder / "store")


def test_a_rerun_with_another_setting_is_refused_not_mixed_in(tmp_path):
    folder = tmp_path / "sweep"
    assert soe_sim(*SWEEP, f"hydra.sweep.dir={folder}").returncode == 0
    before = sorted(p.name for p in folder.rglob("*.parquet"))
    proc = soe_sim(*SWEEP, "economy=downturn", f"hydra.sweep.dir={folder}")
    assert proc.returncode == 2
    assert "holds runs of scenario '" in proc.stderr and "with another config" in proc.stderr
    assert "economy." in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.rglob("*.parquet")) == before
    one_name = soe_sim(*SWEEP, "scenario=both", f"hydra.sweep.dir={tmp_path / 'both'}")
    assert one_name.returncode == 2 and "would hold runs of two configs" in one_name.stderr
    assert not (tmp_path / "both").exists()
    # objectives change what a job returns, not what it computes: the runs are reused
    again = soe_sim(*SWEEP, "objectives=[targets_met]", f"hydra.sweep.dir={folder}")
    assert again.returncode == 0 and "0 runs (0 failed, 8 already in the store)" in again.stdout


def test_a_sweep_resumes_beside_its_report_and_run_folders(tmp_path):
    folder = tmp_path / "sweep"
    args = (*SWEEP, "replications=2", "output.folders=true", f"hydra.sweep.dir={folder}")
    assert soe_sim(*args).returncode == 0
    (folder / "report").mkdir()
    (folder / "report" / "report.md").write_text("an earlier report")
    proc = soe_sim(*args)
    assert proc.returncode == 0, proc.stderr
    assert "0 runs (0 failed, 4 already in the store)" in proc.stdout
    assert (folder / "0" / "1" / "summary.json").is_file()


def test_sweep_input_errors_come_before_any_run_and_touch_nothing(tmp_path):
    folder = tmp_path / "mine"
    (folder / "2024").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    proc = soe_sim(*SWEEP, f"hydra.sweep.dir={folder}")
    assert proc.returncode == 2 and "choose another one (hydra.sweep.dir=...)" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["2024", "notes.txt"]
    missing = soe_sim("-m", "policy=no_reform,gradual", "population=roster",
                      "population.path=/nonexistent.parquet", "months=2",
                      f"hydra.sweep.dir={tmp_path / 'roster'}")  # fmt: skip
    assert missing.returncode == 2
    assert "roster file /nonexistent.parquet not found" in missing.stderr
    assert not (tmp_path / "roster").exists()


def test_duplicate_jobs_run_once(tmp_path):
    folder = tmp_path / "sweep"
    proc = soe_sim("-m", "seed=1,1", "replications=2", "months=2", "population=synthetic",
                   "population.n_entities=200", f"hydra.sweep.dir={folder}")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "2 runs (0 failed)" in proc.stdout
    assert json.loads((folder / "sweep.json").read_text())["expected_runs"] == 2
