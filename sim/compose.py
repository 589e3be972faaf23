"""Hydra composition for scripts and notebooks: the typed config ``soe-sim OVERRIDES...`` runs.

The command line (:mod:`sim.cli`) and library callers share this; only here and in the CLI is
Hydra imported, so the model core takes plain dataclasses.
"""

from __future__ import annotations

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from sim import config_dir
from sim.config import SimConfig

ConfigStore.instance().store(name="base_config", node=SimConfig)


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """The typed config; range checks in the dataclasses raise ConfigError."""
    obj = OmegaConf.to_object(cfg)
    assert isinstance(obj, SimConfig)
    return obj


def compose_config(*overrides: str) -> SimConfig:
    """The typed config that ``soe-sim OVERRIDES...`` would run, e.g.
    ``compose_config("policy=no_reform", "months=12")``."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        return to_sim_config(compose(config_name="config", overrides=list(overrides)))
