"""Phonetic key for the primary artist: Spark soundex vs jellyfish metaphone / nysiis.

The design leaves the choice of ``primary_artist_phonetic`` to a measurement:
a key is worth having only if it agrees where the compact artist key does not
(typos, transliterations, diacritics of the SAME recording) without gluing
unrelated artists together, and at a cost the feature build can carry. So, on
the project's own sample catalog, this measures per key: recall over
same-recording pairs whose ``primary_artist_key`` differ, the collision rate
over random pairs of different primary artists, the number of distinct keys
and the median wall seconds over all tracks (Spark built-in vs pandas UDFs,
which need Python workers). Writes reports/benchmarks/phonetic.json.

    python -m jobs.bench_phonetic --n-tracks 20000
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jellyfish
import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType

from features.schemas import TRACK_INPUT
from features.text import blank_to_null
from features.tracks import build_track_features
from jobs.runtime.config import load_config
from jobs.runtime.job import setup_logging
from jobs.runtime.output import write_json_atomic
from jobs.runtime.session import build_spark
from jobs.samples.catalog import generate_catalog

logger = logging.getLogger(__name__)

# Small on purpose: a 2-core machine that a test suite may be sharing.
SPARK_OVERRIDES = (
    "spark.master=local[2] spark.shuffle_partitions=4 spark.driver_memory=2g "
    "spark.app_name=bench-phonetic"
)


def _codes(fn: Callable[[str], str], keys: pd.Series) -> pd.Series:
    """One Arrow batch per call (vectorised); nulls and empty codes -> None."""
    return keys.map(lambda k: (fn(k) or None) if isinstance(k, str) else None)


# StringType(), not "string": a DDL string needs a live session at import time.
@pandas_udf(StringType())
def _metaphone(keys: pd.Series) -> pd.Series:
    return _codes(jellyfish.metaphone, keys)


@pandas_udf(StringType())
def _nysiis(keys: pd.Series) -> pd.Series:
    return _codes(jellyfish.nysiis, keys)


# Same null-for-blank treatment as features.tracks, so only the algorithm differs.
KEYS: dict[str, Callable[[Column], Column]] = {
    "spark_soundex": lambda c: blank_to_null(F.soundex(c)),
    "jellyfish_metaphone": lambda c: blank_to_null(_metaphone(c)),
    "jellyfish_nysiis": lambda c: blank_to_null(_nysiis(c)),
}


def time_key(artists: DataFrame, key: Callable[[Column], Column], repeats: int) -> float:
    """Median seconds to compute one key over every track; noop sink forces every row."""

    def once() -> float:
        start = time.perf_counter()
        sink = artists.select(key(F.col("primary_artist_key"))).write.format("noop")
        sink.mode("overwrite").save()
        return time.perf_counter() - start

    once()  # warm-up: Python worker start, codegen, Arrow setup
    return statistics.median(once() for _ in range(repeats))


def quality(tracks: pd.DataFrame, key: str, n_random: int, seed: int) -> dict[str, Any]:
    """Recall over same-recording pairs with differing artist keys; collisions across artists."""
    t = tracks.dropna(subset=["primary_artist_key"])
    pairs = t.merge(t, on="recording_id", suffixes=("_a", "_b"))
    pairs = pairs[
        (pairs["track_id_a"] < pairs["track_id_b"])
        & (pairs["primary_artist_key_a"] != pairs["primary_artist_key_b"])
    ]
    agree = pairs[f"{key}_a"].notna() & (pairs[f"{key}_a"] == pairs[f"{key}_b"])
    # Artist-level: distinct keys, random pairs of them, minus pairs that a recording links.
    artists = t.drop_duplicates("primary_artist_key").reset_index(drop=True)
    linked = set(zip(pairs["primary_artist_key_a"], pairs["primary_artist_key_b"], strict=True))
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(artists), size=(2, n_random))
    names, codes = artists["primary_artist_key"].to_numpy(), artists[key].to_numpy()
    keep = [
        (a, b)
        for a, b in zip(i, j, strict=True)
        if a != b and (names[a], names[b]) not in linked and (names[b], names[a]) not in linked
    ]
    collide = sum(codes[a] is not None and codes[a] == codes[b] for a, b in keep)
    return {
        "recall_same_recording": round(float(agree.mean()), 4) if len(pairs) else None,
        "same_recording_pairs": int(len(pairs)),
        "collision_rate_different_artists": round(collide / len(keep), 5) if keep else None,
        "different_artist_pairs": len(keep),
        "distinct_keys": int(t[key].nunique()),
        "distinct_artist_keys": int(len(artists)),
    }


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    setup_logging()
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--n-tracks", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--random-pairs", type=int, default=200_000)
    args = parser.parse_args(argv)
    cfg = load_config("local", overrides=SPARK_OVERRIDES.split())
    spark = build_spark(cfg)
    try:
        tracks, golden = generate_catalog(args.n_tracks, seed=args.seed)
        feats = build_track_features(
            spark.createDataFrame(tracks.assign(genre=None)[TRACK_INPUT.fieldNames()], TRACK_INPUT),
            generic_values=cfg.entity("recordings").generic_values,
        )
        # Cache only the input column, so the timings are the keys and not the features.
        artists = feats.select("track_id", "primary_artist_key").repartition(2).cache()
        artists.count()
        seconds = {name: time_key(artists, fn, args.repeats) for name, fn in KEYS.items()}
        keyed = artists.select(
            "track_id",
            "primary_artist_key",
            *[fn(F.col("primary_artist_key")).alias(name) for name, fn in KEYS.items()],
        ).toPandas()
    finally:
        spark.stop()
    keyed = keyed.merge(golden[["track_id", "recording_id"]], on="track_id")
    rows = [
        {
            "key": name,
            "n_tracks": args.n_tracks,
            "seconds_median": round(seconds[name], 3),
            **quality(keyed, name, args.random_pairs, args.seed),
        }
        for name in KEYS
    ]
    path = write_json_atomic(Path(cfg.paths.reports_dir) / "benchmarks" / "phonetic.json", rows)
    row = "{key:<20} {recall_same_recording:>7.3f} {collision_rate_different_artists:>8.4f} "
    row += "{distinct_keys:>8,} {seconds_median:>8.3f}"
    head = f"{'key':<20} {'recall':>7} {'collide':>8} {'distinct':>8} {'seconds':>8}"
    table = "\n".join([head, "-" * len(head)] + [row.format(**r) for r in rows])
    counts = "{same_recording_pairs} same-recording pairs with differing artist keys, "
    counts += "{different_artist_pairs} different-artist pairs, {distinct_artist_keys} artist keys"
    logger.info("%s\n%s\nwritten to %s", counts.format(**rows[0]), table, path)
    return rows
