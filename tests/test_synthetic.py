"""The synthetic generator: valid rosters, controlled tree shapes, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import PopulationConfig
from sim.population.roster import validate_roster
from sim.population.synthetic import generate
from sim.tree import tree_depths


def depths_of(roster: pd.DataFrame) -> np.ndarray:
    index = pd.Index(roster["id"])
    parent = np.where(
        roster["parent_id"] == "",
        -1,
        index.get_indexer(roster["parent_id"].replace("", roster["id"].iloc[0])),
    )
    return tree_depths(parent)


@pytest.mark.parametrize("n", [1, 7, 500, 20_000])
def test_generated_roster_passes_validation_unchanged(n):
    roster = generate(PopulationConfig(n_entities=n), np.random.default_rng(n))
    assert len(roster) == n
    validated = validate_roster(roster).sort_values("id", ignore_index=True)
    pd.testing.assert_frame_equal(
        validated, roster.sort_values("id", ignore_index=True), check_dtype=False
    )


def test_depth_caps_and_group_count():
    cfg = PopulationConfig(
        n_entities=5_000, n_groups=100, max_depth=6, min_depth=4, deep_group_share=0.5
    )
    roster = generate(cfg, np.random.default_rng(0))
    depth = depths_of(roster)
    assert (roster["parent_id"] == "").sum() == 100
    assert depth.max() == 6
    group = roster["id"].str.split("-").str[0]
    deepest = pd.Series(depth).groupby(group.to_numpy()).max()
    size = group.value_counts().reindex(deepest.index)
    assert (deepest >= np.minimum(4, size)).all()
    assert 0.35 <= (deepest == 6).mean() <= 0.65


def test_same_seed_same_population_different_seed_different():
    cfg = PopulationConfig(n_entities=300)
    a = generate(cfg, np.random.default_rng(1))
    b = generate(cfg, np.random.default_rng(1))
    c = generate(cfg, np.random.default_rng(2))
    pd.testing.assert_frame_equal(a, b)
    assert not a["assets"].equals(c["assets"])


def test_statuses_and_shares_follow_the_config():
    cfg = PopulationConfig(
        n_entities=20_000, shell_share=0.1, dormant_share=0.05, gov_function_share=0.2
    )
    roster = generate(cfg, np.random.default_rng(3))
    shares = roster["status"].value_counts(normalize=True)
    assert shares["shell"] == pytest.approx(0.1, abs=0.01)
    assert shares["dormant"] == pytest.approx(0.05, abs=0.01)
    assert (roster.loc[roster.status == "shell", "revenue"] == 0).all()
    assert (roster["gov_function_cost"] > 0).mean() == pytest.approx(0.2 * 0.9, abs=0.02)
