"""The audit log: every structural event (enter, exit, move, merge) and every change a rule makes
to one entity's economics (turnaround, synergy, decouple), with the rule and the reason.

Together with the start roster, the log accounts for every entity that ever existed: an entity
either is alive at the end or has exactly one ``exit`` or ``merge`` event naming its fate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

STRUCTURAL: tuple[str, ...] = ("enter", "exit", "move", "merge")
"""Operations that change the ownership forest; exit and merge end an entity."""
OPERATIONS: tuple[str, ...] = (*STRUCTURAL, "turnaround", "synergy", "decouple")
"""All operations; the last three change an entity's economics, not the forest."""

TEXT_COLUMNS: tuple[str, ...] = (
    "date", "op", "entity_id", "target_id", "group_id", "new_group_id", "rule", "reason", "fate",
)  # fmt: skip
MONEY_COLUMNS: tuple[str, ...] = (
    "assets", "liabilities", "equity", "proceeds", "cost", "creditor_loss",
)  # fmt: skip
EVENT_COLUMNS: tuple[str, ...] = ("month", *TEXT_COLUMNS, *MONEY_COLUMNS, "employees")
"""Columns of ``events.parquet``. ``target_id``: the parent for enter, the new parent for move, the
absorbing entity for merge, empty otherwise. Money columns (mn yuan) describe the entity at the
event; ``proceeds`` is cash the group receives, ``cost`` one-off costs it pays, ``creditor_loss``
what outside creditors lose in a closure or bankruptcy."""


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
        rule: str,
        reason: str,
        target_id: str = "",
        group_id: str = "",
        new_group_id: str = "",
        fate: str = "",
        assets: float = 0.0,
        liabilities: float = 0.0,
        proceeds: float = 0.0,
        cost: float = 0.0,
        creditor_loss: float = 0.0,
        employees: int = 0,
    ) -> None:
        """Append one event."""
        text = (date, op, entity_id, target_id, group_id, new_group_id, rule, reason, fate)
        money = (assets, liabilities, assets - liabilities, proceeds, cost, creditor_loss)
        self.rows.append((month, *text, *map(float, money), int(employees)))

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The log as a table with stable column order and dtypes."""
        frame = pd.DataFrame(self.rows, columns=list(EVENT_COLUMNS))
        dtypes = {"month": "int64", "employees": "int64"}
        dtypes |= {c: "float64" for c in MONEY_COLUMNS} | {c: "object" for c in TEXT_COLUMNS}
        return frame.astype(dtypes)
