"""Declared samples and interpolations (DECLARED_RELATIONS), read the way the catalog's tracks are.

Labels and sample databases say "this track samples that one" or "this
track interpolates that song", naming the target by a catalog track id, by
the work's ISWC, or only by a title and an artist. ``relation_rows`` gives
each relation an id (the delivery's, else one from its values), its edge
type (SAMPLES, INTERPOLATES) and the target's keys as the track features key
titles and artists (so "Stayin' Alive (Remastered)" by "Bee Gees, The" meets
the catalog's "Stayin' Alive" by "Bee Gees"). ``relation_rules`` quarantines
what cannot be a relation: no track, a relation type that is neither, no
target at all.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.artists import split_artist_names
from features.quality import FieldRule, RecordRule, is_blank
from features.text import blank_to_null, compact_key
from features.tracks import core_title, valid_iswc

SAMPLES, INTERPOLATES = "SAMPLES", "INTERPOLATES"


def edge_type(relation_type: Column) -> Column:
    """sample / samples / sampled / SAMPLES -> SAMPLES; interpolat... -> INTERPOLATES; else null."""
    t = F.lower(F.trim(relation_type))
    return F.when(t.startswith("sampl"), F.lit(SAMPLES)).when(
        t.startswith("interpolat"), F.lit(INTERPOLATES)
    )


def relation_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """A relation needs its track, a type it can be, and some target; a bad ISWC is nulled."""
    no_target = is_blank("target_track_id") & is_blank("target_iswc") & is_blank("target_title")
    return (
        [
            RecordRule("track_id", is_blank("track_id"), "missing track_id: no sampling track"),
            RecordRule(
                "relation_type",
                edge_type(F.col("relation_type")).isNull(),
                "relation type is neither a sample nor an interpolation",
            ),
            RecordRule(
                "target_track_id",
                no_target,
                "no target: neither a target track id, an ISWC nor a title",
            ),
        ],
        [
            FieldRule(
                "target_iswc",
                ~is_blank("target_iswc") & valid_iswc(F.col("target_iswc")).isNull(),
                "invalid ISWC (shape or check digit)",
            )
        ],
    )


def with_relation_ids(declared: DataFrame) -> DataFrame:
    """The rows with a relation_id: the delivery's, else a hash of the row's values."""
    values = F.concat_ws(
        "\u0001",
        *[
            F.coalesce(F.trim(c), F.lit(""))
            for c in ("track_id", "relation_type", "target_track_id", "target_iswc")
        ],
        F.coalesce(F.trim("target_title"), F.lit("")),
        F.coalesce(F.trim("target_artist"), F.lit("")),
    )
    derived = F.concat(F.lit("rel"), F.substring(F.sha2(values, 256), 1, 20))
    return declared.withColumn(
        "relation_id", F.coalesce(blank_to_null(F.trim("relation_id")), derived)
    )


def relation_rows(usable: DataFrame) -> DataFrame:
    """Usable relations with edge_type, the valid ISWC and the target's title and artist keys."""
    artist = F.get(split_artist_names(F.array(F.col("target_artist"))), 0)
    return usable.select(
        "relation_id",
        F.trim("track_id").alias("track_id"),
        edge_type(F.col("relation_type")).alias("edge_type"),
        blank_to_null(F.trim("target_track_id")).alias("target_track_id"),
        valid_iswc(F.col("target_iswc")).alias("target_iswc"),
        compact_key(core_title(F.col("target_title"))).alias("target_title_key"),
        compact_key(artist).alias("target_artist_key"),
        "target_title",
        "target_artist",
    )
