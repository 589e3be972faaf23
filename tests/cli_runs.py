"""Running ``soe-sim`` in a subprocess, as a user does, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def soe_sim(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``soe-sim ARGS`` in ``cwd``, with Hydra's short errors and a non-interactive backend."""
    full = {**os.environ, "MPLBACKEND": "Agg", "HYDRA_FULL_ERROR": "0", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )
