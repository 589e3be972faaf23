"""The ``soe-sim-report`` command: charts and tables of a sweep's results store.

    soe-sim-report SWEEP_DIR [--reference NAME] [--dates YYYY-MM ...] [--indicators ...]
                   [--out DIR]

Reads the store a sweep wrote (:mod:`sim.store`) and writes into ``SWEEP_DIR/report/`` (or
``--out``) every chart as PNG and SVG, every table as CSV, and ``report.md`` (the files, the
headline table, the paired differences at the last month):

- ``fan``: median, 50% and 90% bands over replications per scenario and month;
- ``paired_differences``: each scenario minus the reference, replication by replication (every
  scenario of a sweep runs the same seeds), at the chosen dates: the mean difference with a 95%
  Student t interval for the mean, and the share of replications in which the plan is better
  (direction from :mod:`sim.outcomes`, ties counting half);
- ``target_chances``: the share of replications meeting each milestone target, among those in
  which the target falls within the run, with a Wilson 95% interval;
- ``trade_off``: jobs affected against profit gained, per replication;
- ``layers``: entities per management layer at month 0 and at the last month;
- ``fates``: entities that left (merged, deregistered, ...), mean per replication;
- ``headline``: each indicator at the last month, mean with its 95% t interval;
- ``failed_runs``: runs that failed, left out of every statistic.

The same steps are functions for notebooks: :func:`load`, :func:`settle`, :func:`tables`,
:func:`figures`, or :func:`make_report` for all of them. Bad input (a missing folder, no store,
an unknown reference or indicator, a date outside the run) gives one line
(``soe-sim-report: error: ...``) and exit status 2 with nothing written. The report is staged
and moved into place whole: an earlier report in the same folder is replaced.

This module imports neither Mesa nor Hydra; pandas and matplotlib are imported when needed, so
``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

PROG = "soe-sim-report"

DEFAULT_INDICATORS = (
    "entities",
    "operating_entities",
    "groups",
    "loss_making_share",
    "profit_ttm",
    "debt_ratio",
    "zombies",
    "jobs_affected",
    "restructuring_cost",
)
"""The headline indicators: fan charts, paired differences and the headline table."""

DEFAULT_REFERENCE = "no_reform"
LEVEL = 0.95
"""Confidence level of every interval."""

REPORT_FILE = "report.md"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_KEYS = ["scenario", "run_key", "seed", "replication"]
_CARD_COLUMNS = ["milestone", "target", "indicator", "sense", "target_value", "achieved", "met",
                 "status", "unit"]  # fmt: skip


class ReportError(ValueError):
    """Input the report cannot be made from (one line for the user)."""


@dataclass
class SweepData:
    """What a report reads from a store: finished runs only, the columns it needs."""

    folder: Path
    """The sweep folder (the report's default parent)."""
    root: Path
    """The store."""
    runs: pd.DataFrame
    """Every run: keys, status, error type and message."""
    timeseries: pd.DataFrame
    """The finished runs' indicators by month."""
    report_card: pd.DataFrame
    """The finished runs' milestone targets."""
    scenarios: list[str]
    """Scenarios with at least one finished run, sorted."""
    sweep_status: dict[str, Any] | None
    """The sweep folder's ``sweep.json``, when there is one."""
    reform_starts: dict[str, str] = field(default_factory=dict)
    """The first month the rules act, by scenario (scenarios with reform off left out)."""
    available: list[str] = field(default_factory=list)
    """The timeseries columns of the store."""

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]

    @property
    def dates(self) -> list[str]:
        return sorted(set(self.timeseries["date"]))


@dataclass(frozen=True)
class Settings:
    """The report's choices, checked against the store."""

    reference: str
    dates: list[str]
    indicators: list[str]
    notes: list[str] = field(default_factory=list)
    """What the reader should know (a reference chosen for want of the default, an incomplete
    sweep, failed runs)."""


