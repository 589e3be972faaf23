"""Vectorised helpers on forests given as parent-index arrays (-1 marks a root)."""

from __future__ import annotations

import numpy as np


def tree_depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (roots are 1). Assumes an acyclic forest; ``O(n * depth)`` vectorised."""
    depth = np.ones(parent.size, dtype=np.int64)
    anc = parent.copy()
    while True:
        up = np.flatnonzero(anc >= 0)
        if up.size == 0:
            return depth
        depth[up] += 1
        anc[up] = parent[anc[up]]


def tree_roots(parent: np.ndarray) -> np.ndarray:
    """Root of every node. Assumes an acyclic forest."""
    root = np.arange(parent.size)
    while True:
        up = np.flatnonzero(parent[root] >= 0)
        if up.size == 0:
            return root
        root[up] = parent[root[up]]
