"""Common random numbers entity by entity, mean-preserving shocks, and the keyed generator.

1. Two plans run with the same seed give an entity that exists under both the same entity shocks
   (a generator drawing by array position fails this as soon as the populations differ);
2. the monthly volume multiplier has expectation 1 in every month (no trend but the declared one);
3. :mod:`sim.rand`: values are pure functions of (seed, stream, key, month), uniform and normal as
   documented, uncorrelated across months and keys, and equal to a plain-Python reference.

Nothing here is timed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim import rand
from sim.compose import compose_config
from sim.config import EconomyConfig, PopulationConfig, SimConfig
from sim.economy import Economy
from sim.model import SOEModel
from sim.sectors import N_SECTORS
from sim.state import EntityState

MONTHS = 12


# -- 1. common random numbers across plans ----------------------------------------------------
def _idio_by_key(model: SOEModel) -> dict[int, float]:
    st = model.state
    alive = np.flatnonzero(st.alive)
    return dict(zip(st.key[alive].tolist(), st.idio[alive].tolist(), strict=True))


def _absorbers(model: SOEModel) -> set[int]:
    """Keys of entities that absorbed another (a merger averages the two shocks)."""
    events = model.events.to_frame()
    ids = {entity_id: row for row, entity_id in enumerate(model.state.ids)}
    targets = events.loc[events.op == "merge", "target_id"]
    return {int(model.state.key[ids[t]]) for t in targets}


def test_an_entity_alive_under_two_plans_gets_the_same_shocks_under_both():
    plans = {
        name: SOEModel(
            compose_config(
                f"policy={name}", "population=chongqing_2023", f"months={MONTHS}", "seed=4"
            )
        )
        for name in ("none", "chongqing_2024")
    }
    none, reform = plans["none"], plans["chongqing_2024"]
    compared = 0
    for _ in range(MONTHS):
        none.step()
        reform.step()
        a, b = _idio_by_key(none), _idio_by_key(reform)
        merged = _absorbers(none) | _absorbers(reform)
        common = sorted((a.keys() & b.keys()) - merged)
        np.testing.assert_array_equal(
            [a[k] for k in common],
            [b[k] for k in common],
            err_msg=f"entity shocks differ between the plans in month {none.month}",
        )
        compared += len(common)
    # the premise: the plans' populations did diverge (a position-based draw would shift)
    assert none.state.alive.sum() != reform.state.alive.sum()
    assert none.state.n != reform.state.n
    assert (~reform.state.alive[: reform.n_start]).sum() > 100
    assert compared > MONTHS * 1000


def _synthetic(seed: int = 2, **economy: float) -> SOEModel:
    cfg = SimConfig(
        seed=seed,
        months=MONTHS,
        population=PopulationConfig(source="synthetic", n_entities=400),
        economy=EconomyConfig(**economy),  # type: ignore[arg-type]
    )
    return SOEModel(cfg)


def test_removing_entities_in_one_plan_leaves_the_survivors_shocks_alone():
    full, thinned = _synthetic(), _synthetic()
    st = thinned.state
    leaves = [r for r in range(st.n) if st.parent[r] >= 0 and not thinned.has_children(r)]
    for row in leaves[::3]:  # a third of the leaves closed before the first month
        thinned.exit(row, fate="closed", rule="test", reason="thinned")
    for _ in range(MONTHS):
        full.step()
        thinned.step()
        a, b = _idio_by_key(full), _idio_by_key(thinned)
        common = sorted(a.keys() & b.keys())
        assert len(common) > 200
        np.testing.assert_array_equal([a[k] for k in common], [b[k] for k in common])
    # entities founded during the run are keyed too: the same founding, the same key
    assert (thinned.state.key[thinned.n_start :] >= rand.TOP_BIT).all()


def test_market_exit_draws_are_keyed_not_positional():
    model = _synthetic(soft_budget=0.0, bankruptcy_hazard=0.5)
    model.step()
    st = model.state
    subs = np.flatnonzero(st.alive & (st.parent >= 0))
    solo = np.where(st.parent >= 0, -1.0, 1.0)  # every subsidiary insolvent
    failing_all = set(model.economy.propose_bankruptcies(st, solo).tolist())
    solo[subs[::2]] = 1.0  # half of them solvent: the others' draws must not move
    failing_half = set(model.economy.propose_bankruptcies(st, solo).tolist())
    assert failing_half == failing_all - set(subs[::2].tolist())
    assert 0.3 < len(failing_all) / subs.size < 0.7


def test_founded_entities_get_distinct_keys_from_founder_month_and_ordinal():
    model = _synthetic(entry_rate=1.0)
    model.run_for(6)
    st = model.state
    new = np.arange(model.n_start, st.n)
    assert new.size > 100
    assert np.unique(st.key).size == st.n
    np.testing.assert_array_equal(st.key[: model.n_start], np.arange(model.n_start))
    assert (st.key[new] >= rand.TOP_BIT).all()
    # a key is a function of (founder's key, birth month, ordinal): recompute them (the founder
    # is the parent at entry, from the event log: a founder that exits passes its children up)
    entries = model.events.to_frame().query("op == 'enter'")
    row_of = {entity_id: row for row, entity_id in enumerate(st.ids)}
    founder_of = dict(zip(entries.entity_id, entries.target_id, strict=True))
    founders = st.key[[row_of[founder_of[st.ids[r]]] for r in new.tolist()]]
    seen: dict[tuple[int, int], int] = {}
    ordinals = []
    for fk, month in zip(founders.tolist(), st.born[new].tolist(), strict=True):
        ordinals.append(seen.get((fk, month), 0))
        seen[(fk, month)] = ordinals[-1] + 1
    for month in np.unique(st.born[new]).tolist():
        at = st.born[new] == month
        expected = rand.child_keys(founders[at], month, np.array(ordinals)[at])
        np.testing.assert_array_equal(st.key[new][at], expected)


# -- 2. mean-preserving shocks ----------------------------------------------------------------
def _unit_state(n: int, sector: int = 0) -> EntityState:
    """``n`` stand-alone entities with unit volume and no costs: revenue = volume multiplier."""
    st = EntityState(n, headroom=1.0)
    st.parent[:] = -1
    st.group[:] = np.arange(n)
    st.layer[:] = 1
    st.alive[:] = True
    st.sector[:] = sector
    st.revenue_base[:] = 1.0
    st.productivity[:] = 1.0
    st.key[:] = np.arange(n, dtype=np.uint64)
    return st


def test_entity_shock_multiplier_has_mean_one_at_every_age():
    n = 200_000
    econ = EconomyConfig(demand_vol_scale=0.0, idio_vol=0.3, idio_persistence=0.8)
    economy = Economy(econ, np.random.default_rng(0), seed=9)
    st = _unit_state(n)
    entrants = slice(0, 0)
    for month in range(1, 25):
        economy.step(st, month)
        if month == 6:  # entrants: born now with a zero shock, they age from here
            entrants = st.grow(n)
            st.alive[entrants] = True
            st.layer[entrants] = 1
            st.parent[entrants] = -1
            st.revenue_base[entrants] = 1.0
            st.productivity[entrants] = 1.0
            st.born[entrants] = month
            st.key[entrants] = rand.child_keys(np.arange(n), month, np.zeros(n, dtype=np.int64))
        if month in (1, 2, 6, 12, 24):
            first = st.revenue[:n]
            tol = 5 * first.std() / math.sqrt(n)
            assert first.mean() == pytest.approx(1.0, abs=tol), month
            # without the correction the mean would be exp(var / 2), far outside the tolerance
            var = econ.idio_vol**2 * (1 - econ.idio_persistence ** (2 * month))
            assert math.exp(var / 2) - 1 > 4 * tol
            assert st.idio[:n].var() == pytest.approx(var, rel=0.02)
        if month in (7, 12, 24):
            late = st.revenue[entrants]
            assert late.mean() == pytest.approx(1.0, abs=5 * late.std() / math.sqrt(n)), month
            age = month - 6
            var = econ.idio_vol**2 * (1 - econ.idio_persistence ** (2 * age))
            assert st.idio[entrants].var() == pytest.approx(var, rel=0.02)


def test_demand_multiplier_has_mean_one_over_demand_paths():
    """Sector demand is common to a sector, so its mean is over many paths (one per seed)."""
    paths, months = 1500, (1, 4, 12)
    econ = EconomyConfig(idio_vol=0.0, demand_vol_scale=3.0)
    revenue = {m: np.empty((paths, N_SECTORS)) for m in months}
    for p in range(paths):
        economy = Economy(econ, np.random.default_rng(p), seed=0)
        st = EntityState(N_SECTORS)
        st.alive[:] = True
        st.layer[:] = 1
        st.parent[:] = -1
        st.sector[:] = np.arange(N_SECTORS)
        st.revenue_base[:] = 1.0
        st.productivity[:] = 1.0
        for month in range(1, max(months) + 1):
            economy.step(st, month)
            if month in revenue:
                revenue[month][p] = st.revenue
    helper = Economy(econ, np.random.default_rng(0), seed=0)
    for month, values in revenue.items():
        tol = 4.5 * values.std(axis=0) / math.sqrt(paths)
        np.testing.assert_array_less(np.abs(values.mean(axis=0) - 1.0), tol, err_msg=f"{month}")
        half_var = helper.demand_half_variance(month)
        np.testing.assert_allclose(np.log(values).var(axis=0), 2 * half_var, rtol=0.15)
        if month > 1:  # uncorrected, the most volatile sector's mean would be far above 1
            top = int(np.argmax(half_var))
            assert math.exp(half_var[top]) - 1 > tol[top]


def test_half_variances_follow_the_ar1_recursion_from_zero():
    econ = EconomyConfig(demand_persistence=0.9, idio_persistence=0.7, idio_vol=0.2)
    economy = Economy(econ, np.random.default_rng(0), seed=0)
    sigma = economy._sector_vol
    demand_var, idio_var = np.zeros(N_SECTORS), [0.0]
    for month in range(1, 40):
        demand_var = 0.9**2 * demand_var + (1 - 0.9**2) * sigma**2
        idio_var.append(0.7**2 * idio_var[-1] + (1 - 0.7**2) * 0.2**2)
        np.testing.assert_allclose(economy.demand_half_variance(month), demand_var / 2)
        np.testing.assert_allclose(economy.idio_half_variance(month), np.array(idio_var) / 2)
    assert economy.demand_half_variance(0) == pytest.approx(np.zeros(N_SECTORS))


def test_productivity_growth_is_the_only_declared_trend_and_is_off_by_default():
    assert EconomyConfig().productivity_growth == 0.0


# -- 3. the keyed generator -------------------------------------------------------------------
def _reference_bits(seed: int, stream: int, key: int, index: int) -> int:
    """The construction in :mod:`sim.rand`, in plain Python integers."""
    mask = (1 << 64) - 1

    def mix(z: int) -> int:
        z &= mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    h = mix(0x5EED_C0DE_50E5_1A7E ^ (seed & mask))
    rest = seed >> 64
    while rest:
        h = mix(h ^ (rest & mask))
        rest >>= 64
    base = mix(h + (stream + 1) * 0x9E3779B97F4A7C15)
    state = mix((key & mask) ^ base)
    return mix(state + (index + 1) * 0x9E3779B97F4A7C15)


@pytest.mark.parametrize("seed", [0, 7, 2**63 - 1, 2**80 + 5])
def test_generator_equals_the_plain_python_reference(seed):
    keys = np.array([0, 1, 2, 99, 2**32, 2**63 + 11, 2**64 - 1], dtype=np.uint64)
    for stream, month in [(0, 0), (rand.STREAM_IDIO, 1), (rand.STREAM_EXIT, 500)]:
        ref = [[_reference_bits(seed, stream, int(k), 2 * month + j) for k in keys] for j in (0, 1)]
        np.testing.assert_array_equal(
            rand.bits(seed, stream, keys, 2 * month), np.array(ref[0], dtype=np.uint64)
        )
        u1 = np.array([(h >> 11) * 2.0**-53 for h in ref[0]])
        u2 = np.array([(h >> 11) * 2.0**-53 for h in ref[1]])
        np.testing.assert_array_equal(rand.uniform(seed, stream, keys, month), u1)
        z = np.sqrt(-2 * np.log(1 - u1)) * np.cos(np.pi * u2)
        np.testing.assert_allclose(rand.normal(seed, stream, keys, month), z, rtol=0, atol=1e-14)


def test_draws_depend_on_neither_order_nor_the_other_keys():
    keys = np.arange(10_000, dtype=np.uint64) * 7919 + 3
    perm = np.random.default_rng(1).permutation(keys.size)
    for draw in (rand.uniform, rand.normal):
        full = draw(5, 1, keys, 17)
        np.testing.assert_array_equal(draw(5, 1, keys[perm], 17), full[perm])
        np.testing.assert_array_equal(draw(5, 1, keys[::5], 17), full[::5])
        np.testing.assert_array_equal(draw(5, 1, keys[42:43], 17), full[42:43])
        np.testing.assert_array_equal(draw(5, 1, keys.astype(np.int64), 17), full)
        np.testing.assert_array_equal(
            draw(5, 1, keys.reshape(100, 100), 17), full.reshape(100, 100)
        )
        assert not np.array_equal(draw(5, 1, keys, 18), full)  # another month
        assert not np.array_equal(draw(6, 1, keys, 17), full)  # another seed
        assert not np.array_equal(draw(5, 2, keys, 17), full)  # another stream
    assert rand.uniform(5, 1, keys, 17).dtype == rand.normal(5, 1, keys, 17).dtype == np.float64


def test_uniforms_are_uniform_across_keys_and_across_months():
    across_keys = rand.uniform(3, 1, np.arange(200_000), 7)
    assert across_keys.min() >= 0.0 and across_keys.max() < 1.0
    assert stats.kstest(across_keys, "uniform").pvalue > 1e-3
    months = np.stack([rand.uniform(3, 1, np.arange(500), t) for t in range(400)])
    assert stats.kstest(months.ravel(), "uniform").pvalue > 1e-3
    assert stats.kstest(months[:, 0], "uniform").pvalue > 1e-3  # one key over 400 months
    # every bit of the 53 used is balanced
    ints = (across_keys * 2.0**53).astype(np.int64)
    ones = np.array([((ints >> b) & 1).mean() for b in range(53)])
    assert np.abs(ones - 0.5).max() < 5 * 0.5 / math.sqrt(ints.size)


def test_normals_are_standard_normal():
    n = 400_000
    z = rand.normal(11, rand.STREAM_IDIO, np.arange(n), 3)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / n)
    assert abs(stats.skew(z)) < 5 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert (z < 0).mean() == pytest.approx(0.5, abs=5 * 0.5 / math.sqrt(n))
    assert (np.abs(z) > 3).mean() == pytest.approx(2 * stats.norm.sf(3), rel=0.1)


def test_normals_are_uncorrelated_across_months_keys_and_streams():
    keys, months = np.arange(20_000), 30
    z = np.stack([rand.normal(2, rand.STREAM_IDIO, keys, t) for t in range(months)])
    bound = 5 / math.sqrt(z.size)
    for lag in (1, 2, 12):
        r = np.corrcoef(z[:-lag].ravel(), z[lag:].ravel())[0, 1]
        assert abs(r) < bound, f"lag {lag} months"
    r_keys = np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]
    assert abs(r_keys) < bound, "neighbouring keys"
    other = np.stack([rand.normal(2, rand.STREAM_EXIT, keys, t) for t in range(months)])
    assert abs(np.corrcoef(z.ravel(), other.ravel())[0, 1]) < bound, "streams"
    # the two Box-Muller inputs are independent: the sign and the size of a normal are
    r_abs = np.corrcoef(np.abs(z.ravel()), np.sign(z.ravel()))[0, 1]
    assert abs(r_abs) < bound
    # a key's months, normalised over keys, look like independent draws
    per_key = z.sum(axis=0) / math.sqrt(months)
    assert stats.kstest(per_key, "norm").pvalue > 1e-3


def test_child_keys_are_pure_distinct_and_above_every_row():
    parents = np.arange(50_000, dtype=np.uint64)
    first = rand.child_keys(parents, 3, np.zeros(parents.size, dtype=np.int64))
    assert (first >= rand.TOP_BIT).all()
    np.testing.assert_array_equal(
        rand.child_keys(parents[::-1], 3, np.zeros(parents.size, dtype=np.int64)), first[::-1]
    )
    others = [
        rand.child_keys(parents, 4, np.zeros(parents.size, dtype=np.int64)),
        rand.child_keys(parents, 3, np.ones(parents.size, dtype=np.int64)),
        rand.child_keys(first, 3, np.zeros(parents.size, dtype=np.int64)),
    ]
    everything = np.concatenate([first, *others])
    assert np.unique(everything).size == everything.size


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="month"):
        rand.normal(0, 1, np.arange(3), -1)
    with pytest.raises(ValueError, match="non-negative"):
        rand.uniform(-1, 1, np.arange(3), 0)
    with pytest.raises(TypeError, match="integers"):
        rand.uniform(0, 1, np.array([0.5]), 0)
    with pytest.raises(ValueError, match="ordinals"):
        rand.child_keys(np.arange(3), 0, np.arange(2))
    assert rand.normal(0, 1, np.array([], dtype=np.uint64), 0).shape == (0,)
