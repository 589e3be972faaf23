"""Build the ``chongqing_2023`` zone roster: Chongqing's development zones and firms, end-2023.

Run ``uv run python scripts/make_chongqing_zones.py`` to rewrite
``sim/data/chongqing_zones_2023.csv`` and ``sim/data/chongqing_firms_2023.csv``; the files are
deterministic (fixed seed).

Figures from public sources (docs/sources.md), by construction:
- 106 development zones with 108 management bodies at the end of 2023 (the figures the 2024
  consolidation started from): four zones are run by two bodies each (a zone and its bonded or
  high-tech area with separate committees) and two national-level zones by another zone's body
  (托管), so 106 - 2 + 4 = 108;
- the 38 districts and counties (区县), each with at least one zone;
- land-weighted output, value added and tax per mu equal to Chongqing manufacturing's 2023
  figures: 734.17, 166.87 and 18.98 万元/mu;
- the operating manufacturing subsidiaries of the ``chongqing_2023`` SOE roster are firms in the
  zones, and the zones' operating companies are its operating urban-investment subsidiaries.

Assumptions where the sources are silent (the defaults of population.zones unless set below):
12 national-level zones (the order of Chongqing's national development and high-tech zones
with the Liangjiang new area; not a published count), about 62 non-SOE firms per zone (about
7,000 firms in all), 60 mu per firm, 8% idle land, zone locations random within their
district, the per-mu dispersion across firms and zones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.parks.config import ZonesConfig
from sim.parks.roster import validate_parks
from sim.parks.synthetic import generate
from sim.population.roster import load_roster
from sim.population.schema import STATUSES
from sim.sectors import SECTOR_CODE

SEED = 2023
DATA = Path(__file__).resolve().parents[1] / "sim" / "data"
DISTRICTS = (
    "渝中", "大渡口", "江北", "沙坪坝", "九龙坡", "南岸", "北碚", "渝北", "巴南", "涪陵", "綦江",
    "大足", "长寿", "江津", "合川", "永川", "南川", "璧山", "铜梁", "潼南", "荣昌", "开州", "梁平",
    "武隆", "万州", "黔江", "城口", "丰都", "垫江", "忠县", "云阳", "奉节", "巫山", "巫溪", "石柱",
    "秀山", "酉阳", "彭水",
)  # fmt: skip
"""Chongqing's 38 districts and counties (区县)."""
CONFIG = ZonesConfig(
    n_zones=106,
    n_districts=len(DISTRICTS),
    national_share=12 / 106,
    firms_per_zone=62.0,
    region_km=300.0,
)


def main() -> None:
    roster = load_roster(DATA / "chongqing_2023.csv")
    ids = roster["id"].tolist()
    index = {eid: i for i, eid in enumerate(ids)}
    parent = np.array([index.get(p, -1) for p in roster["parent_id"]], dtype=np.int64)
    sector = roster["sector"].map(SECTOR_CODE).to_numpy()
    status = roster["status"].map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
    rng = np.random.default_rng(SEED)
    zones, firms = generate(
        CONFIG, rng, entity_ids=ids, sector=sector, status=status, parent=parent,
        revenue=roster["revenue"].to_numpy(dtype=np.float64), district_names=list(DISTRICTS),
    )  # fmt: skip
    national = zones.index[zones["level"] == "national"].tolist()
    zones.loc[national[:4], "bodies"] = 2
    zones.loc[national[-2:], "bodies"] = 0
    zones["name"] = [
        f"{d}{'国家级' if lv == 'national' else ''}园区{i + 1:03d}"
        for i, (d, lv) in enumerate(zip(zones["district"], zones["level"], strict=True))
    ]
    validate_parks(zones, firms, ids)
    zones.to_csv(DATA / "chongqing_zones_2023.csv", index=False)
    firms.to_csv(DATA / "chongqing_firms_2023.csv", index=False)
    land = firms["land_mu"].sum()
    print(
        f"{len(zones)} zones, {zones['bodies'].sum()} bodies, {len(firms)} firms "
        f"({(firms['entity_id'] != '').sum()} SOE-owned), "
        f"{land + zones['idle_land_mu'].sum():,.0f} mu; "
        f"per mu: output {firms['output'].sum() / land:.2f}, value added "
        f"{firms['value_added'].sum() / land:.2f}, tax {firms['tax'].sum() / land:.2f} 万元"
    )


if __name__ == "__main__":
    main()
