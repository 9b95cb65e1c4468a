"""Music Video Resolution end to end on the small sample: features, train, assign, evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from features.schemas import UNMATCHED_VIDEOS, VIDEO_MATCHES
from jobs.runtime.delta import read_table

pytestmark = pytest.mark.e2e


def test_assignments_are_accurate_and_never_put_covers_or_live_on_the_wrong_group(resolved_videos):
    _, _, _, report = resolved_videos
    assert report["precision"] >= 0.97, report
    assert report["recall"] >= 0.90, report
    assert report["cover_precision"] == 1.0, report
    assert report["live_assigned_to_studio"] == 0, report


def test_every_video_is_matched_once_or_unmatched_with_a_reason(spark, resolved_videos):
    cfg, feats, resolved, _ = resolved_videos
    v = cfg.entity("videos")
    matches = read_table(spark, cfg.table_path(v.matches_table), VIDEO_MATCHES)
    unmatched = read_table(spark, cfg.table_path(v.unmatched_table), UNMATCHED_VIDEOS)
    assert matches.groupBy("video_id").count().where("count > 1").count() == 0
    assert matches.join(unmatched, "video_id").count() == 0
    assert matches.count() + unmatched.count() == feats.n_features == resolved.summary["n_records"]
    assert set(r["reason"] for r in unmatched.select("reason").distinct().collect()) <= {
        "no candidate",
        "below threshold",
        "ambiguous",
    }
    primaries = matches.groupBy("recording_group_id").agg(
        F.sum(F.col("is_primary").cast("int")).alias("n")
    )
    assert primaries.where("n != 1").count() == 0
    # explanations name the comparisons that pushed the score up, strongest first
    row = matches.orderBy("video_id").first()
    weights = [e["match_weight"] for e in row["explanation"]]
    assert weights == sorted(weights, reverse=True) and 1 <= len(weights) <= 3


def test_spoiled_videos_are_quarantined(spark, resolved_videos):
    cfg, feats, _, _ = resolved_videos
    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table)).where(
        "entity_type = 'videos'"
    )
    reasons = {r["reason"] for r in quarantine.select("reason").distinct().collect()}
    assert any("title" in r for r in reasons), reasons
    assert quarantine.count() == sum(feats.quarantine_by_reason.values()) > 0


def test_report_has_the_flat_keys(resolved_videos):
    cfg, _, _, report = resolved_videos
    path = Path(cfg.paths.reports_dir) / "evaluation" / "videos.json"
    written = json.loads(path.read_text())
    for key in (
        "precision",
        "recall",
        "f1",
        "cover_precision",
        "live_precision",
        "n_records",
        "threshold",
        "run_id",
    ):
        assert key in written
    assert written["run_id"] == report["run_id"]
