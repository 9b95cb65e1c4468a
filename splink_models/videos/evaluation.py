"""Video assignments against golden truth: overall and per video kind.

A group stands for the recording most of its tracks belong to; an assignment
is right when that recording is the video's true one. Recall counts only the
videos whose recording is in the resolved catalog (a video of a recording the
catalog lacks cannot be assigned, and leaving it unassigned is right).
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def group_recordings(
    groups: DataFrame,
    track_golden: DataFrame,
    *,
    id_column: str,
    group_column: str,
    truth_column: str,
    kind_column: str | None,
) -> DataFrame:
    """(group, group_recording, group_recording_kind): each group's majority recording."""
    kind = F.col(kind_column) if kind_column else F.lit(None).cast("string")
    counts = (
        groups.select(id_column, group_column)
        .join(track_golden.select(id_column, truth_column, kind.alias("_kind")), id_column)
        .groupBy(group_column, truth_column, "_kind")
        .count()
    )
    first = Window.partitionBy(group_column).orderBy(F.desc("count"), truth_column)
    return (
        counts.withColumn("_r", F.row_number().over(first))
        .where("_r = 1")
        .select(
            F.col(group_column).alias("recording_group_id"),
            F.col(truth_column).alias("group_recording"),
            F.col("_kind").alias("group_recording_kind"),
        )
    )


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    return 2 * p * r / (p + r) if p is not None and r is not None and p + r > 0 else None


def evaluate_assignments(
    *,
    matches: DataFrame,
    unmatched: DataFrame,
    video_golden: DataFrame,
    groups: DataFrame,
    track_golden: DataFrame,
    id_column: str,
    group_column: str,
    truth_column: str,
    kind_column: str | None,
) -> dict[str, Any]:
    """Flat report: precision, recall, f1, per-kind figures, cover and live precision."""
    recs = group_recordings(
        groups,
        track_golden,
        id_column=id_column,
        group_column=group_column,
        truth_column=truth_column,
        kind_column=kind_column,
    )
    resolvable = (
        track_golden.join(groups.select(id_column), id_column)
        .select(F.col(truth_column).alias("recording_id"))
        .distinct()
        .withColumn("in_catalog", F.lit(True))
    )
    predicted = matches.select("video_id", "recording_group_id").join(
        recs, "recording_group_id", "left"
    )
    per_video = (
        video_golden.select("video_id", "recording_id", "video_kind")
        .join(predicted, "video_id", "left")
        .join(resolvable, "recording_id", "left")
        .select(
            "video_kind",
            F.col("recording_group_id").isNotNull().alias("assigned"),
            F.coalesce(F.col("group_recording") == F.col("recording_id"), F.lit(False)).alias(
                "correct"
            ),
            F.coalesce(F.col("in_catalog"), F.lit(False)).alias("expected"),
            (
                F.col("recording_group_id").isNotNull()
                & (F.col("group_recording_kind") == "studio")
                & F.coalesce(F.col("group_recording") != F.col("recording_id"), F.lit(True))
            ).alias("to_studio_wrongly"),
        )
    )
    rows = (
        per_video.groupBy("video_kind")
        .agg(
            F.count("*").alias("n"),
            F.sum(F.col("assigned").cast("int")).alias("assigned"),
            F.sum(F.col("correct").cast("int")).alias("correct"),
            F.sum(F.col("expected").cast("int")).alias("expected"),
            F.sum(F.col("to_studio_wrongly").cast("int")).alias("to_studio_wrongly"),
        )
        .collect()
    )
    by_kind = {r["video_kind"]: r.asDict() for r in rows}
    total = {
        k: sum(int(r[k]) for r in by_kind.values())
        for k in ("n", "assigned", "correct", "expected")
    }
    precision = _ratio(total["correct"], total["assigned"])
    recall = _ratio(total["correct"], total["expected"])
    report: dict[str, Any] = {
        "n_videos": total["n"],
        "n_assigned": total["assigned"],
        "n_correct": total["correct"],
        "n_expected": total["expected"],
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
    }
    for kind, r in sorted(by_kind.items()):
        report[f"{kind}_n"] = int(r["n"])
        report[f"{kind}_precision"] = _ratio(int(r["correct"]), int(r["assigned"]))
        report[f"{kind}_recall"] = _ratio(int(r["correct"]), int(r["expected"]))
    for kind in ("cover", "live"):
        r = by_kind.get(kind)
        assigned = int(r["assigned"]) if r else 0
        # no assignment of this kind made: nothing was wrongly assigned
        report[f"{kind}_precision"] = _ratio(int(r["correct"]), assigned) if assigned else 1.0
        report[f"{kind}_wrongly_assigned"] = assigned - (int(r["correct"]) if r else 0)
    live = by_kind.get("live")
    report["live_assigned_to_studio"] = int(live["to_studio_wrongly"]) if live else 0
    for r in unmatched.groupBy("reason").count().collect():
        report["unmatched_" + r["reason"].replace(" ", "_")] = int(r["count"])
    return report
