"""一区多园, 一套班子: which zones are merged into which hosts, and when.

The rule (all thresholds are levers in :class:`sim.parks.config.ConsolidationParams`):

1. A zone is a candidate (小、散、弱) when it is **small** (less land than ``small_land_mu``),
   **scattered** (fewer firms than ``min_firms``) or **weak** (its land-weighted per-mu score in
   the bottom ``weak_share`` of zones). National-level zones are never candidates when
   ``protect_national``.
2. Each candidate is merged into the best host among the zones that are not candidates, in its
   district when ``same_district`` and within ``max_distance_km``: the host maximises
   ``score / mean score + industry_fit * [same leading industry] - distance / max_distance_km``.
3. A candidate with no such host stays unless other candidates of its district are within reach:
   then the district keeps its strongest candidate as the host of the others (one zone per
   district at least).
4. The mergers are carried out from ``start`` to ``deadline``, weakest first, in equal monthly
   shares; each slips with ``delay_probability`` by 1 to ``delay_months`` months.

Management bodies follow "one zone, one leadership": an absorbed zone's bodies are abolished and a
host with several keeps one; a zone run by another zone's body (``bodies`` 0, 托管) keeps none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.parks.config import ConsolidationParams


@dataclass(frozen=True)
class Merger:
    """One planned merger: zone ``zone`` into zone ``host`` (zone indices) in month ``month``."""

    zone: int
    host: int
    month: int


def plan(
    p: ConsolidationParams,
    *,
    district: np.ndarray,
    national: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    land: np.ndarray,
    firms: np.ndarray,
    scores: np.ndarray,
    industry: np.ndarray,
) -> list[tuple[int, int]]:
    """The (zone, host) pairs of the rule over the live zones given as arrays, weakest first."""
    n = len(land)
    s = np.where(np.isnan(scores), 0.0, scores)
    order = np.argsort(s, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    weak = rank < round(p.weak_share * n)
    candidate = (land < p.small_land_mu) | (firms < p.min_firms) | weak
    if p.protect_national:
        candidate &= ~national
    mean = float(s.mean()) or 1.0
    reach = max(p.max_distance_km, 1e-9)
    pairs: list[tuple[int, int]] = []
    dist = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    allowed = dist <= p.max_distance_km
    if p.same_district:
        allowed &= district[:, None] == district[None, :]
    np.fill_diagonal(allowed, False)
    hosts = ~candidate
    for c in order.tolist():  # weakest first
        if not candidate[c]:
            continue
        options = np.flatnonzero(allowed[c] & hosts)
        if options.size == 0:
            continue
        fit = s[options] / mean + p.industry_fit * (industry[options] == industry[c])
        fit -= dist[c, options] / reach
        pairs.append((c, int(options[np.argmax(fit)])))
    placed = {c for c, _ in pairs}
    # Districts whose candidates found no host keep their strongest candidate as host.
    left = [c for c in range(n) if candidate[c] and c not in placed]
    for d in sorted({int(district[c]) for c in left}):
        group = sorted((c for c in left if district[c] == d), key=lambda c: (-s[c], c))
        host = group[0]
        for c in sorted(group[1:], key=lambda c: (s[c], c)):
            if allowed[c, host]:
                pairs.append((c, host))
    pairs.sort(key=lambda pair: (s[pair[0]], pair[0]))
    return pairs


def schedule(
    p: ConsolidationParams,
    pairs: list[tuple[int, int]],
    first: int,
    last: int,
    delays: np.ndarray,
) -> list[Merger]:
    """Mergers in months ``first`` .. ``last`` (simulated months), in equal shares, in the order
    given; ``delays`` (one uniform draw per pair) slip some of them by 1 to ``delay_months``."""
    span = max(last - first + 1, 1)
    out = []
    for i, (zone, host) in enumerate(pairs):
        month = first + (i * span) // max(len(pairs), 1)
        u = float(delays[i])
        if p.delay_months > 0 and u < p.delay_probability:
            month += 1 + int(u / p.delay_probability * p.delay_months)
        out.append(Merger(zone, host, month))
    return out
