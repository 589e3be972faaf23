"""Build the ``chongqing_2023`` preset roster: Chongqing's municipal SOEs at the end of 2023.

Run ``uv run python scripts/make_chongqing_roster.py`` to rewrite ``sim/data/chongqing_2023.csv``;
the file is deterministic (fixed seed), so a rerun reproduces it byte for byte.

Targets from ../shared/DOMAIN.md (public sources):
- 51 key municipal SOE groups, about 2,260 operating legal entities (about 44 a group);
- loss-making share (亏损面) about 34% (calibrated here: ``margin_shift`` is bisected so that the
  share of entities with negative profit at neutral demand is 34%);
- debt-to-asset ratio within 57-65% (all SOEs 64.4% in 2022, local 63.0%);
- deepest chains 5-8 layers, about a third of groups deeper than 5 (central SOEs at the start of
  their slimming drive: 35% deeper than 5).

Assumptions where the sources are silent (free parameters, see PopulationConfig): total assets
about 2.6 trillion yuan (mean 1,150 mn yuan an entity); 7% shells and 4% dormant entities; 65% of
subsidiaries in their group's core sector; 12% carrying government functions; idle assets about 7%
of assets; sector mix and margins from ``sim/sectors.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.model import random_streams
from sim.population.synthetic import generate

SEED = 2023
TARGET_LOSS_SHARE = 0.34
OUT = Path(__file__).resolve().parents[1] / "sim" / "data" / "chongqing_2023.csv"


def params(margin_shift: float) -> PopulationConfig:
    """Generator settings for Chongqing at the end of 2023."""
    return PopulationConfig(
        n_entities=2_260,
        n_groups=51,
        max_depth=8,
        min_depth=4,
        deep_group_share=0.33,
        margin_shift=margin_shift,
        debt_shift=-0.06,
    )


def start_loss_share(margin_shift: float) -> float:
    """Loss-making share of the generated roster at neutral demand under the default economy."""
    from sim.model import SOEModel

    cfg = SimConfig(seed=SEED, population=params(margin_shift), economy=EconomyConfig())
    roster = generate(cfg.population, random_streams(SEED)["population"])
    model = SOEModel(cfg, roster=roster)
    return float((model.state.ttm_profit() < 0).mean())


def calibrate_margin_shift(lo: float = -0.05, hi: float = 0.10, iterations: int = 30) -> float:
    """Bisect the margin shift so that the start loss-making share is TARGET_LOSS_SHARE."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if start_loss_share(mid) > TARGET_LOSS_SHARE:
            lo = mid
        else:
            hi = mid
    return round(0.5 * (lo + hi), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    shift = calibrate_margin_shift()
    roster = generate(params(shift), random_streams(SEED)["population"])
    money = [
        "assets",
        "liabilities",
        "revenue",
        "operating_cost",
        "cash",
        "receivables",
        "idle_assets",
        "land_mu",
        "gov_function_cost",
        "intra_group_loan",
    ]
    roster[money] = roster[money].round(3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    roster.to_csv(args.out, index=False, lineterminator="\n")
    groups = int((roster["parent_id"] == "").sum())
    print(
        f"wrote {args.out}: {len(roster)} entities, {groups} groups, margin_shift={shift}, "
        f"loss-making share {start_loss_share(shift):.3f}, "
        f"debt ratio {roster['liabilities'].sum() / roster['assets'].sum():.3f}"
    )


if __name__ == "__main__":
    main()
