"""Agents created in bulk (:meth:`sim.model.Entity.create_rows`) are Mesa agents like any other.

The start population and the entities founded in a run are registered in one pass rather than
through ``Agent.__init__`` one by one. These tests build the same model both ways (a model that
observes Mesa's ``AGENT_ADDED`` signal gets its agents the ordinary way) and check that the
registry, the unique ids, the agents' attributes and the ownership tree come out the same, and
that removing an agent works on either.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from mesa.experimental.mesa_signals import ModelSignals
from mesa.experimental.mesa_signals.signals_util import Message

from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.model import Entity, SOEModel
from sim.population.synthetic import generate

MONTHS = 4


class ObservedModel(SOEModel):
    """An SOE model with an ``AGENT_ADDED`` observer from before the first agent is made."""

    def _load(self, roster: pd.DataFrame | None) -> None:
        self.added: list[mesa.Agent] = []
        self.observe("agents", ModelSignals.AGENT_ADDED, self._on_added)
        super()._load(roster)

    def _on_added(self, signal: Message) -> None:
        self.added.append(signal.additional_kwargs["args"][0])


def _config(seed: int = 3) -> tuple[SimConfig, pd.DataFrame]:
    pop = PopulationConfig(n_entities=400, n_groups=7)
    economy = EconomyConfig(entry_rate=0.6)  # plenty of entries in a few months
    config = SimConfig(seed=seed, population=pop, economy=economy, months=MONTHS)
    return config, generate(pop, np.random.default_rng(seed))


def _both() -> tuple[SOEModel, ObservedModel]:
    config, roster = _config()
    return SOEModel(config, roster=roster.copy()), ObservedModel(config, roster=roster.copy())


def _agent_view(agent: Entity) -> tuple[object, ...]:
    attrs = {k: v for k, v in vars(agent).items() if k not in ("model", "children")}
    return (
        type(agent),
        agent.unique_id,
        agent.row,
        agent.pos,
        tuple(vars(agent)),  # attribute order: the same key table as Agent.__init__ gives
        tuple(attrs.items()),
        tuple(child.row for child in agent.children),
    )


def _registry(model: SOEModel) -> tuple[object, ...]:
    return (
        [a.unique_id for a in model.agents],
        [a.unique_id for a in model.agents_by_type[Entity]],
        list(model.agents_by_type),
        model.agent_id_counter,
    )


def _assert_same(fast: SOEModel, plain: SOEModel) -> None:
    assert _registry(fast) == _registry(plain)
    assert [_agent_view(a) for a in fast._entities] == [_agent_view(a) for a in plain._entities]
    assert all(a.model is fast for a in fast._entities)


def test_the_ordinary_path_is_taken_when_someone_observes_agent_added():
    fast, plain = _both()
    assert plain.added == plain._entities  # one signal per agent, in order
    assert fast.agents_by_type[Entity] is not plain.agents_by_type[Entity]


def test_bulk_agents_match_agents_made_one_by_one():
    fast, plain = _both()
    n = fast.n_start
    assert [a.row for a in fast._entities] == list(range(n))
    assert [a.unique_id for a in fast._entities] == list(range(1, n + 1))
    assert len(fast.agents) == len(fast.agents_by_type[Entity]) == n
    assert all(isinstance(a, mesa.Agent) and a in fast.agents for a in fast._entities)
    _assert_same(fast, plain)


def test_entries_in_a_run_are_registered_like_agents_made_one_by_one():
    fast, plain = _both()
    fast.run_for(MONTHS)
    plain.run_for(MONTHS)
    assert fast.state.n > fast.n_start  # entities were founded
    _assert_same(fast, plain)
    assert plain.added == plain._entities
    live = [a.unique_id for a in fast._entities if a.alive]
    assert sorted(a.unique_id for a in fast.agents) == live


def test_removing_a_bulk_agent_deregisters_it():
    fast, plain = _both()
    for model in (fast, plain):
        agent = model._entities[5]
        agent.remove()
        assert agent not in model.agents
        assert agent not in model.agents_by_type[Entity]
        assert len(model.agents) == model.n_start - 1
        agent.remove()  # as in Mesa: a second removal is a no-op
    _assert_same(fast, plain)


def test_ids_continue_after_other_agents_and_are_shared_with_rows_only_by_value():
    config, roster = _config()
    model = SOEModel(config, roster=roster)
    extra = mesa.Agent(model)  # an agent of another type in between
    assert extra.unique_id == model.n_start + 1
    start = model.state.grow(3)
    agents = Entity.create_rows(model, range(start.start, start.stop))
    assert [a.unique_id for a in agents] == [model.n_start + 2 + i for i in range(3)]
    assert [a.row for a in agents] == list(range(start.start, start.stop))
    assert list(model.agents)[-4:] == [extra, *agents]
    assert list(model.agents_by_type[Entity])[-3:] == agents
    assert model.agent_id_counter == model.n_start + 5
    assert Entity.create_rows(model, range(0, 0)) == []
