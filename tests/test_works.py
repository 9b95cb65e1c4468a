"""SongDNA works: recording groups clustered into songs, the original and typed relations.

The end-to-end tests run on the shared sample (``resolved_sample``, then the
``resolved_works`` fixture of tests/conftest.py); the relation rules are also
checked on hand-made groups, without a model.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from features.schemas import (
    RELATION_TYPES,
    TRACK_GOLDEN,
    VERSION_RELATIONS,
    WORK_FEATURES,
    WORK_GROUPS,
    WORK_INPUT,
    WORKS,
    groups_schema,
    pairs_schema,
)
from features.works import build_work_features
from jobs.runtime.delta import read_table
from splink_models import spark_backend
from splink_models.model import TrainedModel
from splink_models.works.relations import ORIGINAL, work_products

pytestmark = pytest.mark.e2e


def test_works_on_the_sample(resolved_works):
    _, report, _ = resolved_works
    assert report["kind"] == "derived" and report["golden"] == "clusters"
    assert report["f1"] > 0.95 and report["bcubed_f1"] > 0.97
    assert report["cover_precision"] >= 0.95
    assert report["relation_accuracy"] >= 0.9
    assert report["largest_group"] <= 50  # clustering.max_group_size: no chained mega-work


def test_works_tables_match_their_contracts_and_hang_together(spark, resolved_works):
    cfg, _, _ = resolved_works
    e = cfg.entity("works")
    groups = read_table(spark, cfg.table_path(e.groups_table), WORK_GROUPS)
    works = read_table(spark, cfg.table_path(e.tables["works"]), WORKS)
    relations = read_table(spark, cfg.table_path(e.tables["version_relations"]), VERSION_RELATIONS)
    recording_groups = read_table(spark, cfg.table_path(cfg.entity("recordings").groups_table))
    # every recording group is in exactly one work
    assert groups.count() == recording_groups.select("recording_group_id").distinct().count()
    assert groups.select("recording_group_id").distinct().count() == groups.count()
    # one original per work, and it is the works table's
    originals = groups.where("is_original").groupBy("work_id").count()
    assert originals.where("count != 1").count() == 0
    assert originals.count() == works.count() == groups.select("work_id").distinct().count()
    assert (
        works.join(
            groups.where("is_original").select(
                "work_id", F.col("recording_group_id").alias("original_recording_group_id")
            ),
            ["work_id", "original_recording_group_id"],
            "left_anti",
        ).count()
        == 0
    )
    # every other group relates once to its work's original, with a known type
    versions = groups.where(~F.col("is_original"))
    assert relations.count() == versions.count()
    joined = relations.join(
        works.select("work_id", F.col("original_recording_group_id").alias("dst_recording_group_id")),
        ["work_id", "dst_recording_group_id"],
    )
    assert joined.count() == relations.count()
    types = {r[0] for r in relations.select("relation_type").distinct().collect()}
    assert types <= set(RELATION_TYPES) and {"COVER_OF", "LIVE_VERSION_OF"} <= types
    assert relations.where(F.size("evidence") < 2).count() == 0


def test_a_cover_never_lands_in_the_original_recording_group(spark, resolved_sample):
    cfg, _, _ = resolved_sample
    e = cfg.entity("recordings")
    groups = read_table(spark, cfg.table_path(e.groups_table)).select("track_id", "recording_group_id")
    golden = read_table(spark, cfg.table_path(e.golden_table), TRACK_GOLDEN)
    tracks = groups.join(golden, "track_id")
    covers = tracks.where("recording_kind = 'cover'").select("work_id", "recording_group_id")
    studios = tracks.where("recording_kind = 'studio'").select("work_id", "recording_group_id")
    assert covers.count() > 20
    assert covers.join(studios, ["work_id", "recording_group_id"]).count() == 0


def _group(gid, version, artists, year, n_tracks):
    return {
        "recording_group_id": gid,
        "title": "Song",
        "core_title": "song",
        "core_title_key": "song",
        "title_numbers": None,
        "title_variants": ["song"],
        "title_tokens": ["song"],
        "iswcs": None,
        "iswc": None,
        "writer_keys": None,
        "writer_initial_keys": None,
        "artist_keys": artists,
        "primary_artist_key": artists[0] if artists else None,
        "version_type": version,
        "first_year": year,
        "duration_s": 200.0,
        "n_tracks": n_tracks,
    }


def test_the_original_and_each_relation_type_follow_version_and_performer(spark):
    rows = [
        _group("g01", "original", ["adalovelace"], 1971, 2),  # the original: earliest studio
        _group("g02", "original", ["adalovelace"], 1971, 1),  # same year, fewer tracks: re-recording
        _group("g03", "original", ["bob"], 1990, 1),  # another performer: a cover
        _group("g04", "original", None, 1995, 1),  # performer unknown: no cover claimed
        _group("g05", "live", ["adalovelace"], 1960, 1),  # earlier, but live: never the original
        _group("g06", "remix", ["adalovelace", "djx"], 1980, 1),
        _group("g07", "extended", ["adalovelace"], 1980, 1),
        _group("g08", "radio_edit", ["adalovelace"], 1971, 1),
        _group("g09", "acoustic", ["adalovelace"], 1985, 1),
        _group("g10", "instrumental", ["adalovelace"], 1972, 1),
        _group("g11", "karaoke", ["sing along stars"], 1999, 1),
        _group("g12", "re_recording", ["adalovelace"], 2010, 1),
        _group("g13", "cover", ["adalovelace"], 2001, 1),  # a title that says "(Cover)"
        _group("g14", "original", ["adalovelacee"], 1992, 1),  # the original's name with a typo
    ]
    features = spark.createDataFrame(rows, WORK_FEATURES)
    groups = spark.createDataFrame(
        [(r["recording_group_id"], "wk_1", len(rows), "g01", "r1", "m1") for r in rows],
        groups_schema("recording_group_id", "work_id"),
    )
    pairs = spark.createDataFrame([], pairs_schema("recording_group_id"))
    out = work_products(
        groups,
        features,
        pairs,
        id_column="recording_group_id",
        group_column="work_id",
        run_id="r1",
        model_version="m1",
    )
    roles = {
        r["recording_group_id"]: ORIGINAL
        for r in out["groups"].where("is_original").collect()
    }
    roles |= {
        r["src_recording_group_id"]: r["relation_type"]
        for r in out["version_relations"].collect()
    }
    assert roles == {
        "g01": ORIGINAL,
        "g02": "RERECORDING_OF",
        "g03": "COVER_OF",
        "g04": "RERECORDING_OF",
        "g05": "LIVE_VERSION_OF",
        "g06": "REMIX_OF",
        "g07": "REMIX_OF",
        "g08": "EDIT_OF",
        "g09": "ACOUSTIC_VERSION_OF",
        "g10": "INSTRUMENTAL_OF",
        "g11": "KARAOKE_OF",
        "g12": "RERECORDING_OF",
        "g13": "COVER_OF",
        "g14": "RERECORDING_OF",
    }
    relations = out["version_relations"].collect()
    assert {r["dst_recording_group_id"] for r in relations} == {"g01"}
    # no pair was scored: the evidence says how they met
    assert all("linked through other versions of the work" in r["evidence"] for r in relations)
    work = out["works"].first()
    assert work["original_recording_group_id"] == "g01" and work["n_recording_groups"] == len(rows)


def _input_row(gid, title, artists, *, iswc=None, writers=None, titles=None, year=2000):
    return {
        "recording_group_id": gid,
        "title": title,
        "titles": titles or [title],
        "artists": artists,
        "primary_artist": artists[0],
        "iswcs": [iswc] if iswc else None,
        "feed_titles": None,
        "writers": writers,
        "version_type": "original",
        "first_year": year,
        "duration_s": 230.0,
        "n_tracks": 2,
    }


def test_a_retitled_cover_joins_its_song_and_two_songs_of_one_title_stay_apart(
    spark, resolved_works
):
    """Scored by the sample's trained works model, beside the sample's groups (term frequencies)."""
    cfg, _, model_path = resolved_works
    e = cfg.entity("works")
    model = TrainedModel.load("works", str(model_path))
    rows = [
        _input_row(
            "x_stones", "(I Can't Get No) Satisfaction", ["The Rolling Stones"],
            iswc="T0345246801", writers=["Mick Jagger", "Keith Richards"], year=1965,
        ),
        _input_row(
            "x_otis", "Satisfaction", ["Otis Redding"],
            iswc="T0345246801", writers=["Jagger, Mick"], year=1966,
        ),
        _input_row(
            "x_cohen", "Hallelujah", ["Leonard Cohen"],
            iswc="T0700441242", writers=["Leonard Cohen"], year=1984,
        ),
        _input_row(
            "x_other", "Hallelujah", ["Kate Miller"],
            iswc="T9110307056", writers=["Kate Miller", "Tom Brand"], year=2011,
        ),
    ]
    crafted = build_work_features(spark.createDataFrame(rows, WORK_INPUT))
    sample = read_table(spark, cfg.table_path(e.features_table), WORK_FEATURES)
    pairs = spark.createDataFrame(
        [("x_otis", "x_stones"), ("x_cohen", "x_other")],
        "recording_group_id_l string, recording_group_id_r string",
    )
    scored = spark_backend.predict_given_pairs(spark, sample.unionByName(crafted), model, pairs)
    p = {
        (r["recording_group_id_l"], r["recording_group_id_r"]): r["match_probability"]
        for r in scored.collect()
    }
    assert p[("x_otis", "x_stones")] > 0.99
    assert p[("x_cohen", "x_other")] < 0.1