def _needed_columns(available: Sequence[str], indicators: Sequence[str]) -> list[str]:
    from sim.analysis import layer_columns

    wanted = ["month", "date", *indicators, "jobs_affected", "profit_ttm"]
    wanted += layer_columns(list(available))
    return list(dict.fromkeys(c for c in [*_KEYS, *wanted] if c in available))


def _check_indicators(indicators: Sequence[str], available: Sequence[str]) -> None:
    from sim.outcomes import outcome

    for name in indicators:
        try:
            outcome(name)
        except KeyError:
            raise ReportError(
                f"unknown indicator {name!r}; indicators: {', '.join(sorted(_shown(available)))}"
            ) from None
        if name not in available:
            raise ReportError(f"indicator {name!r} is not in the store's timeseries")


def _shown(available: Sequence[str]) -> list[str]:
    from sim.outcomes import OUTCOMES

    return [c for c in available if c in OUTCOMES]


def load(path: Path | str, indicators: Sequence[str] = DEFAULT_INDICATORS) -> SweepData:
    """Read a sweep folder (or a store folder): the runs, and for the finished runs the
    timeseries columns the report needs and the report card. Raises :class:`ReportError`."""
    import pyarrow.parquet as pq

    from sim import store as st

    folder = Path(path)
    if not folder.exists():
        raise ReportError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise ReportError(f"not a folder: {folder}")
    try:
        root = st.store_root(folder)
    except st.StoreError as err:
        raise ReportError(str(err)) from None
    sweep_folder = folder if root != folder else root.parent
    runs = st.read(root, "runs", columns=[*_KEYS, "status", "error_type", "error_message"])
    if runs.empty:
        raise ReportError(f"the store {root} holds no runs")
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise ReportError(f"every run in {root} failed ({len(runs)} runs): nothing to report")
    series = st.files(root, "timeseries")
    if not series:
        raise ReportError(f"the store {root} holds no timeseries")
    available = list(pq.read_schema(series[0]).names)
    zone_files = st.files(root, "zones")
    zone_columns = [
        c for c in (pq.read_schema(zone_files[0]).names if zone_files else []) if c not in available
    ]
    _check_indicators(indicators, [*available, *zone_columns])

    ts = st.read(root, "timeseries", columns=_needed_columns(available, indicators))
    wanted = [c for c in indicators if c in zone_columns]
    if wanted:  # park indicators (zones.parquet), for the runs that simulate parks
        zones = st.read(root, "zones", columns=[*_KEYS, "month", *wanted])
        ts = ts.merge(zones, on=[*_KEYS, "month"], how="left")
        available = [*available, *wanted]
    cards = st.read(root, "report_card", columns=[*_KEYS, *_CARD_COLUMNS])
    pairs = set(zip(ok["scenario"], ok["run_key"], strict=True))

    def finished(frame: pd.DataFrame) -> pd.DataFrame:
        keep = [k in pairs for k in zip(frame["scenario"], frame["run_key"], strict=True)]
        return frame[keep].reset_index(drop=True)

    ts = finished(ts)
    if ts.empty:
        raise ReportError(f"the store {root} holds no timeseries of finished runs")
    return SweepData(
        folder=sweep_folder,
        root=root,
        runs=runs,
        timeseries=ts,
        report_card=finished(cards) if len(cards) else cards,
        scenarios=sorted(set(ts["scenario"])),
        sweep_status=_read_status(sweep_folder),
        reform_starts=_reform_starts(root, ok),
        available=available,
    )


