"""Evaluation formulas on a hand-computed example (five tracks, three recordings)."""

from __future__ import annotations

import pytest

from splink_models.evaluation import evaluate, rule_counts


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
        base_kind="studio",
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


def _levels(*weights: float) -> list[tuple[str, int, float]]:
    return [(f"c{i}", 1, w) for i, w in enumerate(weights)]


def test_error_pairs_rank_the_most_confident_mistakes_and_add_the_never_compared(spark):
    from pyspark.sql import functions as F

    from splink_models.evaluation import error_pairs, label_pairs, with_missed_true_pairs

    golden = spark.createDataFrame(
        [("t1", "A"), ("t2", "A"), ("t3", "A"), ("t4", "B"), ("t5", "C"), ("t6", "C")],
        "track_id string, recording_id string",
    )
    pairs = spark.createDataFrame(
        [
            ("t1", "t2", 0.99, 7.0, _levels(5.0, 4.0)),  # right
            ("t3", "t4", 0.95, 4.0, _levels(3.0, 3.0)),  # false positive
            ("t1", "t4", 0.97, 5.0, _levels(4.0, 3.0)),  # false positive, more confident
            ("t1", "t3", 0.50, 0.0, _levels(1.0, 1.0)),  # false negative
            ("t3", "t2", 0.10, -3.0, _levels(-1.0, 0.0)),  # false negative, worse (reversed ids)
        ],
        "track_id_l string, track_id_r string, match_probability double, match_weight double, "
        "comparison_levels array<struct<comparison:string,level:int,match_weight:double>>",
    )
    labelled = label_pairs(
        pairs, golden, id_column="track_id", truth_column="recording_id", kind_column=None
    )
    true_pairs = spark.createDataFrame(
        [("t1", "t2"), ("t1", "t3"), ("t2", "t3"), ("t5", "t6")],
        "track_id_l string, track_id_r string",
    )
    labelled = with_missed_true_pairs(labelled, true_pairs, id_column="track_id")
    errors = error_pairs(labelled, id_column="track_id", threshold=0.9, top_n=1).orderBy(
        "error_type"
    )
    got = [(r.error_type, r.rank, r.id_l, r.id_r, r.prior_weight) for r in errors.collect()]
    # top 1 of each type; t2-t3 was compared (as t3-t2), so only t5-t6 was never compared;
    # the prior is what the comparisons' weights leave of the match weight
    assert got == [
        ("false_negative", 1, "t3", "t2", -2.0),
        ("false_positive", 1, "t1", "t4", -2.0),
        ("missed_by_blocking", 1, "t5", "t6", None),
    ]
    everything = error_pairs(labelled, id_column="track_id", threshold=0.9, top_n=10)
    counts = {r.error_type: r["count"] for r in everything.groupBy("error_type").count().collect()}
    assert counts == {"false_positive": 2, "false_negative": 2, "missed_by_blocking": 1}
    assert (
        everything.where(F.col("error_type") == "false_positive").where("rank = 2").first().id_l
        == "t3"
    )


def test_reduction_ratio_counts_the_pairs_an_exhaustive_comparison_would_score(spark):
    from splink_models.evaluation import possible_pairs, reduction_ratio

    records = spark.createDataFrame(
        [("a", "s1"), ("b", "s1"), ("c", "s1"), ("d", "s2"), ("e", "s2")],
        "track_id string, source string",
    )
    assert possible_pairs(records, link_type="dedupe_only") == 10
    assert possible_pairs(records, link_type="link_and_dedupe") == 10
    assert possible_pairs(records, link_type="link_only") == 6  # 3 x 2 across sources
    assert reduction_ratio(3, 6) == pytest.approx(0.5)
    assert reduction_ratio(0, 0) is None


def test_rule_counts_give_the_prior_recall_that_matches_the_golden_rate(spark):
    golden = spark.createDataFrame(
        [("t1", "A"), ("t2", "A"), ("t3", "A"), ("t4", "B"), ("t5", "B"), ("t6", "C")],
        "track_id string, recording_id string",
    )
    records = spark.createDataFrame(
        [
            ("t1", "X1", "Song"),
            ("t2", "X1", "Song"),
            ("t3", None, "Sonk"),
            ("t4", None, "Other"),
            ("t5", None, "Other"),
            ("t6", "X1", "Song"),  # shares t1's ISRC and title, but no recording
        ],
        "track_id string, isrc string, title string",
    )

    def counts(*rules):
        return rule_counts(
            records, golden, list(rules), id_column="track_id", truth_column="recording_id"
        )

    # true pairs: t1-t2, t1-t3, t2-t3, t4-t5; a null ISRC finds nothing
    isrc = counts("l.isrc = r.isrc")
    assert (isrc.true_pairs, isrc.found, isrc.rule_pairs) == (4, 1, 3)  # t1-t2, t1-t6, t2-t6
    assert isrc.recall == pytest.approx(1 / 4) and isrc.precision == pytest.approx(1 / 3)
    # 3 rule pairs / 0.75 / 15 possible = 4 / 15, the golden rate
    assert isrc.implied_recall == pytest.approx(3 / 4)
    # rules are OR-ed, and need not be equi-joins
    both = counts("l.isrc = r.isrc", "levenshtein(l.title, r.title) <= 1")
    assert (both.found, both.rule_pairs) == (4, 7)  # t1, t2, t3 and t6 all alike
    assert counts() is None
