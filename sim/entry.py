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
