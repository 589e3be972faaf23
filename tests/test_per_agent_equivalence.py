"""The per-agent reference economy (benchmarks/per_agent.py) equals the vectorised core.

The benchmark compares the speed of the two implementations; this test proves they do the same
work: on a synthetic population without entries or exits, month by month for two years, every
entity's balance sheet, flows, keyed entity shocks, soft-budget support and zombie flag, and the
portfolio totals, agree to rounding. Nothing here is timed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.model import SOEModel

RTOL = 1e-9
MONTHS = 24


def _load_per_agent() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "per_agent.py"
    spec = importlib.util.spec_from_file_location("benchmarks_per_agent", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


per_agent = _load_per_agent()

FLOAT_FIELDS = (
    "cash",
    "assets",
    "liabilities",
    "intra_loan",
    "profit",
    "revenue",
    "operating_cost",
    "overhead",
    "interest",
    "support",
    "profit_ewm",
    "ebit_ewm",
    "interest_ewm",
    "idio",
)


def _config(seed: int) -> SimConfig:
    return SimConfig(
        seed=seed,
        months=MONTHS,
        population=PopulationConfig(source="synthetic", n_entities=300),
        economy=EconomyConfig(
            entry_rate=0.0, bankruptcy_hazard=0.0, zombie_exit_rate=0.0, zombie_recovery_rate=0.0
        ),
    )


def _assert_same_month(vec: SOEModel, agents: per_agent.PerAgentModel) -> None:
    st, mine = vec.state, agents.arrays()
    month = vec.month
    for name in FLOAT_FIELDS:
        np.testing.assert_allclose(
            mine[name],
            getattr(st, name),
            rtol=RTOL,
            atol=0.0,
            err_msg=f"{name} differs in month {month}",
        )
    np.testing.assert_allclose(
        mine["profit_hist"],
        st.profit_hist,
        rtol=RTOL,
        atol=0.0,
        err_msg=f"profit history differs in month {month}",
    )
    np.testing.assert_array_equal(
        mine["zombie"], st.zombie, err_msg=f"zombie flags differ in month {month}"
    )
    np.testing.assert_array_equal(
        mine["since_support"],
        st.since_support,
        err_msg=f"months since support differ in month {month}",
    )


@pytest.mark.parametrize("seed", [3, 11])
def test_per_agent_economy_matches_vectorised_core(seed):
    cfg = _config(seed)
    vec = SOEModel(cfg)
    agents = per_agent.PerAgentModel(cfg)
    assert len(agents.agents) == vec.state.n == 300
    _assert_same_month(vec, agents)
    for _ in range(MONTHS):
        vec.step()
        agents.step()
        assert agents.month == vec.month
        _assert_same_month(vec, agents)

    # the comparison exercised the soft budget and the zombie rule, not only the P&L
    ts_vec, ts_agents = vec.timeseries(), agents.timeseries()
    assert ts_vec["support"].sum() > 0
    assert ts_vec["zombies"].iloc[-1] > 0
    assert vec.state.intra_loan.sum() > 0
    assert not vec.events.to_frame().shape[0], "no structural events without entry and exit"

    assert len(ts_agents) == len(ts_vec) == MONTHS + 1
    np.testing.assert_array_equal(ts_agents["month"], ts_vec["month"])
    for name in per_agent.TOTALS:
        np.testing.assert_allclose(
            ts_agents[name], ts_vec[name], rtol=RTOL, atol=0.0, err_msg=f"portfolio {name} differs"
        )


def test_per_agent_model_copied_mid_run_continues_with_the_same_keyed_shocks():
    vec = SOEModel(_config(7))
    vec.run_for(5)
    agents = per_agent.PerAgentModel.from_soe_model(vec)
    assert agents.month == vec.month == 5
    for _ in range(4):
        vec.step()
        agents.step()
        _assert_same_month(vec, agents)


def test_per_agent_model_copies_a_vectorised_model_without_sharing_state():
    vec = SOEModel(_config(5))
    agents = per_agent.PerAgentModel.from_soe_model(vec)
    cash = vec.state.cash.copy()
    agents.step()
    np.testing.assert_array_equal(vec.state.cash, cash)
    vec.step()
    np.testing.assert_allclose(agents.arrays()["cash"], vec.state.cash, rtol=RTOL, atol=0.0)
