"""soe-sim-report: the statistics against hand computations and scipy, the files it writes, and
bad input (one line, exit status 2, nothing written)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import analysis, sweep
from sim import report as rp
from sim import store as st
from sim.compose import compose_config

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("population=synthetic", "population.n_entities=300", "months=6", "replications=3")
PLANS = ("no_reform", "chongqing_2024", "gradual")
FAILED = ("chongqing_2024", 2)
"""The run made to fail: its ``runs`` row says failed, its tables of an earlier success stay
(as after a rerun that failed), and the report must leave it out."""


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three plans, three replications, six months; one run failed; sweep.json complete."""
    folder = tmp_path_factory.mktemp("sweep")
    runs = [
        spec
        for plan in PLANS
        for spec in sweep.specs(compose_config(f"policy={plan}", *SMALL), plan)
    ]
    sweep.execute(runs, folder / "store")
    spec = next(s for s in runs if (s.scenario, s.replication) == FAILED)
    keys = {"scenario": spec.scenario, "run_key": spec.run_key, "seed": spec.config.seed,
            "replication": spec.replication}  # fmt: skip
    record = {"status": "failed", "error_type": "RuntimeError", "error_message": "boom"}
    st.Store(folder / "store").put(spec.scenario, spec.run_key, keys, {}, record)
    (folder / "sweep.json").write_text(json.dumps({"status": "complete"}), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def data(sweep_dir: Path) -> rp.SweepData:
    return rp.load(sweep_dir)


@pytest.fixture(scope="module")
def made(data: rp.SweepData) -> dict[str, pd.DataFrame]:
    return rp.tables(data, rp.settle(data))


@pytest.fixture(scope="module")
def finished(sweep_dir: Path) -> pd.DataFrame:
    """The timeseries of the finished runs, read independently of the report."""
    runs = st.read(sweep_dir, "runs")
    ok = runs.loc[runs["status"] == "ok", ["scenario", "run_key"]]
    return st.read(sweep_dir, "timeseries").merge(ok, on=["scenario", "run_key"])


def cli(*args: str | Path, cwd: Path = ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim.report", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# statistics


def test_mean_interval_is_the_t_interval_of_scipy():
    x = np.array([3.0, -1.0, 4.0, 1.5, 9.0, 2.6])
    mean, low, high, n = analysis.mean_interval(x)
    want = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (mean, n) == (pytest.approx(x.mean()), 6)
    assert (low, high) == (pytest.approx(want[0], rel=1e-10), pytest.approx(want[1], rel=1e-10))
    _, low90, high90, _ = analysis.mean_interval(x, 0.9)
    assert low90 > low and high90 < high
    one = analysis.mean_interval([5.0, float("nan")])
    assert one[0] == 5.0 and one[3] == 1 and math.isnan(one[1]) and math.isnan(one[2])


def test_wilson_interval_for_known_counts():
    low, high = analysis.wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4901625, abs=1e-7), pytest.approx(0.9433178, abs=1e-7))
    # the interval of 2 of 10 mirrors that of 8 of 10
    assert analysis.wilson_interval(2, 10) == (pytest.approx(1 - high), pytest.approx(1 - low))
    assert analysis.wilson_interval(0, 8) == (0.0, pytest.approx(0.3244076, abs=1e-7))
    assert analysis.wilson_interval(8, 8) == (pytest.approx(0.6755924, abs=1e-7), 1.0)
    assert all(math.isnan(v) for v in analysis.wilson_interval(0, 0))
    with pytest.raises(ValueError):
        analysis.wilson_interval(11, 10)


def test_share_better_counts_ties_half():
    diff = [-2.0, -1.0, 0.0, 0.0, 3.0]
    # lower is better: better in 2 of 5, tied in 2: 2/5 + 2/5 / 2
    assert analysis.share_better(diff, -1) == pytest.approx(0.6)
    assert analysis.share_better(diff, +1) == pytest.approx(0.4)
    assert math.isnan(analysis.share_better([], 1))


