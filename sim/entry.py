"""The console commands, cheap to start: ``--help`` imports neither Hydra nor the model.

``soe-sim`` is :func:`soe_sim` (the work is :func:`sim.cli.run`); ``soe-sim-report`` is
:func:`soe_sim_report` (:func:`sim.report.run`).
"""

from __future__ import annotations

import contextlib
import sys


def soe_sim() -> None:
    """``soe-sim``: ``--help`` prints :func:`sim.help.help_page`; anything else runs
    :func:`sim.cli.run`."""
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:
        from sim.help import help_page

        with contextlib.suppress(BrokenPipeError):  # `soe-sim --help | head`
            sys.stdout.write(help_page() + "\n")
            sys.stdout.flush()
        return
    from sim.cli import run

    run()


def soe_sim_report() -> None:
    """``soe-sim-report SWEEP_FOLDER``: charts and tables of a sweep's results store."""
    from sim.report import run

    run()


def soe_sim_dashboard() -> None:
    """``soe-sim-dashboard [--port N]``: the interactive dashboard (:mod:`sim.dashboard.app`)
    served by Solara on http://127.0.0.1:N (this machine only) until Ctrl+C. Without the
    ``dashboard`` extra it says how to get it and exits with status 2."""
    import argparse
    import importlib.util
    import os

    def port(text: str) -> int:
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, got {text!r}")
        return int(text)

    parser = argparse.ArgumentParser(
        prog="soe-sim-dashboard",
        description="Serve the interactive dashboard (scenarios, levers, live charts, "
        "milestones, ownership trees, zones) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=port, default=8765, help="port to serve on (8765)")
    args = parser.parse_args()
    if any(importlib.util.find_spec(m) is None for m in ("solara", "altair")):
        print("soe-sim-dashboard needs the dashboard extra (Mesa's SolaraViz): run "
              "`uv run --extra dashboard soe-sim-dashboard`", file=sys.stderr)  # fmt: skip
        sys.exit(2)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")  # no usage reports
    from sim.dashboard import assets

    if assets.missing():
        print("note: Solara fetches its browser files from a public CDN on first load; on a "
              "machine without it run `uv run python -m sim.dashboard.assets` first (uses npm)",
              file=sys.stderr)  # fmt: skip
    from solara.__main__ import cli

    print(f"soe-sim dashboard at http://127.0.0.1:{args.port} (Ctrl+C stops it)", flush=True)
    cli(["run", "sim.dashboard.app", "--host", "127.0.0.1", "--port", str(args.port),
         "--production", "--no-open", "--no-check-version"], prog_name="solara")  # fmt: skip
