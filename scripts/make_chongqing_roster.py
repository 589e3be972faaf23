"""Build the ``chongqing_2023`` preset roster: Chongqing's municipal SOEs at the end of 2023.

Run ``uv run python scripts/make_chongqing_roster.py`` to rewrite ``sim/data/chongqing_2023.csv``;
the file is deterministic (fixed seed), so a rerun reproduces it byte for byte.

Targets from docs/sources.md (public sources):
- 51 key municipal SOE groups and exactly 2,260 *operating* legal entities (about 44 a group), the
  figure Chongqing reports; on top, an assumed stock of shells (空壳) and dormant (休眠) entities
  (``shell_share``, ``dormant_share`` of subsidiaries), which the reported count leaves out: the
  generator's size is the smallest that gives 2,260 operating entities;
- loss-making share (亏损面) of the operating entities about 34%, and key-SOE profit about 33.4 bn
  yuan in 2023 (37.7 bn in 2024 was +12.8%): calibrated here by nested bisection,
  ``margin_dispersion`` (outer) for the profit and ``margin_shift`` (inner) for the loss-making
  share, both at neutral demand under the default economy;
- a stock of zombies (``zombie_share`` = 10% of operating subsidiaries, about 30% of the
  loss-makers: the all-industry share averaged 7.5% in 2005-13 and is highest among
  state-owned firms, docs/sources.md), with the loss history and support that classify them;
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
from collections.abc import Callable
from pathlib import Path

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.model import random_streams
from sim.population.synthetic import generate

SEED = 2023
TARGET_LOSS_SHARE = 0.34
TARGET_OPERATING = 2_260
TARGET_PROFIT = 33_400.0
"""Key municipal SOEs' 2023 profit, mn yuan: 37.7 bn in 2024 was +12.8%."""
OUT = Path(__file__).resolve().parents[1] / "sim" / "data" / "chongqing_2023.csv"


def params(
    margin_shift: float, margin_dispersion: float, n_entities: int = 2_540
) -> PopulationConfig:
    """Generator settings for Chongqing at the end of 2023."""
    return PopulationConfig(
        margin_dispersion=margin_dispersion,
        n_entities=n_entities,
        zombie_share=0.1,
        n_groups=51,
        max_depth=8,
        min_depth=4,
        deep_group_share=0.33,
        margin_shift=margin_shift,
        debt_shift=-0.06,
    )


def size() -> int:
    """The smallest generator size giving exactly TARGET_OPERATING operating entities (the tree
    and the statuses do not depend on the margins)."""
    for n in range(TARGET_OPERATING, 2 * TARGET_OPERATING):
        roster = generate(params(0.0, 0.5, n), random_streams(SEED)["population"])
        if int((roster["status"] == "operating").sum()) == TARGET_OPERATING:
            return n
    raise SystemExit(f"no generator size gives {TARGET_OPERATING} operating entities")


def start_state(shift: float, dispersion: float, n: int) -> tuple[float, float]:
    """Loss-making share of the operating entities and annual profit (mn yuan) of the generated
    roster at neutral demand."""
    from sim.model import SOEModel

    cfg = SimConfig(seed=SEED, population=params(shift, dispersion, n), economy=EconomyConfig())
    roster = generate(cfg.population, random_streams(SEED)["population"])
    st = SOEModel(cfg, roster=roster).state
    ttm = st.ttm_profit()
    return float((ttm[st.status == 0] < 0).mean()), float(ttm.sum())


def bisect(f: Callable[[float], bool], lo: float, hi: float, iterations: int) -> float:
    """The point in [lo, hi] where the monotone predicate ``f`` turns from True to False."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) else (lo, mid)
    return 0.5 * (lo + hi)


def calibrate_shift(dispersion: float, n: int) -> float:
    """Margin shift giving TARGET_LOSS_SHARE at this dispersion."""
    shift = bisect(lambda s: start_state(s, dispersion, n)[0] > TARGET_LOSS_SHARE, -0.1, 0.2, 20)
    return round(shift, 4)


def calibrate(n: int) -> tuple[float, float]:
    """(margin_shift, margin_dispersion) hitting both the loss-making share and the profit."""
    dispersion = bisect(
        lambda d: start_state(calibrate_shift(d, n), d, n)[1] < TARGET_PROFIT, 0.1, 1.5, 12
    )
    dispersion = round(dispersion, 3)
    return calibrate_shift(dispersion, n), dispersion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    n = size()
    shift, dispersion = calibrate(n)
    roster = generate(params(shift, dispersion, n), random_streams(SEED)["population"])
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
        "support_last_year",
        "intra_group_loan",
    ]
    roster[money] = roster[money].round(3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    roster.to_csv(args.out, index=False, lineterminator="\n")
    groups = int((roster["parent_id"] == "").sum())
    share, profit = start_state(shift, dispersion, n)
    operating = int((roster["status"] == "operating").sum())
    print(
        f"wrote {args.out}: {len(roster)} entities ({operating} operating), {groups} groups, "
        f"margin_shift={shift}, "
        f"margin_dispersion={dispersion}, loss-making share {share:.3f}, profit {profit:,.0f}, "
        f"debt ratio {roster['liabilities'].sum() / roster['assets'].sum():.3f}"
    )


if __name__ == "__main__":
    main()
