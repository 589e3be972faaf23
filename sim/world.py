"""The narrow world a rule sees: state, ledger, clock and the operations that write the event log.

Rules read the per-entity arrays and *propose*; the engine admits proposals as decisions and, when
each is due, carries it out through the operations below. Each operation logs its action as one
event carrying all of its flows, after all of its effects (an exit or a merge first logs the
``move`` of each subsidiary it hands on; a programme whose flows are all zero logs nothing).
:class:`sim.model.SOEModel` implements this protocol; mypy checks that rules use nothing else of
the model. No operation calls back into the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.config import EconomyConfig
    from sim.economy import EntrySpec
    from sim.state import EntityState, Ledger


class World(Protocol):
    """What rules may read and do."""

    @property
    def state(self) -> EntityState:
        """Per-entity arrays (rows never reused; ``alive`` marks the live ones)."""

    @property
    def ledger(self) -> Ledger:
        """Cumulative flows so far. Rules only read it: the event log adds to it, and
        :func:`sim.invariants.check_invariants` catches any other change."""

    @property
    def month(self) -> int:
        """Months simulated so far; during a step, the month being simulated."""

    @property
    def economy_params(self) -> EconomyConfig:
        """The economy's parameters (read only)."""

    pending_entries: EntrySpec | None
    """New subsidiaries the economy proposed this month, founded after the policy stage; a rule
    may only narrow them (严控新设), with :meth:`sim.economy.EntrySpec.where`."""

    def set_soft_budget(self, share: float) -> None:
        """Harden (or soften) the soft budget constraint from now on."""

    def latest_indicators(self) -> Mapping[str, float | int | str] | None:
        """The portfolio indicators recorded at the end of last month."""

    def is_ancestor(self, ancestor: int, row: int) -> bool:
        """Whether ``ancestor`` is ``row`` or one of its ancestors."""

    def has_children(self, row: int) -> bool:
        """Whether the entity has live subsidiaries."""

    # -- operations: each writes one event with all of its flows ------------------------------
    def exit(self, row: int, *, fate: str, rule: str, reason: str, proceeds: float = 0.0,
             cost: float = 0.0, creditor_loss: float = 0.0, jobs: int = 0) -> None:  # fmt: skip
        """Remove an entity (closure, bankruptcy, transfer out, deregistration)."""

    def move(self, row: int, new_parent: int, *, rule: str, reason: str) -> None:
        """Re-parent an entity with its subtree (划转)."""

    def merge(self, row: int, into: int, *, rule: str, reason: str, cost: float = 0.0,
              jobs: int = 0) -> None:  # fmt: skip
        """Absorb an entity into another (吸收合并), paying ``cost`` and cutting ``jobs``."""

    def charge(self, op: str, row: int, cost: float, *, rule: str, reason: str,
               flows: Mapping[str, float] | None = None) -> None:  # fmt: skip
        """An entity pays a one-off programme cost (booked in profit), logged as ``op``."""

    def programme(self, op: str, *, rule: str, reason: str, flows: Mapping[str, np.ndarray],
                  one_off: np.ndarray | None = None) -> None:  # fmt: skip
        """A vectorised programme's flows this month (arrays over rows), logged as one event with
        the portfolio totals; ``one_off`` (per row) is booked in the rows' profit."""

    def note(self, op: str, row: int, *, rule: str, reason: str) -> None:
        """Log a change to one entity's economics that moves no money (e.g. synergy realised)."""

    def defer(self, rule: str, count: int = 1) -> None:
        """Count proposals refused for lack of capacity, budget or job headroom."""
