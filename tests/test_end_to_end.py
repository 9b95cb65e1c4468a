"""The whole chain on a small sample: quality, contracts, stable ids, quarantine, MLflow.

Uses the session fixture ``resolved_sample`` (tests/conftest.py), which runs
generate -> features -> train -> resolve -> evaluate once into a temporary
warehouse with the project's real jobs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, StructType

from features.schemas import (
    QUARANTINE,
    RECORDING_GROUPS,
    RECORDING_PAIRS,
    TRACK_FEATURES,
)
from jobs import resolve
from jobs.runtime.delta import read_table
from jobs.runtime.release import latest_release, latest_run
from jobs.samples.catalog import HARD_NEGATIVE_KINDS

pytestmark = pytest.mark.e2e

JVM_SIMPLE_TYPES = {"string", "bigint", "double", "boolean", "timestamp", "date", "int"}


def _assert_jvm_friendly(dtype: DataType, where: str) -> None:
    assert not isinstance(dtype, MapType), f"{where}: maps are awkward in BigQuery"
    if isinstance(dtype, StructType):
        for f in dtype.fields:
            assert f.name == f.name.lower() and " " not in f.name, (
                f"{where}.{f.name}: not snake_case"
            )
            _assert_jvm_friendly(f.dataType, f"{where}.{f.name}")
    elif isinstance(dtype, ArrayType):
        _assert_jvm_friendly(dtype.elementType, f"{where}[]")
    else:
        assert dtype.simpleString() in JVM_SIMPLE_TYPES, f"{where}: {dtype.simpleString()}"


def _names_and_types(schema: StructType) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in schema.fields]


def test_quality_on_the_sample(resolved_sample):
    _, report, _ = resolved_sample
    assert report["f1"] >= 0.95, report
    assert report["bcubed_f1"] >= 0.95, report
    assert report["precision"] >= 0.95 and report["recall"] >= 0.93, report
    assert report["blocking_recall"] >= 0.97, report
    # every hard-negative kind is reported, merged or not
    assert set(HARD_NEGATIVE_KINDS) <= set(report["false_merges"])
    assert sum(report["false_merges"].values()) <= 0.05 * report["n_predicted_pairs"]


def test_report_json_has_the_flat_keys(resolved_sample):
    cfg, report, results = resolved_sample
    path = Path(cfg.paths.reports_dir) / "evaluation" / "recordings.json"
    on_disk = json.loads(path.read_text())
    for key in (
        "precision",
        "recall",
        "f1",
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
        "blocking_recall",
        "threshold",
        "n_records",
        "run_id",
    ):
        assert key in on_disk, key
    assert on_disk["run_id"] == results["run_id"]
    assert on_disk["f1"] == pytest.approx(report["f1"])


def test_the_implied_prior_recall_gives_the_golden_match_rate(spark, resolved_sample):
    """Splink's prior times configured / implied recall is the share of pairs that match."""
    from splink_models.evaluation import true_pair_count
    from splink_models.model import TrainedModel

    cfg, report, _ = resolved_sample
    e = cfg.entity("recordings")
    records = read_table(spark, cfg.table_path(e.features_table)).select(e.id_column)
    n = records.count()  # the rows training saw
    golden = read_table(spark, cfg.table_path(e.golden_table)).join(records, e.id_column)
    golden_rate = true_pair_count(golden, "recording_id") / (n * (n - 1) / 2)
    prior = TrainedModel.load(e.name, cfg.paths.models_dir).settings[
        "probability_two_random_records_match"
    ]
    assert 0 < report["prior_rule_recall"] <= report["prior_recall_implied"] <= 1
    assert prior * e.training.prior_recall / report["prior_recall_implied"] == pytest.approx(
        golden_rate, rel=1e-6
    )


def test_output_tables_match_their_contracts_and_are_jvm_friendly(spark, resolved_sample):
    cfg, _, _ = resolved_sample
    e = cfg.entity("recordings")
    for table, contract in (
        (e.pairs_table, RECORDING_PAIRS),
        (e.groups_table, RECORDING_GROUPS),
        (e.features_table, TRACK_FEATURES),
        (cfg.quarantine_table, QUARANTINE),
    ):
        df = read_table(spark, cfg.table_path(table))
        assert _names_and_types(df.schema) == _names_and_types(contract), table
        _assert_jvm_friendly(df.schema, table)


