"""Labelled-pairs evaluation on made-up pairs whose figures are worked out by hand."""

from __future__ import annotations

import pytest

from splink_models.pair_evaluation import (
    CurvePoint,
    LabelledScore,
    best_threshold,
    choose_and_report,
    figures_at,
    pair_completeness,
    pr_curve,
)


def _pairs(*rows, split=None):
    """(label, score[, generated]) tuples -> LabelledScore."""
    return [
        LabelledScore(label=r[0], score=r[1], generated=r[2] if len(r) > 2 else True, split=split)
        for r in rows
    ]


# scores 9, 7, 5 (x2: a match and a non-match), 3, 1; four matches of six pairs
SIX = _pairs((1, 9.0), (1, 7.0), (1, 5.0), (0, 5.0), (0, 3.0), (1, 1.0))


@pytest.mark.parametrize(
    "threshold, precision, recall, f1",
    [
        (8.0, 1.0, 0.25, 0.4),  # only 9
        (5.0, 0.75, 0.75, 0.75),  # 9, 7 and both 5s: a threshold admits equal scores
        (1.0, 4 / 6, 1.0, 0.8),  # everything
        (10.0, 0.0, 0.0, 0.0),  # nothing predicted: precision 0, not a division error
    ],
)
def test_figures_at_a_threshold(threshold, precision, recall, f1):
    figures = figures_at(SIX, threshold)
    assert figures.precision == pytest.approx(precision)
    assert figures.recall == pytest.approx(recall)
    assert figures.f1 == pytest.approx(f1)
    assert (figures.n_pairs, figures.n_matches) == (6, 4)


def test_a_pair_blocking_never_generates_is_never_a_match_whatever_its_score():
    pairs = _pairs((1, 20.0, False), (1, 4.0), (0, 2.0), (1, None))  # None: not scored
    figures = figures_at(pairs, 0.0)
    # predicted: 4.0 and 2.0; the 20.0 pair is not a candidate, the None pair not scored
    assert (figures.n_predicted, figures.true_positives, figures.n_matches) == (2, 1, 3)
    assert figures.recall == pytest.approx(1 / 3)
    assert pair_completeness(pairs) == pytest.approx(2 / 3)  # None-scored is still generated


def test_pair_completeness_without_matches_is_unknown():
    assert pair_completeness(_pairs((0, 1.0), (0, 2.0, False))) is None


def test_pr_curve_has_one_point_per_distinct_score_from_the_top():
    assert pr_curve(SIX) == [
        CurvePoint(9.0, 1.0, 0.25, pytest.approx(0.4)),
        CurvePoint(7.0, 1.0, 0.5, pytest.approx(2 / 3)),
        CurvePoint(5.0, 0.75, 0.75, pytest.approx(0.75)),
        CurvePoint(3.0, 0.6, 0.75, pytest.approx(2 / 3)),
        CurvePoint(1.0, pytest.approx(4 / 6), 1.0, pytest.approx(0.8)),
    ]


def test_best_threshold_maximises_f1_halfway_to_the_next_lower_score():
    # F1 0.8 admitting everything (lowest score 1.0): one bit below it
    assert best_threshold(SIX) == pytest.approx(0.0)
    # best F1 admitting 9 and 7 (F1 1.0): halfway between 7 and the non-match at 3
    assert best_threshold(_pairs((1, 9.0), (1, 7.0), (0, 3.0))) == pytest.approx(5.0)


def test_best_threshold_breaks_ties_towards_the_higher_threshold():
    # admitting 8 gives F1 2/3 (P 1, R 1/2); admitting down to 2 also gives 2/3 (P 1/2, R 1)
    pairs = _pairs((1, 8.0), (0, 6.0), (0, 4.0), (1, 2.0))
    assert [round(p.f1, 4) for p in pr_curve(pairs)] == [0.6667, 0.5, 0.4, 0.6667]
    assert best_threshold(pairs) == pytest.approx(7.0)


def test_best_threshold_needs_a_scored_pair():
    with pytest.raises(ValueError, match="no scored"):
        best_threshold(_pairs((1, 3.0, False), (0, None)))


def test_labels_other_than_zero_and_one_are_refused():
    with pytest.raises(ValueError, match="0 or 1"):
        figures_at(_pairs((2, 1.0)), 0.0)


def test_threshold_is_chosen_on_one_split_and_reported_on_another():
    train = _pairs((1, 9.0), (1, 7.0), (0, 3.0), split="train")  # chooses 5.0
    # valid: at 5.0 the 6.0 match and the 5.5 non-match are admitted, the 4.0 match is not
    valid = _pairs((1, 6.0), (0, 5.5), (1, 4.0), (1, 8.0, False), split="valid")

    threshold, rows = choose_and_report([*train, *valid], choose_on="train", report=["valid"])

    assert threshold == pytest.approx(5.0)
    (row,) = rows
    assert row["split"] == "valid" and row["threshold"] == pytest.approx(5.0)
    assert row["precision"] == pytest.approx(0.5)
    assert row["recall"] == pytest.approx(1 / 3)
    assert row["f1"] == pytest.approx(0.4)
    assert (row["n_pairs"], row["n_matches"], row["n_predicted"]) == (4, 3, 2)
    assert row["pair_completeness"] == pytest.approx(2 / 3)


def test_an_absent_split_is_named():
    with pytest.raises(ValueError, match=r"no split \['test'\].*'train'"):
        choose_and_report(_pairs((1, 1.0), split="train"), choose_on="train", report=["test"])


def test_cluster_figures_pairwise_and_bcubed_by_hand():
    from splink_models.pair_evaluation import cluster_figures

    truth = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "3"}
    # edges make {a, b, c}, {d}, {e}; an edge to a record outside truth is ignored
    figures = cluster_figures([("a", "b"), ("b", "c"), ("e", "x")], truth)
    assert figures["precision"] == pytest.approx(1 / 3)  # of 3 implied pairs, a-b is right
    assert figures["recall"] == pytest.approx(1 / 2)  # of a-b and c-d
    # B-cubed, per record: precision a, b 2/3, c 1/3, d, e 1; recall a, b 1, c, d 1/2, e 1
    assert figures["bcubed_precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)
    assert figures["bcubed_recall"] == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)
    assert figures["largest"] == 3
