"""Golden truth as a cluster id column (a mapping's golden_clusters): loader checks and ingest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql.types import StructField, StructType

from features.errors import ConfigError
from features.parsing import INGEST_REASON_PREFIX
from features.quality import RECORD_EXCLUDED
from features.schemas import QUARANTINE, TRACK_GOLDEN, TRACK_INPUT
from jobs import ingest
from jobs.runtime.config import PROJECT_ROOT
from jobs.runtime.delta import read_table
from jobs.runtime.mapping import GoldenClustersMapping, load_mapping
from jobs.stages.ingest import summary_lines
from tests.conftest import test_config as config_in  # not collected as a test

SHS = PROJECT_ROOT / "conf" / "sources" / "shs100k.yaml"
DATASETS = Path(os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets"))

# ';'-separated like SHS100K; the work column labels each performance's true cluster
PERFORMANCES = """\
rec;work;title;performer
r1;w1;Yesterday;The Beatles
r2; w1 ;Yesterday;Matt Monro
r3;w2;Hallelujah;Leonard Cohen
r4;  ;Hallelujah;Jeff Buckley
;w3;Nameless;Nobody
"""
BLANK_REASON = "no true cluster (perf.work blank)"


def _mapping_tree(path: str, **golden: str) -> dict:
    return {
        "entity": "recordings",
        "linkage": "link_and_dedupe",
        "sources": {
            "perf": {
                "path": path,
                "format": "csv",
                "options": {"header": True, "sep": ";"},
                "id": {"column": "rec", "prefix": "p-"},
                "columns": {"title": "title", "artists": "performer"},
            },
            "other": {
                "path": path,
                "format": "csv",
                "options": {"header": True, "sep": ";"},
                "id": {"column": "rec", "prefix": "o-"},
                "columns": {"title": "title"},
            },
        },
        "golden_clusters": {"source": "perf", "column": "work", **golden},
    }


def _write_mapping(path: Path, tree: dict) -> Path:
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    return path


def _problems(tmp_path: Path, tree: dict) -> list[str]:
    """The loader's problems as 'key: message' lines."""
    with pytest.raises(ConfigError) as err:
        load_mapping(_write_mapping(tmp_path / "bad.yaml", tree))
    return [p.strip().removeprefix("- ") for p in str(err.value).splitlines()[1:]]


# --- the loader ---------------------------------------------------------------------


def test_golden_clusters_load(tmp_path):
    mapping = load_mapping(_write_mapping(tmp_path / "m.yaml", _mapping_tree("x.csv")))
    assert mapping.golden_clusters == GoldenClustersMapping(
        source="perf", column="work", truth=None
    )
    assert mapping.golden_pairs is None
    shs = load_mapping(SHS, datasets_dir="/data")
    assert shs.golden_clusters == GoldenClustersMapping(
        source="shs", column="set_id", truth="work_id"
    )
    assert shs.sources[0].path == "/data/shs100k/shs100k2_test.csv"
    assert shs.sources[0].id_columns == ("set_id", "ver_id")


def _with(tree: dict, **golden_clusters) -> dict:
    tree["golden_clusters"] = {**tree["golden_clusters"], **golden_clusters}
    return tree


def _with_golden_pairs(tree: dict) -> dict:
    tree["golden_pairs"] = {
        "path": "gt.csv",
        "left": {"source": "perf", "column": "id1"},
        "right": {"source": "perf", "column": "id2"},
    }
    return tree


def _with_id(tree: dict, id_spec) -> dict:
    tree["sources"]["perf"]["id"] = id_spec
    return tree


