"""Titles that differ only by a number are different songs, in every model that compares titles.

First the level itself: its SQL, rendered for Spark and for DuckDB, on a
table of number arrays. Then the models: each case is two records identical
but for the title, added to the shared sample's features (so that term
frequencies are those of a real run) and scored, the way the resolve stage
scores candidates, with the model trained on that sample (tests/conftest.py).
A differing number must keep the pair below the entity's threshold; the same
pair without one (or differing only by a remaster tag) must stay above it.
"""

from __future__ import annotations

import duckdb
import pytest
from pyspark.sql import functions as F

from features.schemas import VIDEO_INPUT, WORK_INPUT
from features.video_links import track_link_view, video_link_view
from features.videos import build_video_features
from features.works import build_work_features
from jobs.stages import linked
from jobs.stages.common import read_features
from splink_models.model import TrainedModel
from splink_models.recordings import settings as recording_settings
from splink_models.videos import settings as video_settings
from splink_models.works import settings as work_settings
from tests.splink_models._handmade import (
    ARTISTS,
    case_scores,
    case_tracks,
    check_sides,
    duration_ms,
    materialised,
    pair_ids,
)

LEVEL_LABEL = "Title numbers differ (Part 1 / Part 2, No. 5 / No. 9)"

# (numbers_l, numbers_r, in the "numbers differ" level)
LEVEL_CASES = [
    (["1"], ["10"], True),
    (["1", "27"], ["2", "27"], True),  # Op. 27 No. 1 / Op. 27 No. 2
    (["1"], ["1"], False),
    (["5"], ["5", "67"], False),  # "Symphony No. 5" / "Symphony No. 5, Op. 67": one says more
    (None, ["2"], False),  # a number on one side only: no evidence either way
    (["2"], None, False),
    (None, None, False),
]


def _title_comparisons(dialect: str):
    for module in (recording_settings, video_settings, work_settings):
        comparisons = module.settings().get_settings(dialect).comparisons
        yield (
            module.ENTITY,
            next(c for c in comparisons if c.output_column_name in ("core_title", "title")),
        )


def _number_level(comparison):
    levels = comparison.comparison_levels
    assert levels[0].is_null_level and levels[1].label_for_charts == LEVEL_LABEL, [
        lv.label_for_charts for lv in levels
    ]
    return levels[1]


@pytest.fixture(scope="module")
def number_pairs(spark):
    return spark.createDataFrame(
        [(i, left, right) for i, (left, right, _) in enumerate(LEVEL_CASES)],
        "i int, title_numbers_l array<string>, title_numbers_r array<string>",
    ).cache()


def test_the_level_follows_the_null_level_and_reads_alike_on_spark_and_duckdb(spark, number_pairs):
    expected = {i: differ for i, (_, _, differ) in enumerate(LEVEL_CASES)}
    number_pairs.createOrReplaceTempView("number_pairs")
    con = duckdb.connect()
    con.register("number_pairs", number_pairs.toArrow())
    for dialect in ("spark", "duckdb"):
        for entity, comparison in _title_comparisons(dialect):
            level = _number_level(comparison)
            sql = f"select i, coalesce({level.sql_condition}, false) from number_pairs"
            rows = spark.sql(sql).collect() if dialect == "spark" else con.sql(sql).fetchall()
            assert dict((int(i), bool(v)) for i, v in rows) == expected, (entity, dialect)
            # fixed m and u: EM cannot wash it out, random sampling cannot turn it round
            assert level._fix_m_probability and level._fix_u_probability, (entity, dialect)
            assert level.m_probability < level.u_probability / 100, (entity, dialect)


# (title, other title, same song): two records identical but for the title
SCORING_CASES = [
    ("Fine Song 1", "Fine Song 10", False),
    ("Another Brick in the Wall, Part 1", "Another Brick in the Wall, Part 2", False),
    ("Symphony No. 5", "Symphony No. 9", False),
    ("Trance Anthems Vol. 3", "Trance Anthems Vol. 4", False),
    ("Piano Sonata Op. 27 No. 1", "Piano Sonata Op. 27 No. 2", False),
    ("Fine Song 1", "Fine Song 1", True),
    ("Symphony No. 5", "Symphony No.5", True),
    (
        "Another Brick in the Wall, Part 2",
        "Another Brick in the Wall, Part 2 (2011 Remaster)",
        True,
    ),
    ("Fine Song 1", "Fine Song 1 - Remastered 2009", True),
]


@pytest.mark.e2e
def test_recordings_that_differ_only_by_a_title_number_are_not_matched(spark, resolved_sample):
    cfg, _, _ = resolved_sample
    entity = cfg.entity("recordings")
    model = TrainedModel.load(entity.name, cfg.paths.models_dir)
    features = read_features(spark, cfg, entity).unionByName(
        case_tracks(spark, cfg, "num-t", SCORING_CASES)
    )

    wanted = [pair_ids("num-t", i) for i in range(len(SCORING_CASES))]
    scores = case_scores(spark, features, model, wanted)
    check_sides(scores, wanted, SCORING_CASES, entity.threshold)


@pytest.mark.e2e
def test_works_that_differ_only_by_a_title_number_are_not_matched(spark, resolved_works):
    cfg, _, model_path = resolved_works
    entity = cfg.entity("works")
    model = TrainedModel.load(entity.name, str(model_path))
    rows = [
        (group_id, title, [title], [ARTISTS[i].lower()], ARTISTS[i].lower())
        + (None, None, None, "original", None, duration_ms(i) / 1000, 1)
        for i, pair in enumerate(SCORING_CASES)
        for group_id, title in zip(pair_ids("num-w", i), pair[:2], strict=True)
    ]
    ours = build_work_features(
        spark.createDataFrame(rows, WORK_INPUT), generic_values=entity.generic_values
    )
    features = read_features(spark, cfg, entity).unionByName(materialised(ours))

    wanted = [pair_ids("num-w", i) for i in range(len(SCORING_CASES))]
    scores = case_scores(spark, features, model, wanted)
    check_sides(scores, wanted, SCORING_CASES, entity.threshold)


@pytest.mark.e2e
def test_a_video_is_not_linked_to_a_track_whose_title_number_differs(spark, resolved_videos):
    """The video names the case's first title, the track its second."""
    cfg, _, _, _ = resolved_videos
    entity = cfg.entity("videos")
    model = TrainedModel.load(entity.name, cfg.paths.models_dir)
    videos = spark.createDataFrame(
        [
            (f"num-v{i}", "test", f"{ARTISTS[i]} - {left} (Official Video)", ARTISTS[i])
            + (None, duration_ms(i), None, None)
            for i, (left, _, _) in enumerate(SCORING_CASES)
        ],
        VIDEO_INPUT,
    )
    tracks = case_tracks(spark, cfg, "num-t", SCORING_CASES).where(F.col("track_id").endswith("r"))
    groups = tracks.select("track_id", F.col("track_id").alias("recording_group_id"))
    sample_videos, sample_members = linked.model_inputs(spark, cfg, entity)
    ours_videos = video_link_view(
        build_video_features(videos, generic_values=entity.generic_values)
    )
    ours_members = track_link_view(
        tracks, groups, id_column="track_id", group_column="recording_group_id"
    )
    sides = [
        sample_videos.unionByName(materialised(ours_videos)),
        sample_members.unionByName(materialised(ours_members)),
    ]

    wanted = [(f"num-v{i}", pair_ids("num-t", i)[1]) for i in range(len(SCORING_CASES))]
    scores = case_scores(spark, sides, model, wanted)
    check_sides(scores, wanted, SCORING_CASES, entity.threshold)