def test_paired_differences_pair_by_replication_whatever_the_row_order():
    """Plan minus base by replication: entities [-2, -1, 0, 0] (replication 4 of the plan is
    missing, as after a failed run), equity [+3, -3, +6, 0]."""
    base = pd.DataFrame({"replication": [0, 1, 2, 3, 4], "seed": [10, 11, 12, 13, 14],
                         "entities": [10.0, 20, 30, 40, 50],
                         "equity": [100.0, 100, 100, 100, 100]})  # fmt: skip
    plan = pd.DataFrame({"replication": [3, 1, 0, 2], "seed": [13, 11, 10, 12],
                         "entities": [40.0, 19, 8, 30],
                         "equity": [100.0, 97, 103, 106]})  # fmt: skip
    ts = pd.concat([base.assign(scenario="base"), plan.assign(scenario="plan")])
    ts = ts.assign(date="2024-12").sample(frac=1.0, random_state=3)
    out = analysis.paired_differences(ts, "base", ["2024-12"], ["entities", "equity"])
    got = out.set_index("indicator")
    assert list(got["n"]) == [4, 4]
    assert got.loc["entities", "mean_diff"] == pytest.approx(-0.75)
    assert got.loc["entities", "share_better"] == pytest.approx(0.5 + 0.5 * 0.5)
    assert got.loc["equity", "mean_diff"] == pytest.approx(1.5)
    assert got.loc["equity", "share_better"] == pytest.approx(0.5 + 0.5 * 0.25)
    diff = np.array([3.0, -3.0, 6.0, 0.0])
    want = stats.t.interval(0.95, 3, loc=diff.mean(), scale=stats.sem(diff))
    assert got.loc["equity", "ci_low"] == pytest.approx(want[0])
    assert got.loc["equity", "ci_high"] == pytest.approx(want[1])
    with pytest.raises(ValueError, match="reference"):
        analysis.paired_differences(ts, "nope", ["2024-12"], ["entities"])


def test_default_dates_are_year_ends_within_the_run_and_the_last_month():
    months = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
    assert rp.default_dates(["2023-12", *months]) == ["2024-12", "2025-12", "2026-12"]
    assert rp.default_dates(["2023-12", *months[:6]]) == ["2024-06"]
    assert rp.default_dates(["2023-12", *months[:15]]) == ["2024-12", "2025-03"]


# the report's tables against the store, by hand


def test_paired_difference_is_the_mean_of_per_replication_differences(made, finished):
    last = finished["date"].max()
    at = finished[finished["date"] == last].set_index("replication")
    paired = made["paired_differences"].set_index(["scenario", "date", "indicator"])
    for plan in ("chongqing_2024", "gradual"):
        for name in ("profit_ttm", "entities", "jobs_affected"):
            ref = at.loc[at["scenario"] == "no_reform", name]
            diff = (at.loc[at["scenario"] == plan, name] - ref).dropna().to_numpy()
            row = paired.loc[(plan, last, name)]
            assert row["n"] == len(diff) == (2 if plan == FAILED[0] else 3)
            assert row["mean_diff"] == pytest.approx(diff.mean())
            sign = -1 if name in ("entities", "jobs_affected") else 1
            better = (sign * diff > 0).mean() + 0.5 * (diff == 0).mean()
            assert row["share_better"] == pytest.approx(better)
            if np.std(diff) > 0:
                low, high = stats.t.interval(0.95, len(diff) - 1, loc=diff.mean(),
                                             scale=stats.sem(diff))  # fmt: skip
                assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_failed_runs_are_listed_and_left_out(data, made):
    failed = made["failed_runs"]
    assert list(zip(failed["scenario"], failed["replication"], strict=True)) == [FAILED]
    assert failed["error_message"].tolist() == ["boom"]
    assert FAILED[1] not in set(data.timeseries.loc[data.timeseries["scenario"] == FAILED[0],
                                                    "replication"])  # fmt: skip
    head = made["headline"].groupby("scenario")["n"].max()
    assert head.to_dict() == {"chongqing_2024": 2, "gradual": 3, "no_reform": 3}
    assert set(made["target_chances"].groupby("scenario")["n"].max()) == {2, 3}
    assert made["fates"].groupby("scenario")["n"].first().to_dict()[FAILED[0]] == 2


