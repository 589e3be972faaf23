"""Range checks for config dataclasses: one clear message naming the key and the rule broken."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, ClassVar

from sim.errors import ConfigError


def check(section: str, name: str, ok: bool, rule: str, value: Any) -> None:
    if not ok:
        key = f"{section}.{name}" if section else name
        raise ConfigError(f"config value {key} must be {rule}, got {value!r}")


class Validated:
    """Mixin for config dataclasses: ``_ranges`` maps a field to (low, high), either may be None;
    ``_probabilities`` lists fields that must lie in [0, 1]; ``_section`` prefixes messages."""

    _section: ClassVar[str] = ""
    _ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {}
    _probabilities: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            check(
                self._section,
                f.name,
                value == value and abs(value) != float("inf"),
                "a finite number",
                value,
            )
            if f.name in self._probabilities:
                check(self._section, f.name, 0.0 <= value <= 1.0, "a probability in [0, 1]", value)
            low, high = self._ranges.get(f.name, (None, None))
            if low is not None:
                check(self._section, f.name, value >= low, f">= {low}", value)
            if high is not None:
                check(self._section, f.name, value <= high, f"<= {high}", value)
