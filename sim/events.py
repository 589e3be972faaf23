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

import numpy as np
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
_LEDGER_OF = {column: name for name, column in LEDGER_COLUMNS.items()}
_FLOW_SLOT = {c: (i, _LEDGER_OF.get(c)) for i, c in enumerate(FLOW_COLUMNS)}
"""Each flow column's position in :data:`FLOW_COLUMNS` and the ledger total it adds to (or None)."""
_DTYPES: dict[str, str] = {
    "month": "int64",
    "employees": "int64",
    **{c: "float64" for c in (*STATE_COLUMNS, *FLOW_COLUMNS)},
    **{c: "object" for c in TEXT_COLUMNS},
}
"""dtype of each event column."""


@dataclass
class EventLog:
    """Append-only list of events and the ledger they add up to.

    ``rows`` holds one tuple per event in :data:`EVENT_COLUMNS` order; the table is built once,
    column by column, by :meth:`to_frame`."""

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
        a, li = float(assets), float(liabilities)
        self.append((month, date, op, entity_id, target_id, group_id, new_group_id, rule, reason,
                     fate, a, li, a - li, int(employees)), flows)  # fmt: skip

    def append(self, head: tuple[object, ...], flows: Mapping[str, float] | None = None) -> None:
        """Append one event given as its columns ``month`` .. ``employees`` (in
        :data:`EVENT_COLUMNS` order, as :meth:`record` builds them: floats, ``equity`` =
        assets - liabilities) and its flows; add the flows to the ledger. The structural
        operations log through this, :meth:`record` being the keyword form of it."""
        if not flows:
            self.rows.append(head + _ZERO_FLOWS)
            return
        values = list(_ZERO_FLOWS)
        ledger = self.ledger
        slots = _FLOW_SLOT
        for name, raw in flows.items():
            amount = float(raw)
            i, ledger_name = slots[name]
            values[i] = amount
            # Adding a zero leaves a total unchanged (a total is never -0.0: it starts at +0.0),
            # and most events carry several zero flows.
            if amount and ledger_name is not None:
                setattr(ledger, ledger_name, getattr(ledger, ledger_name) + amount)
        self.rows.append(head + tuple(values))

    def extend_entries(self, rows: Sequence[tuple[object, ...]]) -> None:
        """Append ``enter`` events built in bulk (month .. employees); they carry no flows."""
        self.rows.extend(row + _ZERO_FLOWS for row in rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The log as a table with stable column order and dtypes."""
        # Column by column from the transposed rows: several times faster than letting pandas
        # infer each column's type from the row tuples (and then converting it back).
        columns = list(zip(*self.rows, strict=True)) or [()] * len(EVENT_COLUMNS)
        data: dict[str, pd.Series] = {}
        for name, values in zip(EVENT_COLUMNS, columns, strict=True):
            dtype = _DTYPES[name]
            if dtype == "object":
                array = np.array(values, dtype=object)
            else:
                array = np.fromiter(values, dtype=dtype, count=len(values))
            data[name] = pd.Series(array, dtype=dtype, copy=False)
        return pd.DataFrame(data, copy=False)