def test_chance_of_meeting_a_target_is_the_share_of_replications_by_hand(sweep_dir, made):
    cards = st.read(sweep_dir, "report_card")
    runs = st.read(sweep_dir, "runs")
    cards = cards.merge(runs.loc[runs["status"] == "ok", ["scenario", "run_key"]])
    inside = cards[cards["status"].isin(["met", "missed"])]
    chances = made["target_chances"].set_index(["scenario", "milestone", "target"])
    assert len(chances) == len(inside.groupby(["scenario", "milestone", "target"]))
    for (scenario, milestone, target), g in inside.groupby(["scenario", "milestone", "target"]):
        row = chances.loc[(scenario, milestone, target)]
        k, n = int(g["met"].sum()), len(g)
        assert (row["met"], row["n"]) == (k, n)
        assert row["chance"] == pytest.approx(k / n)
        assert (row["ci_low"], row["ci_high"]) == analysis.wilson_interval(k, n)
    # six months: the 2024-12 milestone falls after the run and is left out
    assert set(made["target_chances"]["milestone"]) == {"2024-03", "2024-06"}


def test_fan_bands_are_quantiles_over_replications(made, finished):
    bands = made["fan_bands"].set_index(["indicator", "scenario", "month"])
    for name in ("entities", "profit_ttm"):
        g = finished[(finished["scenario"] == "gradual") & (finished["month"] == 4)][name]
        row = bands.loc[(name, "gradual", 4)]
        assert row["median"] == pytest.approx(np.median(g))
        for col, q in (("low_50", 0.25), ("high_50", 0.75), ("low_90", 0.05), ("high_90", 0.95)):
            assert row[col] == pytest.approx(np.quantile(g, q))
        assert row["n"] == 3


def test_trade_off_layers_and_fates_by_hand(sweep_dir, made, finished):
    key = ["scenario", "replication"]
    first = finished[finished["month"] == 0].set_index(key)
    last = finished[finished["month"] == finished["month"].max()].set_index(key)
    trade = made["trade_off"].set_index(key)
    assert len(trade) == len(last) == 8
    assert np.allclose(trade["jobs_affected"], last.loc[trade.index, "jobs_affected"])
    gain = last["profit_ttm"] - first["profit_ttm"]
    assert np.allclose(trade["profit_gain"], gain.loc[trade.index])

    layers = made["layers"].set_index(["scenario", "when", "layer"])
    for when, at in (("start", first), ("end", last)):
        want = at.loc["chongqing_2024", "layer_3"].mean()
        assert layers.loc[("chongqing_2024", when, 3), "mean"] == pytest.approx(want)

    events = st.read(sweep_dir, "events").merge(finished[["scenario", "run_key"]].drop_duplicates())
    gone = events[events["fate"] != ""]
    fates = made["fates"].set_index(["scenario", "fate"])
    for (scenario, fate), g in gone.groupby(["scenario", "fate"]):
        runs = finished.loc[finished["scenario"] == scenario, "run_key"].nunique()
        assert fates.loc[(scenario, fate), "total"] == len(g)
        assert fates.loc[(scenario, fate), "mean"] == pytest.approx(len(g) / runs)
    assert (fates["total"] >= 0).all() and fates["total"].sum() == len(gone)


def test_the_reference_defaults_to_the_first_scenario_when_no_reform_is_absent(sweep_dir, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy)
    for table in st.TABLES:
        shutil.rmtree(copy / "store" / table / "no_reform", ignore_errors=True)
    data = rp.load(copy)
    settings = rp.settle(data)
    assert settings.reference == "chongqing_2024"
    assert any("first scenario alphabetically" in note for note in settings.notes)
    assert rp.settle(data, reference="gradual").reference == "gradual"


def test_an_incomplete_sweep_is_noted(sweep_dir, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy)
    status = {"status": "incomplete", "expected_runs": 12}
    (copy / "sweep.json").write_text(json.dumps(status), encoding="utf-8")
    notes = rp.settle(rp.load(copy)).notes
    assert any("incomplete" in n and "9 of 12" in n for n in notes)
    assert not any("incomplete" in n for n in rp.settle(rp.load(sweep_dir)).notes)


# the command


