"""Where the enterprises come from: the synthetic generator, roster files and presets."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: the roster loader needs no configuration
    import numpy as np
    import pandas as pd

    from sim.config import PopulationConfig

BUILTIN_PREFIX = "builtin:"


def resolve_path(path: str) -> Path:
    """A roster path; ``builtin:NAME`` names a roster shipped in ``sim/data``."""
    if path.startswith(BUILTIN_PREFIX):
        return Path(str(resources.files("sim.data").joinpath(path[len(BUILTIN_PREFIX) :])))
    return Path(path)


def build_roster(cfg: PopulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """The start roster the config asks for, validated and parent-first."""
    if cfg.source == "synthetic":
        from sim.population.synthetic import generate

        return generate(cfg, rng)
    from sim.population.roster import load_roster

    assert cfg.path is not None  # PopulationConfig checks this
    return load_roster(resolve_path(cfg.path))
