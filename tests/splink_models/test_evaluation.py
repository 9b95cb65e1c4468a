"""Evaluation formulas on a hand-computed example (five tracks, three recordings)."""

from __future__ import annotations

import pytest

from splink_models.evaluation import evaluate


def test_metrics_match_a_hand_computed_example(spark):
    golden = spark.createDataFrame(
        [
            ("t1", "A", "studio"),
            ("t2", "A", "studio"),
            ("t3", "A", "studio"),
            ("t4", "B", "live"),
            ("t5", "C", "studio"),
        ],
        "track_id string, recording_id string, recording_kind string",
    )
    groups = spark.createDataFrame(
        [("t1", "G1"), ("t2", "G1"), ("t3", "G2"), ("t4", "G2"), ("t5", "G3")],
        "track_id string, recording_group_id string",
    )
    pairs = spark.createDataFrame(
        [("t1", "t2", 0.99), ("t3", "t4", 0.95), ("t1", "t3", 0.5), ("t2", "t5", 0.2)],
        "track_id_l string, track_id_r string, match_probability double",
    )
    report = evaluate(
        pairs=pairs,
        groups=groups,
        golden=golden,
        id_column="track_id",
        group_column="recording_group_id",
        truth_column="recording_id",
        kind_column="recording_kind",
        threshold=0.9,
    )
    # true pairs: t1-t2, t1-t3, t2-t3; predicted: t1-t2 (right), t3-t4 (a live take)
    assert report["n_true_pairs"] == 3 and report["n_predicted_pairs"] == 2
    assert report["precision"] == pytest.approx(1 / 2)
    assert report["recall"] == pytest.approx(1 / 3)
    assert report["f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert report["blocking_recall"] == pytest.approx(2 / 3)  # t2-t3 never blocked
    # B-cubed per track: P = 1, 1, 1/2, 1/2, 1; R = 2/3, 2/3, 1/3, 1, 1
    assert report["bcubed_precision"] == pytest.approx(4 / 5)
    assert report["bcubed_recall"] == pytest.approx(11 / 15)
    assert report["false_merges"] == {"live": 1}
    assert report["cluster_false_merges"] == {"live": 1}
    assert (report["n_groups"], report["largest_group"], report["n_records"]) == (3, 2, 5)
