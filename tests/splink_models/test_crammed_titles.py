"""A record whose title carries its artist, genre, price, duration and date, artist field empty.

Feeds of small stores look like this (iTunes-Amazon "Dirty": "Elevator ( feat .
Timbaland ) Flo Rida Mail On Sunday ... 3:55 17-Mar-08"). Each case pairs such
a record with a clean one; both go through the real feature builder, beside
the shared sample's features, and are scored by the recordings model trained
on that sample (tests/conftest.py). The same song must be a candidate (the
title-head rules block records without an artist) and score above the
threshold; another song of the same artist must not.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from features.schemas import TRACK_INPUT
from features.tracks import build_track_features
from jobs.stages.common import read_features
from splink_models import spark_backend
from splink_models.model import TrainedModel
from tests.splink_models._handmade import case_scores, check_sides, materialised, pair_scores

pytestmark = pytest.mark.e2e

# (crammed record, its clean counterpart (title, artist, duration ms), same recording)
CASES = [
    (
        "Lanternfall Road Edda Marrowgate Country , Music , Honky Tonk $ 0.99 3:41 9-Jan-15",
        ("Lanternfall Road", "Edda Marrowgate", 221_000),
        True,
    ),
    (
        "Quiet Harbour Lights Bram Ostrowind Harbour Songs Pop/Rock , Music 4:02",
        ("Quiet Harbour Lights", "Bram Ostrowind", 242_400),
        True,
    ),
    (  # a one-word song: the title's first two words are not the song's (first word rule)
        "Lighthouses Edda Marrowgate Trilogy R&B / Soul , Music 8:07",
        ("Lighthouses", "Edda Marrowgate", 487_000),
        True,
    ),
    (
        "Quiet Harbour Bram Ostrowind Harbour Songs Pop/Rock , Music 2:58",
        ("Quiet Harbour Lights", "Bram Ostrowind", 242_400),
        False,  # another song of the artist, its title a prefix of this one's
    ),
]


def _records(spark, cfg):
    rows = []
    for i, (crammed, (title, artist, duration_ms), _) in enumerate(CASES):
        rows.append((f"cram-{i}l", "feed", crammed, None, None, None) + (None,) * 5)
        rows.append((f"cram-{i}r", "store", title, [artist], None, duration_ms) + (None,) * 5)
    return materialised(
        build_track_features(
            spark.createDataFrame(rows, TRACK_INPUT),
            generic_values=cfg.entity("recordings").generic_values,
        )
    )


def test_a_crammed_record_is_blocked_and_scored_with_its_clean_copy(spark, resolved_sample):
    cfg, _, _ = resolved_sample
    entity = cfg.entity("recordings")
    model = TrainedModel.load(entity.name, cfg.paths.models_dir)
    ours = _records(spark, cfg)
    crammed = ours.where(F.col("track_id").endswith("l")).collect()
    assert all(r.primary_artist is None and r.duration_s for r in crammed)
    wanted = [(f"cram-{i}l", f"cram-{i}r") for i in range(len(CASES))]
    candidates = spark.createDataFrame(wanted, "track_id_l string, track_id_r string")
    generated = spark_backend.blocking_generates(ours, model, candidates)
    assert {(r.track_id_l, r.track_id_r) for r in generated.where("generated").collect()} == set(
        wanted
    )

    scored = spark_backend.predict(
        spark, read_features(spark, cfg, entity).unionByName(ours), model
    )

    shown = [(crammed, clean[0], same) for crammed, clean, same in CASES]
    check_sides(pair_scores(scored, entity.id_column, wanted), wanted, shown, entity.threshold)


_QUIET_HARBOUR = ("Quiet Harbour Lights", "Bram Ostrowind")

# (title, credited artists, the clean record's (title, artist), same recording); every
# record lasts 242.4 s. The title names the artist; the artist field nobody, or the
# same artist (its title starts with the artist's words: no other key pairs them).
TITLED_CASES = [
    ("Bram Ostrowind - Quiet Harbour Lights", ["Various Artists"], _QUIET_HARBOUR, True),
    ("Bram Ostrowind - Quiet Harbour Lights", ["Bram Ostrowind"], _QUIET_HARBOUR, True),
    ("Quiet Harbour Lights | Bram Ostrowind", None, _QUIET_HARBOUR, True),
    ("Quiet Harbour Lights by Bram Ostrowind", ["Various Artists"], _QUIET_HARBOUR, True),
    ("Bram Ostrowind - Quiet Harbour", ["Various Artists"], _QUIET_HARBOUR, False),
    ("Edda Marrowgate - Quiet Harbour Lights", ["Various Artists"], _QUIET_HARBOUR, False),
]


def test_a_title_that_names_the_artist_is_blocked_and_scored_with_the_fielded_record(
    spark, resolved_sample
):
    """Only the title parser's keys block these: their titles start with another word."""
    cfg, _, _ = resolved_sample
    entity = cfg.entity("recordings")
    model = TrainedModel.load(entity.name, cfg.paths.models_dir)
    rows = []
    for i, (title, artists, (clean_title, clean_artist), _) in enumerate(TITLED_CASES):
        rows.append((f"named-{i}l", "compilation", title, artists, None, 242_400) + (None,) * 5)
        rows.append(
            (f"named-{i}r", "store", clean_title, [clean_artist], None, 242_400) + (None,) * 5
        )
    ours = materialised(
        build_track_features(
            spark.createDataFrame(rows, TRACK_INPUT),
            generic_values=entity.generic_values,
            title_credit=True,
        )
    )
    wanted = [(f"named-{i}l", f"named-{i}r") for i in range(len(TITLED_CASES))]

    scores = case_scores(spark, read_features(spark, cfg, entity).unionByName(ours), model, wanted)

    wrong = [
        (case[0], scores.get(pair))
        for pair, case in zip(wanted, TITLED_CASES, strict=True)
        if (scores.get(pair, 0.0) >= entity.threshold) != case[-1]
    ]
    assert not wrong, f"threshold {entity.threshold}: {wrong}"
