"""The audit log of structural events: every entry, exit, move and merge, with rule and reason.

Together with the start roster, the log accounts for every entity that ever existed: an entity
either is alive at the end or has exactly one ``exit`` or ``merge`` event naming its fate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

OPERATIONS: tuple[str, ...] = ("enter", "exit", "move", "merge")

EVENT_COLUMNS: tuple[str, ...] = (
    "month",
    "date",
    "op",
    "entity_id",
    "target_id",
    "group_id",
    "new_group_id",
    "rule",
    "reason",
    "fate",
    "assets",
    "liabilities",
    "equity",
    "proceeds",
    "cost",
    "employees",
)
"""Columns of ``events.parquet``. ``target_id``: the parent for enter, the new parent for move, the
absorbing entity for merge, empty for exit. Money columns (mn yuan) describe the entity at the
event; ``proceeds`` is cash the group receives, ``cost`` one-off costs it pays."""


@dataclass
class EventLog:
    """Append-only list of events; cheap to append, turned into a table at the end."""

    rows: list[tuple[object, ...]] = field(default_factory=list)

    def record(
        self,
        *,
        month: int,
        date: str,
        op: str,
        entity_id: str,
        target_id: str = "",
        group_id: str = "",
        new_group_id: str = "",
        rule: str,
        reason: str,
        fate: str = "",
        assets: float = 0.0,
        liabilities: float = 0.0,
        equity: float = 0.0,
        proceeds: float = 0.0,
        cost: float = 0.0,
        employees: int = 0,
    ) -> None:
        """Append one event."""
        self.rows.append(
            (
                month,
                date,
                op,
                entity_id,
                target_id,
                group_id,
                new_group_id,
                rule,
                reason,
                fate,
                float(assets),
                float(liabilities),
                float(equity),
                float(proceeds),
                float(cost),
                int(employees),
            )
        )

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The log as a table with stable column order and dtypes."""
        frame = pd.DataFrame(self.rows, columns=list(EVENT_COLUMNS))
        return frame.astype(
            {
                "month": "int64",
                "assets": "float64",
                "liabilities": "float64",
                "equity": "float64",
                "proceeds": "float64",
                "cost": "float64",
                "employees": "int64",
                **{
                    c: "object"
                    for c in (
                        "date",
                        "op",
                        "entity_id",
                        "target_id",
                        "group_id",
                        "new_group_id",
                        "rule",
                        "reason",
                        "fate",
                    )
                },
            }
        )
