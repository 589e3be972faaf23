"""Running a configured simulation and writing its outputs atomically.

A run's folder holds, when complete: ``config.yaml`` (as composed by Hydra, when run from the
command line), ``config.json`` (the resolved typed config), ``timeseries.parquet``,
``groups.parquet``, ``entities_start.parquet``, ``entities_end.parquet``, ``events.parquet``,
``report_card.parquet`` and ``report_card.csv``, ``summary.json``, ``headline.png`` and
``report_card.png``. Files are staged in a hidden folder and renamed into place
only after all were written, so a crash leaves no half-written output; ``summary.json`` is renamed
last and marks a complete run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.runner import RunResult

HEADLINE = (
    "entities",
    "groups",
    "max_layer",
    "loss_making_share",
    "debt_ratio",
    "profit_ttm",
    "equity",
    "zombies",
    "idle_assets",
    "employees",
)
"""Indicators in the printed summary and in summary.json."""


def summary_table(ts: pd.DataFrame) -> pd.DataFrame:
    """Headline indicators at the start and the end of a run."""
    first, last = ts.iloc[0], ts.iloc[-1]
    return pd.DataFrame(
        {
            "indicator": HEADLINE,
            f"start ({first['date']})": [first[k] for k in HEADLINE],
            f"end ({last['date']})": [last[k] for k in HEADLINE],
        },
    ).set_index("indicator")


def summary(result: RunResult, command: str | None = None) -> dict[str, object]:
    """The content of summary.json: the command that reproduces the run (when known), config
    identity, headline start/end, targets met, event counts, timing."""
    ts, events, cfg = result.timeseries, result.events, result.config
    return {
        "command": command,
        "soe_sim_version": __version__,
        "seed": cfg.seed,
        "months": cfg.months,
        "start": ts["date"].iloc[0],
        "end": ts["date"].iloc[-1],
        "headline": {
            k: {"start": float(ts[k].iloc[0]), "end": float(ts[k].iloc[-1])} for k in HEADLINE
        },
        "policy": cfg.policy.name,
        "report_card": {
            "targets": len(result.report_card),
            "due_in_run": int(result.report_card["status"].isin(["met", "missed"]).sum()),
            "met": int(result.report_card["met"].sum()),
        },
        "events": {op: int(n) for op, n in events["op"].value_counts().sort_index().items()},
        "fates": {
            f: int(n)
            for f, n in events.loc[events["fate"] != "", "fate"].value_counts().sort_index().items()
        },
        "timing": {"run_seconds": round(result.seconds, 3)},
    }


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def write_outputs(
    result: RunResult, out_dir: Path, *, config_yaml: str | None = None, command: str | None = None
) -> list[Path]:
    """Write every output of a run into ``out_dir`` atomically; returns the final paths.

    ``command`` (the soe-sim command line that made the run) is recorded in summary.json.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = out_dir / f".staging-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    cfg = result.config
    try:
        if config_yaml is not None:
            (stage / "config.yaml").write_text(config_yaml, encoding="utf-8")
        (stage / "config.json").write_text(
            json.dumps(dataclasses.asdict(cfg), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        ts = result.timeseries
        _write_parquet(ts, stage / "timeseries.parquet")
        tables = {
            "groups": result.groups,
            "entities_start": result.entities_start,
            "entities_end": result.entities_end,
            "events": result.events,
        }
        for name, table in tables.items():
            if table is not None:
                _write_parquet(table, stage / f"{name}.parquet")
        card = result.report_card
        _write_parquet(card, stage / "report_card.parquet")
        card.to_csv(stage / "report_card.csv", index=False)
        if cfg.output.chart:
            from sim.plots import headline_figure, report_card_figure

            report_card_figure(
                card, f"Report card: policy '{cfg.policy.name}', seed {cfg.seed}"
            ).savefig(stage / "report_card.png", dpi=110)

            fig = headline_figure(
                ts,
                f"soe-sim: seed {cfg.seed}, {ts['date'].iloc[0]} to "
                f"{ts['date'].iloc[-1]}, policy '{cfg.policy.name}'",
            )
            fig.savefig(stage / "headline.png", dpi=110)
        (stage / "summary.json").write_text(
            json.dumps(summary(result, command), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        names = sorted(p.name for p in stage.iterdir() if p.name != "summary.json")
        final = []
        for name in [*names, "summary.json"]:
            os.replace(stage / name, out_dir / name)
            final.append(out_dir / name)
        return final
    finally:
        shutil.rmtree(stage, ignore_errors=True)
