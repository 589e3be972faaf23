"""Hand-built worlds for rule tests: a few named entities under a calm, deterministic economy."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
from conftest import calm_economy

from sim.config import PopulationConfig, SimConfig
from sim.model import SOEModel
from sim.policies.config import PolicyConfig
from sim.policies.dispositions import DisposalParams
from sim.population.roster import validate_roster

DEFAULTS: dict[str, Any] = {
    "sector": "manufacturing", "assets": 100.0, "liabilities": 50.0, "revenue": 120.0,
    "operating_cost": 100.0, "employees": 10, "cash": 10.0, "status": "operating",
}  # fmt: skip


def entity(id_: str, parent: str = "", **fields: Any) -> dict[str, Any]:
    """One roster row; unspecified fields take DEFAULTS (a small profitable manufacturer)."""
    return {"id": id_, "parent_id": parent, "name": f"企业{id_}", **DEFAULTS, **fields}


INSTANT = {
    name: 0 if name.endswith("_months") else 0.0
    for name in DisposalParams.__dataclass_fields__
    if name.endswith(("_months", "_failure"))
}
"""Disposition timing under which every decision completes in the month it is taken."""


def world(rows: list[dict[str, Any]], policy: PolicyConfig | None = None, *,
          instant: bool = True, **economy: float) -> SOEModel:  # fmt: skip
    """A model of these entities under ``policy`` (default: none) and the calm economy.

    ``instant``: dispositions complete in the month they are decided (rule tests check what a
    rule decides; tests of the timing itself pass False)."""
    policy = policy or PolicyConfig()
    if instant:
        policy = dataclasses.replace(
            policy, disposal=dataclasses.replace(policy.disposal, **INSTANT)
        )
    roster = validate_roster(pd.DataFrame(rows), source="world")
    cfg = SimConfig(
        seed=7,
        months=24,
        population=PopulationConfig(source="roster", path="-"),
        economy=calm_economy(**economy),
        policy=policy,
    )
    return SOEModel(cfg, roster=roster)


def events(model: SOEModel, *ops: str) -> list[tuple[str, str, str, str]]:
    """(op, entity, target, rule) of the logged events, optionally only these operations."""
    frame = model.events.to_frame()
    if ops:
        frame = frame[frame["op"].isin(ops)]
    return list(frame[["op", "entity_id", "target_id", "rule"]].itertuples(index=False, name=None))
