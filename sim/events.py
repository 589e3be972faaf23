"""The audit log, which is also the ledger: every action with all of its flows.

Each row is one event: a structural operation (enter, exit, move, merge), a change a rule makes to
one entity's economics (turnaround, synergy, decouple), a monthly programme total over the
portfolio (revitalise, collect, repay, clear_hazards) or the proposals a rule had refused that
month (deferred). Its flow columns (:data:`FLOW_COLUMNS`) carry every cost, job and cash flow of
the action, and :meth:`EventLog.record` is the only way the ledger grows, so each ledger total in
``timeseries.parquet`` is the sum of its column here (:data:`sim.state.LEDGER_COLUMNS`).

Together with the start roster, the log accounts for every entity that ever existed: an entity
either is alive at the end or has exactly one ``exit`` or ``merge`` event naming its fate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sim.state import LEDGER_COLUMNS, Ledger

TEXT_COLUMNS: tuple[str, ...] = (
    "date", "op", "entity_id", "target_id", "group_id", "new_group_id", "rule", "reason", "fate",
)  # fmt: skip
STATE_COLUMNS: tuple[str, ...] = ("assets", "liabilities", "equity")
"""The entity's balance sheet at the event, mn yuan (for exit and merge: its last one)."""
FLOW_COLUMNS: tuple[str, ...] = ("proceeds", *LEDGER_COLUMNS.values())
"""The action's flows: ``proceeds`` (cash the parent receives: sale price, liquidation surplus,
a deregistered shell's net assets), then one column per ledger total: ``cost`` (restructuring
cost paid), ``jobs_affected`` (persons), ``creditor_loss`` (what outside creditors lose),
``one_off`` (result booked in profit), the programme flows and counts."""
EVENT_COLUMNS: tuple[str, ...] = ("month", *TEXT_COLUMNS, *STATE_COLUMNS, "employees",
                                  *FLOW_COLUMNS)  # fmt: skip
"""Columns of ``events.parquet``. ``target_id``: the parent for enter, the new parent for move, the
absorbing entity for merge, empty otherwise; ``employees``: the entity's headcount at the event."""
_ZERO_FLOWS: tuple[float, ...] = (0.0,) * len(FLOW_COLUMNS)
_FLOW_INDEX = {c: i for i, c in enumerate(FLOW_COLUMNS)}
_LEDGER_OF = {column: name for name, column in LEDGER_COLUMNS.items()}


@dataclass
class EventLog:
    """Append-only list of events and the ledger they add up to."""

    rows: list[tuple[object, ...]] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)

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
        employees: int = 0,
        flows: Mapping[str, float] | None = None,
    ) -> None:
        """Append one event and add its flows (named by :data:`FLOW_COLUMNS`) to the ledger."""
        values = list(_ZERO_FLOWS)
        for name, raw in (flows or {}).items():
            amount = float(raw)
            values[_FLOW_INDEX[name]] = amount
            ledger_name = _LEDGER_OF.get(name)
            if ledger_name is not None:
                setattr(self.ledger, ledger_name, getattr(self.ledger, ledger_name) + amount)
        text = (date, op, entity_id, target_id, group_id, new_group_id, rule, reason, fate)
        state = (float(assets), float(liabilities), float(assets) - float(liabilities))
        self.rows.append((month, *text, *state, int(employees), *values))

    def extend_entries(self, rows: Sequence[tuple[object, ...]]) -> None:
        """Append ``enter`` events built in bulk (month .. employees); they carry no flows."""
        self.rows.extend(row + _ZERO_FLOWS for row in rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The log as a table with stable column order and dtypes."""
        frame = pd.DataFrame(self.rows, columns=list(EVENT_COLUMNS))
        dtypes = {"month": "int64", "employees": "int64"}
        dtypes |= {c: "float64" for c in (*STATE_COLUMNS, *FLOW_COLUMNS)}
        dtypes |= {c: "object" for c in TEXT_COLUMNS}
        return frame.astype(dtypes)
