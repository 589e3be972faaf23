"""Every config option composes, validates and runs; bad values fail with one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ValidationError

from sim.compose import config_dir, to_sim_config
from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.errors import ConfigError
from sim.policies.config import PolicyConfig
from sim.runner import run_simulation

CONFIGS = Path(config_dir())
GROUPS = sorted(p.name for p in CONFIGS.iterdir() if p.is_dir())
OPTIONS = [(g, p.stem) for g in GROUPS for p in sorted((CONFIGS / g).glob("*.yaml"))]


def composed(*overrides: str) -> SimConfig:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return to_sim_config(compose(config_name="config", overrides=list(overrides)))


def test_config_groups_are_the_documented_axes():
    assert {"population", "economy", "policy", "debug"} <= set(GROUPS)


def test_default_config_is_the_chongqing_start():
    cfg = composed()
    assert cfg.population.source == "roster"
    assert cfg.population.path == "builtin:chongqing_2023.csv"
    assert (cfg.months, cfg.seed, cfg.start) == (36, 0, "2024-01")


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_composes_and_runs(group, option, tmp_path):
    overrides = [
        f"+{group}={option}" if group == "debug" else f"{group}={option}",
        "months=2",
        "output.chart=false",
    ]
    if option == "roster":
        from conftest import five_entity_roster

        path = tmp_path / "roster.csv"
        five_entity_roster().to_csv(path, index=False)
        overrides.append(f"population.path={path}")
    if group == "population" and option == "synthetic":
        overrides.append("population.n_entities=200")
    cfg = composed(*overrides)
    result = run_simulation(cfg)
    assert result.timeseries["month"].tolist() == [0, 1, 2] or group == "debug"
    assert result.timeseries["entities"].iloc[0] > 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("months=0", "months must be >= 1"),
        ("months=-3", "months must be >= 1"),
        ("seed=-1", "seed must be >= 0"),
        ("start=2024-13", "start must be a month written YYYY-MM"),
        ("start=0001-01", "start must be a month between 1950-01 and 2100-12"),
        ("start=9999-12", "start must be a month between 1950-01 and 2100-12"),
        ("policy.start=0001-01", "policy.start must be a month between 1950-01"),
        ("policy.order=[quality,quality]", "policy.order must be distinct structural"),
        ("policy.order=[efficiency]", "policy.order must be distinct structural"),
        ("economy.soft_budget=1.5", "economy.soft_budget must be a probability"),
        ("economy.interest_rate=-0.01", "economy.interest_rate must be >= 0"),
        ("economy.bankruptcy_hazard=2", "economy.bankruptcy_hazard must be a probability"),
        ("economy.zombie_window=0", "economy.zombie_window must be >= 1"),
        ("population.n_entities=0", "population.n_entities must be >= 1"),
        ("population.shell_share=1.2", "population.shell_share must be a probability"),
        ("population.source=excel", "population.source must be one of"),
        ("population=roster", "population.path must be set"),
        ("economy.idio_vol=nan", "economy.idio_vol must be a finite number"),
        ("population.n_entities=20000", "population.n_entities must be left at its default"),
        ("population=synthetic population.mean_assets=0", "population.mean_assets must be > 0"),
    ],
)
def test_out_of_range_values_fail_naming_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        composed(*override.split())


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ("months=abc", "could not be converted to Integer"),
        ("economy.soft_budget=high", "could not be converted to Float"),
        ("population.unknown_key=1", "unknown_key"),
        ("population=no_such_scenario", "population/no_such_scenario"),
        ("policy=no_such_policy", "policy/no_such_policy"),
    ],
)
def test_unknown_keys_wrong_types_and_unknown_scenarios_are_refused(override, error):
    with pytest.raises((ConfigCompositionException, ValidationError)) as info:
        composed(override)
    assert error in str(info.value) + str(info.value.__cause__)


def test_dataclasses_validate_without_hydra():
    with pytest.raises(ConfigError, match=r"economy\.entry_rate"):
        EconomyConfig(entry_rate=-0.1)
    with pytest.raises(ConfigError, match=r"population\.min_depth"):
        PopulationConfig(min_depth=6, max_depth=5)
    assert SimConfig().start_date.isoformat() == "2024-01-01"


def test_share_targets_lie_in_zero_one():
    from sim.policies.milestones import Milestone

    with pytest.raises(ConfigError, match=r"2024-06\.targets\.entities_cut must be a share in"):
        Milestone(date="2024-06", targets={"entities_cut": 1.5})
    with pytest.raises(ConfigError, match=r"loss_making_share must be a share in"):
        Milestone(date="2024-06", targets={"loss_making_share": 30})
    Milestone(date="2024-06", targets={"groups": 40, "entities_cut": 1.0})  # counts may exceed 1


def test_one_target_per_milestone_date_and_name():
    """Two milestones on one date with different targets showed one target both met and missed."""
    from sim.policies.milestones import Milestone

    twice = [
        Milestone(date="2024-06", targets={"groups": 44}),
        Milestone(date="2024-06", targets={"groups": 40, "decoupled": 10}),
    ]
    with pytest.raises(ConfigError, match=r"2024-06\.targets\.groups must be set once per date"):
        PolicyConfig(milestones=twice)
    PolicyConfig(milestones=[twice[0], Milestone(date="2024-06", targets={"decoupled": 10})])


def test_order_lists_priorities_and_the_rest_follow_in_registry_order():
    from sim.policies.registry import structural_families

    cfg = PolicyConfig(order=["quality"])
    assert cfg.effective_order() == ["quality"] + [
        f for f in structural_families() if f != "quality"
    ]
