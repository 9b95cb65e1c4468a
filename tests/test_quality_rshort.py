"""rShort hold-out benchmark: the serialisation, the split, the thresholds (no Spark), the
project's video parser on Spark, and the model against the baseline on the real file.

The real-file group needs ../shared/datasets/shs100k (or $MUSIC_RES_DATASETS); it
skips without it, before starting Spark.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from features.tracks import core_title
from jobs._quality_rshort import (
    BASELINE_METHOD,
    DATASET,
    DEFAULT_DATASETS_DIR,
    FEATURE_COLUMNS,
    MODEL_METHOD,
    RSHORT_FILE,
    WORK_COLUMNS,
    RShortFormatError,
    RShortPair,
    best_threshold,
    feature_tables,
    figures_at,
    method_rows,
    parse_rshort_line,
    parse_videos,
    read_rshort,
    rshort_rows,
    split_pairs,
    work_title_alternatives,
)
from tests._helpers import check_column_function

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


def test_best_threshold_maximises_f1_over_tied_scores():
    # F1 at 0.9, 0.8, 0.7, 0.6, 0.5: 0.5, 0.8, 0.67, 0.86, 0.75
    assert best_threshold([0.9, 0.8, 0.7, 0.6, 0.5], [1, 1, 0, 1, 0]) == 0.6
    # a threshold admits every pair with its score: 0.5 admits both, F1 2/3 beats 0
    assert best_threshold([0.5, 0.5, 0.1], [0, 1, 0]) == 0.5


def test_threshold_is_chosen_on_train_and_applied_to_holdout():
    train = [_pair(n, "w", label) for n, label in enumerate([1, 1, 0, 1, 0])]
    holdout = [_pair(10 + n, "w", label) for n, label in enumerate([1, 0, 1, 0])]
    train_scores, holdout_scores = [0.9, 0.8, 0.7, 0.6, 0.5], [0.9, 0.61, 0.7, 0.2]
    assert best_threshold(holdout_scores, [p.label for p in holdout]) == 0.7  # not train's 0.6
    rows = method_rows("m", train_scores, train, holdout_scores, holdout)
    assert [(r["split"], r["threshold"]) for r in rows] == [("train", 0.6), ("holdout", 0.6)]
    at_train_threshold = figures_at(holdout_scores, [1, 0, 1, 0], 0.6)
    assert (rows[1]["precision"], rows[1]["recall"]) == (
        round(at_train_threshold.precision, 4),
        round(at_train_threshold.recall, 4),
    )
    assert rows[1]["f1"] < figures_at(holdout_scores, [1, 0, 1, 0], 0.7).f1
    assert (rows[1]["n_pairs"], rows[1]["n_matches"]) == (4, 2)


# --- the features, on Spark -------------------------------------------------------------

# Made-up (not rows of the file): non-ASCII names, an em dash; a masked right video.
NON_ASCII = (
    "COL title VAL Les Feuilles Mortes (Autumn Leaves) COL performer VAL Zoë Ångström "
    "COL video title VAL Zoë Ångström — Les Feuilles Mortes COL channel name VAL [MASK]"
)
MASKED = "COL title VAL [MASK] COL performer VAL [MASK] COL video title VAL [MASK] COL channel name VAL [MASK]"


def test_work_title_alternatives_are_the_title_and_its_bracketed_pieces(spark):
    check_column_function(
        spark,
        lambda title: work_title_alternatives(core_title(title), title),
        [
            ("Les Feuilles Mortes (Autumn Leaves)",
             ["les feuilles mortes autumn leaves", "les feuilles mortes", "autumn leaves"]),
            ("Bonie Moronie/Tequila", ["bonie moronie tequila", "bonie moronie", "tequila"]),
            ("Ça plane pour moi", ["ca plane pour moi"]),
            ("()", None),
            (None, None),
        ],
        "title string, expected array<string>",
    )  # fmt: skip


def test_parse_videos_runs_the_project_parser_on_each_distinct_video_once(spark):
    pairs = [
        parse_rshort_line(f"{LEFT}\t{RIGHT}\t1", 1),
        parse_rshort_line(f"{NON_ASCII}\t{MASKED}\t0", 2),
        parse_rshort_line(f"{NON_ASCII}\t{RIGHT}\t0", 3),
    ]
    parsed = parse_videos(spark, pairs, {"title": ("untitled",), "artist": ("various artists",)})
    assert len(parsed.videos) == 4 and len(parsed.works) == 2
    left, right = feature_tables(pairs, parsed)
    assert list(left.columns) == list(right.columns) == list(FEATURE_COLUMNS)
    assert list(left["pair_id"]) == list(right["pair_id"]) == [1, 2, 3]
    assert left["is_left"].all() and not right["is_left"].any()
    assert right[list(WORK_COLUMNS)].isna().all().all()  # the right video's work is masked
    rows = left.to_dict("records")
    assert rows[0] == {
        "pair_id": 1,
        "is_left": True,
        "work_title": "moonlight drive take 2",
        "work_titles": ["moonlight drive take 2"],
        "work_title_keys": ["moonlightdrivetake2"],
        "performer": "lamplighters",
        "performer_key": "lamplighters",
        "title_norm": "the lamplighters moonlight drive 1961",
        "core_title": "moonlight drive",
        "core_title_key": "moonlightdrive",
        "title_parts": ["the lamplighters", "moonlight drive"],
        "title_part_keys": ["lamplighters", "moonlightdrive"],
        "artist_keys": ["lamplighters"],
        "channel_artist_key": "oldies4ever",
    }
    assert rows[1]["work_title_keys"] == [
        "lesfeuillesmortesautumnleaves",
        "lesfeuillesmortes",
        "autumnleaves",
    ]
    assert (rows[1]["performer_key"], rows[1]["core_title"], rows[1]["artist_keys"]) == (
        "zoeangstrom",
        "les feuilles mortes",
        ["zoeangstrom"],
    )
    assert rows[1]["channel_artist_key"] is None
    # the wide gap is a lost dash; the channel says which part is the artist
    jane = right.to_dict("records")[0]
    assert (jane["core_title"], jane["artist_keys"], jane["channel_artist_key"]) == (
        "moonlight drive",
        ["janeroe"],
        "janeroe",
    )
    masked = right.to_dict("records")[1]
    assert masked["title_norm"] is None and masked["core_title_key"] is None


# --- the real file ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rshort_run(request):
    """rshort_rows on the real file, once, with its wall time; skips when the data is absent."""
    datasets_dir = DEFAULT_DATASETS_DIR
    if not (datasets_dir / RSHORT_FILE).is_file():
        pytest.skip(f"{RSHORT_FILE} not under {datasets_dir} (set MUSIC_RES_DATASETS)")
    spark = request.getfixturevalue("spark")  # only once the data is known to be there
    started = time.perf_counter()
    rows = rshort_rows(spark, Path(datasets_dir))
    return rows, time.perf_counter() - started


def test_rows_cover_both_methods_and_splits_at_one_threshold(rshort_run):
    rows, _ = rshort_run
    assert [(r["method"], r["split"]) for r in rows] == [
        (MODEL_METHOD, "train"),
        (MODEL_METHOD, "holdout"),
        (BASELINE_METHOD, "train"),
        (BASELINE_METHOD, "holdout"),
    ]
    keys = {"dataset", "method", "split", "precision", "recall", "f1", "threshold"}
    assert all(set(r) == keys | {"n_pairs", "n_matches"} and r["dataset"] == DATASET for r in rows)
    assert sum(r["n_pairs"] for r in rows[:2]) == 7060
    assert sum(r["n_matches"] for r in rows[:2]) == 1007
    assert rows[0]["threshold"] == rows[1]["threshold"]
    assert rows[2]["threshold"] == rows[3]["threshold"]


def test_model_beats_the_fuzzy_baseline_on_holdout(rshort_run):
    rows, _ = rshort_run
    model, baseline = rows[1], rows[3]
    assert model["split"] == baseline["split"] == "holdout"
    assert model["f1"] > baseline["f1"] + 0.1
    assert model["f1"] > 0.85
