"""Assignment with cardinality: at most one group per record (a video), near-ties left ambiguous."""

from __future__ import annotations

from chispa import assert_df_equality
from pyspark.sql import functions as F

from splink_models.linking import (
    AMBIGUOUS,
    BELOW_THRESHOLD,
    NO_CANDIDATE,
    assign_records,
)

PAIRS_SCHEMA = (
    "record_id string, target_id string, group_id string, match_weight double, "
    "match_probability double, comparison_levels array<struct<comparison:string, level:int, "
    "match_weight:double>>"
)


def _p(weight: float) -> float:
    return 2**weight / (1 + 2**weight)


def _levels(title: float, artist: float, duration: float) -> list[tuple[str, int, float]]:
    return [("title", 1, title), ("artist", 2, artist), ("duration", 3, duration)]


def _pairs(spark):
    rows = [
        # v1: two member tracks of g1 (the best one counts) and a weaker g2
        ("v1", "t1", "g1", 10.0, _p(10.0), _levels(6.0, 5.0, -1.0)),
        ("v1", "t2", "g1", 8.0, _p(8.0), _levels(6.0, 3.0, -1.0)),
        ("v1", "t3", "g2", 3.0, _p(3.0), _levels(1.0, 3.0, -1.0)),
        # v2: g1 and g3 within the 1-bit margin -> ambiguous, not guessed
        ("v2", "t1", "g1", 9.0, _p(9.0), _levels(5.0, 5.0, -1.0)),
        ("v2", "t4", "g3", 8.5, _p(8.5), _levels(5.0, 4.5, -1.0)),
        # v3: one candidate, below p >= 0.9
        ("v3", "t3", "g2", -2.0, _p(-2.0), _levels(-1.0, 1.0, -2.0)),
        # v5: a lyric video on g1 scoring higher than the official v1
        ("v5", "t2", "g1", 12.0, _p(12.0), _levels(7.0, 5.0, 0.0)),
        # v6: a clear winner over a runner-up more than the margin away
        ("v6", "t4", "g3", 7.0, _p(7.0), _levels(4.0, 3.0, 0.0)),
        ("v6", "t3", "g2", 5.5, _p(5.5), _levels(4.0, 1.5, 0.0)),
    ]
    return spark.createDataFrame(rows, PAIRS_SCHEMA)


def _videos(spark):
    kinds = [
        ("v1", "official_video"),
        ("v2", "official_video"),
        ("v3", "fan"),
        ("v4", "other"),
        ("v5", "lyric_video"),
        ("v6", "live"),
    ]
    return spark.createDataFrame(kinds, "record_id string, record_kind string")


PRIMARY_ORDER = ("official_video", "lyric_video", "audio", "topic", "other", "live", "cover")


def _assign(spark):
    return assign_records(
        _pairs(spark),
        _videos(spark),
        threshold=0.9,
        ambiguity_margin=1.0,
        max_explanations=2,
        primary_order=PRIMARY_ORDER,
    )


def test_each_video_gets_at_most_one_group_and_a_reason_otherwise(spark):
    matches, unmatched = _assign(spark)
    got = matches.select("record_id", "group_id", "target_id", "is_primary")
    expected = spark.createDataFrame(
        [
            ("v1", "g1", "t1", True),
            ("v5", "g1", "t2", False),
            ("v6", "g3", "t4", True),
        ],
        "record_id string, group_id string, target_id string, is_primary boolean",
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    reasons = unmatched.select("record_id", "reason", "best_group_id")
    expected_unmatched = spark.createDataFrame(
        [
            ("v2", AMBIGUOUS, "g1"),
            ("v3", BELOW_THRESHOLD, "g2"),
            ("v4", NO_CANDIDATE, None),
        ],
        "record_id string, reason string, best_group_id string",
    )
    assert_df_equality(reasons, expected_unmatched, ignore_row_order=True, ignore_nullable=True)


def test_runner_up_and_explanation_are_kept(spark):
    matches, unmatched = _assign(spark)
    v1 = matches.where("record_id = 'v1'").first()
    assert v1["runner_up_match_weight"] == 3.0
    assert [e["comparison"] for e in v1["explanation"]] == ["title", "artist"]
    v2 = unmatched.where("record_id = 'v2'").first()
    assert v2["runner_up_group_id"] == "g3"
    assert abs(v2["runner_up_match_probability"] - _p(8.5)) < 1e-12


def test_a_wider_margin_turns_a_clear_win_into_ambiguity(spark):
    matches, unmatched = assign_records(
        _pairs(spark),
        _videos(spark),
        threshold=0.9,
        ambiguity_margin=2.0,
        max_explanations=2,
        primary_order=PRIMARY_ORDER,
    )
    assert matches.where("record_id = 'v6'").count() == 0
    assert unmatched.where(F.col("record_id") == "v6").first()["reason"] == AMBIGUOUS
    assert matches.count() + unmatched.count() == 6
