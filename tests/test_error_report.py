"""The evaluation HTML page: figures, splits, curve and one waterfall per error, escaped."""

from __future__ import annotations

import re

from jobs.reports.error_report import render, waterfall_svg
from splink_models import model as model_lib

REPORT = {
    "precision": 0.9,
    "recall": 0.8,
    "f1": 0.847,
    "threshold": 0.9,
    "run_id": "r1",
    "model_version": "recordings-abc",
    "golden": "labelled pairs",
    "chosen_threshold_weight": 3.5,
    "choice_split": "train",
    "split_train": {"precision": 1.0, "recall": 0.5, "f1": 0.667, "n_pairs": 4, "n_matches": 2},
    "split_valid": {"precision": 0.75, "recall": 1.0, "f1": 0.857, "n_pairs": 6, "n_matches": 3},
}

ERRORS = [
    {
        "error_type": "false_positive",
        "rank": 1,
        "id_l": "t1",
        "id_r": "t2",
        "match_probability": 0.99,
        "match_weight": 6.0,
        "prior_weight": -10.0,
        "comparison_levels": [
            {"comparison": "title", "level": 2, "match_weight": 12.0},
            {"comparison": "duration", "level": 0, "match_weight": 4.0},
        ],
        "negative_kind": "live",
        "record_l": "Song <b>1</b> | A & B",
        "record_r": None,
    },
    {
        "error_type": "missed_by_blocking",
        "rank": 1,
        "id_l": "t3",
        "id_r": "t4",
        "match_probability": None,
        "match_weight": None,
        "prior_weight": None,
        "comparison_levels": None,
        "negative_kind": None,
        "record_l": "x",
        "record_r": "y",
    },
]


def test_the_page_shows_figures_splits_curve_and_a_waterfall_per_compared_error():
    curve = [
        {"threshold": 5.0, "precision": 1.0, "recall": 0.4, "f1": 0.57},
        {"threshold": 3.5, "precision": 0.9, "recall": 0.8, "f1": 0.85},
    ]
    page = render(
        entity="recordings",
        report=REPORT,
        errors=ERRORS,
        labels={("title", 2): "Exact match on title"},
        curve=curve,
    )
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
    assert "Pairwise precision</td><td class=num>0.9000" in page
    assert "<td>valid</td><td class=num>0.7500" in page  # one row per split
    assert 'aria-label="precision-recall curve"' in page and "chosen: P 0.900 R 0.800" in page
    # one waterfall (the false positive); the never-compared pair has no score to explain
    assert page.count('aria-label="waterfall"') == 1
    assert "never compared: no score" in page
    assert "title: Exact match on title" in page and "duration: level 0" in page
    assert "golden says: live" in page
    # record text is escaped; a missing record shows its id
    assert "Song &lt;b&gt;1&lt;/b&gt; | A &amp; B" in page and "R: t2" in page
    assert "False negatives (0 shown)" in page


def test_waterfall_bars_run_from_the_running_total():
    svg = waterfall_svg([("prior", -10.0), ("title", 12.0), ("duration", 4.0)], 3.17, width=640)
    rects = [
        (float(x), float(w))
        for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ]
    assert len(rects) == 3
    # each bar starts where the previous one ended (prior ends at -10, title runs -10 -> 2)
    assert abs((rects[1][0]) - (rects[0][0])) < 0.11
    assert abs(rects[2][0] - (rects[1][0] + rects[1][1])) < 0.11
    assert "match weight +6.00" in svg


def test_level_labels_follow_splinks_gamma_numbering():
    model = model_lib.TrainedModel.from_settings(
        "recordings",
        {
            "comparisons": [
                {
                    "output_column_name": "title",
                    "comparison_levels": [
                        {"label_for_charts": "title is NULL", "is_null_level": True},
                        {"label_for_charts": "Exact"},
                        {"label_for_charts": "Fuzzy"},
                        {"label_for_charts": "All other"},
                    ],
                }
            ]
        },
    )
    assert model_lib.level_labels(model) == {
        ("title", -1): "title is NULL",
        ("title", 2): "Exact",
        ("title", 1): "Fuzzy",
        ("title", 0): "All other",
    }
