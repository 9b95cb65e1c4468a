"""rShort hold-out benchmark: the serialisation, the split, the thresholds (no Spark), the
project's video parser on Spark, and the model against the baseline on the real file.

The real-file group needs ../shared/datasets/shs100k (or $MUSIC_RES_DATASETS); it
skips without it, before starting Spark.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from jobs.bench.rshort import (
    BASELINE_METHOD,
    DATASET,
    DEFAULT_DATASETS_DIR,
    RSHORT_FILE,
    RShortFormatError,
    RShortPair,
    _rows,
    parse_rshort_line,
    read_rshort,
    record_id,
    rshort_rows,
    split_pairs,
    target_id,
)
from splink_models.pair_evaluation import LabelledScore, figures_at
from tests.conftest import test_config as config_in  # not collected as a test

# Made-up lines in the file's shape (not rows of the file): an escaped comma,
# masked fields, a wide gap in a title.
LEFT = (
    "COL title VAL Moonlight Drive\\, Take 2 COL performer VAL The Lamplighters "
    "COL video title VAL The Lamplighters - Moonlight Drive (1961) COL channel name VAL oldies4ever"
)
RIGHT = (
    "COL title VAL [MASK] COL performer VAL [MASK] "
    "COL video title VAL Moonlight Drive  Jane Roe COL channel name VAL Jane Roe Music"
)
LEFT_WITHOUT_WORK = LEFT.replace("Moonlight Drive\\, Take 2", "[MASK]")


def _pair(line_number: int, work: str, label: int = 0) -> RShortPair:
    left = {"title": work, "performer": "Someone", "video title": f"Someone - {work}"}
    right = {"title": None, "performer": None, "video title": "Other - Song"}
    return RShortPair(
        line_number, {**left, "channel name": "c"}, {**right, "channel name": "d"}, label
    )


# --- the serialisation ------------------------------------------------------------


def test_parse_line_reads_every_field_unescaped_and_masks_as_none():
    pair = parse_rshort_line(f"{LEFT}\t{RIGHT}\t1\n", 7)
    assert pair.line_number == 7 and pair.label == 1
    assert pair.left == {
        "title": "Moonlight Drive, Take 2",
        "performer": "The Lamplighters",
        "video title": "The Lamplighters - Moonlight Drive (1961)",
        "channel name": "oldies4ever",
    }
    assert pair.right == {
        "title": None,
        "performer": None,
        "video title": "Moonlight Drive  Jane Roe",
        "channel name": "Jane Roe Music",
    }


@pytest.mark.parametrize(
    ("line", "where"),
    [
        (f"{LEFT}\t{RIGHT}", "line 7: expected 3 tab-separated fields"),
        (f"{LEFT}\t{RIGHT}\tyes", "line 7, field label"),
        (f"{LEFT}\t{RIGHT.split(' COL channel name')[0]}\t0", "line 7, right video"),
        (f"{LEFT.replace('performer', 'singer')}\t{RIGHT}\t0", "line 7, left video"),
        (f"junk {LEFT}\t{RIGHT}\t0", "line 7, left video: text before"),
        (f"{LEFT_WITHOUT_WORK}\t{RIGHT}\t0", "line 7, left video, field title"),
    ],
)
def test_malformed_lines_name_their_line_and_field(line, where):
    with pytest.raises(RShortFormatError, match=where):
        parse_rshort_line(line, 7)


def test_missing_field_is_named():
    with pytest.raises(RShortFormatError, match="missing field 'channel name'"):
        parse_rshort_line(f"{LEFT}\t{RIGHT.split(' COL channel name')[0]}\t0", 1)


def test_read_counts_lines_of_the_file(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text(f"{LEFT}\t{RIGHT}\t1\n\n{LEFT}\t{RIGHT}\t2\n", encoding="utf-8")
    with pytest.raises(RShortFormatError, match="line 3, field label"):
        read_rshort(path)


# --- the split --------------------------------------------------------------------


def test_split_is_seeded_stable_and_keeps_each_work_on_one_side():
    pairs = [_pair(n, f"Work Number {n % 200}") for n in range(1, 601)]
    train, holdout = split_pairs(pairs, seed=17, holdout_fraction=0.3)
    shuffled = random.Random(5).sample(pairs, len(pairs))
    again_train, again_holdout = split_pairs(shuffled, seed=17, holdout_fraction=0.3)
    held = {p.line_number for p in holdout}
    assert {p.line_number for p in again_holdout} == held
    assert len(train) + len(holdout) == 600 and {p.line_number for p in train}.isdisjoint(held)
    held_works = {p.left["title"] for p in holdout}
    assert held_works.isdisjoint(p.left["title"] for p in train)
    assert 0.2 < len(held_works) / 200 < 0.4
    other_seed = {p.line_number for p in split_pairs(pairs, seed=18, holdout_fraction=0.3)[1]}
    assert other_seed != held
    # case and punctuation do not matter: "WORK NUMBER 3!" is work 3
    variant = _pair(999, holdout[0].left["title"].upper() + "!")
    assert split_pairs([variant], seed=17, holdout_fraction=0.3)[1] == [variant]


def test_split_rejects_a_fraction_outside_zero_one():
    with pytest.raises(ValueError, match="holdout_fraction"):
        split_pairs([], seed=1, holdout_fraction=1.0)


# --- thresholds -------------------------------------------------------------------


def test_threshold_is_chosen_on_train_and_applied_to_holdout():
    scores = {"train": [0.9, 0.8, 0.7, 0.6, 0.5], "holdout": [0.9, 0.61, 0.7, 0.2]}
    labels = {"train": [1, 1, 0, 1, 0], "holdout": [1, 0, 1, 0]}
    pairs = [
        LabelledScore(label, score, True, split)
        for split in ("train", "holdout")
        for score, label in zip(scores[split], labels[split], strict=True)
    ]
    rows = _rows("m", pairs)
    # F1 on train at 0.9 .. 0.5: 0.5, 0.8, 0.67, 0.86, 0.75: the best admits 0.6, the
    # threshold sits halfway to the next lower score
    assert [(r["split"], r["threshold"]) for r in rows] == [("train", 0.55), ("holdout", 0.55)]
    holdout = [p for p in pairs if p.split == "holdout"]
    at_train_threshold = figures_at(holdout, 0.55)
    assert (rows[1]["precision"], rows[1]["recall"]) == (
        round(at_train_threshold.precision, 4),
        round(at_train_threshold.recall, 4),
    )
    assert rows[1]["f1"] < figures_at(holdout, 0.7).f1  # the holdout's own best is not used
    assert (rows[1]["n_pairs"], rows[1]["n_matches"]) == (4, 2)


def test_records_are_keyed_by_what_each_side_says():
    one = parse_rshort_line(f"{LEFT}\t{RIGHT}\t1", 1)
    two = parse_rshort_line(f"{LEFT}\t{RIGHT}\t0", 2)
    assert target_id(one) == target_id(two) and record_id(one) == record_id(two)
    assert target_id(one).startswith("shs-") and record_id(one).startswith("yt-")


# --- the real file ----------------------------------------------------------------------

N_PAIRS = 1000  # the file's first pairs: the whole file is make bench-quality's


@pytest.fixture(scope="module")
def rshort_run(request, tmp_path_factory):
    """rshort_rows on the first pairs of the real file, once; skips when the data is absent."""
    datasets_dir = DEFAULT_DATASETS_DIR
    if not (datasets_dir / RSHORT_FILE).is_file():
        pytest.skip(f"{RSHORT_FILE} not under {datasets_dir} (set MUSIC_RES_DATASETS)")
    spark = request.getfixturevalue("spark")  # only once the data is known to be there
    cfg = config_in(tmp_path_factory.mktemp("rshort"))
    spark.sparkContext.setCheckpointDir(cfg.paths.checkpoint_dir)
    rows = rshort_rows(
        spark, cfg, Path(datasets_dir), entity="videos", run_id="rshort-test", limit=N_PAIRS
    )
    return rows, read_rshort(Path(datasets_dir) / RSHORT_FILE)[:N_PAIRS]


def test_rows_cover_both_methods_and_splits_at_one_threshold(rshort_run):
    rows, pairs = rshort_run
    model = "videos model (link stages)"
    assert [(r["method"], r["split"]) for r in rows] == [
        (model, "train"),
        (model, "holdout"),
        (BASELINE_METHOD, "train"),
        (BASELINE_METHOD, "holdout"),
    ]
    assert all(r["dataset"] == DATASET for r in rows)
    assert sum(r["n_pairs"] for r in rows[:2]) == len(pairs)
    assert sum(r["n_matches"] for r in rows[:2]) == sum(p.label for p in pairs)
    assert rows[0]["threshold"] == rows[1]["threshold"]
    assert rows[2]["threshold"] == rows[3]["threshold"]
    assert rows[0]["model_version"].startswith("videos-")


def test_the_production_model_finds_matches_with_high_precision(rshort_run):
    rows, _ = rshort_run
    model, baseline = rows[1], rows[3]
    assert model["split"] == baseline["split"] == "holdout"
    assert model["precision"] > baseline["precision"]
    assert model["precision"] >= 0.9 and model["recall"] > 0.2
