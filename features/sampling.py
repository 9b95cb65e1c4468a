"""Samples that keep what a model needs to see together.

A uniform sample of records breaks entities apart: with 10% of the tracks, a
recording's three releases are all present only 0.1% of the time, so the
sample has almost no matching pairs to learn or judge from. Sampling whole
blocks (every record of the chosen artists) keeps the pairs inside a block.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

BUCKETS = 10_000


def sample_blocks(df: DataFrame, *, key: str, fraction: float, seed: int = 0) -> DataFrame:
    """Every row whose ``key`` falls in a ``fraction`` of the key's hash buckets.

    Deterministic for a seed; rows with a null key are sampled by nothing else
    and left out. ``fraction`` >= 1 keeps every row, nulls included.
    """
    if fraction >= 1:
        return df
    bucket = F.pmod(F.xxhash64(F.col(key), F.lit(seed)), F.lit(BUCKETS))
    return df.where(F.col(key).isNotNull() & (bucket < F.lit(int(BUCKETS * fraction))))
