"""Random streams: one independent generator per (seed, replication, stream name).

Every source of randomness in the model (the arrivals of a channel, the service times
of a step, the lead times of a SKU's purchase orders) draws from its own named stream.
A stream depends only on the seed, the replication number and its name, never on the
order in which streams are created or on what else the model contains. So:

* replication 3 gives the same numbers whether it runs first, last, alone, in another
  process or on a cluster;
* a variant that hires two pickers sees exactly the same orders as the base (common
  random numbers), which makes the comparison between them a paired one;
* adding a staff pool does not shift the demand stream.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["stream", "stream_key"]


def stream_key(name: str) -> int:
    """A stable 63-bit integer for a stream name (unlike ``hash``, the same in every process)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of ``replication`` under ``seed``."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, stream_key(name)))
    return np.random.default_rng(sequence)
