"""Labelled pairs and linkage between sources, piece by piece, then the iTunes-Amazon bench.

The pieces run on made-up records with real Spark, Delta and Splink: labelled
pairs ingested through a mapping, a link_only model splitting one feature
table by source, m from labelled matches, exactly the labelled pairs scored
and blocking judged on them. The last test runs the benchmark's whole path
(jobs.bench_quality.run_dataset) on a slice of iTunes-Amazon: the full data
set takes minutes on 2 cores, the figures in the README come from
`make bench-quality`.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import yaml
from chispa import assert_df_equality

from features.errors import ConfigError
from features.schemas import TRACK_INPUT, labelled_pairs_schema
from features.tracks import build_track_features
from jobs import ingest
from jobs.bench import credits as bench_credits
from jobs.bench import quality as bench_quality
from jobs.runtime.config import PROJECT_ROOT
from jobs.runtime.delta import read_table
from jobs.runtime.mapping import load_mapping
from splink_models import estimation, spark_backend, training
from splink_models import model as model_lib
from splink_models.recordings.settings import VERSION_M_PROBABILITIES
from tests.conftest import test_config as config_in  # not collected as a test

DATASETS = Path(os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets"))
ITUNES = PROJECT_ROOT / "conf" / "sources" / "itunes_amazon.yaml"


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _store_mapping(tmp_path: Path, labelled_pairs: dict) -> Path:
    folder = tmp_path / "datasets" / "stores"
    _write_csv(
        folder / "a.csv", ["id", "name", "who"], [[1, "Hello", "Adele"], [2, "Skyfall", "Adele"]]
    )
    _write_csv(folder / "b.csv", ["key", "song", "artist"], [["x1", "Hello", "Adele"]])
    tree = {
        "entity": "recordings",
        "linkage": "link_only",
        "sources": {
            "store_a": {
                "path": "{datasets}/stores/a.csv",
                "format": "csv",
                "id": {"column": "id", "prefix": "a-"},
                "columns": {"title": "name", "artists": "who"},
            },
            "store_b": {
                "path": "{datasets}/stores/b.csv",
                "format": "csv",
                "id": {"column": "key", "prefix": "b-"},
                "columns": {"title": "song", "artists": "artist"},
            },
        },
        "labelled_pairs": labelled_pairs,
    }
    path = tmp_path / "stores.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    return path


def test_labelled_pairs_land_as_record_ids_with_unusable_rows_left_out(spark, tmp_path):
    _write_csv(
        tmp_path / "datasets" / "stores" / "labels.csv",
        ["a_id", "b_id", "same", "part"],
        [
            [1, "x1", 1, "train"],
            [" 2 ", "x1", "false", "valid"],  # ids are trimmed like ingest trims them
            [2, "x1", "yes", ""],  # a blank split is no split
            [1, "", 1, "train"],  # no right id
            [1, "x1", "maybe", "train"],  # not a label
        ],
    )
    mapping = _store_mapping(
        tmp_path,
        {
            "path": "{datasets}/stores/labels.csv",
            "left": {"source": "store_a", "column": "a_id"},
            "right": {"source": "store_b", "column": "b_id"},
            "label": "same",
            "split": "part",
        },
    )
    cfg = config_in(tmp_path)

    result = ingest.run(
        spark, cfg, mapping_path=mapping, datasets_dir=tmp_path / "datasets", run_id="r1"
    )

    contract = labelled_pairs_schema("track_id")
    expected = spark.createDataFrame(
        [("a-1", "b-x1", 1, "train"), ("a-2", "b-x1", 0, "valid"), ("a-2", "b-x1", 1, None)],
        contract,
    )
    written = read_table(spark, result.labelled_pairs_table, contract)
    assert_df_equality(written, expected, ignore_row_order=True, ignore_nullable=True)
    assert result.labelled_pairs == {"": 1, "train": 1, "valid": 1}
    assert result.labelled_pairs_excluded == {
        "missing right id (b_id)": 1,
        "label is not 1/0, true/false or yes/no (same)": 1,
    }


def test_labelled_pairs_mapping_problems_are_each_named(tmp_path):
    mapping = _store_mapping(
        tmp_path,
        {
            "path": "{datasets}/stores/labels.csv",
            "files": {"train": "{datasets}/stores/train.csv"},
            "left": {"source": "store_c", "column": "a_id"},
            "right": {"source": "store_b"},
            "colour": "blue",
        },
    )
    with pytest.raises(ConfigError) as err:
        load_mapping(mapping, datasets_dir=tmp_path / "datasets")
    keys = [p.strip().removeprefix("- ").split(":", 1)[0] for p in str(err.value).splitlines()[1:]]
    assert keys == [
        "labelled_pairs.colour",
        "labelled_pairs",  # files and path both given
        "labelled_pairs.left.source",
        "labelled_pairs.right",
        "labelled_pairs.label",
    ]


def test_itunes_mapping_labels_name_the_ids_ingest_writes():
    labels = load_mapping(ITUNES, datasets_dir="/data").labelled_pairs
    assert labels is not None
    assert [split for split, _ in labels.files] == ["train", "valid"]
    assert (labels.left.source, labels.left.id_prefix) == ("itunes", "itunes-")
    assert (labels.right.source, labels.right.id_prefix) == ("amazon", "amazon-")


# --- linkage between sources, m from labels, labelled pairs scored -----------------------

# Two stores; "x" and "y" records of one song share title, artist and length.
TRACKS = [
    ("x1", "store_x", "Hello", ["Adele"], 295000),
    ("x2", "store_x", "Skyfall", ["Adele"], 286000),
    ("x3", "store_x", "Rolling in the Deep", ["Adele"], 228000),
    ("x4", "store_x", "Hello", ["Lionel Richie"], 250000),
    ("x5", "store_x", "Halo", ["Beyonce"], 261000),
    ("y1", "store_y", "Hello [ Explicit ]", ["Adele"], 295000),
    ("y2", "store_y", "Skyfall", ["Adele"], 287000),
    ("y3", "store_y", "Rolling In The Deep", ["Adele"], 229000),
    ("y4", "store_y", "Hello", ["Lionel Richie"], 251000),
    ("y5", "store_y", "Crazy in Love", ["Beyonce"], 236000),
    ("y6", "store_y", "Hello", ["Adele"], 295000),  # a same-store duplicate of y1
]


@pytest.fixture(scope="module")
def two_stores(spark):
    rows = [
        (tid, source, title, artists, None, ms, None, None, None, None, None)
        for tid, source, title, artists, ms in TRACKS
    ]
    tracks = spark.createDataFrame(rows, TRACK_INPUT)
    return build_track_features(tracks).cache()


def _pairs(spark, rows):
    return spark.createDataFrame(rows, "track_id_l string, track_id_r string")


def test_link_only_model_splits_by_source_and_takes_m_from_labelled_matches(spark, two_stores):
    matches = _pairs(spark, [("x1", "y1"), ("x2", "y2"), ("x3", "y3"), ("x4", "y4")])

    model, _ = training.train(
        spark,
        two_stores,  # one table: the link_only model splits it by its source column
        entity="recordings",
        module="splink_models.recordings",
        seed=7,
        max_pairs_for_u=1000,
        em_blocking=[["isrc"], ["core_title_key"]],  # no ISRCs: that session is skipped
        prior_rules=["l.core_title_key = r.core_title_key"],
        prior_recall=0.9,
        link_type="link_only",
        m_labels=matches,
        backend="duckdb",  # as jobs.train does with a sample this size (tests/splink_models/
        # test_dialect.py trains on Spark too)
    )

    assert model.dialect == "spark"  # trained on DuckDB, saved for Spark
    assert model.settings["link_type"] == "link_only"
    assert model.settings["source_dataset_column_name"] == "source"
    levels = {
        c["output_column_name"]: c["comparison_levels"] for c in model.settings["comparisons"]
    }
    title_m = [  # the learned levels ("numbers differ" has its m fixed)
        lv["m_probability"]
        for lv in levels["core_title"]
        if not lv.get("is_null_level") and not lv.get("fix_m_probability")
    ]
    # three labelled matches agree exactly on the title once tags are stripped
    # ("Hello" / "Hello [ Explicit ]"); "Rolling in the Deep" differs in case only
    fixed_m = sum(lv["m_probability"] for lv in levels["core_title"] if lv.get("fix_m_probability"))
    # the other learned levels get the floor, then all share what the fixed level leaves;
    # "exact title, same artist" (all three) and "exact title" (none: the floor) then carry
    # their sum, the m of an exact title (estimation.share_m)
    others = len(title_m) - 1
    share = (1.0 - fixed_m) / (1.0 + others * estimation.LABEL_M_FLOOR)
    assert (
        title_m[0]
        == title_m[1]
        == pytest.approx(share * (1.0 + estimation.LABEL_M_FLOOR), abs=1e-6)
    )
    assert min(title_m) >= estimation.LABEL_M_FLOOR * 0.99  # unseen levels: rare, not impossible
    version_m = [lv["m_probability"] for lv in levels["version"] if not lv.get("is_null_level")]
    assert version_m == pytest.approx(list(VERSION_M_PROBABILITIES))  # fixed by design: kept

    candidates = spark_backend.predict(spark, two_stores, model).select("track_id_l", "track_id_r")
    sources = {tid: source for tid, source, *_ in TRACKS}
    found = {tuple(sorted(r)) for r in candidates.collect()}
    assert found and all(sources[a] != sources[b] for a, b in found)  # no same-store pair
    assert ("x1", "y6") in found and ("y1", "y6") not in found


def test_exactly_the_labelled_pairs_are_scored_and_blocking_judged_on_them(spark, two_stores):
    model = model_lib.TrainedModel.from_settings(
        "recordings",
        spark_backend.linker(
            spark,
            two_stores,
            model_lib.model_module("splink_models.recordings").settings(link_type="link_only"),
        ).misc.save_model_to_json(),
    )
    labelled = _pairs(
        spark,
        [
            ("x1", "y1"),  # same title key and artist: generated
            ("x5", "y5"),  # same artist, titles share no first letters: never generated
            ("y1", "y6"),  # one store: never generated by a link_only model
            ("x2", "nope"),  # a record not in the features: not scored
        ],
    )

    scored = spark_backend.predict_given_pairs(spark, two_stores, model, labelled)
    generated = spark_backend.blocking_generates(two_stores, model, labelled)

    assert {(r.track_id_l, r.track_id_r) for r in scored.collect()} == {
        ("x1", "y1"),
        ("x5", "y5"),
        ("y1", "y6"),
    }
    assert {(r.track_id_l, r.track_id_r): r.generated for r in generated.collect()} == {
        ("x1", "y1"): True,
        ("x5", "y5"): False,
        ("y1", "y6"): False,
        ("x2", "nope"): False,
    }


def test_floor_keeps_fixed_m_and_rescales_learned_m():
    settings = {
        "comparisons": [
            {
                "comparison_levels": [
                    {"is_null_level": True},
                    {"m_probability": 0.9},
                    {"m_probability": 0.1},
                    {},  # never reached by a labelled match
                ]
            },
            {
                "comparison_levels": [
                    {"m_probability": 0.5, "fix_m_probability": True},
                    {"m_probability": 0.5},
                    {"m_probability": 0.0},
                ]
            },
        ]
    }
    floored = estimation.floor_learned_m(settings, 0.01)
    first = [lv.get("m_probability") for lv in floored["comparisons"][0]["comparison_levels"]]
    assert first[0] is None and first[1:] == pytest.approx([0.9 / 1.01, 0.1 / 1.01, 0.01 / 1.01])
    second = [lv["m_probability"] for lv in floored["comparisons"][1]["comparison_levels"]]
    assert second == pytest.approx([0.5, 0.5 * 0.5 / 0.51, 0.5 * 0.01 / 0.51])


# --- the benchmark --------------------------------------------------------------------


def test_bench_config_runs_each_dataset_in_its_own_scratch_with_its_linkage(tmp_path):
    bench = bench_quality.load_bench()
    (itunes,) = [d for d in bench.datasets if d.name == "itunes-amazon"]
    cfg = bench_quality.dataset_config(
        itunes, scratch_dir=str(tmp_path / "scratch"), datasets_dir=Path("/data")
    )
    recordings = cfg.entity("recordings")
    assert recordings.link_type == "link_only"  # the mapping's linkage
    assert recordings.training.m_from_labels and recordings.training.label_split == "train"
    assert cfg.paths.warehouse == str(tmp_path / "scratch" / "itunes-amazon" / "delta")
    assert str(tmp_path / "scratch") in cfg.mlflow.tracking_uri  # not the demo's store
    assert bench.report == "benchmarks/quality.json"


def test_bench_skips_with_a_message_when_the_datasets_folder_is_absent(tmp_path, caplog):
    assert bench_quality.main(["--datasets-dir", str(tmp_path / "nowhere")]) == 0
    assert "bench-quality skipped: no datasets folder" in caplog.text


def _slice_itunes_amazon(target: Path, n_other: int) -> None:
    """The labelled records of both tables plus the first ``n_other`` rows of each."""
    source = DATASETS / "itunes_amazon"
    target.mkdir(parents=True)
    wanted: dict[str, set[str]] = {"tableA.csv": set(), "tableB.csv": set()}
    for split in ("train", "valid"):
        name = f"{split}_ids.csv"
        (target / name).write_text((source / name).read_text())
        with (source / name).open() as handle:
            for row in csv.DictReader(handle):
                wanted["tableA.csv"].add(row["ltable_id"])
                wanted["tableB.csv"].add(row["rtable_id"])
    for table, ids in wanted.items():
        with (source / table).open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = [r for i, r in enumerate(reader) if r[0] in ids or i < n_other]
        _write_csv(target / table, header, rows)


@pytest.mark.e2e
def test_itunes_amazon_bench_on_a_slice(spark, tmp_path):
    if not (DATASETS / "itunes_amazon" / "train_ids.csv").exists():
        pytest.skip(f"iTunes-Amazon data not found under {DATASETS} (set MUSIC_RES_DATASETS)")
    datasets = tmp_path / "datasets"
    _slice_itunes_amazon(datasets / "itunes_amazon", n_other=500)
    bench = bench_quality.load_bench()
    (itunes,) = [d for d in bench.datasets if d.name == "itunes-amazon"]
    cfg = config_in(
        tmp_path,
        "entities.recordings.link_type=link_only",
        "entities.recordings.training.m_from_labels=true",
        "entities.recordings.training.label_split=train",
        "entities.recordings.training.max_pairs_for_u=200000",
    )

    rows, curves = bench_quality.run_dataset(
        spark, cfg, itunes, datasets_dir=datasets, run_id="bench-1"
    )

    credits = {r["split"]: r for r in rows if r["method"] == bench_credits.METHOD}
    by_split = {r["split"]: r for r in rows if r["method"] != bench_credits.METHOD}
    assert set(by_split) == {"train", "valid"}
    assert by_split["valid"]["threshold"] == by_split["train"]["threshold"]  # chosen on train
    assert (by_split["train"]["n_pairs"], by_split["valid"]["n_pairs"]) == (321, 109)
    assert by_split["valid"]["pair_completeness"] == 1.0
    assert by_split["valid"]["f1"] >= 0.9, rows
    assert set(curves["curves"]) == {"train", "valid"}
    # the two stores' performers, resolved into contributors, are one person on a match
    assert set(credits) == {"train", "valid"}
    for split, r in credits.items():
        assert r["n_matches_credited"] > 20, r
        assert r["credit_agreement"] >= 0.8, (split, r)
        assert r["n_nonmatches_different_artists"] > 0
        assert r["shared_by_different_artists"] <= 0.05, (split, r)
