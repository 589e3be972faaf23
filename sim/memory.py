"""Giving freed memory back to the operating system between the big phases of a run.

Building a million-entity population allocates and frees hundreds of MB of temporaries; glibc
keeps much of it in its heap and Arrow keeps its own pool, so the process's resident size stays
high while the model's agents are created. Releasing both between the phases lowers peak memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

import pyarrow as pa


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc
    return trim


def release_freed_memory() -> None:
    """Return freed heap pages (glibc ``malloc_trim``) and Arrow's unused pool to the OS."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
