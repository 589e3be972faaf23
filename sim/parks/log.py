"""The park event log: every change to a zone or a firm, with its flows.

One row per event (:data:`PARK_EVENT_COLUMNS`): a firm entering, leaving, moving or taking up a
plan, a zone merged into its host, an evaluation's showcases, a month's land re-use. Its flow
columns (:data:`PARK_FLOWS`) are the only way the park totals grow, so each cumulative total in
``zones.parquet`` is the sum of its column here. With the start roster, the log accounts for
every firm and zone: each is alive at the end or has exactly one ``firm_exit`` or ``zone_merge``
event naming its fate; every firm not in the start roster has one ``firm_enter`` event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PARK_FLOWS: tuple[str, ...] = (
    "cost",
    "jobs_affected",
    "land_freed",
    "land_reused",
    "surcharges",
    "bodies_cut",
)
"""``cost``: the park reform's spending (mn yuan: support, closures, relocation, abolished
bodies; the operating companies' mergers and transformations are SOE actions, in the SOE
event log); ``jobs_affected``: employees whose firm the reform closed, cut in a merger or
pushed out under forced compliance (a firm leaving on its own, as under every plan, counts
none); ``land_freed``
and ``land_reused`` (mu): land that became idle and idle land taken up again; ``surcharges``
(mn yuan): differentiated prices paid under forced compliance; ``bodies_cut``: management bodies
abolished."""
PARK_TEXT: tuple[str, ...] = (
    "date",
    "op",
    "zone_id",
    "firm_id",
    "target_zone_id",
    "target_firm_id",
    "plan",
    "rule",
    "reason",
    "fate",
)
PARK_EVENT_COLUMNS: tuple[str, ...] = (
    "month",
    *PARK_TEXT,
    "land_mu",
    "employees",
    "score",
    *PARK_FLOWS,
)
TOTALS: dict[str, str] = {
    "park_cost": "cost",
    "park_jobs_affected": "jobs_affected",
    "land_freed_mu": "land_freed",
    "land_reused_mu": "land_reused",
    "surcharges": "surcharges",
    "bodies_cut": "bodies_cut",
}
"""Each cumulative total in ``zones.parquet`` and the event column it is the sum of."""


@dataclass
class ParkLog:
    """Append-only park events and the totals they add up to."""

    rows: list[tuple[object, ...]] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARK_FLOWS, 0.0))

    def record(
        self,
        month: int,
        date: str,
        op: str,
        *,
        rule: str,
        reason: str,
        zone_id: str = "",
        firm_id: str = "",
        target_zone_id: str = "",
        target_firm_id: str = "",
        plan: str = "",
        fate: str = "",
        land_mu: float = 0.0,
        employees: int = 0,
        score: float = float("nan"),
        **flows: float,
    ) -> None:
        """Append one event; ``flows`` are named by :data:`PARK_FLOWS`."""
        values = []
        for name in PARK_FLOWS:
            amount = float(flows.pop(name, 0.0))
            self.totals[name] += amount
            values.append(amount)
        if flows:
            raise KeyError(f"unknown park flows {sorted(flows)}; flows: {PARK_FLOWS}")
        self.rows.append(
            (
                month,
                date,
                op,
                zone_id,
                firm_id,
                target_zone_id,
                target_firm_id,
                plan,
                rule,
                reason,
                fate,
                float(land_mu),
                int(employees),
                float(score),
                *values,
            )
        )

    def to_frame(self) -> pd.DataFrame:
        """The log as a table with stable columns and dtypes."""
        columns = list(zip(*self.rows, strict=True)) or [()] * len(PARK_EVENT_COLUMNS)
        data = {}
        for name, values in zip(PARK_EVENT_COLUMNS, columns, strict=True):
            if name == "month" or name == "employees":
                data[name] = pd.Series(np.fromiter(values, dtype=np.int64, count=len(values)))
            elif name in PARK_TEXT:
                data[name] = pd.Series(np.array(values, dtype=object), dtype=object)
            else:
                data[name] = pd.Series(np.fromiter(values, dtype=np.float64, count=len(values)))
        return pd.DataFrame(data)
