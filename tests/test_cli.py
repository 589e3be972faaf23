"""The soe-sim command as a user runs it: outputs, the printed summary, and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_runs import soe_sim

EXPECTED = {
    "config.yaml",
    "config.json",
    "timeseries.parquet",
    "groups.parquet",
    "entities_start.parquet",
    "entities_end.parquet",
    "events.parquet",
    "summary.json",
    "headline.png",
    "report_card.parquet",
    "report_card.csv",
    "report_card.png",
    "zones.parquet",
    "park_events.parquet",
    "zone_table.parquet",
    "parks.png",
}


def test_run_writes_every_output_and_prints_a_summary(tmp_path):
    out = tmp_path / "run"
    proc = soe_sim("months=6", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} == EXPECTED
    assert "loss_making_share" in proc.stdout and str(out) in proc.stdout
    assert "report card" in proc.stdout
    assert "parks: plan 'chongqing_2024'" in proc.stdout and "management_bodies" in proc.stdout
    card = pd.read_csv(out / "report_card.csv")
    assert set(card["milestone"]) == {"2024-03", "2024-06", "2024-12"}
    late = card[card["milestone"] == "2024-12"]
    assert late["achieved"].isna().all() and (late["status"] == "after the run").all()
    assert set(card.loc[card["milestone"] == "2024-03", "status"]) <= {"met", "missed"}
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["month"].tolist() == list(range(7))
    assert ts["date"].iloc[0] == "2023-12" and ts["date"].iloc[-1] == "2024-06"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["headline"]["operating_entities"]["start"] == 2260
    events = pd.read_parquet(out / "events.parquet")
    start = pd.read_parquet(out / "entities_start.parquet")
    end = pd.read_parquet(out / "entities_end.parquet")
    # Every entity that ever existed is traced: alive at the end or one fate event.
    ever = set(start["id"]) | set(events.loc[events.op == "enter", "entity_id"])
    assert ever == set(end["id"])
    gone = set(end.loc[~end["alive"], "id"])
    assert gone == set(events.loc[events.op.isin(["exit", "merge"]), "entity_id"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["months=0"], "months must be >= 1"),
        (["population=nope"], "Could not find 'population/nope'"),
        (["population.bogus=1"], "Key 'bogus' not in 'PopulationConfig'"),
        (["months=abc"], "could not be converted to Integer"),
        (["population=roster", "population.path=missing.csv"], "missing.csv not found"),
    ],
)
def test_bad_input_exits_nonzero_with_one_message_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "outputs" / "run"
    proc = soe_sim(*args, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr  # one message
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_broken_roster_names_the_row_and_writes_nothing(tmp_path):
    from conftest import five_entity_roster

    roster = five_entity_roster()
    roster.loc[3, "parent_id"] = "NOPE"
    path = tmp_path / "broken.csv"
    roster.to_csv(path, index=False)
    out = tmp_path / "outputs" / "run"
    proc = soe_sim(
        "population=roster", f"population.path={path}", f"hydra.run.dir={out}", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "A1" in proc.stderr and "NOPE" in proc.stderr
    assert not out.exists()


def test_help_lists_the_config_groups(tmp_path):
    proc = soe_sim("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for group in ("population: chongqing_2023, roster, synthetic", "economy:", "policy:"):
        assert group in proc.stdout


def test_help_gives_meaning_unit_and_range_of_every_key(tmp_path):
    from sim.config import SimConfig
    from sim.params import walk

    out = soe_sim("--help", cwd=tmp_path).stdout
    assert "policy.slimming.max_layers=5  (lever layer [1, 30])" in out
    assert "Deepest management layer allowed (1 = group HQ)" in out
    assert "economy.interest_rate=0.045  (uncertainty share/yr [0, 1])" in out
    for p in walk(SimConfig):
        assert f"\n  {p.path}=" in out, p.path
    assert "-m 'seed=range(0,20)'" in out  # pastes into a shell as it stands


def test_every_help_example_pastes_into_bash_as_printed():
    import shlex
    import subprocess

    from sim.help import HELP_FOOTER

    examples = [line.strip() for line in HELP_FOOTER.splitlines() if line.startswith("  soe-sim")]
    assert len(examples) >= 10
    for line in examples:
        check = subprocess.run(["bash", "-n", "-c", line], capture_output=True, text=True)
        assert check.returncode == 0, (line, check.stderr)
        words = shlex.split(line, comments=True)  # what bash passes: no stray parentheses
        assert words[0] in ("soe-sim", "soe-sim-report", "soe-sim-dashboard"), line


def test_summary_records_a_command_that_reproduces_the_run(tmp_path):
    import shlex

    first, second = tmp_path / "first", tmp_path / "second"
    proc = soe_sim("months=3", "seed=4", "policy=gradual", f"hydra.run.dir={first}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    command = json.loads((first / "summary.json").read_text(encoding="utf-8"))["command"]
    assert command == "soe-sim months=3 seed=4 policy=gradual"
    proc = soe_sim(*shlex.split(command)[1:], f"hydra.run.dir={second}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("timeseries", "events", "entities_end"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(first / f"{name}.parquet"), pd.read_parquet(second / f"{name}.parquet")
        )
