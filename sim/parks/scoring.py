"""亩均论英雄: the composite per-mu score of a firm and its class (A/B/C/D).

A firm's score is ``100 * sum(weight_i * term_i) / sum(weights)`` over four terms: tax, value
added and output per mu, each divided by its benchmark (Chongqing manufacturing 2023 by default)
and multiplied by the industry correction coefficient (行业修正系数), and the growth term
``1 + growth / growth_scale``; every term is clipped to ``[0, cap]``. A firm at the benchmark on
every figure with no growth scores 100. This follows the structure of the published evaluation
schemes (per-mu tax, value added and output with weights, growth alongside level, industry
correction; docs/sources.md), whose exact weights differ by city and are levers here.
"""

from __future__ import annotations

import numpy as np

from sim.parks.config import EvaluationParams
from sim.parks.industries import INDUSTRIES

CLASSES: tuple[str, ...] = ("A", "B", "C", "D")
CORRECTION = np.array([i.correction for i in INDUSTRIES])
"""Industry correction coefficient by industry code."""


def score(
    p: EvaluationParams,
    land: np.ndarray,
    output: np.ndarray,
    value_added: np.ndarray,
    tax: np.ndarray,
    growth: np.ndarray,
    industry: np.ndarray,
) -> np.ndarray:
    """Composite per-mu score of each firm (points; 100 = the benchmark firm with no growth)."""
    corr = CORRECTION[industry] if p.industry_correction else np.ones(len(land))
    per_mu = np.divide(1.0, land, out=np.zeros(len(land)), where=land > 0) * corr
    terms = (
        (p.tax_weight, tax * per_mu / p.tax_benchmark),
        (p.value_added_weight, value_added * per_mu / p.value_added_benchmark),
        (p.output_weight, output * per_mu / p.output_benchmark),
        (p.growth_weight, 1.0 + growth / p.growth_scale),
    )
    total = np.zeros(len(land))
    weights = 0.0
    for weight, term in terms:
        total += weight * np.clip(term, 0.0, p.cap)
        weights += weight
    return 100.0 * total / weights


def classify(p: EvaluationParams, scores: np.ndarray) -> np.ndarray:
    """Class code of each score (0 = A ... 3 = D): by thresholds, or by shares of the ranking
    (ties broken by position, so the shares are exact)."""
    if p.classing == "threshold":
        return np.select(
            [scores >= p.a_min, scores >= p.b_min, scores >= p.c_min], [0, 1, 2], 3
        ).astype(np.int8)
    n = len(scores)
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    a = round(p.a_share * n)
    b = round((p.a_share + p.b_share) * n)
    d = n - round(p.d_share * n)
    return np.select([rank < a, rank < b, rank < d], [0, 1, 2], 3).astype(np.int8)


def zone_scores(zone: np.ndarray, land: np.ndarray, scores: np.ndarray, n_zones: int) -> np.ndarray:
    """Land-weighted mean score of each zone's firms (NaN for a zone without firms)."""
    weight = np.bincount(zone, weights=land, minlength=n_zones)
    total = np.bincount(zone, weights=land * scores, minlength=n_zones)
    return np.divide(total, weight, out=np.full(n_zones, np.nan), where=weight > 0)
