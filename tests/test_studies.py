"""The study machinery in experiments/: parameter checks, designs, the ABC and Sobol'/Morris
wrappers on toy models with known answers, and each study's --quick run end to end."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import yaml
from SALib.test_functions import Ishigami

from sim.errors import ConfigError

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, str(EXPERIMENTS))
studies = _load("studies", EXPERIMENTS / "studies.py")
calibrate = _load("calibrate", EXPERIMENTS / "calibration" / "calibrate.py")
sensitivity = _load("sensitivity_run", EXPERIMENTS / "sensitivity" / "run.py")
dynamics = _load("dynamics_run", EXPERIMENTS / "dynamics" / "run.py")
policy_search = _load("policy_search_run", EXPERIMENTS / "policy_search" / "run.py")
compare_plans = _load("compare_plans_run", EXPERIMENTS / "compare_plans" / "run.py")
FreeParameter = studies.FreeParameter
StudyError = studies.StudyError


@pytest.fixture(scope="module")
def base():
    return studies.base_config(["population=chongqing_2023", "policy=chongqing_2024"])


def entry(path: str, **kw: object) -> dict[str, object]:
    return {"path": path, "why": "test", **kw}


# ---------------------------------------------------------------------------------------------
# Free parameters


def test_declared_bounds_are_the_default_range(base):
    (p,) = studies.free_parameters([entry("policy.synergy.cost_cut")], base)
    assert (p.low, p.high, p.kind) == (0.0, 1.0, "uncertainty")
    assert p.base == base.policy.synergy.cost_cut  # the preset value


def test_given_range_and_preset_value(base):
    (p,) = studies.free_parameters(
        [entry("policy.slimming.sibling_below", low=100, high=3000, log=True)], base
    )
    assert (p.low, p.high, p.log, p.type) == (100.0, 3000.0, True, "float")
    assert p.base == base.policy.slimming.sibling_below


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry("policy.slimming.sibling_bellow", low=1, high=2), "did you mean"),
        (entry("policy.synergy.cost_cut", low=0.0, high=1.5), "outside the declared [0, 1]"),
        (entry("policy.loss_cutting.soft_budget", low=-2, high=0), "outside the declared"),
        (entry("policy.slimming.sibling_below"), "give low and high"),
        (entry("policy.slimming.sibling_below", low=0, high=10, log=True), "must be positive"),
        (entry("policy.synergy.cost_cut", low=0.5, high=0.5), "must be below"),
        (entry("policy.synergy.cost_cut", low=0.1), "both low and high"),
        (entry("months", low=1, high=12), "is a setting"),
        (entry("policy.quality.merger_mode"), "only numeric"),
        (entry("population.shell_share", low=0, high=0.2), "no effect"),
        ({"path": "policy.synergy.cost_cut"}, "why"),
        (entry("policy.synergy.cost_cut", hgih=1), "unknown keys"),
    ],
)
def test_bad_parameters_are_refused_clearly(base, bad, message):
    with pytest.raises(StudyError, match=re.escape(message)):
        studies.free_parameters([bad], base)


def test_parameter_of_a_switched_off_family_is_refused():
    off = studies.base_config(["population=chongqing_2023", "policy=none"])
    with pytest.raises(StudyError, match=r"policy.slimming.enabled is false"):
        studies.free_parameters([entry("policy.slimming.per_month", low=1, high=2)], off)


def test_a_parameter_listed_twice_is_refused(base):
    with pytest.raises(StudyError, match="twice"):
        studies.free_parameters([entry("policy.synergy.cost_cut")] * 2, base)


def test_apply_sets_nested_values_and_validates(base):
    cfg = studies.apply(base, {"policy.slimming.per_month": 33.0, "economy.idio_vol": 0.2})
    assert cfg.policy.slimming.per_month == 33.0 and cfg.economy.idio_vol == 0.2
    assert base.policy.slimming.per_month != 33.0  # the base is not changed
    with pytest.raises(ConfigError):
        studies.apply(base, {"policy.synergy.cost_cut": 2.0})


def test_unit_mapping_uniform_log_and_integer():
    lin = FreeParameter("a", 2.0, 6.0)
    log = FreeParameter("b", 10.0, 1000.0, log=True)
    u = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(lin.from_unit(u), [2.0, 4.0, 6.0])
    np.testing.assert_allclose(log.from_unit(u), [10.0, 100.0, 1000.0])
    np.testing.assert_allclose(log.to_unit(log.from_unit(u)), u)
    ints = FreeParameter("c", 3, 6, type="int").from_unit(np.linspace(0, 1, 4000, endpoint=False))
    values, counts = np.unique(ints, return_counts=True)
    assert list(values) == [3, 4, 5, 6] and set(counts) == {1000}  # every integer equally likely


@pytest.mark.parametrize("method", ["sobol", "lhs"])
def test_unit_sample_is_space_filling(method):
    u = studies.unit_sample(3, 64, method, seed=1)
    assert u.shape == (64, 3) and u.min() >= 0 and u.max() <= 1
    # one point in each of 64 equal slices of every axis (Sobol' at a power of 2, and LHS)
    assert all(len(np.unique(np.floor(u[:, j] * 64))) == 64 for j in range(3))


def test_month_index_counts_from_the_start_state():
    assert studies.month_index("2024-01", "2023-12") == 0
    assert studies.month_index("2024-01", "2024-06") == 6
    assert studies.month_index("2024-01", "2026-12") == 36
    assert studies.start_state_date("2024-01") == "2023-12"


def test_measure_table_levels_growth_and_change():
    ts = pd.DataFrame(
        {
            "scenario": [0, 0, 1, 1],
            "seed": [0, 0, 0, 0],
            "month": [0, 1, 0, 1],
            "date": ["2023-12", "2024-01"] * 2,
            "profit_ttm": [100.0, 110.0, 50.0, 40.0],
        }
    )
    ms = [studies.Measure("profit_ttm", "2024-01", t) for t in ("level", "growth", "change")]
    out = studies.measure_table(ts, ms, {"profit_ttm": "profit_ttm"})
    np.testing.assert_allclose(out[ms[0].label], [110.0, 40.0])
    np.testing.assert_allclose(out[ms[1].label], [0.1, -0.2])
    np.testing.assert_allclose(out[ms[2].label], [10.0, -10.0])


def test_unknown_indicator_is_refused():
    with pytest.raises(StudyError, match="unknown indicator"):
        studies.Measure("entitites", "2024-12")


def test_missing_column_uses_a_stand_in_only_when_allowed():
    cols = ["entities", "groups"]
    with pytest.raises(StudyError, match="not in the model's timeseries"):
        studies.resolve_columns(cols, ["operating_entities"], allow_stand_ins=False)
    got = studies.resolve_columns(cols, ["operating_entities"], allow_stand_ins=True)
    assert got == {"operating_entities": "entities"}


def test_evaluate_uses_common_seeds(base):
    (p,) = studies.free_parameters([entry("policy.slimming.per_month", low=30, high=200)], base)
    measures = [studies.Measure("groups", "2024-03"), studies.Measure("entities", "2024-03")]
    batch = studies.evaluate(
        base, [p], np.array([[80.0], [80.0], [30.0]]), [0, 1], measures, processes=1, log=None
    )
    v = batch.values
    assert list(v.columns) == ["point", "seed", "groups@2024-03", "entities@2024-03"]
    assert list(zip(v["point"], v["seed"], strict=True)) == [
        (i, s) for i in range(3) for s in (0, 1)
    ]
    assert batch.months == 3 and batch.runs == 6
    same = v[v["point"] == 0].drop(columns="point").reset_index(drop=True)
    twin = v[v["point"] == 1].drop(columns="point").reset_index(drop=True)
    pd.testing.assert_frame_equal(same, twin)  # same parameters, same seeds: same outcomes
    assert not v[v["point"] == 2]["entities@2024-03"].equals(v[v["point"] == 0]["entities@2024-03"])


# ---------------------------------------------------------------------------------------------
# Rejection ABC on a toy simulator


def test_abc_posterior_concentrates_on_the_true_parameter():
    rng = np.random.default_rng(7)
    params = [FreeParameter("theta", 0.0, 10.0), FreeParameter("nuisance", 0.0, 10.0)]
    values = studies.to_values(params, studies.unit_sample(2, 4096, "sobol", seed=3))
    # the simulator: 4 seeds of theta plus noise; the nuisance parameter does nothing
    sims = values[:, [0]] + rng.normal(0.0, 0.2, size=(len(values), 4))
    fit = calibrate.abc_rejection(sims.mean(axis=1, keepdims=True), [3.0], [0.1], 0.02, 10)
    assert fit.accepted.size == math.ceil(0.02 * 4096)
    post = calibrate.posterior_table(params, values, fit.accepted).set_index("parameter")
    assert abs(post.loc["theta", "p50"] - 3.0) < 0.15
    assert post.loc["theta", "p95"] - post.loc["theta", "p5"] < 0.6
    assert post.loc["theta", "contraction"] > 0.95
    assert post.loc["nuisance", "contraction"] < 0.3  # left at its prior
    assert post.loc["nuisance", "p95"] - post.loc["nuisance", "p5"] > 7


def test_abc_distance_in_tolerances_and_non_finite_summaries():
    d = calibrate.abc_distance(
        np.array([[1.0, 2.0], [np.nan, 0.0], [0.0, 0.0]]),
        np.array([0.0, 0.0]),
        np.array([1.0, 2.0]),
    )
    np.testing.assert_allclose(d, [math.sqrt(2), math.inf, 0.0])
    fit = calibrate.abc_rejection(np.array([[3.0], [1.0], [2.0]]), [0.0], [1.0], 0.1, 2)
    assert list(fit.accepted) == [1, 2] and fit.epsilon == 2.0
    with pytest.raises(StudyError, match="tolerances"):
        calibrate.abc_rejection(np.zeros((3, 1)), [0.0], [0.0], 0.5)


# ---------------------------------------------------------------------------------------------
# Sobol' and Morris on toy functions with known indices


def test_sobol_wrapper_recovers_the_ishigami_indices():
    params = [FreeParameter(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    unit = sensitivity.sobol_design(params, 4096, seed=1)
    y = Ishigami.evaluate(studies.to_values(params, unit))
    got = sensitivity.sobol_indices(params, y, seed=1, resamples=50)
    # analytic values for a = 7, b = 0.1 (Ishigami & Homma 1990)
    np.testing.assert_allclose(got["S1"], [0.3139, 0.4424, 0.0], atol=0.04)
    np.testing.assert_allclose(got["ST"], [0.5576, 0.4424, 0.2437], atol=0.04)
    assert list(got.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert (got["S1_conf"] > 0).all() and (got["ST_conf"] > 0).all()


def test_sobol_wrapper_maps_ranges_and_log_scales():
    # y = x1 + x2 with x1 ~ U(0, 2), x2 ~ U(0, 1): variances 4/12 and 1/12, S1 = 0.8 and 0.2
    params = [
        FreeParameter("x1", 0.0, 2.0),
        FreeParameter("x2", 0.0, 1.0),
        FreeParameter("x3", 1.0, 100.0, log=True),
    ]
    x = studies.to_values(params, sensitivity.sobol_design(params, 2048, seed=2))
    got = sensitivity.sobol_indices(params, x[:, 0] + x[:, 1] + 0.1 * np.log(x[:, 2]), seed=2)
    var = np.array([4 / 12, 1 / 12, (0.1 * math.log(100)) ** 2 / 12])
    np.testing.assert_allclose(got["S1"], var / var.sum(), atol=0.03)
    np.testing.assert_allclose(got["ST"], var / var.sum(), atol=0.03)


def test_sobol_indices_of_a_constant_output_are_nan_not_garbage():
    params = [FreeParameter("a", 0.0, 1.0), FreeParameter("b", 0.0, 1.0)]
    rows = len(sensitivity.sobol_design(params, 8, seed=0))
    got = sensitivity.sobol_indices(params, np.full(rows, 38.0), seed=0)
    assert got.shape == (2, 5) and got[["S1", "ST"]].isna().all().all()


def test_morris_wrapper_gives_effects_per_full_range():
    params = [
        FreeParameter("a", 0.0, 1.0),
        FreeParameter("b", 0.0, 2.0),
        FreeParameter("c", 0.0, 5.0),
    ]
    unit = sensitivity.morris_design(params, 10, levels=4, seed=0)
    x = studies.to_values(params, unit)
    got = sensitivity.morris_indices(params, unit, 3 * x[:, 0] + x[:, 1], levels=4, seed=0)
    np.testing.assert_allclose(got["mu_star"], [3.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(got["sigma"], [0.0, 0.0, 0.0], atol=1e-9)


def test_noise_share_ignores_the_common_seed_effect():
    rng = np.random.default_rng(0)
    points, seeds = 400, 4
    a = rng.normal(0.0, 1.0, points)  # the parameters' effect, variance 1
    b = rng.normal(0.0, 5.0, seeds)  # a seed effect shared by every point: cancels
    e = rng.normal(0.0, 2.0, (points, seeds))  # point-by-seed noise, variance 4

    def frame(y: np.ndarray) -> pd.DataFrame:
        index = {
            "point": np.repeat(np.arange(points), seeds),
            "seed": np.tile(np.arange(seeds), points),
        }
        return pd.DataFrame({**index, "y": y.ravel()})

    no_noise = a[:, None] + b[None, :]
    assert sensitivity.noise_share(frame(no_noise), "y") == pytest.approx(0.0, abs=1e-12)
    expected = (4 / seeds) / (1 + 4 / seeds)  # noise variance of the seed mean / its variance
    got = sensitivity.noise_share(frame(no_noise + e), "y")
    assert got == pytest.approx(expected, abs=0.08)


def test_oat_design_moves_one_parameter_at_a_time():
    params = [FreeParameter("a", 0.0, 1.0, base=0.5), FreeParameter("b", 1.0, 4.0, base=2.0)]
    values, design = sensitivity.oat_design(params, 3)
    assert values.shape == (7, 2) and list(values[0]) == [0.5, 2.0]
    for row, d in zip(values[1:], design.iloc[1:].itertuples(), strict=True):
        j = [p.path for p in params].index(d.parameter)
        assert row[j] == d.value and row[1 - j] == values[0, 1 - j]


def test_verdicts_flag_hinging_and_robust_outcomes():
    table = pd.DataFrame(
        {
            "outcome": ["x", "x", "y", "y"],
            "date": ["2024-12"] * 4,
            "parameter": ["a", "b"] * 2,
            "S1": [0.7, 0.1, 0.3, 0.3],
            "ST": [0.8, 0.15, 0.4, 0.35],
            "ST_conf": 0.05,
            "noise_share": 0.0,
        }
    )
    v = sensitivity.verdicts(table, 0.5).set_index("outcome")
    assert v.loc["x", "verdict"] == "hinges on a" and v.loc["y", "verdict"] == "robust"
    wide = sensitivity.verdicts(table.assign(ST_conf=0.2), 0.5).set_index("outcome")
    assert wide.loc["y", "verdict"].startswith("unclear: the interval of a")


# ---------------------------------------------------------------------------------------------
# The studies end to end (--quick)


@pytest.fixture(scope="module")
def calibration_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    assert calibrate.main(["--quick", "--out", str(out)]) == 0
    return out


def test_calibration_quick_writes_every_table(calibration_out):
    names = {p.name for p in calibration_out.iterdir()}
    assert {
        "posterior.csv",
        "predictive_2024.csv",
        "leave_one_out.csv",
        "prediction.csv",
        "figures.csv",
        "samples.csv",
        "per_seed.csv",
        "prior.csv",
        "predictive.png",
        "summary.json",
        "README.md",
    } <= names
    post = pd.read_csv(calibration_out / "posterior.csv")
    assert list(post.columns[:6]) == [
        "parameter",
        "prior_low",
        "prior_high",
        "scale",
        "preset",
        "mean",
    ]
    assert {"p5", "p50", "p95", "contraction"} <= set(post.columns)
    assert (post["p5"] >= post["prior_low"]).all() and (post["p95"] <= post["prior_high"]).all()
    assert (post["p5"] <= post["p50"]).all() and (post["p50"] <= post["p95"]).all()


def test_calibration_quick_roles_and_checks(calibration_out):
    setup = calibrate.load_setup(calibrate.CONFIG, quick=True)
    roles = pd.read_csv(calibration_out / "figures.csv").set_index("figure")["role"]
    assert set(roles) == {"by construction", "tuned", "emergent"}
    assert roles["profit_growth"] == "emergent" and roles["entities_start"] == "by construction"
    loo = pd.read_csv(calibration_out / "leave_one_out.csv")
    assert list(loo["figure"]) == [t.name for t in setup.targets]
    pred = pd.read_csv(calibration_out / "predictive_2024.csv")
    assert set(pred["figure"]) == {o.name for o in setup.observed}
    assert (pred["p5"] <= pred["p95"]).all()
    prediction = pd.read_csv(calibration_out / "prediction.csv")
    assert set(prediction["date"]) == set(setup.predict_dates)
    samples = pd.read_csv(calibration_out / "samples.csv")
    assert len(samples) == setup.points and samples["accepted"].sum() == setup.accept_min


def _bad_config(tmp_path: Path, source: Path, edit) -> Path:
    cfg = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_calibration_bad_yaml_fails_clearly(tmp_path, capsys):
    def unknown_path(cfg):
        cfg["parameters"][0]["path"] = "policy.slimming.sibling_size"

    path = _bad_config(tmp_path, calibrate.CONFIG, unknown_path)
    assert calibrate.main(["--quick", "--config", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "calibrate: error: parameters[0] (policy.slimming.sibling_size)" in err
    assert "is not a config key" in err

    def late_target(cfg):
        cfg["observed"][-1].update(target=True, date="2025-12")

    path = _bad_config(tmp_path, calibrate.CONFIG, late_target)
    assert calibrate.main(["--quick", "--config", str(path), "--out", str(tmp_path)]) == 2
    assert "only 2024 figures may be targets" in capsys.readouterr().err


@pytest.fixture(scope="module")
def sensitivity_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("sensitivity")
    assert sensitivity.main(["--method", "all", "--quick", "--out", str(out)]) == 0
    return out


def test_sensitivity_quick_sobol_indices(sensitivity_out):
    setup = sensitivity.load_setup(sensitivity.CONFIG, quick=True)
    sobol = pd.read_csv(sensitivity_out / "sobol_indices.csv")
    assert list(sobol.columns) == [
        "outcome",
        "date",
        "parameter",
        "S1",
        "S1_conf",
        "ST",
        "ST_conf",
        "noise_share",
    ]
    assert len(sobol) == len(setup.params) * len(setup.measures)
    runs = pd.read_csv(sensitivity_out / "sobol_runs.csv")
    for m in setup.measures:
        rows = sobol[(sobol["outcome"] == m.quantity) & (sobol["date"] == m.date)]
        assert list(rows["parameter"]) == [p.path for p in setup.params]
        if runs[m.label].std() > 0:  # an outcome that varies has finite indices
            assert np.isfinite(rows[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()
    verdicts = pd.read_csv(sensitivity_out / "sobol_verdicts.csv")
    assert len(verdicts) == len(setup.measures)


def test_sensitivity_quick_oat_and_morris(sensitivity_out):
    setup = sensitivity.load_setup(sensitivity.CONFIG, quick=True)
    swings = pd.read_csv(sensitivity_out / "oat_swings.csv")
    assert {"outcome", "date", "parameter", "preset", "at_low", "at_high", "swing"} <= set(
        swings.columns
    )
    assert len(swings) == len(setup.params) * len(setup.measures) and (swings["swing"] >= 0).all()
    morris = pd.read_csv(sensitivity_out / "morris_indices.csv")
    assert list(morris.columns) == [
        "outcome",
        "date",
        "parameter",
        "mu",
        "mu_star",
        "mu_star_conf",
        "sigma",
    ]
    for name in ("oat_tornado.png", "sobol.png", "morris.png", "README.md"):
        assert (sensitivity_out / name).stat().st_size > 0
    readme = (sensitivity_out / "README.md").read_text(encoding="utf-8")
    assert "## oat" in readme and "## sobol" in readme and "## morris" in readme


def test_sensitivity_bad_yaml_fails_clearly(tmp_path, capsys):
    def outside(cfg):
        cfg["parameters"][0].update(path="policy.slimming.entry_approval", low=0.0, high=2.0)

    path = _bad_config(tmp_path, sensitivity.CONFIG, outside)
    assert sensitivity.main(["--quick", "--config", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "sensitivity: error: parameters[0] (policy.slimming.entry_approval)" in err
    assert "outside the declared [0, 1]" in err


def test_dynamics_study_quick_run_reports_every_measure(tmp_path):
    assert dynamics.main(["--quick", "--processes", "1", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    for heading in ("Zombies unaided", "Drift without reform", "Continuing restructuring",
                    "Losses under the reform", "Knife-edges"):  # fmt: skip
        assert heading in text
    z = pd.read_csv(tmp_path / "zombies_unaided.csv")
    fates = z[["still_12m", "recovered_12m", "exited_12m"]].sum(axis=1)
    assert np.allclose(fates, 1.0)  # every month-12 zombie is still one, recovered or gone
    assert (z["zombies_month_12"] > 0).all()


# ---------------------------------------------------------------------------------------------
# The policy search


def _dominated(a: pd.Series, b: pd.Series, directions: dict[str, str]) -> bool:
    """Whether plan ``a`` is dominated by plan ``b``."""
    sign = {k: 1 if v == "maximize" else -1 for k, v in directions.items()}
    at_least = all(sign[k] * b[k] >= sign[k] * a[k] for k in directions)
    better = any(sign[k] * b[k] > sign[k] * a[k] for k in directions)
    return at_least and better


@pytest.fixture(scope="module")
def search_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("policy_search")
    assert policy_search.main(["--quick", "--out", str(out), "--processes", "1"]) == 0
    return out


def test_policy_search_front_is_the_set_of_non_dominated_plans(search_out):
    setup = policy_search.load_setup(policy_search.CONFIG, quick=True)
    trials = pd.read_csv(search_out / "trials.csv")
    assert len(trials) == setup.trials
    for _, plan in trials.iterrows():
        dominated = any(_dominated(plan, other, setup.objectives) for _, other in trials.iterrows())
        assert plan["pareto"] == (not dominated), plan["trial"]
    front = pd.read_csv(search_out / "pareto.csv")
    pareto = trials[trials["pareto"]]
    levers = [p.path for p in setup.levers]
    assert set(front["trial"]) <= set(pareto["trial"])  # each distinct plan once
    assert len(front) == len(pareto.drop_duplicates(subset=levers))
    for p in setup.levers:  # only levers vary, within their ranges
        assert trials[p.path].between(p.low, p.high).all()
    assert all(c.startswith("uv run soe-sim ") for c in front["command"])
    assert (search_out / "pareto.png").stat().st_size > 0


def test_policy_search_plans_share_seeds_and_uncertainty_draws(search_out):
    setup = policy_search.load_setup(policy_search.CONFIG, quick=True)
    a = policy_search.plan_runs(setup, "a", {"policy.slimming.per_month": 50.0})
    b = policy_search.plan_runs(setup, "b", {"policy.slimming.per_month": 250.0})
    assert [r.config.seed for r in a] == [r.config.seed for r in b]
    for u in setup.uncertainties:
        drawn = [studies.get_value(r.config, u.path) for r in a]
        assert drawn == [studies.get_value(r.config, u.path) for r in b]
        assert len(set(drawn)) == setup.replications  # a fresh draw per replication
    runs = pd.read_parquet(search_out / "work" / "store" / "runs")
    assert set(runs["status"]) == {"ok"}
    assert len(runs) == setup.trials * setup.replications


def test_policy_search_resumes_and_extends(search_out):
    argv = ["--quick", "--out", str(search_out), "--processes", "1"]
    assert policy_search.main([*argv, "--trials", "8"]) == 0
    trials = pd.read_csv(search_out / "trials.csv")
    assert sorted(trials["trial"]) == list(range(8))  # the first six kept, two added


def test_policy_search_refuses_an_uncertainty_as_a_lever(tmp_path, capsys):
    def lever_is_uncertain(cfg):
        cfg["levers"][0] = {"path": "economy.demand_vol_scale", "low": 0.5, "high": 2.0,
                            "why": "test"}  # fmt: skip

    path = _bad_config(tmp_path, policy_search.CONFIG, lever_is_uncertain)
    assert policy_search.main(["--quick", "--config", str(path), "--out", str(tmp_path)]) == 2
    assert "is an uncertainty; a study varies levers" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Comparing plans


def test_compare_plans_quick_runs_the_named_sweep_and_writes_its_report(tmp_path):
    assert compare_plans.main(["--quick", "--out", str(tmp_path)]) == 0
    runs = pd.read_parquet(tmp_path / "work" / "store" / "runs")
    assert set(runs["scenario"]) == {"no_reform", "chongqing_2024", "gradual",
                                     "loss_cutting_first", "mergers_first"}  # fmt: skip
    assert runs.groupby("scenario")["seed"].apply(sorted).map(tuple).nunique() == 1  # paired
    report = tmp_path / "report"
    for name in ("fan", "paired_differences", "target_chances", "trade_off", "layers", "fates"):
        assert (report / f"{name}.png").is_file() and (report / f"{name}.svg").is_file()
    paired = pd.read_csv(report / "paired_differences.csv")
    assert "no_reform" not in set(paired["scenario"])
    assert compare_plans.main(["--quick", "--out", str(tmp_path)]) == 0  # resumes, replaces
