"""Seeded synthetic SOE populations: groups (集团) with subsidiaries in ownership trees.

The generator is vectorised so that it builds million-entity populations in seconds. Its output is
a roster table in the schema of :mod:`sim.population.schema`, parents before children, exactly as
:func:`sim.population.roster.validate_roster` would return it.

Tree shape: group sizes are lognormal; inside a group, node ``p`` attaches to an earlier node
``floor(p * u**attachment_bias)`` (``u`` uniform), so a larger bias makes bushier, shallower trees.
Each group draws a maximum depth: with probability ``deep_group_share`` from 6..``max_depth``
(docs/sources.md: a third of groups deeper than 5 layers), otherwise from ``min_depth``..5; one
chain reaches that depth and deeper nodes are re-attached at the cap.

Everything else (split of entities by layer, shares of shells, financial dispersion) is not in the
sources and is a documented free parameter of :class:`sim.config.PopulationConfig`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.config import PopulationConfig
from sim.population.schema import DEFAULT_CASH_SHARE
from sim.sectors import MAX_MARGIN, N_SECTORS, SECTOR_NAMES, SECTOR_SHORT_ZH, sector_array
from sim.tree import tree_depths

SHELL_ASSETS_SHARE = 0.03
"""A shell's assets relative to an operating entity's draw (shells hold little)."""
SHELL_COST = 0.4
"""A shell's annual operating cost, mn yuan (registration, audit, a caretaker)."""
DORMANT_REVENUE_SHARE = 0.15
"""A dormant entity's revenue and variable cost relative to its operating draw."""
DORMANT_ASSETS_SHARE = 0.3
"""A dormant entity's assets relative to its operating draw (much has been run down)."""
LAYER_SIZE_DECAY = 0.45
"""Log-assets fall by this much per layer below the headquarters."""
ASSETS_SIGMA = 1.3
"""Cross-entity dispersion of log-assets."""
HQ_STAFF = 40
"""Headquarters staff added to a group HQ's revenue-driven headcount."""
ZOMBIE_CASH = 0.01
"""A zombie's cash, share of its assets: it depends on support to pay its way."""
ZOMBIE_DEBT_RATIO = (0.85, 1.05)
"""Range of a zombie's debt-to-asset ratio: Chongqing's 2016 zombie criteria set it above 85%."""
ZOMBIE_SUPPORT = 0.1
"""A zombie's support last year, share of its annual operating cost (order of its loss)."""


def _group_sizes(cfg: PopulationConfig, rng: np.random.Generator) -> np.ndarray:
    n = cfg.n_entities
    n_groups = cfg.n_groups or max(1, round(n / cfg.entities_per_group))
    n_groups = min(n_groups, n)
    weights = np.exp(cfg.group_size_sigma * rng.standard_normal(n_groups))
    extra = rng.multinomial(n - n_groups, weights / weights.sum())
    return 1 + extra