@pytest.fixture(scope="module")
def written(sweep_dir: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    done = subprocess.run(
        [sys.executable, "-m", "sim.report", str(sweep_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done, sweep_dir / "report"


def test_the_command_writes_every_chart_and_table(written, made):
    done, out = written
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.iterdir())
    charts = {"fan", "paired_differences", "target_chances", "trade_off", "layers", "fates"}
    for name in charts:
        assert f"{name}.png" in files and f"{name}.svg" in files
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    tables = {"headline", "fan_bands", "paired_differences", "target_chances", "trade_off",
              "layers", "fates", "failed_runs"}  # fmt: skip
    assert {f"{t}.csv" for t in tables} <= set(files)
    assert set(files) == {"report.md"} | {f"{c}.{e}" for c in charts for e in ("png", "svg")} | {
        f"{t}.csv" for t in tables
    }
    text = (out / "report.md").read_text(encoding="utf-8")
    for name in files:
        if name != "report.md":
            assert f"({name})" in text
    assert "boom" in text and "Reference: `no_reform`" in text
    assert f"report: {out}" in done.stdout
    assert all(f"  {name}" in done.stdout for name in files)
    assert "1 failed run" in done.stderr  # the warning
    csv = pd.read_csv(out / "paired_differences.csv")
    assert np.allclose(csv["mean_diff"], made["paired_differences"]["mean_diff"])
    assert set(csv["date"]) == {"2024-06"}


def test_a_new_report_replaces_the_old_one_whole(sweep_dir, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("old", encoding="utf-8")
    (out / "stale.png").write_bytes(b"old")
    done = rp.make_report(sweep_dir, indicators=["groups"], dates=["2024-03"], out=out)
    names = sorted(p.name for p in out.iterdir())
    assert "stale.png" not in names and names == sorted(done.files)
    assert set(pd.read_csv(out / "fan_bands.csv")["indicator"]) == {"groups"}
    assert set(pd.read_csv(out / "paired_differences.csv")["date"]) == {"2024-03"}
    assert not list(tmp_path.glob(".report*"))  # no staging folder left


def _tree(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


ERRORS = {
    "missing folder": (["{tmp}/nowhere"], "no such folder"),
    "no store": (["{tmp}/empty"], "holds no results store"),
    "unknown reference": (["{sweep}", "--reference", "big_bang"], "unknown reference 'big_bang'"),
    "unknown indicator": (["{sweep}", "--indicators", "entities", "happiness"],
                          "unknown indicator 'happiness'"),
    "date outside the run": (["{sweep}", "--dates", "2024-06", "2031-12"],
                             "date 2031-12 is outside the run (2023-12 to 2024-06)"),
    "not a month": (["{sweep}", "--dates", "2024-6"], "not a month YYYY-MM"),
    "out holds other files": (["{sweep}", "--out", "{tmp}/busy"], "not a report"),
    "no folder given": ([], "required: SWEEP_DIR"),
    "unknown option": (["{sweep}", "--colour", "red"], "unrecognized arguments: --colour"),
}  # fmt: skip


@pytest.fixture(scope="module")
def failures(sweep_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Every bad input at once (in parallel), on a copy of the sweep, with the folders' contents
    before and after."""
    tmp = tmp_path_factory.mktemp("errors")
    copy = tmp / "sweep"
    shutil.copytree(sweep_dir, copy, ignore=shutil.ignore_patterns("report"))
    (tmp / "empty").mkdir()
    (tmp / "busy").mkdir()
    (tmp / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(tmp)
    procs = {
        case: cli(*(a.format(tmp=tmp, sweep=copy) for a in args))
        for case, (args, _) in ERRORS.items()
    }
    results = {case: (p.wait(timeout=300), *p.communicate()) for case, p in procs.items()}
    return results, before, _tree(tmp)


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_input_gives_one_line_and_exit_2_with_nothing_written(failures, case):
    results, before, after = failures
    status, stdout, stderr = results[case]
    assert status == 2, stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("soe-sim-report: error: ")
    assert ERRORS[case][1] in lines[0]
    assert after == before  # nothing written, anywhere under the folders


def test_import_and_help_load_neither_mesa_nor_hydra_nor_matplotlib():
    code = (
        "import sys, sim.report\n"
        "heavy = ('mesa', 'hydra', 'omegaconf', 'matplotlib', 'pandas')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))\n"
        "try:\n"
        "    sim.report.main(['--help'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert lines[0] == lines[-1] == "[]"
    assert "SWEEP_DIR" in done.stdout and "--reference" in done.stdout
    code = (
        "import sys, sim.analysis, sim.plots, sim.report\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mesa', 'hydra', 'omegaconf'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"
