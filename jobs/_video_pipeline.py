"""Music Video Resolution stages: train the video model, assign videos, evaluate.

Videos go through the generic features stage (``_pipeline.build_features``)
like any entity; what differs is that they are linked to another entity's
groups (recording groups) instead of being clustered among themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.schemas import UNMATCHED_VIDEOS, VIDEO_FEATURES, VIDEO_MATCHES, VIDEO_PAIRS
from features.video_links import track_link_view, video_link_view
from jobs._pipeline import contracts, record_evaluation, train_and_log
from jobs._registry import load_model
from jobs._runtime import AppConfig, ResolutionError, VideoConfig, read_table, write_table
from splink_models import engine
from splink_models.videos.assignment import assign_videos
from splink_models.videos.evaluation import evaluate_assignments

logger = logging.getLogger(__name__)


def link_inputs(spark: SparkSession, cfg: AppConfig, v: VideoConfig) -> list[DataFrame]:
    """[videos, tracks] in the link view: the two sides of the link_only model."""
    e = cfg.entity(v.linked_entity)
    c = contracts(e)
    tracks = read_table(spark, cfg.table_path(e.features_table), c.features)
    groups = read_table(spark, cfg.table_path(e.groups_table), c.groups)
    videos = read_table(spark, cfg.table_path(v.features_table), VIDEO_FEATURES)
    return [
        video_link_view(videos, id_column=v.id_column),
        track_link_view(tracks, groups, id_column=e.id_column, group_column=e.group_column),
    ]


def train_videos(
    spark: SparkSession, cfg: AppConfig, run_id: str
) -> tuple[engine.TrainedModel, Path]:
    v = cfg.video()
    videos, tracks = link_inputs(spark, cfg, v)
    n_videos, n_tracks = videos.count(), tracks.count()
    return train_and_log(
        spark,
        cfg,
        v.name,
        v.model_module,
        v.training,
        [videos, tracks],
        run_id,
        {"n_videos": n_videos, "n_tracks": n_tracks, "link_type": "link_only"},
        n_rows=n_videos + n_tracks,
    )


@dataclass(frozen=True)
class VideoResolveResult:
    model_version: str
    n_videos: int
    n_pairs: int
    n_matched: int
    unmatched_by_reason: dict[str, int]


def score_pairs(
    spark: SparkSession, inputs: list[DataFrame], model: engine.TrainedModel, run_id: str
) -> DataFrame:
    """Scored candidate pairs, oriented video -> track, in the VIDEO_PAIRS shape."""
    scored = engine.predict(spark, inputs, model)
    video_left = F.col("is_video_l")
    return scored.select(
        F.when(video_left, F.col("link_id_l")).otherwise(F.col("link_id_r")).alias("video_id"),
        F.when(video_left, F.col("link_id_r")).otherwise(F.col("link_id_l")).alias("track_id"),
        F.coalesce("recording_group_id_l", "recording_group_id_r").alias("recording_group_id"),
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
        engine.explain_levels(model, scored.columns).alias("comparison_levels"),
        F.lit(run_id).alias("run_id"),
        F.lit(model.version).alias("model_version"),
    )


def resolve_videos(
    spark: SparkSession, cfg: AppConfig, run_id: str, model_path: str | None = None
) -> VideoResolveResult:
    v = cfg.video()
    # a model ref: --model, lifecycle.models.videos, @champion or the newest JSON (jobs._registry)
    model = load_model(cfg, v.name, v.model_module, model_path).model
    inputs = link_inputs(spark, cfg, v)
    pairs_path = cfg.table_path(v.pairs_table)
    write_table(score_pairs(spark, inputs, model, run_id), pairs_path, VIDEO_PAIRS)
    pairs = read_table(spark, pairs_path, VIDEO_PAIRS)

    videos = read_table(spark, cfg.table_path(v.features_table), VIDEO_FEATURES)
    a = v.assignment
    matches, unmatched = assign_videos(
        pairs,
        videos.select(F.col(v.id_column).alias("video_id"), "video_kind"),
        threshold=a.threshold,
        ambiguity_margin=a.ambiguity_margin,
        max_explanations=a.max_explanations,
    )
    lineage = [F.lit(run_id).alias("run_id"), F.lit(model.version).alias("model_version")]
    write_table(matches.select("*", *lineage), cfg.table_path(v.matches_table), VIDEO_MATCHES)
    write_table(
        unmatched.select("*", *lineage), cfg.table_path(v.unmatched_table), UNMATCHED_VIDEOS
    )
    unmatched = read_table(spark, cfg.table_path(v.unmatched_table), UNMATCHED_VIDEOS)
    return VideoResolveResult(
        model_version=model.version,
        n_videos=videos.count(),
        n_pairs=pairs.count(),
        n_matched=read_table(spark, cfg.table_path(v.matches_table)).count(),
        unmatched_by_reason={
            r["reason"]: int(r["count"]) for r in unmatched.groupBy("reason").count().collect()
        },
    )


def evaluate_videos(spark: SparkSession, cfg: AppConfig) -> dict[str, Any]:
    """Assignments against the golden videos: reports/evaluation/videos.json, Delta, MLflow."""
    v = cfg.video()
    e = cfg.entity(v.linked_entity)
    c, ce = contracts(v), contracts(e)
    if not v.golden_table or not e.golden_table:
        raise ResolutionError("videos.tables.golden and the linked entity's golden are needed")
    matches = read_table(spark, cfg.table_path(v.matches_table), VIDEO_MATCHES)
    unmatched = read_table(spark, cfg.table_path(v.unmatched_table), UNMATCHED_VIDEOS)
    lineage = (
        matches.select("run_id", "model_version")
        .unionByName(unmatched.select("run_id", "model_version"))
        .first()
    )
    if lineage is None:
        raise ResolutionError(f"{cfg.table_path(v.matches_table)} is empty: nothing to evaluate")
    report = evaluate_assignments(
        matches=matches,
        unmatched=unmatched,
        video_golden=read_table(spark, cfg.table_path(v.golden_table), c.golden),
        groups=read_table(spark, cfg.table_path(e.groups_table), ce.groups),
        track_golden=read_table(spark, cfg.table_path(e.golden_table), ce.golden),
        id_column=e.id_column,
        group_column=e.group_column,
        truth_column=e.truth_column,
        kind_column=e.kind_column,
    )
    report.update(
        threshold=v.assignment.threshold,
        run_id=lineage["run_id"],
        model_version=lineage["model_version"],
        entity_type=v.name,
    )
    record_evaluation(spark, cfg, v.name, report, v.assignment.threshold)
    return report