def test_groups_are_consistent(spark, resolved_sample):
    cfg, report, _ = resolved_sample
    e = cfg.entity("recordings")
    groups = read_table(spark, cfg.table_path(e.groups_table), RECORDING_GROUPS)
    features = read_table(spark, cfg.table_path(e.features_table))
    assert groups.count() == features.count() == report["n_records"]
    assert groups.select("track_id").distinct().count() == groups.count()
    sizes = groups.groupBy("recording_group_id").agg(
        F.count("*").alias("n"), F.max("group_size").alias("s"), F.min("group_size").alias("s2")
    )
    assert sizes.where("n != s or n != s2").count() == 0
    reps = groups.select("recording_group_id", F.col("representative_track_id").alias("track_id"))
    members = groups.select("recording_group_id", "track_id")
    assert (
        reps.distinct().join(members, ["recording_group_id", "track_id"], "left_anti").count() == 0
    )
    assert report["largest_group"] <= e.clustering.max_group_size


def test_quarantine_counts_spoiled_rows_and_nothing_vanishes(spark, resolved_sample):
    cfg, report, results = resolved_sample
    feats = results["features"]
    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).where(
        "entity_type = 'recordings'"  # the table is shared: other entities' tests write it too
    )
    excluded = quarantine.where("action = 'record_excluded'").count()
    assert excluded > 0 and quarantine.where("action = 'value_nulled'").count() > 0
    assert feats.n_input == feats.n_features + excluded
    assert sum(feats.quarantine_by_reason.values()) == quarantine.count()


def test_rerun_keeps_group_ids_stable(spark, resolved_sample):
    cfg, _, _ = resolved_sample
    e = cfg.entity("recordings")
    before = read_table(spark, cfg.table_path(e.groups_table)).select(
        "track_id", "recording_group_id"
    )
    before = {r.track_id: r.recording_group_id for r in before.collect()}
    path = cfg.table_path(e.groups_table)
    released = latest_release(spark, cfg, "recordings")[e.groups_table]
    resolve.run(spark, cfg, entity="recordings", run_id="e2e-run-2")
    assert latest_run(spark, cfg, "recordings")[0] == "e2e-run-2"
    after = read_table(spark, path)
    assert {r.track_id: r.recording_group_id for r in after.collect()} == before
    # nothing moved, so the rerun changed no groups row: the change feed since is empty
    head = DeltaTable.forPath(spark, path).history(1).first()["version"]
    if head > released:
        feed = (
            spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", released + 1)
            .load(path)
        )
        assert feed.count() == 0


def test_training_is_logged_to_mlflow(resolved_sample):
    import mlflow
    from mlflow.tracking import MlflowClient

    cfg, _, results = resolved_sample
    mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)
    client = MlflowClient()
    exp = client.get_experiment_by_name(cfg.mlflow.experiment)
    runs = client.search_runs([exp.experiment_id], f"tags.run_id = '{results['run_id']}'")
    by_stage = {r.data.tags["stage"]: r for r in runs}
    train, evaluate = by_stage["train"], by_stage["evaluate"]
    assert train.data.params["em_blocking"].count("|") >= 1
    artifacts = {a.path for a in client.list_artifacts(train.info.run_id, "charts")}
    assert "charts/match_weights_chart.html" in artifacts
    model_files = client.list_artifacts(train.info.run_id, "model")
    assert model_files and model_files[0].path.endswith(".json")
    assert evaluate.data.metrics["f1"] > 0.9
    assert evaluate.data.tags["model_version"] == train.data.tags["model_version"]


def test_generic_values_never_glue_unrelated_tracks(spark, resolved_sample):
    import datetime as dt

    from features.schemas import TRACK_INPUT
    from features.tracks import build_track_features
    from splink_models import model as model_lib
    from splink_models import spark_backend

    cfg, _, _ = resolved_sample
    e = cfg.entity("recordings")
    rows = [
        (
            f"g{i}",
            "feed",
            title,
            ["Various Artists"],
            "Greatest Hits",
            200_000,
            None,
            dt.date(2000, 1, 1),
            None,
            None,
            None,
        )
        for i, title in enumerate(["Track 1", "Track 1", "", "Untitled", "Intro", "Unknown"])
    ]
    feats = build_track_features(
        spark.createDataFrame(rows, TRACK_INPUT), generic_values=e.generic_values
    )
    model = model_lib.TrainedModel.load("recordings", cfg.paths.models_dir)
    ids = [r[0] for r in rows]
    every_pair = spark.createDataFrame(
        [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]],
        "track_id_l string, track_id_r string",
    )
    generated = spark_backend.blocking_generates(feats, model, every_pair)
    # same length, same "artist", same "album": only the nulling keeps them apart,
    # and with every key null no blocking rule even pairs them (a whole predict of
    # these six records cost 28 s of the suite for the same answer)
    assert generated.count() == len(ids) * (len(ids) - 1) // 2
    assert generated.where("generated").count() == 0