def _group_depth_caps(
    cfg: PopulationConfig, sizes: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    shallow_hi = min(5, cfg.max_depth)
    shallow = rng.integers(min(cfg.min_depth, shallow_hi), shallow_hi + 1, size=sizes.size)
    if cfg.max_depth > 5:
        deep = rng.integers(6, cfg.max_depth + 1, size=sizes.size)
        caps = np.where(rng.random(sizes.size) < cfg.deep_group_share, deep, shallow)
    else:
        caps = shallow
    return np.minimum(caps, sizes)


def _forest(cfg: PopulationConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Parent indices, group index, position in group and depth for every entity."""
    sizes = _group_sizes(cfg, rng)
    caps = _group_depth_caps(cfg, sizes, rng)
    n = int(sizes.sum())
    group = np.repeat(np.arange(sizes.size), sizes)
    start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    pos = np.arange(n) - start[group]
    cap = caps[group]

    parent_pos = np.floor(pos * rng.random(n) ** cfg.attachment_bias).astype(np.int64)
    chain = (pos >= 1) & (pos < cap)
    parent_pos[chain] = pos[chain] - 1
    parent = np.where(pos == 0, -1, start[group] + parent_pos)

    depth = tree_depths(parent)
    deep = np.flatnonzero(depth > cap)
    if deep.size:
        cur, cur_depth, target = deep.copy(), depth[deep].copy(), cap[deep] - 1
        while (climb := cur_depth > target).any():
            cur[climb] = parent[cur[climb]]
            cur_depth[climb] -= 1
        parent[deep] = cur
        depth = tree_depths(parent)
    return parent, group, pos, depth


def _padded(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), width, "0")


def _labels(
    parent: np.ndarray, group: np.ndarray, pos: np.ndarray, sector: np.ndarray,
    group_sector: np.ndarray,
) -> tuple[pa.Array, pa.Array, pa.Array]:  # fmt: skip
    """Ids (``G07`` for a headquarters, ``G07-0012`` below it), parent ids and Chinese names,
    built with Arrow string kernels: a million Python f-strings would cost seconds and ~300 MB."""
    g_str = _padded(np.arange(1, group_sector.size + 1), len(str(group_sector.size)))
    gid = pc.binary_join_element_wise("G", g_str, "").take(pa.array(group))
    p_str = _padded(pos, len(str(int(pos.max()) + 1)))
    is_hq = pa.array(pos == 0)
    ids = pc.if_else(is_hq, gid, pc.binary_join_element_wise(gid, p_str, "-"))
    parent_ids = pc.if_else(pa.array(parent < 0), "", ids.take(pa.array(np.maximum(parent, 0))))
    short = pa.array(SECTOR_SHORT_ZH)
    hq_names = pc.binary_join_element_wise(
        "重庆", short.take(pa.array(group_sector)), "集团", g_str, ""
    ).take(pa.array(group))
    sub_names = pc.binary_join_element_wise(
        hq_names, short.take(pa.array(sector)), pa.array(pos).cast(pa.string()), "号有限公司", ""
    )
    return ids, parent_ids, pc.if_else(is_hq, hq_names, sub_names)


def generate(cfg: PopulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """A synthetic roster of ``cfg.n_entities`` legal entities, drawn from ``rng``."""
    parent, group, pos, depth = _forest(cfg, rng)
    n = parent.size
    is_hq = parent < 0

    weights = sector_array("weight")
    group_sector = rng.choice(N_SECTORS, size=int(group.max()) + 1, p=weights / weights.sum())
    core = is_hq | (rng.random(n) < cfg.core_share)
    other_sector = rng.choice(N_SECTORS, size=n, p=weights / weights.sum())
    sector = np.where(core, group_sector[group], other_sector)
    core = core | (sector == group_sector[group])

    # Exactly round(share x n) shells and dormant entities, at random among the subsidiaries.
    u_status = np.where(is_hq, np.inf, rng.random(n))
    by_draw = np.argsort(u_status, kind="stable")
    n_shell = min(round(cfg.shell_share * n), int((~is_hq).sum()))
    n_dormant = min(round(cfg.dormant_share * n), int((~is_hq).sum()) - n_shell)
    shell = np.zeros(n, dtype=bool)
    shell[by_draw[:n_shell]] = True
    dormant = np.zeros(n, dtype=bool)
    dormant[by_draw[n_shell : n_shell + n_dormant]] = True

    log_assets = -LAYER_SIZE_DECAY * (depth - 1) + ASSETS_SIGMA * rng.standard_normal(n)
    assets = np.exp(log_assets)
    assets[shell] *= SHELL_ASSETS_SHARE
    assets[dormant] *= DORMANT_ASSETS_SHARE
    assets *= cfg.mean_assets * n / assets.sum()

    turnover = sector_array("turnover")[sector] * np.exp(0.35 * rng.standard_normal(n) - 0.06)
    revenue = assets * turnover
    margin = np.minimum(
        MAX_MARGIN,
        sector_array("margin")[sector]
        + cfg.margin_shift
        + cfg.margin_dispersion * sector_array("margin_sd")[sector] * rng.standard_normal(n),
    )
    operating_cost = revenue * (1.0 - margin)
    revenue[shell] = 0.0
    operating_cost[shell] = SHELL_COST
    revenue[dormant] *= DORMANT_REVENUE_SHARE
    operating_cost[dormant] = operating_cost[dormant] * DORMANT_REVENUE_SHARE + SHELL_COST

    debt = np.clip(
        sector_array("debt_ratio")[sector] + cfg.debt_shift + 0.15 * rng.standard_normal(n),
        0.02,
        1.4,
    )
    liabilities = assets * debt
    cash = DEFAULT_CASH_SHARE * assets
    receivables = assets * np.clip(0.10 + 0.05 * rng.standard_normal(n), 0.0, 0.3)
    idle_boost = np.where(core, 0.7, 1.6) * np.where(dormant | shell, 2.5, 1.0)
    idle = assets * cfg.idle_share * idle_boost * rng.lognormal(-0.5, 1.0, n)
    idle = np.minimum(idle, 0.95 * assets - cash - receivables)
    idle = np.maximum(idle, 0.0)

    employees = np.rint(
        revenue * sector_array("staff_per_revenue")[sector] * rng.lognormal(-0.08, 0.4, n)
    ).astype(np.int64)
    employees[is_hq] += HQ_STAFF
    employees[shell] = rng.integers(0, 3, size=int(shell.sum()))
    land = assets * sector_array("land_per_asset")[sector] * rng.lognormal(-0.125, 0.5, n)

    gov = np.where(rng.random(n) < cfg.gov_function_share, 0.5 + 0.04 * revenue, 0.0)
    gov[shell] = 0.0
    intra = np.where(is_hq, 0.0, assets * cfg.intra_loan_share * 2.0 * rng.random(n))

    loss_years, support = _history(cfg, margin, is_hq | shell | dormant, operating_cost, rng)
    zombie = support > 0  # zombies live from hand to mouth and are deep in debt
    cash[zombie] = ZOMBIE_CASH * assets[zombie]
    liabilities[zombie] = assets[zombie] * rng.uniform(*ZOMBIE_DEBT_RATIO, int(zombie.sum()))
    ids, parent_ids, names = _labels(parent, group, pos, sector, group_sector)

    status = np.full(n, "operating", dtype=object)
    status[shell] = "shell"
    status[dormant] = "dormant"
    return pd.DataFrame(
        {
            "id": ids.to_pandas(),
            "parent_id": parent_ids.to_pandas(),
            "name": names.to_pandas(),
            "sector": pa.array(SECTOR_NAMES).take(pa.array(sector)).to_pandas(),
            "assets": assets,
            "liabilities": liabilities,
            "revenue": revenue,
            "operating_cost": operating_cost,
            "employees": employees,
            "core": core,
            "status": status,
            "cash": cash,
            "receivables": receivables,
            "idle_assets": idle,
            "land_mu": land,
            "gov_function_cost": gov,
            "loss_years": loss_years,
            "support_last_year": support,
            "intra_group_loan": intra,
        }
    )


def _history(
    cfg: PopulationConfig, margin: np.ndarray, excluded: np.ndarray, operating_cost: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Years of consecutive losses and last year's support, so that zombies exist at the start.

    The ``zombie_share`` of operating subsidiaries with the weakest margins are zombies: loss-making
    for 3 years or more (3 + Poisson(1)) and supported last year. Other entities with a negative
    operating margin have lost money for 1-2 years and were not supported.
    """
    n = margin.size
    loss_years = np.zeros(n, dtype=np.int64)
    support = np.zeros(n)
    eligible = np.flatnonzero(~excluded)
    k = round(cfg.zombie_share * eligible.size)
    zombies = eligible[np.argsort(margin[eligible], kind="stable")[:k]]
    losing = ~excluded & (margin < 0)
    loss_years[losing] = 1 + (rng.random(int(losing.sum())) < 0.4)
    loss_years[zombies] = 3 + rng.poisson(1.0, zombies.size)
    support[zombies] = ZOMBIE_SUPPORT * operating_cost[zombies]
    return loss_years, support
