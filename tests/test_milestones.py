"""Relative milestone targets (a share of the population's own start) and the note a run on
another population than Chongqing's gets for absolute targets."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_runs import soe_sim

from sim.compose import compose_config
from sim.errors import ConfigError
from sim.policies.config import PolicyConfig
from sim.policies.milestones import (
    TARGETS,
    Milestone,
    absolute_scale_targets,
    report_card,
    resolve_milestones,
)
from sim.runner import run_simulation

START = {"groups": 51, "gov_function_entities": 314, "idle_assets": 200_000.0, "zones": 106}


def test_a_relative_target_is_a_share_of_the_start_whole_for_counts():
    ms = Milestone(date="2024-12", relative={"groups": 0.75, "decoupled": 0.5,
                                             "assets_revitalised": 0.4})  # fmt: skip
    resolved = ms.resolve(START)
    assert resolved.targets == {"groups": 38.0, "decoupled": 157.0, "assets_revitalised": 80_000.0}
    assert resolved.relative == {}
    # at most 75% of 51 groups = 38.25: at most 38; at least 20% of 314 = 62.8: at least 63
    assert Milestone(date="2024-12", relative={"decoupled": 0.2}).resolve(START).targets == {
        "decoupled": 63.0
    }
    # a share that lands on a whole number is that number, not one off by rounding error
    assert TARGETS["groups"].threshold(0.9412, START) == 48.0
    assert TARGETS["decoupled"].threshold(0.1910, START) == 60.0


def test_the_chongqing_preset_resolves_to_its_absolute_figures_on_the_chongqing_start():
    cfg = compose_config()
    result = run_simulation(compose_config("months=7"))
    card = result.report_card.set_index(["milestone", "target"])["target_value"]
    expected = {("2024-03", "groups"): 48, ("2024-06", "groups"): 44, ("2024-12", "groups"): 38,
                ("2024-03", "decoupled"): 60, ("2024-06", "decoupled"): 120,
                ("2024-12", "decoupled"): 200, ("2024-06", "zones"): 50,
                ("2024-06", "management_bodies"): 48}  # fmt: skip
    for key, value in expected.items():
        assert card[key] == value, key
    assert cfg.milestone_notes() == []  # written for this start: nothing to say


def test_relative_targets_follow_the_population():
    small = ("population=synthetic", "population.n_entities=400", "months=4", "parks=none")
    result = run_simulation(compose_config(*small))
    groups = int(result.timeseries["groups"].iloc[0])
    card = result.report_card.set_index(["milestone", "target"])["target_value"]
    assert card[("2024-03", "groups")] == int(0.9412 * groups + 1e-9)
    assert card[("2024-03", "groups")] < 48  # not Chongqing's 48 groups


def test_relative_targets_are_checked():
    with pytest.raises(ConfigError, match=r"2024-06\.relative\.max_layer must be a target with "):
        Milestone(date="2024-06", relative={"max_layer": 0.5})
    with pytest.raises(ConfigError, match=r"relative\.groups must be set once"):
        Milestone(date="2024-06", targets={"groups": 40}, relative={"groups": 0.8})
    with pytest.raises(ConfigError, match=r"relative\.nope must be one of"):
        Milestone(date="2024-06", relative={"nope": 0.8})
    with pytest.raises(ConfigError, match=r"groups must be set once per date"):
        PolicyConfig(milestones=[Milestone(date="2024-06", targets={"groups": 40}),
                                 Milestone(date="2024-06", relative={"groups": 0.8})])  # fmt: skip
    with pytest.raises(ValueError, match="resolve them first"):
        report_card(pd.DataFrame({"month": [0]}), [Milestone(relative={"groups": 0.8})], "2024-01")


def test_the_report_card_lists_targets_in_one_order_whatever_the_config_order():
    ts = pd.DataFrame({"month": [0, 1], "groups": [51, 50], "decoupled": [0, 9],
                       "loss_making_share": [0.3, 0.2]})  # fmt: skip
    a = [
        Milestone(date="2024-01", targets={"decoupled": 5, "groups": 50, "loss_making_share": 0.3})
    ]
    b = [
        Milestone(date="2024-01", targets={"loss_making_share": 0.3, "groups": 50, "decoupled": 5})
    ]
    assert list(report_card(ts, a, "2024-01")["target"]) == ["groups", "loss_making_share",
                                                             "decoupled"]  # fmt: skip
    pd.testing.assert_frame_equal(report_card(ts, a, "2024-01"), report_card(ts, b, "2024-01"))


def test_resolving_leaves_absolute_milestones_alone_and_needs_a_start_for_relative_ones():
    absolute = [Milestone(targets={"groups": 40})]
    assert resolve_milestones(absolute, None) is absolute
    with pytest.raises(ValueError, match="month-0"):
        resolve_milestones([Milestone(relative={"groups": 0.5})], None)
    assert absolute_scale_targets(absolute) == ["2024-12 groups <= 40"]
    assert absolute_scale_targets([Milestone(targets={"assets_revitalised": 800.0})]) == [
        "2024-12 assets_revitalised >= 800 mn yuan"
    ]
    assert absolute_scale_targets([Milestone(targets={"entities_cut": 0.5})]) == []  # a share


def test_a_run_on_another_population_says_which_targets_are_chongqing_figures(tmp_path):
    out = tmp_path / "run"
    proc = soe_sim("population=synthetic", "population.n_entities=300", "months=2",
                   f"hydra.run.dir={out}", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    note = [line for line in proc.stdout.splitlines() if line.startswith("note: ")]
    assert len(note) == 1 and "2024-03 assets_revitalised >= 30,000 mn yuan" in note[0]
    assert "groups" not in note[0]  # relative in the preset: it fits this population
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["notes"] == [note[0].removeprefix("note: ")]
    proc = soe_sim("months=2", f"hydra.run.dir={tmp_path / 'cq'}", cwd=tmp_path)
    assert "note: " not in proc.stdout  # the Chongqing start: nothing to say


def test_rows_follow_one_order_across_milestones_of_one_date():
    ts = pd.DataFrame({"month": [0, 1], "groups": [51, 50], "decoupled": [0, 9]})
    one = Milestone(date="2024-01", targets={"decoupled": 5})
    two = Milestone(date="2024-01", targets={"groups": 50})
    a = report_card(ts, [one, two], "2024-01")
    b = report_card(ts, [two, one], "2024-01")
    assert list(a["target"]) == ["groups", "decoupled"]
    pd.testing.assert_frame_equal(a, b)


def test_a_relative_target_without_a_base_is_refused_before_the_run():
    ms = Milestone(date="2024-06", relative={"tax_per_mu": 1.1})
    with pytest.raises(ConfigError, match=r"parks\.milestones\.2024-06\.relative\.tax_per_mu "
                       r"cannot be resolved.*tax_per_mu at month 0, is nan"):  # fmt: skip
        resolve_milestones([ms], {"tax_per_mu": float("nan")}, "parks.milestones")
    zero = resolve_milestones(
        [Milestone(relative={"decoupled": 0.5})], {"gov_function_entities": 0}
    )
    assert zero[0].targets == {"decoupled": 0.0}  # a share of nothing: at least nothing


def test_a_duplicate_relative_target_is_named_as_relative():
    with pytest.raises(ConfigError, match=r"2024-06\.relative\.groups must be set once per date"):
        PolicyConfig(milestones=[Milestone(date="2024-06", targets={"groups": 40}),
                                 Milestone(date="2024-06", relative={"groups": 0.8})])  # fmt: skip