def test_evaluate_rerun_replaces_its_rows(spark, resolved_sample):
    from jobs import evaluate

    cfg, _, _ = resolved_sample
    table = cfg.table_path(cfg.evaluation_table)
    groups_run = latest_run(spark, cfg, "recordings")[0]  # the manifest's latest release
    first = evaluate.run(spark, cfg, entity="recordings", run_id="someone-else")
    rows_once = read_table(spark, table).where(f"run_id = '{groups_run}'").count()
    evaluate.run(spark, cfg, entity="recordings", run_id="someone-else-again")
    rows_twice = read_table(spark, table).where(f"run_id = '{groups_run}'").count()
    # the evaluation belongs to the run that published the groups, and a rerun replaces it
    assert first["run_id"] == groups_run
    assert rows_once == rows_twice > 0


def test_comparison_weights_explain_the_match_weight(spark, resolved_sample):
    import math

    from splink_models import model as model_lib

    cfg, _, _ = resolved_sample
    model = model_lib.TrainedModel.load("recordings", cfg.paths.models_dir)
    prior = model.settings["probability_two_random_records_match"]
    prior_weight = math.log2(prior / (1 - prior))
    pairs = read_table(spark, cfg.table_path("recording_pairs"), RECORDING_PAIRS)
    explained = pairs.select(
        "match_weight",
        F.aggregate(
            "comparison_levels",
            F.lit(0.0),
            lambda acc, c: acc + F.coalesce(c.match_weight, F.lit(0.0)),
        ).alias("sum_of_parts"),
    )
    worst = explained.select(
        F.max(F.abs(F.col("match_weight") - F.col("sum_of_parts") - F.lit(prior_weight))).alias("d")
    ).first()["d"]
    assert worst < 1e-6


def test_error_analysis_names_real_errors_with_their_waterfalls(spark, resolved_sample):
    """Every listed error is one by the golden data, ranked, explained, and on the HTML page."""
    import math

    from features.schemas import ERROR_ANALYSIS, TRACK_GOLDEN
    from jobs import evaluate
    from splink_models import model as model_lib

    cfg, _, _ = resolved_sample
    e = cfg.entity("recordings")
    report = evaluate.run(spark, cfg, entity="recordings", run_id="errors")
    # the other entities of the shared sample are evaluated under the same run id
    errors = read_table(spark, cfg.table_path(cfg.error_analysis_table), ERROR_ANALYSIS).where(
        (F.col("run_id") == report["run_id"]) & (F.col("entity_type") == e.name)
    )
    golden = {
        r.track_id: r.recording_id
        for r in read_table(spark, cfg.table_path(e.golden_table), TRACK_GOLDEN).collect()
    }
    rows = errors.collect()
    assert rows and {r.error_type for r in rows} <= {
        "false_positive",
        "false_negative",
        "missed_by_blocking",
    }
    threshold = e.clustering.threshold
    model = model_lib.TrainedModel.load("recordings", cfg.paths.models_dir)
    prior = model.settings["probability_two_random_records_match"]
    for r in rows:
        same = golden[r.id_l] == golden[r.id_r]
        if r.error_type == "false_positive":
            assert not same and r.match_probability >= threshold, r
            assert r.negative_kind is not None and r.record_l and r.record_r
        elif r.error_type == "false_negative":
            assert same and r.match_probability < threshold, r
        else:
            assert same and r.match_probability is None and r.comparison_levels is None, r
        if r.match_probability is not None:  # the waterfall adds up: prior + levels
            assert r.prior_weight == pytest.approx(math.log2(prior / (1 - prior)), abs=1e-6)
    by_type: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: r.rank):
        by_type.setdefault(r.error_type, []).append(r)
    fps = [r.match_probability for r in by_type.get("false_positive", [])]
    assert fps == sorted(fps, reverse=True) and len(fps) <= cfg.error_top_n
    assert 0.99 < report["reduction_ratio"] < 1.0
    page = (Path(cfg.paths.reports_dir) / "evaluation" / "recordings.html").read_text()
    assert report["run_id"] in page
    assert page.count('aria-label="waterfall"') == sum(
        r.match_probability is not None for r in rows
    )