def _read_status(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _reform_starts(root: Path, ok: pd.DataFrame) -> dict[str, str]:
    """The first month the rules act, per scenario, from one finished run's config."""
    import pyarrow.parquet as pq

    from sim.store import Store

    store = Store(root)
    starts = {}
    for scenario, g in ok.groupby("scenario", sort=True):
        try:
            table = pq.read_table(store.path("runs", str(scenario), g["run_key"].iloc[0]))
            config = json.loads(str(table.column("config")[0]))
        except (OSError, KeyError, ValueError):
            continue
        policy = config.get("policy") or {}
        if policy.get("reform", True):
            start = policy.get("start") or config.get("start")
            if isinstance(start, str):
                starts[str(scenario)] = start
    return starts


def default_dates(dates: Sequence[str]) -> list[str]:
    """The end of each calendar year within the run (month 0, the start state, left out) and
    the last month."""
    ordered = sorted(dates)
    if not ordered:
        return []
    within = ordered[1:]
    return sorted({*(d for d in within if d.endswith("-12")), ordered[-1]})


def settle(
    data: SweepData,
    reference: str | None = None,
    dates: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
) -> Settings:
    """Check the choices against the store and fill in the defaults (reference ``no_reform``,
    or the first scenario alphabetically; dates :func:`default_dates`; the headline
    indicators). Raises :class:`ReportError`."""
    notes = []
    if reference is None:
        if DEFAULT_REFERENCE in data.scenarios:
            reference = DEFAULT_REFERENCE
        else:
            reference = data.scenarios[0]
            notes.append(
                f"no scenario {DEFAULT_REFERENCE!r}: the reference is {reference!r}, the first "
                "scenario alphabetically"
            )
    elif reference not in data.scenarios:
        lost = set(data.failed["scenario"]) - set(data.scenarios)
        why = " (every run of it failed)" if reference in lost else ""
        raise ReportError(
            f"unknown reference {reference!r}{why}; scenarios: {', '.join(data.scenarios)}"
        )
    known = data.dates
    if dates:
        for date in dates:
            if not _MONTH.match(date):
                raise ReportError(f"date {date!r} is not a month YYYY-MM")
            if date not in known:
                raise ReportError(f"date {date} is outside the run ({known[0]} to {known[-1]})")
        chosen = sorted(set(dates))
    else:
        chosen = default_dates(known)
    chosen_indicators = list(dict.fromkeys(indicators or DEFAULT_INDICATORS))
    _check_indicators(chosen_indicators, list(data.timeseries.columns))
    status = data.sweep_status
    if status is not None and status.get("status") != "complete":
        expected = status.get("expected_runs")
        notes.append(
            f"sweep.json says the sweep is {status.get('status', 'of unknown status')}"
            + (f" ({len(data.runs)} of {expected} runs in the store)" if expected else "")
            + ": the report covers the runs in the store"
        )
    failed = data.failed
    if len(failed):
        notes.append(
            f"{len(failed)} failed run(s) left out of every statistic (see failed_runs.csv)"
        )
    return Settings(reference, chosen, chosen_indicators, notes)


def _fate_events(data: SweepData) -> pd.DataFrame:
    """The events of entities that left, one scenario at a time (four columns read)."""
    import pandas as pd

    from sim import store as st

    frames = []
    for scenario in sorted(set(data.ok["scenario"])):
        events = st.read(
            data.root,
            "events",
            columns=["scenario", "run_key", "replication", "fate"],
            scenarios=[scenario],
        )
        if "fate" in events:
            frames.append(events[events["fate"].fillna("") != ""])
    if not frames:
        return pd.DataFrame(columns=["scenario", "run_key", "replication", "fate"])
    return pd.concat(frames, ignore_index=True)


def tables(data: SweepData, settings: Settings) -> dict[str, pd.DataFrame]:
    """Every table of the report, by file name (without ``.csv``)."""
    import pandas as pd

    from sim import analysis

    ts = data.timeseries
    last = data.dates[-1]
    bands = pd.concat(
        [analysis.fan_bands(ts, name) for name in settings.indicators], ignore_index=True
    )
    paired = analysis.paired_differences(
        ts, settings.reference, settings.dates, settings.indicators, LEVEL
    )
    paired = paired[paired["n"] > 0].reset_index(drop=True)
    cards = data.report_card
    chances = (
        analysis.target_chances(cards, LEVEL)
        if len(cards)
        else analysis.target_chances(pd.DataFrame(columns=[*_KEYS, *_CARD_COLUMNS]))
    )
    failed = data.failed.sort_values(["scenario", "replication"]).reset_index(drop=True)
    return {
        "headline": analysis.summary_at(ts, last, settings.indicators, LEVEL),
        "fan_bands": bands,
        "paired_differences": paired,
        "target_chances": chances,
        "trade_off": analysis.trade_off(ts),
        "layers": analysis.layer_distribution(ts),
        "fates": analysis.fate_counts(_fate_events(data), data.ok),
        "failed_runs": failed,
    }


def _replications(data: SweepData) -> str:
    from sim.labels import plan_name, t

    n = data.timeseries.groupby("scenario")["run_key"].nunique()
    if n.min() == n.max():
        return t("{n} replications per scenario").format(n=int(n.min()))
    each = ", ".join(f"{plan_name(str(s))} {int(k)}" for s, k in n.items())
    return t("{low}-{high} replications ({each})").format(low=int(n.min()), high=int(n.max()),
                                                         each=each)  # fmt: skip


def figures(data: SweepData, settings: Settings,
            made: dict[str, pd.DataFrame]) -> dict[str, Figure]:  # fmt: skip
    """Every chart of the report, by file name (without extension), in the current language
    (:func:`sim.plots.language`)."""
    from sim import plots
    from sim.labels import t

    colours = plots.scenario_colours(
        [settings.reference, *(s for s in data.scenarios if s != settings.reference)],
        settings.reference,
    )
    reps = _replications(data)
    first, last = data.dates[0], data.dates[-1]
    starts = sorted(set(data.reform_starts.values()))
    out: dict[str, Figure] = {
        "fan": plots.fan_figure(
            made["fan_bands"],
            settings.indicators,
            colours,
            t(
                "Scenarios over time, {first} to {last}: median, 50% and 90% bands over {reps}"
            ).format(first=first, last=last, reps=reps),
            starts,
        )
    }
    paired = made["paired_differences"]
    if len(paired):
        out["paired_differences"] = plots.paired_figure(
            paired,
            colours,
            settings.reference,
            t(
                "Each plan minus {reference}, paired by replication: mean difference and {level} "
                "interval ({reps})"
            ).format(
                reference=plots.scenario_label(settings.reference),
                level=f"{LEVEL:.0%} t",
                reps=reps,
            ),
        )
    chances = made["target_chances"]
    if len(chances):
        out["target_chances"] = plots.target_chance_figure(
            chances,
            colours,
            t(
                "Chance of meeting each milestone target, with Wilson {level} interval ({reps})"
            ).format(level=f"{LEVEL:.0%}", reps=reps),
        )
    out["trade_off"] = plots.trade_off_figure(
        made["trade_off"],
        colours,
        t("Jobs affected against profit gained, {first} to {last}: one dot per replication").format(
            first=first, last=last
        ),
    )
    out["layers"] = plots.layer_figure(
        made["layers"],
        colours,
        t("Entities per management layer, mean over {reps}").format(reps=reps),
    )
    if len(made["fates"]):
        out["fates"] = plots.fates_figure(
            made["fates"],
            colours,
            t("Entities that left, by fate: mean per replication ({reps})").format(reps=reps),
        )
    return out


def _number(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _interval(mean: float, low: float, high: float, scale: float) -> str:
    text = _number(mean * scale)
    if low == low and high == high:
        text += f" [{_number(low * scale)}, {_number(high * scale)}]"
    return text


def _display_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it (a committed report
    names no machine's folders), else as it is."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(data: SweepData, settings: Settings, made: dict[str, pd.DataFrame],
             files: Sequence[str]) -> str:  # fmt: skip
    """``report.md``: what was read, the notes, the headline table, the paired differences at
    the last month, and the files."""
    from sim.plots import display, indicator_title, scenario_label

    last = data.dates[-1]
    head = made["headline"]
    order = [settings.reference, *(s for s in data.scenarios if s != settings.reference)]
    lines = [
        f"# Sweep report: {_display_path(data.folder)}",
        "",
        f"Store `{_display_path(data.root)}`: {len(data.runs)} runs, {len(data.ok)} finished, "
        f"{len(data.failed)} failed; {len(data.scenarios)} scenarios, {_replications(data)}; "
        f"months {data.dates[0]} to {last}. Reference: `{settings.reference}`.",
        "",
    ]
    if settings.notes:
        lines += [f"- **Note:** {note}" for note in settings.notes] + [""]
    lines += [
        f"## Headline: at {last}",
        "",
        f"Mean over replications [{LEVEL:.0%} Student t interval for the mean].",
        "",
    ]
    n = head.groupby("scenario")["n"].max()
    rows = [["replications", *(str(int(n.get(s, 0))) for s in order)]]
    for name in settings.indicators:
        shown = display(name)
        cells = []
        for scenario in order:
            row = head[(head["scenario"] == scenario) & (head["indicator"] == name)]
            if len(row):
                mean, low, high = (float(v) for v in row[["mean", "ci_low", "ci_high"]].iloc[0])
                cells.append(_interval(mean, low, high, shown.scale))
            else:
                cells.append("n/a")
        unit = "" if shown.integer else f" ({shown.unit})"
        rows.append([f"{indicator_title(name)}{unit}", *cells])
    lines += _markdown_table(["indicator", *(scenario_label(s) for s in order)], rows)
    paired = made["paired_differences"]
    paired = paired[paired["date"] == last]
    if len(paired):
        lines += [
            "",
            f"## Against {settings.reference} at {last}, paired by replication",
            "",
            f"Mean difference (plan minus reference) [{LEVEL:.0%} t interval]; share of "
            "replications in which the plan is better (ties count half).",
            "",
        ]
        rows = []
        for r in paired.to_dict("records"):
            shown = display(str(r["indicator"]))
            better = float(r["share_better"])
            rows.append(
                [
                    scenario_label(str(r["scenario"])),
                    f"{indicator_title(str(r['indicator']))} ({shown.diff_unit})",
                    _interval(r["mean_diff"], r["ci_low"], r["ci_high"], shown.scale),
                    "n/a" if better != better else f"{better:.0%}",
                    str(r["n"]),
                ]
            )
        lines += _markdown_table(["plan", "indicator", "difference", "better in", "n"], rows)
    failed = made["failed_runs"]
    if len(failed):
        lines += ["", "## Failed runs (left out of the statistics)", ""]
        rows = [
            [str(r.scenario), str(r.replication), str(r.seed), str(r.run_key),
             f"{r.error_type}: {r.error_message}"]
            for r in failed.itertuples()
        ]  # fmt: skip
        lines += _markdown_table(["scenario", "replication", "seed", "run key", "error"], rows)
    lines += ["", "## Files", ""]
    lines += [f"- [{name}]({name})" for name in files]
    lines += [
        "",
        "Bands and the 5th/95th percentiles interpolate linearly between replications. Money in "
        "bn yuan, shares in % (differences in percentage points), people in thousands; the CSV "
        "files keep the model's units (mn yuan, shares as fractions), named in their `unit` "
        "column.",
        "",
    ]
    return "\n".join(lines)


def _check_out(out: Path) -> None:
    """An output folder is new, empty, or an earlier report (it is replaced)."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / REPORT_FILE).exists():
        raise ReportError(f"--out {out} holds files that are not a report; choose another folder")


def write(out: Path, made: dict[str, pd.DataFrame], charts: dict[str, Figure],
          text: Any) -> list[str]:  # fmt: skip
    """Write the tables (CSV), charts (PNG and SVG) and ``report.md`` (``text(files)``) into a
    staging folder beside ``out``, then put it in place of ``out``; returns the file names."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        names = []
        for name, frame in made.items():
            frame.to_csv(stage / f"{name}.csv", index=False)
            names.append(f"{name}.csv")
        for name, fig in charts.items():
            for ext in ("png", "svg"):
                fig.savefig(stage / f"{name}.{ext}", dpi=120 if ext == "png" else None)
                names.append(f"{name}.{ext}")
        names.sort()
        (stage / REPORT_FILE).write_text(text(names), encoding="utf-8")
        names.insert(0, REPORT_FILE)
        if out.exists():
            old = out.with_name(f".{out.name}.{os.getpid()}.old")
            os.replace(out, old)
            os.replace(stage, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return names


@dataclass(frozen=True)
class Report:
    """A written report."""

    out: Path
    files: list[str]
    settings: Settings


def make_report(
    path: Path | str,
    *,
    reference: str | None = None,
    dates: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
    out: Path | str | None = None,
    lang: str = "en",
) -> Report:
    """Read the store, check the choices, and write the report into ``out`` (default:
    ``<sweep folder>/report``), its charts and table headers in ``lang`` (``en`` or ``zh``).
    Raises :class:`ReportError` before writing anything."""
    from sim.plots import FontMissingError, language

    chosen = list(dict.fromkeys(indicators or DEFAULT_INDICATORS))
    data = load(path, chosen)
    settings = settle(data, reference, dates, chosen)
    target = Path(out) if out is not None else data.folder / "report"
    _check_out(target)
    made = tables(data, settings)
    try:
        with language(lang):
            charts = figures(data, settings, made)
            files = write(target, made, charts, lambda names: markdown(data, settings, made, names))
    except FontMissingError as err:
        raise ReportError(str(err).replace("soe-sim output.lang=zh", f"{PROG} --lang zh")) from None
    return Report(target.resolve(), files, settings)


class _Parser(argparse.ArgumentParser):
    """argparse with errors on one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        _fail(message)


def _fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Charts and tables of a sweep's results store (soe-sim -m ...): fan "
        "charts, paired differences against a reference with 95% t intervals, chances of "
        "meeting the milestone targets (Wilson intervals), jobs against profit, management "
        "layers, fates of entities, failed runs.",
    )
    p.add_argument("sweep_dir", metavar="SWEEP_DIR", help="a sweep folder (or its store/)")
    p.add_argument(
        "--reference",
        metavar="NAME",
        help=f"scenario the others are compared with (default {DEFAULT_REFERENCE}, else the "
        "first scenario alphabetically)",
    )
    p.add_argument(
        "--dates",
        nargs="+",
        metavar="YYYY-MM",
        help="months of the paired differences (default: the end of each calendar year in the "
        "run, and the last month)",
    )
    p.add_argument(
        "--indicators",
        nargs="+",
        metavar="NAME",
        help=f"indicators of the fan charts and tables (default: {' '.join(DEFAULT_INDICATORS)})",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: SWEEP_DIR/report)")
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of the charts and table headers (zh needs the extra 'zh': "
        f"uv run --extra zh {PROG} --lang zh ...)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """The command; returns the exit status (2: bad input, nothing written)."""
    args = parser().parse_args(argv)
    try:
        report = make_report(
            args.sweep_dir,
            reference=args.reference,
            dates=args.dates,
            indicators=args.indicators,
            out=args.out,
            lang=args.lang,
        )
    except ReportError as err:
        _fail(str(err))
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        _fail(f"cannot write the report: {err.strerror or err}{where}")
    except ValueError as err:  # e.g. a store whose scenario holds two runs per replication
        _fail(f"cannot report {args.sweep_dir}: {str(err).splitlines()[0]}")
    for note in report.settings.notes:
        print(f"{PROG}: warning: {note}", file=sys.stderr)
    print(f"report: {report.out}")
    for name in report.files:
        print(f"  {name}")
    return 0


def run() -> None:
    """Entry point of ``soe-sim-report``."""
    sys.exit(main())


__all__ = [
    "DEFAULT_INDICATORS",
    "Report",
    "ReportError",
    "Settings",
    "SweepData",
    "default_dates",
    "figures",
    "load",
    "main",
    "make_report",
    "markdown",
    "parser",
    "run",
    "settle",
    "tables",
    "write",
]

if __name__ == "__main__":
    run()
