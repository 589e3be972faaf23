"""Regenerate the golden-output fixtures in tests/golden/ (checked by tests/test_golden.py).

    uv run python scripts/make_golden.py

The fixtures pin the model's exact output for small fixed scenarios. Regenerate them only when a
change is meant to move results, and say in that commit's message why they moved (the rule the
ABIDES project keeps for its reference scenarios); a commit that regenerates them silently hides
a regression.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from golden import GOLDEN_DIR, SCENARIOS, golden_tables


def main() -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for name in SCENARIOS:
        for table, frame in golden_tables(name).items():
            path = GOLDEN_DIR / f"{name}.{table}.csv"
            frame.to_csv(path, index=False, lineterminator="\n")
            print(f"wrote {path.relative_to(GOLDEN_DIR.parents[1])} ({len(frame)} rows)")


if __name__ == "__main__":
    main()
