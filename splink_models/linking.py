"""From scored record x target pairs to at most one target group per record (the link kind).

A record (e.g. a music video) is compared with every candidate member of the
groups it may belong to (e.g. the tracks of recording groups); a group
scores as its best member. The best group wins when it is above the
threshold and clear of the runner-up by a margin of match weight; a near-tie
is left unassigned as ambiguous rather than guessed, because a wrong link is
worse for a listener than a missing one. A group may have many records: one
is marked primary, in the order of kinds the entity's config gives.

The frames here use neutral column names (``record_id``, ``target_id``,
``group_id``, ``record_kind``); the link stage maps them to and from the
entities' own columns, which their configs name.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

NO_CANDIDATE = "no candidate"
BELOW_THRESHOLD = "below threshold"
AMBIGUOUS = "ambiguous"


def top_comparisons(levels: Column, n: int) -> Column:
    """The ``n`` comparisons that pushed the score up most (highest match weight first)."""
    ordered = F.array_sort(
        levels,
        lambda a, b: F.when(a["match_weight"] > b["match_weight"], -1)
        .when(a["match_weight"] < b["match_weight"], 1)
        .otherwise(0),
    )
    return F.slice(ordered, 1, n)


def best_group_per_record(pairs: DataFrame) -> DataFrame:
    """(record, group) -> the group's best-scoring member, ranked within the record.

    ``pairs``: record_id, target_id, group_id, match_weight, match_probability,
    comparison_levels. Returns one row per (record, group) with ``group_rank``
    (1 = best) and the runner-up's group and scores on each row.
    """
    by_group = Window.partitionBy("record_id", "group_id").orderBy(
        F.desc("match_weight"), "target_id"
    )
    per_group = pairs.withColumn("_r", F.row_number().over(by_group)).where("_r = 1").drop("_r")
    by_record = Window.partitionBy("record_id").orderBy(F.desc("match_weight"), "group_id")
    ranked = per_group.withColumn("group_rank", F.row_number().over(by_record))
    return (
        ranked.withColumn("runner_up_group_id", F.lead("group_id").over(by_record))
        .withColumn("runner_up_match_weight", F.lead("match_weight").over(by_record))
        .withColumn("runner_up_match_probability", F.lead("match_probability").over(by_record))
    )


def assign_records(
    pairs: DataFrame,
    records: DataFrame,
    *,
    threshold: float,
    ambiguity_margin: float,
    max_explanations: int,
    primary_order: Sequence[str] = (),
) -> tuple[DataFrame, DataFrame]:
    """Return (matches, unmatched) for every record in ``records`` (record_id, record_kind).

    matches: record_id, group_id, match_probability, match_weight,
    record_kind, is_primary, target_id (the member that scored best),
    runner_up_match_weight, explanation. unmatched: record_id, reason,
    best_group_id, best_match_probability, runner_up_group_id,
    runner_up_match_probability. Every record is in exactly one of them.
    """
    best = (
        best_group_per_record(pairs)
        .where("group_rank = 1")
        .withColumn(
            "decision",
            F.when(F.col("match_probability") < threshold, F.lit(BELOW_THRESHOLD))
            .when(
                F.col("runner_up_match_weight").isNotNull()
                & (F.col("match_weight") - F.col("runner_up_match_weight") < ambiguity_margin),
                F.lit(AMBIGUOUS),
            )
            .otherwise(F.lit("matched")),
        )
    )
    everyone = records.select("record_id", "record_kind").join(best, "record_id", "left")
    matched = everyone.where(F.col("decision") == "matched")
    matches = matched.select(
        "record_id",
        "group_id",
        "match_probability",
        "match_weight",
        "record_kind",
        primary_flag(
            F.col("group_id"), F.col("record_kind"), F.col("record_id"), primary_order
        ).alias("is_primary"),
        "target_id",
        "runner_up_match_weight",
        top_comparisons(F.col("comparison_levels"), max_explanations).alias("explanation"),
    )
    unmatched = everyone.where(
        F.col("decision").isNull() | (F.col("decision") != "matched")
    ).select(
        "record_id",
        F.coalesce(F.col("decision"), F.lit(NO_CANDIDATE)).alias("reason"),
        F.col("group_id").alias("best_group_id"),
        F.col("match_probability").alias("best_match_probability"),
        "runner_up_group_id",
        "runner_up_match_probability",
    )
    return matches, unmatched


def primary_flag(
    group: Column, kind: Column, record: Column, primary_order: Sequence[str]
) -> Column:
    """Whether a matched record is its group's primary: the first kind of ``primary_order``,
    then the highest match probability, then the smallest id (over the frame's matches)."""
    kind_rank = F.coalesce(
        F.array_position(F.array(*[F.lit(k) for k in primary_order]), kind),
        F.lit(len(primary_order) + 1),
    )
    primary = Window.partitionBy(group).orderBy(kind_rank, F.desc("match_probability"), record)
    return F.row_number().over(primary) == 1