@pytest.mark.parametrize(
    ("tweak", "expected"),
    [
        (
            lambda t: _with(t, colour="blue"),
            "golden_clusters.colour: unknown key (did you mean column?)",
        ),
        (
            lambda t: _with(t, source="nowhere"),
            "golden_clusters.source: 'nowhere' is not a source of this mapping (sources: perf, other)",
        ),
        (
            lambda t: {**t, "golden_clusters": {"source": "perf"}},
            "golden_clusters.column: missing: the source column holding each record's true "
            "cluster id",
        ),
        (
            _with_golden_pairs,
            "golden_clusters: the mapping has golden_pairs too: give the golden truth one way, "
            "not both",
        ),
        (
            lambda t: _with(t, truth="composer"),
            "golden_clusters.truth: 'composer' is not a field of the entity's golden contract "
            "(fields: ['recording_id', 'work_id', 'recording_kind', 'release_kind'])",
        ),
        (
            lambda t: _with(t, truth="track_id"),  # the record id is not a truth field
            "golden_clusters.truth: 'track_id' is not a field",
        ),
        (
            lambda t: {**t, "golden_clusters": "work"},
            "golden_clusters: expected a mapping with source and column",
        ),
        (
            lambda t: _with_id(t, {"columns": ["work"]}),
            "sources.perf.id.columns: must list two or more columns",
        ),
        (
            lambda t: _with_id(t, {"column": "rec", "columns": ["work", "rec"]}),
            "sources.perf.id: give column (one) or columns (several), not both",
        ),
    ],
    ids=[
        "unknown-key",
        "unknown-source",
        "no-column",
        "both-golden-forms",
        "truth-not-in-contract",
        "truth-is-the-id",
        "not-a-mapping",
        "one-id-column-listed",
        "column-and-columns",
    ],
)
def test_golden_clusters_problems_are_named(tmp_path, tweak, expected):
    problems = _problems(tmp_path, tweak(_mapping_tree("x.csv")))
    assert [p for p in problems if p.startswith(expected)] != [], problems
    assert len(problems) == 1, problems


# --- ingest -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("truth", "field"),
    [(None, "recording_id"), ("work_id", "work_id")],
    ids=["default-truth-column", "named-truth"],
)
def test_ingest_writes_one_golden_row_per_labelled_record(spark, tmp_path, truth, field):
    cfg = config_in(tmp_path)
    csv = tmp_path / "performances.csv"
    csv.write_text(PERFORMANCES, encoding="utf-8")
    golden = {"truth": truth} if truth else {}
    mapping = _write_mapping(tmp_path / "m.yaml", _mapping_tree(str(csv), **golden))

    result = ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")

    # each source's records as ingested; only perf's labelled ones are in the golden table
    assert result.rows_read == {"perf": 5, "other": 5}
    assert result.rows_excluded == {"perf": 1, "other": 1}
    values = {f.name: None for f in TRACK_GOLDEN.fields}
    rows = [("p-r1", "w1"), ("p-r2", "w1"), ("p-r3", "w2")]  # ' w1 ' trimmed
    nullable = StructType([StructField(f.name, f.dataType) for f in TRACK_GOLDEN.fields])
    expected = spark.createDataFrame(
        [tuple({**values, "track_id": i, field: w}.values()) for i, w in rows], nullable
    )  # the fields golden_clusters does not fill are null, as for golden_pairs
    written = read_table(spark, cfg.table_path("tracks_golden"), TRACK_GOLDEN)
    assert_df_equality(written, expected, ignore_row_order=True, ignore_nullable=True)
    # the golden ids are the input table's ids
    ids = {r.track_id for r in read_table(spark, result.input_table, TRACK_INPUT).collect()}
    assert {r.track_id for r in written.collect()} <= ids

    assert result.golden_records == 3
    assert result.golden_clusters == 2
    assert result.golden_records_excluded == {BLANK_REASON: 1}  # p-r4; the id-less row not again
    assert result.golden_table == cfg.table_path("tracks_golden")
    lines = summary_lines(result)
    assert f"golden clusters: 3 records in 2 true clusters -> {result.golden_table}" in lines
    assert f"  golden records left out, {BLANK_REASON}: 1" in lines
    assert not [line for line in lines if line.startswith("golden pairs")]


