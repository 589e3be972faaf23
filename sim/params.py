"""One declaration per parameter: default, unit, meaning, bounds and kind.

Every config field is declared with :func:`param`; that single declaration feeds range validation
(:class:`Validated`), ``soe-sim --help`` and the README parameter table (:func:`parameter_table`),
and is the source for sensitivity problems, search spaces and dashboard sliders (:func:`walk`
lists every parameter with its dotted config path).

Kinds, after the XLRM vocabulary of exploratory modelling (Lempert et al. 2003; the EMA Workbench):

- ``lever``: a planner's choice (the restructuring plan and its constraints);
- ``uncertainty``: a fact of the world the plan acts under (demand, costs, prices, the population);
- ``setting``: how the run is made (months, seed, outputs), neither of the above.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, Literal, get_type_hints

from sim.errors import ConfigError

Kind = Literal["lever", "uncertainty", "setting"]
KINDS: tuple[Kind, ...] = ("lever", "uncertainty", "setting")


@dataclass(frozen=True)
class Spec:
    """What a parameter means and which values it may take."""

    unit: str
    meaning: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None

    def range_text(self) -> str:
        """The allowed values, as shown in ``--help`` and the docs."""
        if self.choices is not None:
            return " | ".join(self.choices)
        if self.low is None and self.high is None:
            return ""
        return f"[{_num(self.low, '-inf')}, {_num(self.high, 'inf')}]"


def _num(value: float | None, unbounded: str) -> str:
    if value is None:
        return unbounded
    return str(value) if isinstance(value, int) else f"{value:g}"


def param(
    default: Any = MISSING,
    *,
    unit: str = "-",
    meaning: str,
    kind: Kind,
    low: float | None = None,
    high: float | None = None,
    choices: Sequence[str] | None = None,
    factory: Any = MISSING,
) -> Any:
    """A dataclass field with its :class:`Spec`; ``factory`` for mutable defaults."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    spec = Spec(unit, meaning, kind, low, high, tuple(choices) if choices is not None else None)
    if factory is not MISSING:
        return field(default_factory=factory, metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def spec_of(f: dataclasses.Field[Any]) -> Spec | None:
    """The declared spec of a dataclass field, if any."""
    spec = f.metadata.get("spec")
    return spec if isinstance(spec, Spec) else None


def check(section: str, name: str, ok: bool, rule: str, value: Any) -> None:
    """Raise one ConfigError naming the key and the rule broken when ``ok`` is false."""
    if not ok:
        key = f"{section}.{name}" if section else name
        raise ConfigError(f"config value {key} must be {rule}, got {value!r}")


FIRST_YEAR, LAST_YEAR = 1950, 2200
"""Months written YYYY-MM must fall in these years (a run of at most 1,200 months from a start
in 1950-2100 ends by 2200): far outside them dates mean a typo, and calendars and charts break."""
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_month(section: str, name: str, value: str, *, last_year: int = LAST_YEAR) -> None:
    """A month written YYYY-MM between January FIRST_YEAR and December ``last_year``."""
    m = _MONTH.match(value) if isinstance(value, str) else None
    check(section, name, m is not None, "a month written YYYY-MM", value)
    assert m is not None
    check(section, name, FIRST_YEAR <= int(m.group(1)) <= last_year,
          f"a month between {FIRST_YEAR}-01 and {last_year}-12", value)  # fmt: skip


class Validated:
    """Mixin for config dataclasses: every field declared with :func:`param` is checked against
    its spec after construction (finite numbers, bounds, choices); ``_section`` is the dotted
    config path that prefixes messages."""

    _section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            spec = spec_of(f)
            value = getattr(self, f.name)
            if spec is None or value is None:
                continue
            if spec.choices is not None:
                check(self._section, f.name, value in spec.choices,
                      f"one of {list(spec.choices)}", value)  # fmt: skip
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            check(self._section, f.name, math.isfinite(value), "a finite number", value)
            low = -math.inf if spec.low is None else spec.low
            high = math.inf if spec.high is None else spec.high
            if (low, high) == (0.0, 1.0) and spec.unit in ("share", "share/month"):
                check(self._section, f.name, 0 <= value <= 1, "a probability in [0, 1]", value)
            check(self._section, f.name, value >= low, f">= {low:g}", value)
            check(self._section, f.name, value <= high, f"<= {high:g}", value)


@dataclass(frozen=True)
class Parameter:
    """A declared parameter with its dotted config path (``policy.slimming.max_layers``)."""

    path: str
    type: str
    default: Any
    spec: Spec


def _type_name(tp: Any) -> str:
    name = getattr(tp, "__name__", None)
    return name if isinstance(name, str) and "[" not in str(tp) else str(tp).replace("typing.", "")


def walk(cls: type, prefix: str = "") -> Iterator[Parameter]:
    """Every declared parameter of a config dataclass and of the dataclasses nested in it."""
    hints = get_type_hints(cls)
    for f in fields(cls):
        path = f"{prefix}{f.name}"
        tp = hints[f.name]
        if isinstance(tp, type) and is_dataclass(tp):
            yield from walk(tp, path + ".")
            continue
        spec = spec_of(f)
        if spec is None:
            continue
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = None
        yield Parameter(path, _type_name(tp), default, spec)


def _fmt_default(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) if value else "[]"
    return "null" if value is None else str(value)


def parameter_table(cls: type, kinds: Sequence[Kind] = KINDS) -> str:
    """A Markdown table of every parameter: key, kind, default, unit, range, meaning."""
    lines = ["| key | kind | default | unit | range | meaning |", "|---|---|---|---|---|---|"]
    for p in walk(cls):
        if p.spec.kind in kinds:
            s = p.spec
            cells = [f"`{p.path}`", s.kind, _fmt_default(p.default), s.unit, s.range_text(),
                     s.meaning]  # fmt: skip
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def help_text(cls: type) -> str:
    """Plain-text parameter list for ``soe-sim --help``: one key a line, then its meaning."""
    out = []
    for p in walk(cls):
        s = p.spec
        rng = f" {s.range_text()}" if s.range_text() else ""
        unit = f" {s.unit}" if s.unit not in ("-", "") else ""
        out.append(f"  {p.path}={_fmt_default(p.default)}  ({s.kind}{unit}{rng})")
        out.append(f"      {s.meaning}")
    return "\n".join(out)