def test_evaluate_with_labelled_pairs_as_the_golden_data(spark, resolved_sample, tmp_path):
    """No golden clusters, only a person's verdicts on some pairs: figures on exactly those."""
    from dataclasses import replace

    from features.schemas import RECORDING_PAIRS, TRACK_GOLDEN, conform, labelled_pairs_schema
    from jobs.runtime.delta import write_table
    from jobs.stages.evaluate import evaluate_entity
    from splink_models.pair_evaluation import probability_to_weight

    cfg, _, _ = resolved_sample
    e = cfg.entity("recordings")
    golden = read_table(spark, cfg.table_path(e.golden_table), TRACK_GOLDEN)
    pairs = read_table(spark, cfg.table_path(e.pairs_table), RECORDING_PAIRS)
    truth = lambda side: golden.select(  # noqa: E731
        F.col("track_id").alias(f"track_id_{side}"), F.col("recording_id").alias(f"rec_{side}")
    )
    # candidates as they are, plus true pairs blocking never generated: labels from the golden
    candidates = pairs.select("track_id_l", "track_id_r").orderBy("track_id_l", "track_id_r")
    candidates = candidates.limit(400)
    true_pairs = (
        truth("l")
        .join(truth("r"), F.col("rec_l") == F.col("rec_r"))
        .where("track_id_l < track_id_r")
        .select("track_id_l", "track_id_r")
        .join(pairs.select("track_id_l", "track_id_r"), ["track_id_l", "track_id_r"], "left_anti")
        .orderBy("track_id_l")
        .limit(20)
    )
    labels = (
        candidates.unionByName(true_pairs)
        .join(truth("l"), "track_id_l")
        .join(truth("r"), "track_id_r")
        .select(
            "track_id_l",
            "track_id_r",
            (F.col("rec_l") == F.col("rec_r")).cast("int").alias("label"),
            F.when(F.crc32("track_id_l") % 2 == 0, "train").otherwise("valid").alias("split"),
        )
    )
    schema = labelled_pairs_schema("track_id")
    write_table(conform(labels, schema), cfg.table_path(e.labelled_pairs_table), schema)
    only_pairs = replace(
        cfg,
        paths=replace(cfg.paths, reports_dir=str(tmp_path / "reports")),
        evaluation_table="evaluation_labelled",
        error_analysis_table="error_analysis_labelled",
    )
    # the golden clusters exist too: --golden pairs picks the labelled pairs
    report = evaluate_entity(spark, only_pairs, e, golden="pairs")

    # the same figures by hand: a pair is predicted a match when it is a candidate scoring
    # at least the threshold; labelled pairs outside the candidates never are
    scored = labels.join(
        pairs.select("track_id_l", "track_id_r", "match_probability"),
        ["track_id_l", "track_id_r"],
        "left",
    ).collect()
    predicted = [r for r in scored if (r.match_probability or 0) >= e.clustering.threshold]
    tp = sum(r.label for r in predicted)
    matches = sum(r.label for r in scored)
    assert report["golden"] == "labelled pairs"
    assert report["n_labelled_pairs"] == len(scored)
    assert report["precision"] == pytest.approx(tp / len(predicted))
    assert report["recall"] == pytest.approx(tp / matches)
    assert report["pair_completeness"] == pytest.approx(
        sum(r.label for r in scored if r.match_probability is not None) / matches
    )
    # the threshold is chosen on train and both splits are reported at it
    assert report["choice_split"] == "train"
    assert {"split_train", "split_valid"} <= set(report)
    assert report["split_valid"]["n_pairs"] + report["split_train"]["n_pairs"] == len(scored)
    assert report["chosen_threshold_weight"] != probability_to_weight(e.clustering.threshold)
    missed = (
        read_table(spark, only_pairs.table_path("error_analysis_labelled"))
        .where("error_type = 'missed_by_blocking'")
        .count()
    )
    assert missed == min(true_pairs.count(), only_pairs.error_top_n)
    page = (tmp_path / "reports" / "evaluation" / "recordings.html").read_text()
    assert "Per split, at the threshold chosen" in page and "precision-recall curve" in page
