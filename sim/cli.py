"""The ``soe-sim`` command: Hydra composes the config, the core runs it, outputs are written.

This and :mod:`sim.compose` are the only modules that import Hydra or OmegaConf; everything below
them takes plain dataclasses (:class:`sim.config.SimConfig`).
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

import sim
from sim.compose import compose_config, config_dir, to_sim_config
from sim.errors import SimInputError
from sim.outputs import summary_table, write_outputs
from sim.runner import run_simulation


def _remove_if_empty(out_dir: Path) -> None:
    with contextlib.suppress(OSError):
        out_dir.rmdir()
        out_dir.parent.rmdir()  # the date folder, if this was its only run


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="config")
def main(cfg: DictConfig) -> None:
    """Run one scenario and write its outputs to the Hydra output folder."""
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        config = to_sim_config(cfg)
        result = run_simulation(config)
        task = [o for o in HydraConfig.get().overrides.task if not o.startswith("hydra.")]
        command = " ".join(["soe-sim", *(shlex.quote(o) for o in task)])
        paths = write_outputs(result, out_dir, config_yaml=OmegaConf.to_yaml(cfg), command=command)
    except SimInputError as err:
        _remove_if_empty(out_dir)
        print(f"soe-sim: error: {err}", file=sys.stderr)
        sys.exit(2)
    table = summary_table(result.timeseries)
    print(
        f"soe-sim {sim.__version__}: policy '{config.policy.name}', seed {config.seed}, "
        f"{config.months} months, {result.entities_ever} entities ever, "
        f"{len(result.events)} events, "
        f"{result.seconds:.2f} s"
    )
    print(table.to_string(float_format=lambda v: f"{v:,.3f}"))
    card = result.report_card
    if not card.empty:
        due = card[card["status"].isin(["met", "missed"])]
        print(
            f"\nreport card (改革高分报表): {int(due['met'].sum())} of {len(due)} targets due "
            f"within the run met ({len(card) - len(due)} fall outside it)"
        )
        print(
            card.drop(columns=["indicator", "met"]).to_string(
                index=False, float_format=lambda v: f"{v:,.3f}"
            )
        )
    print(f"outputs: {out_dir} ({', '.join(p.name for p in paths)})")


def one_line(err: BaseException) -> str:
    """Hydra's and OmegaConf's multi-line messages folded into one line (search paths dropped)."""
    parts = []
    for exc in (err, err.__cause__):
        if exc is None:
            continue
        text = str(exc).split("Config search path:")[0]
        parts += [line.strip() for line in text.splitlines() if line.strip()]
    unique = list(
        dict.fromkeys(p for p in parts if not p.startswith(("object_type", "reference_type")))
    )
    return "; ".join(unique).replace(":; ", ": ")


def run() -> None:
    """The ``soe-sim`` entry point: a single run's overrides are checked first, so a bad value,
    an unknown key or an unknown scenario name gets one line and exit status 2; sweeps (``-m``),
    ``--help`` and other flags go straight to Hydra."""
    args = sys.argv[1:]
    if not any(a.startswith("-") for a in args):
        overrides = [a for a in args if not a.startswith(("hydra.", "hydra/", "+hydra", "~hydra"))]
        try:
            compose_config(*overrides)
        except SimInputError as err:
            print(f"soe-sim: error: {err}", file=sys.stderr)
            sys.exit(2)
        except (HydraException, OmegaConfBaseException) as err:
            print(f"soe-sim: error: {one_line(err)}", file=sys.stderr)
            sys.exit(2)
    main()


if __name__ == "__main__":
    run()
