"""From scored video x track pairs to at most one recording group per video.

A video is compared with every candidate member track; a group scores as its
best track. The best group wins when it is above the threshold and clear of
the runner-up by a margin of match weight; a near-tie is left unassigned as
ambiguous rather than guessed, because a wrong video on a recording is worse
for a listener than a missing one. A group may have many videos: one is marked
primary, official videos first.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

NO_CANDIDATE = "no candidate"
BELOW_THRESHOLD = "below threshold"
AMBIGUOUS = "ambiguous"

# Which video represents a recording: the official one, then what shows the
# audio as released; live and covers only when nothing else does.
PRIMARY_KIND_ORDER: tuple[str, ...] = (
    "official_video",
    "lyric_video",
    "audio",
    "topic",
    "other",
    "live",
    "cover",
    "non_music",
)


def top_comparisons(levels: Column, n: int) -> Column:
    """The ``n`` comparisons that pushed the score up most (highest match weight first)."""
    ordered = F.array_sort(
        levels,
        lambda a, b: F.when(a["match_weight"] > b["match_weight"], -1)
        .when(a["match_weight"] < b["match_weight"], 1)
        .otherwise(0),
    )
    return F.slice(ordered, 1, n)


def best_group_per_video(pairs: DataFrame) -> DataFrame:
    """(video, group) -> the group's best-scoring member track, ranked within the video.

    ``pairs``: video_id, track_id, recording_group_id, match_weight,
    match_probability, comparison_levels. Returns one row per (video, group)
    with ``group_rank`` (1 = best) and the runner-up's id and scores on rank 1.
    """
    by_group = Window.partitionBy("video_id", "recording_group_id").orderBy(
        F.desc("match_weight"), "track_id"
    )
    per_group = pairs.withColumn("_r", F.row_number().over(by_group)).where("_r = 1").drop("_r")
    by_video = Window.partitionBy("video_id").orderBy(F.desc("match_weight"), "recording_group_id")
    ranked = per_group.withColumn("group_rank", F.row_number().over(by_video))
    return (
        ranked.withColumn(
            "runner_up_recording_group_id", F.lead("recording_group_id").over(by_video)
        )
        .withColumn("runner_up_match_weight", F.lead("match_weight").over(by_video))
        .withColumn("runner_up_match_probability", F.lead("match_probability").over(by_video))
    )


def assign_videos(
    pairs: DataFrame,
    videos: DataFrame,
    *,
    threshold: float,
    ambiguity_margin: float,
    max_explanations: int,
) -> tuple[DataFrame, DataFrame]:
    """Return (matches, unmatched) for every video in ``videos`` (video_id, video_kind).

    matches: video_id, recording_group_id, match_probability, match_weight,
    video_kind, is_primary, matched_track_id, runner_up_match_weight,
    explanation. unmatched: video_id, reason, best/runner-up group and
    probability. Every video is in exactly one of them.
    """
    best = (
        best_group_per_video(pairs)
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
    everyone = videos.select("video_id", "video_kind").join(
        best.drop("video_kind"), "video_id", "left"
    )
    matched = everyone.where(F.col("decision") == "matched")
    kind_rank = F.coalesce(
        F.array_position(F.array(*[F.lit(k) for k in PRIMARY_KIND_ORDER]), F.col("video_kind")),
        F.lit(len(PRIMARY_KIND_ORDER) + 1),
    )
    primary_order = Window.partitionBy("recording_group_id").orderBy(
        kind_rank, F.desc("match_probability"), "video_id"
    )
    matches = matched.select(
        "video_id",
        "recording_group_id",
        "match_probability",
        "match_weight",
        "video_kind",
        (F.row_number().over(primary_order) == 1).alias("is_primary"),
        F.col("track_id").alias("matched_track_id"),
        "runner_up_match_weight",
        top_comparisons(F.col("comparison_levels"), max_explanations).alias("explanation"),
    )
    unmatched = everyone.where(
        F.col("decision").isNull() | (F.col("decision") != "matched")
    ).select(
        "video_id",
        F.coalesce(F.col("decision"), F.lit(NO_CANDIDATE)).alias("reason"),
        F.col("recording_group_id").alias("best_recording_group_id"),
        F.col("match_probability").alias("best_match_probability"),
        "runner_up_recording_group_id",
        "runner_up_match_probability",
    )
    return matches, unmatched
