"""The rule-family registry: the one list of the reform's rule families.

Each entry is a :class:`sim.policies.base.Rule` subclass that names its family, its kind and its
parameters class. Everything else derives from this tuple: the ``policy.<family>`` config
sections, the default ``policy.order``, what ``policy.reform=false`` (the ``no_reform``
counterfactual) switches off, the engine's monthly order and the README's rule table.

Programmes (``kind = "programme"``) run first each month, in registry order; structural families
(``kind = "structural"``) then compete for the month's capacity in ``policy.order``.

Adding a family: write ``sim/policies/<family>.py`` with its params dataclass and its Rule
subclass, import it here and add it to :data:`FAMILIES`.
"""

from __future__ import annotations

from sim.policies.base import Rule
from sim.policies.decoupling import Decoupling
from sim.policies.efficiency import Efficiency
from sim.policies.loss_cutting import LossCutting
from sim.policies.quality import Quality
from sim.policies.slimming import Slimming

FAMILIES: tuple[type[Rule], ...] = (
    Efficiency,
    Decoupling,
    LossCutting,
    Slimming,
    Quality,
)
"""Every rule family, programmes and structural, in their default order."""


def families() -> tuple[type[Rule], ...]:
    """The registered families (read at call time, so a test can extend the registry)."""
    return FAMILIES


def structural_families() -> tuple[str, ...]:
    """Names of the structural families, in registry order (the default ``policy.order``)."""
    return tuple(r.family for r in families() if r.kind == "structural")


def family_table() -> str:
    """The README's rule table: family, kind, module, policy text, what it does."""
    lines = [
        "| family | kind | module | policy text | what it does |",
        "|---|---|---|---|---|",
    ]
    for rule in families():
        module = rule.__module__.removeprefix("sim.policies.")
        doc = " ".join((rule.__doc__ or "").split("\n\n")[0].split())
        lines.append(
            f"| `{rule.family}` | {rule.kind} | `{module}.py` | {rule.implements} | {doc} |"
        )
    return "\n".join(lines)
