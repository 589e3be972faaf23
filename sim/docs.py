"""Generated parts of the README and docs/ODD.md: the rule-family, parameter and indicator tables.

Each is written between ``<!-- generated: NAME -->`` and ``<!-- end generated -->`` markers from
the declarations (:mod:`sim.policies.registry`, :func:`sim.params.param`, :mod:`sim.outcomes`),
so the docs cannot drift from the code: ``uv run python -m sim.docs`` rewrites them and a test
fails when the README is stale.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from sim.config import SimConfig
from sim.outcomes import OUTCOMES
from sim.params import parameter_table
from sim.parks.roster import FIRM_COLUMNS, ZONE_COLUMNS, column_table
from sim.policies.registry import family_table
from sim.population.schema import COLUMNS, MAX_ID_LENGTH


def outcome_table() -> str:
    """Markdown table of every indicator: name, unit, level, which way is better, meaning."""
    lines = ["| indicator | unit | level | better | meaning |", "|---|---|---|---|---|"]
    for o in OUTCOMES.values():
        lines.append(f"| `{o.name}` | {o.unit} | {o.level} | {o.sense or '-'} | {o.meaning} |")
    return "\n".join(lines)


def roster_table() -> str:
    """Markdown table of the roster columns: required, unit, allowed range, meaning, default."""
    lines = [
        "| column | required | unit | range | meaning | default |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        rng = f"{c.low:g} to {c.high:g}" if c.low is not None and c.high is not None else ""
        if c.kind == "id":
            rng = f"at most {MAX_ID_LENGTH} characters"
        fallback = f"{c.default:g}" if isinstance(c.default, float) else str(c.default)
        default = "" if c.required else ROSTER_DEFAULTS.get(c.name, fallback)
        cells = [f"`{c.name}`", "yes" if c.required else "no", c.unit, rng, c.meaning, default]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines)


ROSTER_DEFAULTS = {"cash": "8% of assets", "core": "true", "status": "operating"}
"""Defaults of optional roster columns that the schema states as rules rather than values."""


BLOCKS: dict[str, Callable[[], str]] = {
    "zone columns": lambda: column_table(ZONE_COLUMNS),
    "firm columns": lambda: column_table(FIRM_COLUMNS),
    "rule families": family_table,
    "parameters": lambda: parameter_table(SimConfig),
    "indicators": outcome_table,
    "roster columns": roster_table,
}
"""Generated block name -> the function that writes it."""

_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S
)


def render(text: str) -> str:
    """``text`` with every generated block rewritten."""

    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in BLOCKS:
            raise KeyError(f"unknown generated block {name!r}; known: {sorted(BLOCKS)}")
        return f"{m.group(1)}{BLOCKS[name]()}\n{m.group(4)}"

    return _BLOCK.sub(fill, text)


DOCUMENTS: tuple[str, ...] = ("README.md", "docs/ODD.md")
"""The files with generated blocks, relative to the project root."""


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated blocks of :data:`DOCUMENTS` (``--check``: only report whether they
    are stale)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[1]
    stale = []
    for name in DOCUMENTS:
        path = root / name
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new == text:
            continue
        stale.append(name)
        if "--check" not in args:
            path.write_text(new, encoding="utf-8")
    if "--check" in args and stale:
        print(f"{', '.join(stale)} stale: run `uv run python -m sim.docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
