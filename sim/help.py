"""``soe-sim --help``: the config groups and every parameter, from their declarations.

Kept apart from :mod:`sim.cli` so that printing the help imports neither Hydra nor the model
(:mod:`sim.entry` answers ``--help`` before importing anything else).
"""

from __future__ import annotations

from pathlib import Path

from sim import config_dir
from sim.config import SimConfig
from sim.params import help_text

HELP_HEADER = """\
soe-sim: agent-based simulation of state-owned enterprise restructuring
(Chongqing 2024 三攻坚一盘活: 止损、瘦身、提质、增效).

Runs one scenario and writes timeseries, groups, entities, events, report card, summary.json
and charts into the run's own output folder. A sweep (-m, a named sweep=..., or replications=N)
writes one results store (store/ in the sweep folder) instead; rerun it to resume.

Usage: soe-sim [-m] [GROUP=OPTION ...] [KEY=VALUE ...]
"""

HELP_FOOTER = """\
Examples:
  soe-sim                                   # default scenario (Chongqing end-2023 start)
  soe-sim policy=no_reform months=12        # the counterfactual, scored against the milestones
  soe-sim population=synthetic population.n_entities=100000 months=36 seed=7
  soe-sim population=roster population.path=my_roster.csv
  soe-sim -m 'seed=range(0,20)'             # 20 seeded runs (quote the parentheses in a shell)
  soe-sim -m policy=no_reform,chongqing_2024 replications=50 workers=0   # paired replications
  soe-sim parks=strict_mujun                # another park plan (parks=none: SOEs only)
  soe-sim sweep=compare_plans               # a named sweep from configs/sweep/
  soe-sim sweep=compare_parks               # the park plans, 20 paired replications each
  soe-sim-report multirun/DATE/TIME         # a sweep's charts and tables
  soe-sim output.lang=zh                    # Chinese charts and summary (uv run --extra zh ...)
  soe-sim-dashboard                         # the dashboard on 127.0.0.1:8765 (--extra dashboard)
Money is in million yuan. Roster schema: README.md, "Roster files". Hydra's own flags:
soe-sim --hydra-help.
"""


def help_page() -> str:
    """``soe-sim --help``: the config groups and their options, then every parameter with its
    default, kind, unit, range and meaning (from the parameter declarations)."""
    root = Path(config_dir())
    groups = sorted(p for p in root.iterdir() if p.is_dir())
    lines = [HELP_HEADER, "Config groups (GROUP=OPTION):"]
    for group in groups:
        options = sorted(f.stem for f in group.glob("*.yaml"))
        lines.append(f"  {group.name}: {', '.join(options)}")
    lines += ["", "Parameters (KEY=DEFAULT  (kind unit [range])):", help_text(SimConfig), ""]
    return "\n".join([*lines, HELP_FOOTER])
