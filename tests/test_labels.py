"""Charts, tables and the printed summary in English or Chinese (output.lang): every chart renders
in Chinese without a missing glyph and without an untranslated phrase, every indicator and shipped
plan has a display name, and a missing Chinese font is one clear message."""

from __future__ import annotations

import re
import string
import warnings
from pathlib import Path

import pandas as pd
import pytest
from cli_runs import soe_sim
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim import labels, plots
from sim.analysis import bands, target_probability
from sim.compose import compose_config
from sim.errors import ConfigError
from sim.outcomes import OUTCOMES, SWEEP_OBJECTIVES
from sim.outputs import park_targets, reform_start
from sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def result():
    """A short run of the shipped Chongqing start with the park reform: every chart has data."""
    return run_simulation(compose_config("months=8"))


def texts(fig: Figure) -> list[str]:
    fig.canvas.draw()  # tick labels exist only once drawn
    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def render(fig: Figure, tmp_path: Path, name: str) -> list[str]:
    """Draw and save ``fig``, with matplotlib's missing-glyph warning as an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        shown = texts(fig)
        fig.savefig(tmp_path / f"{name}.png", dpi=60)
    return shown


def single_run_figures(result) -> dict[str, Figure]:
    ts, card = result.timeseries, result.report_card
    return {
        "headline": plots.headline_figure(ts, labels.t("Report card"), card, reform_start(result)),
        "report_card": plots.report_card_figure(card, labels.t("Report card")),
        "parks": plots.parks_figure(result.zones, "t", park_targets(result)),
    }


def test_every_indicator_and_shipped_plan_has_a_display_name_in_both_languages():
    for name in [*OUTCOMES, *SWEEP_OBJECTIVES]:
        en, zh = labels.INDICATORS[name]
        assert en and CJK.search(zh), name
    shipped = {p.stem for group in ("policy", "parks", "economy")
               for p in (ROOT / "configs" / group).glob("*.yaml")}  # fmt: skip
    assert shipped <= set(labels.PLANS), shipped - set(labels.PLANS)
    with labels.language("zh"):
        assert labels.plan_name("strict_mujun") == "从严亩均评价"
        assert labels.indicator_name("layer_3") == "第3级企业数"
        assert labels.plan_name("my_plan") == "my plan"  # not shipped: the name, readable
    assert labels.plan_name("strict_mujun") == "Strict per-mu evaluation"


def test_translations_keep_their_placeholders():
    fields = string.Formatter()
    for en, zh in labels.ZH.items():
        names = {f for _, f, _, _ in fields.parse(en) if f}
        assert names == {f for _, f, _, _ in fields.parse(zh) if f}, en


def test_the_language_is_scoped_and_checked():
    assert labels.current() == "en"
    with labels.language("zh"):
        assert labels.t("Report card") == "改革成绩单"
    assert labels.t("Report card") == "Report card"
    with pytest.raises(ValueError, match="en"), labels.language("fr"):
        pass


def test_english_charts_name_indicators_and_mark_targets_and_the_reform_start(result, tmp_path):
    figs = single_run_figures(result)
    headline = render(figs["headline"], tmp_path, "headline")
    for name in plots.HEADLINE_INDICATORS:
        assert labels.INDICATORS[name][0] in headline
    assert "reform start" in headline and "target: missed" in headline
    assert "≤ 48 groups" in headline  # the 2024-03 groups target on the groups panel
    assert not any("_" in text for text in headline)  # no identifiers
    card = render(figs["report_card"], tmp_path, "card")
    assert "2024-03  Groups" in card
    assert any(text.startswith("achieved 51 groups, target ≤ 48 groups: missed") for text in card)
    assert any("target ≥" in text and "after the run" in text for text in card)  # 2024-12


def test_counts_get_integer_ticks_and_money_separators():
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    ts = pd.DataFrame({"date": months, "groups": [51, 50, 50, 49, 49, 48]})
    fig = Figure()
    ax = fig.subplots()
    plots.plot_indicator(ts, ax, "groups")
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert plots.display("profit_ttm").format(33_400.0) == "33.4 bn yuan a year"
    assert plots.display("idle_assets").format(204_558_676.0) == "204,559 bn yuan"
    assert plots.display("loss_making_share").format(0.3) == "30.0%"
    with labels.language("zh"):
        assert plots.display("assets_revitalised").format(121_101.7) == "1,211 亿元"
        assert plots.display("tax_per_mu").format(18.98) == "19.0 万元/亩/年"


def test_every_chart_renders_in_chinese_without_a_missing_glyph(result, tmp_path):
    labels.MISSING.clear()
    with plots.language("zh"):
        figs = single_run_figures(result)
        ts = result.timeseries.assign(scenario="chongqing_2024")
        fan = Figure()
        plots.plot_fan(
            bands(ts, "loss_making_share"), fan.subplots(), indicator="loss_making_share"
        )
        figs["fan"] = fan
        chances = target_probability(result.report_card.assign(scenario="chongqing_2024"))
        figs["target_chances"] = Figure()
        plots.plot_target_chances(chances, figs["target_chances"].subplots(), seeds=1)
        for name, fig in figs.items():
            shown = render(fig, tmp_path, name)
            assert any(CJK.search(text) for text in shown), name
            latin = {w for text in shown for w in LATIN_WORD.findall(text)}
            assert not latin - {"chongqing"}, (name, latin)
    assert not labels.MISSING, sorted(labels.MISSING)


def test_the_sweep_report_renders_in_chinese(tmp_path):
    from sim import report as rp
    from sim import sweep

    runs = [spec for plan in ("no_reform", "chongqing_2024")
            for spec in sweep.specs(compose_config(f"policy={plan}", "population=synthetic",
                                                   "population.n_entities=300", "months=6",
                                                   "replications=2"), plan)]  # fmt: skip
    sweep.execute(runs, tmp_path / "sweep" / "store")
    labels.MISSING.clear()
    data = rp.load(tmp_path / "sweep")
    settings = rp.settle(data)
    made = rp.tables(data, settings)
    with plots.language("zh"):
        charts = rp.figures(data, settings, made)
        for name, fig in charts.items():
            shown = render(fig, tmp_path, name)
            latin = {w for text in shown for w in LATIN_WORD.findall(text)}
            assert not latin - {"Wilson"}, (name, latin)
    assert not labels.MISSING, sorted(labels.MISSING)
    report = rp.make_report(tmp_path / "sweep", out=tmp_path / "report", lang="zh")
    assert (report.out / "fan.png").is_file()


def test_the_printed_summary_is_chinese_with_output_lang_zh(tmp_path):
    out = tmp_path / "run"
    proc = soe_sim("months=4", "output.lang=zh", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "改革成绩单：模拟期内到期目标" in proc.stdout
    assert "亏损面" in proc.stdout and "期初（2023-12）" in proc.stdout
    assert "≤ 48 家" in proc.stdout  # the 2024-03 groups target, in display units
    assert (out / "headline.png").is_file() and (out / "parks.png").is_file()


def hide_the_font(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``mplfonts`` (the zh extra) cannot be imported nor found."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['mplfonts'] = None\n")
    return {"PYTHONPATH": str(site)}


def test_a_missing_chinese_font_is_one_line_exit_2_and_nothing_written(tmp_path):
    out = tmp_path / "run"
    env = hide_the_font(tmp_path)
    proc = soe_sim("months=2", "output.lang=zh", f"hydra.run.dir={out}", cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert "uv run --extra zh soe-sim output.lang=zh" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not out.exists()
    proc = soe_sim("months=2", f"hydra.run.dir={out}", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr  # English needs no extra


def test_a_missing_chinese_font_is_refused_in_python_too(monkeypatch):
    import importlib.util
    import sys

    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "mplfonts" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigError, match="extra 'zh'"):
        compose_config("output.lang=zh")
    monkeypatch.setitem(sys.modules, "mplfonts", None)
    plots.cjk_font.cache_clear()
    try:
        with pytest.raises(plots.FontMissingError, match="--extra zh"), plots.language("zh"):
            pass
    finally:
        plots.cjk_font.cache_clear()
