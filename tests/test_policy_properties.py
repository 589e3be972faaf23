"""All rules together under random plans: invariants hold, every entity is traced, and the
month's capacity, the job cap and the run's budget are never exceeded.

With instant dispositions every decision completes in its month, so the caps bind the actions
themselves; with the default durations they bind the month's *decisions* (``decide`` events), and
completions follow later."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from worlds import INSTANT

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.invariants import check_invariants
from sim.model import SOEModel
from sim.policies.config import ConstraintParams, PolicyConfig
from sim.policies.decoupling import DecouplingParams
from sim.policies.dispositions import DisposalParams
from sim.policies.efficiency import EfficiencyParams
from sim.policies.loss_cutting import LossCuttingParams
from sim.policies.milestones import Milestone, SurgeParams
from sim.policies.quality import QualityParams
from sim.policies.registry import structural_families
from sim.policies.slimming import SlimmingParams

RULES = set(structural_families())


@st.composite
def plans(draw: st.DrawFn) -> PolicyConfig:
    rate = st.floats(0.0, 30.0)
    return PolicyConfig(
        name="random",
        order=draw(st.permutations(list(structural_families()))),
        loss_cutting=LossCuttingParams(enabled=draw(st.booleans()), per_month=draw(rate),
                                       turnaround_months=draw(st.integers(1, 4)),
                                       soft_budget=draw(st.sampled_from([-1.0, 0.0, 0.5]))),
        slimming=SlimmingParams(enabled=draw(st.booleans()), per_month=draw(rate),
                                max_layers=draw(st.integers(2, 5)),
                                sibling_below=draw(st.sampled_from([0.0, 500.0, 5000.0])),
                                entry_approval=draw(st.floats(0.0, 1.0))),
        quality=QualityParams(enabled=draw(st.booleans()),
                              small_assets=draw(st.sampled_from([0.0, 2000.0, 1e5])),
                              weak_roe=draw(st.sampled_from([-1.0, 0.02, 0.1])),
                              group_mergers_per_month=draw(st.floats(0.0, 3.0)),
                              max_core=draw(st.integers(1, 3)),
                              integrations_per_month=draw(rate),
                              merger_mode=draw(st.sampled_from(["absorb", "subsidiary"]))),
        efficiency=EfficiencyParams(enabled=draw(st.booleans())),
        decoupling=DecouplingParams(enabled=draw(st.booleans()), per_month=draw(rate)),
        constraints=ConstraintParams(capacity_per_month=draw(st.integers(0, 15)),
                                     budget=draw(st.sampled_from([0.0, 5.0, 50.0, 1e9])),
                                     jobs_per_month=draw(st.sampled_from([0, 50, 500, 10**9]))),
        surge=SurgeParams(enabled=draw(st.booleans()), factor=2.0),
        disposal=DisposalParams(**INSTANT) if draw(st.booleans()) else DisposalParams(),
        milestones=[Milestone(date="2024-03", targets={"entities_cut": 0.5, "groups": 1})],
    )  # fmt: skip


def primary_actions(model: SOEModel) -> np.ndarray:
    """Structural actions the rules took, by month (moves caused by another action excluded)."""
    ev = model.events.to_frame()
    ev = ev[
        ev["rule"].isin(RULES)
        & ev["op"].isin(["exit", "merge", "move"])
        & ~ev["reason"].str.startswith("parent ")
    ]
    return np.bincount(ev["month"], minlength=model.month + 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), seed=st.integers(0, 2**16), n=st.integers(20, 150))
def test_random_plans_keep_invariants_and_constraints(plan, seed, n):
    cfg = SimConfig(
        seed=seed,
        months=6,
        policy=plan,
        population=PopulationConfig(n_entities=n, entities_per_group=15),
        economy=EconomyConfig(entry_rate=0.3, soft_budget=0.5),
    )
    model = SOEModel(cfg)
    instant = plan.disposal.close_months == 0
    jobs_before = 0.0
    for _ in range(cfg.months):
        model.step()
        check_invariants(model)
        if instant:
            assert model.ledger.jobs_affected - jobs_before <= plan.constraints.jobs_per_month
        jobs_before = model.ledger.jobs_affected
    ev = model.events.to_frame()
    decisions = np.bincount(ev.loc[ev["op"] == "decide", "month"], minlength=model.month + 1)
    assert (primary_actions(model) <= plan.constraints.capacity_per_month).all() or not instant
    assert (decisions <= plan.constraints.capacity_per_month).all()
    if instant:
        assert model.ledger.restructuring_cost <= plan.constraints.budget + 1e-9
    # The budget's own accounting: what left it is what the ledger booked, plus what pending
    # decisions have committed (decided, not yet complete).
    pending = sum(d.committed for d in model.policy.decisions)
    spent = plan.constraints.budget - model.policy.budget_left
    assert model.ledger.restructuring_cost + pending == pytest.approx(spent, rel=1e-9, abs=1e-6)
    end = model.entity_table()
    assert (end["alive"] | (end["fate"] != "alive")).all()
