"""Credit agreement on real labelled pairs: do the two stores' performers resolve to one person?

In iTunes-Amazon a labelled match is one track in two stores, so its
performers are the same people however each store spells and splits them
("Disclosure , Sam Smith , Nile Rodgers & James Napier" in one, "[ feat .
Sam Smith ]" in the other's title). After the tracks are resolved, the
credits entity (bench_quality.yaml ``credits``: contributors) is derived,
trained and resolved through the normal chain; then per labelled pair:

- ``credit_agreement``: of the labelled matches whose both sides credit a
  main artist, the share whose main artists are one contributor;
- ``credit_agreement_all``: ... whose sets of main and featured artists are
  the same contributors;
- ``shared_by_different_artists``: of the labelled non-matches whose sides
  have no artist name key in common, the share that still share a
  contributor: the precision side (two artists made one person). A person
  credited under two unrelated names on the two sides would count here too.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.contributors import MAIN_ARTIST
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_exists
from jobs.stages.common import import_named, read_features, read_groups
from jobs.stages.labels import read_labelled_pairs
from splink_models.evaluation import ratio

METHOD = "contributors: credit agreement"


def performers_by_track(
    spark: SparkSession, cfg: AppConfig, tracks: EntityConfig, people: EntityConfig, function: str
) -> DataFrame:
    """(track id, main: sorted contributor ids, every: sorted contributor ids, artist_keys)."""
    credits = None
    if "credits" in people.tables and table_exists(spark, cfg.table_path(people.tables["credits"])):
        credits = read_table(spark, cfg.table_path(people.tables["credits"]))
    features = read_features(spark, cfg, tracks)
    performers = import_named(function)(
        features,
        read_table(spark, cfg.table_path(people.input_table)),
        read_groups(spark, cfg, people),
        track_id_column=tracks.id_column,
        credits=credits,
    )
    per_track = performers.groupBy(F.col("track_id").alias(tracks.id_column)).agg(
        F.array_sort(
            F.collect_set(F.when(F.col("role") == MAIN_ARTIST, F.col("contributor_id")))
        ).alias("main"),
        F.array_sort(F.collect_set("contributor_id")).alias("every"),
    )
    return per_track.join(features.select(tracks.id_column, "artist_keys"), tracks.id_column)


def agreement_rows(
    spark: SparkSession,
    cfg: AppConfig,
    tracks: EntityConfig,
    people: EntityConfig,
    function: str,
    splits: tuple[str, ...],
) -> list[dict[str, Any]]:
    """One row per reported split (see the module docstring)."""
    idc = tracks.id_column
    per_track = performers_by_track(spark, cfg, tracks, people, function)

    def side(s: str) -> DataFrame:
        return per_track.select(*[F.col(c).alias(f"{c}_{s}") for c in per_track.columns])

    labels = (
        read_labelled_pairs(spark, cfg, tracks)
        .join(side("l"), f"{idc}_l")
        .join(side("r"), f"{idc}_r")
    )
    matches = (F.col("label") == 1) & (F.size("main_l") > 0) & (F.size("main_r") > 0)
    different = (
        (F.col("label") == 0)
        & F.col("artist_keys_l").isNotNull()
        & F.col("artist_keys_r").isNotNull()
        & (F.size(F.array_intersect("artist_keys_l", "artist_keys_r")) == 0)
    )
    figures = (
        labels.groupBy("split")
        .agg(
            F.sum(matches.cast("int")).alias("n_matches"),
            F.sum((matches & (F.col("main_l") == F.col("main_r"))).cast("int")).alias("main"),
            F.sum((matches & (F.col("every_l") == F.col("every_r"))).cast("int")).alias("every"),
            F.sum(different.cast("int")).alias("n_different"),
            F.sum(
                (different & (F.size(F.array_intersect("every_l", "every_r")) > 0)).cast("int")
            ).alias("shared"),
        )
        .collect()
    )
    by_split = {r["split"]: r for r in figures}
    rows = []
    for split in splits:
        r = by_split.get(split)
        if r is None:
            continue
        n, nd = int(r["n_matches"] or 0), int(r["n_different"] or 0)
        rows.append(
            {
                "method": METHOD,
                "split": split,
                "credit_agreement": ratio(r["main"], n),
                "credit_agreement_all": ratio(r["every"], n),
                "n_matches_credited": n,
                "shared_by_different_artists": ratio(r["shared"], nd),
                "n_nonmatches_different_artists": nd,
            }
        )
    return rows
