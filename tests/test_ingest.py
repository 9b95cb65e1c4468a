"""Bring-your-own-catalog ingest: real files, real Spark, real Delta; nothing dropped silently."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import yaml
from chispa import assert_df_equality
from pyspark.sql import functions as F

from features.errors import ConfigError
from features.parsing import INGEST_REASON_PREFIX
from features.quality import RECORD_EXCLUDED, VALUE_NULLED
from features.schemas import QUARANTINE, TRACK_INPUT, VIDEO_INPUT
from jobs import ingest
from jobs.runtime.config import PROJECT_ROOT
from jobs.runtime.delta import read_table
from jobs.runtime.mapping import load_mapping
from jobs.stages.ingest import FieldCount
from tests.conftest import test_config as config_in  # not collected as a test

NO_GATE = "quality.max_quarantined_share=1"  # these files are hostile on purpose

EXAMPLE = PROJECT_ROOT / "conf" / "sources" / "example_catalog.yaml"
ITUNES = PROJECT_ROOT / "conf" / "sources" / "itunes_amazon.yaml"
DATASETS = Path(os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets"))

LABEL_FEED = """\
track_ref,track_title,artist_credit,release_title,length,release_date,isrc,p_line,genre,price
L1,"Don""t Stop Me Now",Queen,Jazz,3:29,10/11/1978,GBUM71029604,(P) 1978 Queen Productions,Rock,0.99
L2,"Crazy in Love
(feat. Jay-Z)",Beyoncé; Jay-Z,Dangerously in Love,236.4,2003,USSM10306563,℗ 2003 Columbia,R&B,1.29
L3,Ещё раз,Земфира,--,3 min,31/02/2015,,,--,0.99
L4,Yesterday,The Beatles,Help!,2:05,01/01/1900,GB-XYZ,,n/a,0.99
,Nameless,Nobody,,3:00,,,,,0.99
"""
STORE = [
    {
        "id": "s-1",
        "name": "Don't Stop Me Now",
        "artists": ["Queen"],
        "album": "Jazz",
        "duration": 209000,
        "released": "November 10 , 1978",
        "genre": "Rock",
    },
    {
        "id": 2,
        "name": "  Crazy In Love ft. Jay-Z ",
        "artists": ["Beyoncé", " ", "Jay-Z"],
        "duration": 236000,
        "released": "soon",
    },
    {"id": "s-3", "name": "PT3M", "artists": [], "duration": "PT3M20S", "released": "2015"},
]


def _write_example_files(root: Path) -> Path:
    folder = root / "datasets" / "example_catalog"
    folder.mkdir(parents=True)
    (folder / "label_feed.csv").write_text(LABEL_FEED, encoding="utf-8")
    lines = [json.dumps(r, ensure_ascii=False) for r in STORE] + ['{"id": "s-4", "name": ']
    (folder / "store.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "datasets"


def _write_mapping(path: Path, tree: dict) -> Path:
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    return path


def test_example_catalog_lands_in_the_input_table_with_every_problem_quarantined(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    datasets = _write_example_files(tmp_path)

    result = ingest.run(spark, cfg, mapping_path=EXAMPLE, datasets_dir=datasets, run_id="r1")

    d = dt.date
    expected = spark.createDataFrame(
        [  # no iswc column in these files: null
            (*row, None)
            for row in [
            ("label-L1", "label_feed", "Don\"t Stop Me Now", ["Queen"], "Jazz", 209000,
             "GBUM71029604", d(1978, 11, 10), "Queen Productions", "Rock"),
            ("label-L2", "label_feed", "Crazy in Love\n(feat. Jay-Z)", ["Beyoncé", "Jay-Z"],
             "Dangerously in Love", 236400, "USSM10306563", d(2003, 1, 1), "Columbia", "R&B"),
            # '--' and 'n/a' mean unknown: null without a quarantine row
            ("label-L3", "label_feed", "Ещё раз", ["Земфира"], None, None, None, None, None, None),
            ("label-L4", "label_feed", "Yesterday", ["The Beatles"], "Help!", 125000, "GB-XYZ",
             None, None, None),
            ("store-s-1", "store", "Don't Stop Me Now", ["Queen"], "Jazz", 209000, None,
             d(1978, 11, 10), None, "Rock"),
            ("store-2", "store", "Crazy In Love ft. Jay-Z", ["Beyoncé", "Jay-Z"], None, 236000,
             None, None, None, None),
            ("store-s-3", "store", "PT3M", None, None, 200000, None, d(2015, 1, 1), None, None),
            ]
        ],
        TRACK_INPUT,
    )  # fmt: skip
    written = read_table(spark, result.input_table, TRACK_INPUT)
    assert_df_equality(written, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)

    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE)
    got = {
        (r.record_id, r.field, r.action, r.reason.removeprefix(INGEST_REASON_PREFIX), r.raw_value)
        for r in quarantine.collect()
    }
    assert got == {
        ("label-L3", "duration_ms", VALUE_NULLED,
         "unparseable duration: not seconds, m:ss, h:mm:ss or ISO-8601", "3 min"),
        ("label-L3", "release_date", VALUE_NULLED,
         "unparseable date: matches none of the formats", "31/02/2015"),
        ("label-L4", "release_date", VALUE_NULLED, "placeholder date", "01/01/1900"),
        ("store-2", "release_date", VALUE_NULLED,
         "unparseable date: matches none of the formats", "soon"),
        (None, "track_id", RECORD_EXCLUDED, "missing id (source column 'track_ref')",
         '{"track_title":"Nameless","artist_credit":"Nobody","length":"3:00","price":"0.99"}'),
        (None, "_row", RECORD_EXCLUDED, "invalid JSON (Expecting value at column 23)",
         '{"id": "s-4", "name": '),
    }  # fmt: skip
    # each row says where its record is; a record with no id, only there
    located = {(r.record_id, r.field): r.location for r in quarantine.collect()}
    assert located[("store-2", "release_date")] == "store.jsonl line 2"
    assert located[(None, "_row")] == "store.jsonl line 4"
    assert located[(None, "track_id")].startswith("label_feed.csv line ")
    assert {r.reason[: len(INGEST_REASON_PREFIX)] for r in quarantine.collect()} == {
        INGEST_REASON_PREFIX
    }
    assert {r.run_id for r in quarantine.collect()} == {"r1"}

    # nothing vanished: each row read is written or excluded with a quarantine row
    assert result.rows_read == {"label_feed": 5, "store": 4}
    assert result.rows_excluded == {"label_feed": 1, "store": 1}
    assert result.rows_written == written.count() == 7
    assert result.linkage == "link_only"
    assert result.fields["label_feed"]["duration_ms"] == FieldCount(kept=3, nulled=1)
    assert result.fields["label_feed"]["release_date"] == FieldCount(kept=2, nulled=2)
    assert (
        result.quarantine_by_reason[
            f"release_date: {INGEST_REASON_PREFIX}unparseable date: matches none of the formats"
        ]
        == 2
    )


def test_ingest_and_features_each_replace_only_their_own_quarantine_rows(spark, tmp_path):
    from jobs.stages.features import build_features

    cfg = config_in(tmp_path, NO_GATE)
    datasets = _write_example_files(tmp_path)
    ingest.run(spark, cfg, mapping_path=EXAMPLE, datasets_dir=datasets, run_id="r1")
    build_features(spark, cfg, cfg.entity("recordings"), "r2")
    ingest.run(spark, cfg, mapping_path=EXAMPLE, datasets_dir=datasets, run_id="r3")

    build_features(spark, cfg, cfg.entity("recordings"), "r4")

    rows = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).collect()
    ingest_rows = [r for r in rows if r.reason.startswith(INGEST_REASON_PREFIX)]
    feature_rows = [r for r in rows if not r.reason.startswith(INGEST_REASON_PREFIX)]
    # each rerun replaced its own stage's rows and kept the other stage's
    assert {r.run_id for r in ingest_rows} == {"r3"} and len(ingest_rows) == 6
    assert {(r.run_id, r.record_id, r.field) for r in feature_rows} == {
        ("r4", "label-L4", "isrc")  # ingest keeps text as it is; the features judge ISRCs
    }
    assert read_table(spark, cfg.table_path(cfg.entity("recordings").features_table)).count() == 7


def test_typed_parquet_source(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    frame = spark.createDataFrame(
        [
            (101, "Hey Jude", ["The Beatles"], 431000, dt.date(1968, 8, 26), 7.5),
            (102, "Let It Be", ["The Beatles"], None, None, 1.0),
        ],
        "track_no long, title string, credits array<string>, ms long, released date, score double",
    )
    frame.write.parquet(str(tmp_path / "archive"))
    mapping = _write_mapping(
        tmp_path / "archive.yaml",
        {
            "entity": "recordings",
            "linkage": "dedupe_only",
            "sources": {
                "archive": {
                    "path": str(tmp_path / "archive"),
                    "format": "parquet",
                    "id": "track_no",
                    "columns": {
                        "title": "title",
                        "artists": "credits",
                        "duration_ms": "ms",
                        "release_date": "released",
                    },
                }
            },
        },
    )
    result = ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")
    expected = spark.createDataFrame(
        [  # no iswc column in these files: null
            (*row, None)
            for row in [
            ("101", "archive", "Hey Jude", ["The Beatles"], None, 431000, None,
             dt.date(1968, 8, 26), None, None),
            ("102", "archive", "Let It Be", ["The Beatles"], None, None, None, None, None, None),
            ]
        ],
        TRACK_INPUT,
    )  # fmt: skip
    written = read_table(spark, result.input_table, TRACK_INPUT)
    assert_df_equality(written, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)
    assert result.quarantine_by_reason == {}


def test_video_source(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    assert cfg.entity("videos").kind == "link"
    (tmp_path / "videos.jsonl").write_text(
        json.dumps({"vid": "a1", "t": "Queen - Don't Stop Me Now (Official Video)",
                    "ch": "Queen Official", "len": "PT3M36S", "at": "2008-08-01T10:00:00Z"})
        + "\n"
        + json.dumps({"vid": "a2", "t": "Земфира — Ещё раз", "ch": None, "len": "forever",
                      "at": "August 1, 2008"})
        + "\n"
    )  # fmt: skip
    mapping = _write_mapping(
        tmp_path / "videos.yaml",
        {
            "entity": "videos",
            "linkage": "dedupe_only",
            "sources": {
                "tube": {
                    "path": str(tmp_path / "videos.jsonl"),
                    "format": "json",
                    "id": {"column": "vid", "prefix": "yt-"},
                    "columns": {
                        "title": "t",
                        "channel_name": "ch",
                        "duration_ms": "len",
                        "published_at": "at",
                    },
                }
            },
        },
    )
    result = ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")
    utc = dt.UTC
    expected = spark.createDataFrame(
        [
            ("yt-a1", "tube", "Queen - Don't Stop Me Now (Official Video)", "Queen Official",
             None, 216000, dt.datetime(2008, 8, 1, 10, tzinfo=utc), None),
            ("yt-a2", "tube", "Земфира — Ещё раз", None, None, None,
             dt.datetime(2008, 8, 1, tzinfo=utc), None),
        ],
        VIDEO_INPUT,
    )  # fmt: skip
    written = read_table(spark, result.input_table, VIDEO_INPUT)
    assert_df_equality(written, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)
    assert list(result.quarantine_by_reason) == [
        f"duration_ms: {INGEST_REASON_PREFIX}unparseable duration: "
        "not milliseconds, m:ss, h:mm:ss or ISO-8601"
    ]


def test_a_missing_column_is_a_config_error_naming_source_key_and_file_columns(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    datasets = _write_example_files(tmp_path)
    tree = yaml.safe_load(EXAMPLE.read_text())
    tree["sources"]["label_feed"]["columns"]["album"] = "album_title"
    mapping = _write_mapping(tmp_path / "broken.yaml", tree)
    with pytest.raises(ConfigError) as err:
        ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=datasets, run_id="r1")
    message = str(err.value)
    assert "sources.label_feed.columns.album: 'album_title' is not a column of" in message
    assert "track_ref, track_title, artist_credit, release_title" in message
    assert not Path(cfg.table_path("tracks")).exists()  # nothing was written


def test_missing_source_paths_are_one_config_error_naming_each(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    with pytest.raises(ConfigError) as err:
        ingest.run(spark, cfg, mapping_path=EXAMPLE, datasets_dir=tmp_path / "nowhere", run_id="r1")
    message = str(err.value)
    assert "nowhere/example_catalog/label_feed.csv (sources.label_feed.path)" in message
    assert "nowhere/example_catalog/store.jsonl (sources.store.path)" in message


def test_mapping_problems_are_collected_and_each_named(tmp_path):
    mapping = _write_mapping(
        tmp_path / "bad.yaml",
        {
            "entity": "recordings",
            "linkage": "link_only",
            "colour": "blue",
            "placeholders": {"release_date": ["someday"]},
            "sources": {
                "a": {
                    "path": "{datasets}/a.csv",
                    "format": "xls",
                    "id": "id",
                    "columns": {
                        "titel": "T",
                        "duration_ms": {"column": "D", "unit": "min", "frames": 25},
                        "release_date": {"column": "R", "parse": "duration"},
                    },
                }
            },
        },
    )
    with pytest.raises(ConfigError) as err:
        load_mapping(mapping)
    problems = str(err.value).splitlines()[1:]
    keys = [p.strip().removeprefix("- ").split(":", 1)[0] for p in problems]
    assert keys == [
        "colour",
        "sources.a.path",
        "sources.a.format",
        "sources.a.columns.titel",
        "sources.a.columns.duration_ms.unit",
        "sources.a.columns.duration_ms.frames",
        "sources.a.columns.release_date.parse",
        "placeholders.release_date",
        "sources.a.columns.title",
        "linkage",
    ]


def test_example_and_itunes_mappings_load():
    example = load_mapping(EXAMPLE, datasets_dir="/data")
    assert [s.name for s in example.sources] == ["label_feed", "store"]
    assert example.sources[0].path == "/data/example_catalog/label_feed.csv"
    itunes = load_mapping(ITUNES, datasets_dir="/data")
    assert itunes.linkage == "link_only"
    dates = {f.field: f for f in itunes.sources[0].fields}["release_date"]
    assert dates.options["placeholders"] == ("1900-01-01", "1990-01-01")


@pytest.mark.e2e
def test_itunes_amazon_ingest(spark, tmp_path):
    if not (DATASETS / "itunes_amazon" / "tableA.csv").exists():
        pytest.skip(f"iTunes-Amazon data not found under {DATASETS} (set MUSIC_RES_DATASETS)")
    cfg = config_in(tmp_path, NO_GATE)
    result = ingest.run(spark, cfg, mapping_path=ITUNES, datasets_dir=DATASETS, run_id="r1")
    assert result.rows_read == {"itunes": 6907, "amazon": 55923}
    assert result.rows_excluded == {"itunes": 0, "amazon": 0}
    assert read_table(spark, result.input_table, TRACK_INPUT).count() == 6907 + 55923
    for source in ("itunes", "amazon"):
        for name in ("duration_ms", "release_date"):
            counts = result.fields[source][name]
            assert counts.parse_rate > 0.99, (source, name, counts)
    written = read_table(spark, result.input_table, TRACK_INPUT)
    sample = written.where(F.col("track_id").isin("itunes-19", "itunes-953", "amazon-46"))
    assert {r.track_id: r.duration_ms for r in sample.collect()} == {
        "itunes-19": 1627000,  # '27:07:00': a spreadsheet's 27 min 7 s
        "itunes-953": 7766000,  # '2:09:26': a real 2-hour concert
        "amazon-46": 1488000,  # '24:48:00'
    }
    assert (
        result.quarantine_by_reason[f"release_date: {INGEST_REASON_PREFIX}placeholder date"] == 20
    )
    # the two shifted tableB rows are quarantined, not lost
    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE)
    bad_time = {r.record_id for r in quarantine.where("field = 'duration_ms'").collect()}
    assert {"amazon-20485", "amazon-20488"} <= bad_time