def test_an_id_of_two_columns_is_the_same_in_input_and_golden_tables(spark, tmp_path):
    cfg = config_in(tmp_path, "quality.max_quarantined_share=1")  # a row without an id, on purpose
    csv = tmp_path / "performances.csv"
    csv.write_text(
        "work;ver;video;title;performer\n"
        "w1;1;vid-a;Yesterday;The Beatles\n"
        "w1;2;vid-a;Yesterday;Matt Monro\n"  # one video, two versions: video is no key
        "w2; 1 ;vid-b;Hallelujah;Leonard Cohen\n"
        "w2;;vid-c;Hallelujah;Jeff Buckley\n",  # no ver: no id, excluded
        encoding="utf-8",
    )
    tree = _mapping_tree(str(csv), truth="work_id")
    del tree["sources"]["other"]
    tree["linkage"] = "dedupe_only"
    tree["sources"]["perf"]["id"] = {"columns": ["work", "ver"], "prefix": "p-"}
    mapping = _write_mapping(tmp_path / "m.yaml", tree)

    result = ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")

    ids = {r.track_id for r in read_table(spark, result.input_table, TRACK_INPUT).collect()}
    assert ids == {"p-w1-1", "p-w1-2", "p-w2-1"}
    written = read_table(spark, cfg.table_path("tracks_golden"), TRACK_GOLDEN)
    assert {(r.track_id, r.work_id) for r in written.collect()} == {
        ("p-w1-1", "w1"),
        ("p-w1-2", "w1"),
        ("p-w2-1", "w2"),
    }
    assert result.golden_records_excluded == {}
    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE)
    assert [(r.field, r.action, r.reason) for r in quarantine.collect()] == [
        (
            "track_id",
            RECORD_EXCLUDED,
            f"{INGEST_REASON_PREFIX}missing id (source column 'work+ver')",
        )
    ]


def test_a_cluster_column_the_file_lacks_is_named_before_anything_is_written(spark, tmp_path):
    cfg = config_in(tmp_path)
    csv = tmp_path / "performances.csv"
    csv.write_text(PERFORMANCES, encoding="utf-8")
    tree = _with(_mapping_tree(str(csv)), column="set_id")
    with pytest.raises(ConfigError) as err:
        mapping = _write_mapping(tmp_path / "m.yaml", tree)
        ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")
    assert "golden_clusters.column: 'set_id' is not a column of" in str(err.value)
    assert "(it has: rec, work, title, performer)" in str(err.value)
    assert not Path(cfg.table_path("tracks")).exists()


def test_a_default_truth_column_outside_the_golden_contract_is_a_config_error(spark, tmp_path):
    cfg = config_in(tmp_path, "entities.recordings.golden.truth_column=song_id")
    csv = tmp_path / "performances.csv"
    csv.write_text(PERFORMANCES, encoding="utf-8")
    mapping = _write_mapping(tmp_path / "m.yaml", _mapping_tree(str(csv)))
    with pytest.raises(ConfigError, match=r"golden.truth_column .*'song_id', not a field"):
        ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")
    assert not Path(cfg.table_path("tracks")).exists()


@pytest.mark.e2e
def test_shs100k_ingest(spark, tmp_path):
    if not (DATASETS / "shs100k" / "shs100k2_test.csv").exists():
        pytest.skip(f"SHS100K data not found under {DATASETS} (set MUSIC_RES_DATASETS)")
    cfg = config_in(tmp_path)
    result = ingest.run(spark, cfg, mapping_path=SHS, datasets_dir=DATASETS, run_id="r1")

    assert result.rows_read == {"shs": 10547}
    assert result.rows_excluded == {"shs": 0}
    tracks = read_table(spark, result.input_table, TRACK_INPUT)
    assert tracks.count() == tracks.select("track_id").distinct().count() == 10547
    golden = read_table(spark, cfg.table_path("tracks_golden"), TRACK_GOLDEN)
    assert golden.count() == 10547
    assert golden.select("work_id").distinct().count() == 1692
    assert golden.join(tracks, "track_id", "left_anti").count() == 0
    assert (result.golden_records, result.golden_clusters) == (10547, 1692)
    assert result.golden_records_excluded == {}
    # doubled quotes read as one ('escape'), the performer split by the artists parser
    sample = tracks.where(F.col("track_id").isin("shs-21-1", "shs-81-35", "shs-1520-15"))
    assert {r.track_id: (r.title, r.artists) for r in sample.collect()} == {
        "shs-21-1": ("Yesterday", ["Marianne Faithfull"]),
        "shs-81-35": ("The Girl from Ipanema", ['Richard "Groove" Holmes']),
        "shs-1520-15": ("River Deep - Mountain High", ["Precious Wilson", "La Mama"]),
    }
    truth = golden.where(F.col("track_id").isin("shs-21-1", "shs-1520-15")).collect()
    assert {(r.track_id, r.work_id, r.recording_id) for r in truth} == {
        ("shs-21-1", "21", None),
        ("shs-1520-15", "1520", None),
    }
