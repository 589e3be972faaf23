"""A seeded zone roster around an SOE population: districts, zones, firms and their links.

Districts lie at random in a square of side ``region_km``; zones are spread over them (each
district gets one before any gets two) near their district's centre. The largest zones are
national-level. Each zone leads in one of the "33618" clusters and half its firms are in it.
Per-mu figures are log-normal around the configured means (a zone effect and a firm effect) and
scaled so the land-weighted means equal them exactly. Every operating manufacturing subsidiary of
the SOE population is a firm in a zone (its output is its revenue; its land follows from the
zone's per-mu level), and the zones' operating companies are the population's operating
urban-investment subsidiaries, one per zone while they last, then shared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.parks.config import ZonesConfig
from sim.parks.industries import INDUSTRIES, INDUSTRY_NAMES
from sim.sectors import SECTOR_CODE

WAN_PER_MN = 100.0
"""万元 per million yuan."""
OUTPUT_PER_WORKER = 150.0
"""Annual output per employee of a generated firm, 万元 (about 1.5 mn yuan: Chinese industry)."""


def _lognormal(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    """Log-normal draws with the given mean (not median)."""
    return mean * np.exp(rng.normal(-0.5 * sd * sd, sd, n))


def generate(
    cfg: ZonesConfig,
    rng: np.random.Generator,
    *,
    entity_ids: Sequence[str] | pd.Index,
    sector: np.ndarray,
    status: np.ndarray,
    parent: np.ndarray,
    revenue: np.ndarray,
    district_names: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The zones and firms tables (schema of :mod:`sim.parks.roster`) for an SOE population given
    by its ids, sector codes, status codes (0 = operating), parent rows and annual revenue (mn
    yuan)."""
    nz, nd = cfg.n_zones, min(cfg.n_districts, cfg.n_zones)
    centre = rng.uniform(0.0, cfg.region_km, (nd, 2))
    district = np.concatenate([rng.permutation(nd), rng.integers(0, nd, max(nz - nd, 0))])[:nz]
    x = centre[district, 0] + rng.normal(0.0, 0.05 * cfg.region_km, nz)
    y = centre[district, 1] + rng.normal(0.0, 0.05 * cfg.region_km, nz)
    size = _lognormal(rng, 1.0, 0.8, nz)
    n_national = round(cfg.national_share * nz)
    national = np.zeros(nz, dtype=bool)
    national[np.argsort(-size, kind="stable")[:n_national]] = True
    size = np.where(national, size * 3.0, size)
    rest = np.flatnonzero(~national)
    level = np.where(national, "national", "district").astype(object)
    level[rest[rng.random(rest.size) < 0.3]] = "municipal"
    clusters = [i for i, ind in enumerate(INDUSTRIES) if ind.cluster]
    cw = np.array([INDUSTRIES[i].weight for i in clusters])
    lead = np.array(clusters)[rng.choice(len(clusters), nz, p=cw / cw.sum())]
    weights = np.array([ind.weight for ind in INDUSTRIES])
    zone_effect = rng.normal(0.0, cfg.zone_dispersion, nz)

    counts = np.maximum(1, np.round(size / size.mean() * cfg.firms_per_zone)).astype(np.int64)
    f_zone = np.repeat(np.arange(nz), counts)
    nf = f_zone.size
    in_lead = rng.random(nf) < 0.5
    f_ind = np.where(
        in_lead, lead[f_zone], rng.choice(len(INDUSTRIES), nf, p=weights / weights.sum())
    )
    f_land = _lognormal(rng, cfg.land_per_firm, 0.8, nf)
    f_soe = np.full(nf, "", dtype=object)

    # SOE-owned firms: operating manufacturing subsidiaries, each in a random zone.
    manuf = np.flatnonzero(
        (sector == SECTOR_CODE["manufacturing"]) & (status == 0) & (parent >= 0) & (revenue > 0)
    )
    s_zone = rng.integers(0, nz, manuf.size)
    s_output = revenue[manuf] * WAN_PER_MN
    s_level = cfg.output_per_mu * np.exp(
        zone_effect[s_zone] + rng.normal(0, cfg.firm_dispersion, manuf.size)
    )
    s_land = np.maximum(s_output / np.maximum(s_level, 1e-9), 0.01)

    per_mu = np.exp(zone_effect[f_zone] + rng.normal(0.0, cfg.firm_dispersion, nf))
    f_output = f_land * per_mu
    zone_all = np.concatenate([f_zone, s_zone])
    land_all = np.concatenate([f_land, s_land])
    # Scale the non-SOE firms so the land-weighted mean output per mu is the configured one.
    target = cfg.output_per_mu * land_all.sum() - s_output.sum()
    f_output *= max(target, 0.1 * cfg.output_per_mu * f_land.sum()) / f_output.sum()
    output_all = np.concatenate([f_output, s_output])
    n_all = output_all.size
    va_ratio = np.exp(rng.normal(0.0, 0.2, n_all))
    tax_ratio = np.exp(rng.normal(0.0, 0.45, n_all))
    va_all = output_all * va_ratio
    va_all *= cfg.value_added_per_mu * land_all.sum() / va_all.sum()
    va_all = np.minimum(va_all, output_all)
    tax_all = output_all * tax_ratio
    tax_all *= cfg.tax_per_mu * land_all.sum() / tax_all.sum()
    ind_all = np.concatenate(
        [f_ind, rng.choice(len(INDUSTRIES), manuf.size, p=weights / weights.sum())]
    )
    growth = np.clip(rng.normal(cfg.growth_mean, cfg.growth_sd, n_all), -0.5, 1.0)
    employees = np.maximum(1, np.round(output_all / OUTPUT_PER_WORKER)).astype(np.int64)
    all_ids = np.asarray(entity_ids, dtype=object)
    owner = np.concatenate([f_soe, all_ids[manuf]])
    firms = pd.DataFrame(
        {
            "firm_id": [f"F{i + 1:06d}" for i in range(n_all)],
            "zone_id": [f"Z{z + 1:03d}" for z in zone_all.tolist()],
            "entity_id": owner,
            "industry": [INDUSTRY_NAMES[i] for i in ind_all.tolist()],
            "land_mu": np.round(land_all, 3),
            "output": np.round(output_all, 3),
            "value_added": np.round(va_all, 3),
            "tax": np.round(tax_all, 3),
            "employees": employees,
            "growth": np.round(growth, 4),
        }
    )
    firms["value_added"] = np.minimum(firms["value_added"], firms["output"])

    zone_land = np.bincount(zone_all, weights=land_all, minlength=nz)
    idle = zone_land * cfg.idle_share / (1.0 - cfg.idle_share) * np.exp(rng.normal(-0.125, 0.5, nz))
    operators = np.flatnonzero(
        (sector == SECTOR_CODE["urban_investment"]) & (status == 0) & (parent >= 0)
    )
    if operators.size:
        picked = rng.permutation(operators)
        op_ids = all_ids[picked[np.arange(nz) % picked.size]].tolist()
    else:
        op_ids = [""] * nz
    names = district_names or [f"D{d + 1:02d}" for d in range(nd)]
    zones = pd.DataFrame(
        {
            "zone_id": [f"Z{z + 1:03d}" for z in range(nz)],
            "name": [f"{names[d]}园区{z + 1:03d}" for z, d in enumerate(district.tolist())],
            "district": [names[d] for d in district.tolist()],
            "level": level,
            "x_km": np.round(x, 3),
            "y_km": np.round(y, 3),
            "bodies": np.ones(nz, dtype=np.int64),
            "operator_id": op_ids,
            "industry": [INDUSTRY_NAMES[i] for i in lead.tolist()],
            "idle_land_mu": np.round(idle, 3),
        }
    )
    return zones, firms
