"""Consolidated statements (合并报表): intra-group items eliminate; moves in a group are neutral."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import five_entity_roster

from sim.config import PopulationConfig, SimConfig
from sim.metrics import Snapshot, group_table
from sim.model import SOEModel

G, A, B, A1, A2 = range(5)


def two_group_model() -> SOEModel:
    first = five_entity_roster()
    second = first.copy()
    second["id"] = "H" + second["id"]
    second["parent_id"] = np.where(second["parent_id"] == "", "", "H" + second["parent_id"])
    roster = pd.concat([first, second], ignore_index=True)
    roster = roster.sort_values("id", key=lambda s: s.str.len(), kind="stable")
    cfg = SimConfig(seed=3, population=PopulationConfig(source="roster", path="-"))
    from sim.population.roster import validate_roster

    return SOEModel(cfg, roster=validate_roster(roster.reset_index(drop=True)))


def groups_by_id(model: SOEModel) -> pd.DataFrame:
    table = group_table(Snapshot.take(model.state, model.baseline))
    ids = [model.state.ids[r] for r in table.pop("group_row").tolist()]
    return pd.DataFrame(table, index=ids)


def test_group_figures_are_sums_of_external_items(world):
    g = groups_by_id(world).loc["G"]
    assert g.assets == pytest.approx(1770.0)
    assert g.liabilities == pytest.approx(995.0)
    assert g.equity == pytest.approx(775.0)
    assert g.entities == 5 and g.max_layer == 3
    # Intra-group loans (A owes G 20, A1 owes A 5) are not in the consolidated figures.
    assert world.state.intra_loan.sum() == pytest.approx(25.0)


def test_move_within_group_changes_neither_assets_nor_equity(world):
    before = groups_by_id(world).loc["G"]
    world.move(A1, B, rule="test", reason="regroup")
    after = groups_by_id(world).loc["G"]
    assert after.assets == pytest.approx(before.assets)
    assert after.equity == pytest.approx(before.equity)
    assert world.state.intra_loan[A1] == pytest.approx(5.0)  # stays inside the group


def test_merge_within_group_changes_neither_assets_nor_equity(world):
    before = groups_by_id(world).loc["G"]
    world.merge(A1, A, rule="test", reason="absorb")
    after = groups_by_id(world).loc["G"]
    assert after.assets == pytest.approx(before.assets)
    assert after.equity == pytest.approx(before.equity)
    assert after.entities == 4
    # A1's loan from A cancels when A absorbs it.
    assert world.state.intra_loan[A] == pytest.approx(20.0)


def test_move_across_groups_transfers_the_subtree_at_book_value():
    model = two_group_model()
    before = groups_by_id(model)
    a = model.row_of("A")
    moved_equity = sum(model.state.assets[r] - model.state.liabilities[r] for r in model.subtree(a))
    model.move(a, model.row_of("HB"), rule="test", reason="professional integration")
    after = groups_by_id(model)
    assert after.loc["G", "equity"] == pytest.approx(before.loc["G", "equity"] - moved_equity)
    assert after.loc["HG", "equity"] == pytest.approx(before.loc["HG", "equity"] + moved_equity)
    # The equity base moves too, so the capital preservation ratio is unaffected by the transfer.
    assert after.loc["G", "capital_preservation"] == pytest.approx(1.0)
    assert after.loc["HG", "capital_preservation"] == pytest.approx(1.0)
    assert model.state.intra_loan[a] == 0.0  # loan from the old parent converted to equity
    assert model.state.layer[model.row_of("A1")] == 4


def test_group_merger_keeps_portfolio_totals_and_layers():
    model = two_group_model()
    totals = (model.state.assets.sum(), model.state.liabilities.sum())
    model.merge(model.row_of("HG"), model.row_of("G"), rule="test", reason="strategic")
    groups = groups_by_id(model)
    assert list(groups.index) == ["G"]
    assert groups.loc["G", "entities"] == 9
    assert (model.state.assets.sum(), model.state.liabilities.sum()) == pytest.approx(totals)
    assert model.state.layer[model.row_of("HA1")] == 3
    assert groups.loc["G", "capital_preservation"] == pytest.approx(1.0)
