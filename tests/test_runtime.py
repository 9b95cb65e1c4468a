"""Config loading, schema contracts and Delta writes of the shared runtime."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql.types import LongType, StringType, StructField, StructType

from features.errors import ConfigError, ResolutionError, SchemaMismatchError
from jobs.runtime.config import load_config
from jobs.runtime.delta import read_table, write_table
from jobs.runtime.session import DELETION_VECTORS_DEFAULT, QUIET_JVM_LOGGERS

CONTRACT = StructType([StructField("id", StringType()), StructField("n", LongType())])


def test_profiles_overlay_base_and_overrides_win():
    local = load_config("local")
    cluster = load_config("cluster")
    assert local.spark.master == "local[*]" and cluster.spark.master.startswith("spark://")
    assert cluster.paths.warehouse.startswith("s3a://")
    assert (
        local.entity("recordings").clustering.threshold
        == cluster.entity("recordings").clustering.threshold
    )
    tuned = load_config("local", overrides=["entities.recordings.clustering.threshold=0.8"])
    assert tuned.entity("recordings").clustering.threshold == 0.8


def test_only_the_local_profile_creates_tables_without_deletion_vectors(spark, tmp_path):
    assert load_config("cluster").spark.deletion_vectors is True  # conf/base.yaml
    assert load_config("local").spark.deletion_vectors is False
    on = load_config("local", overrides=["spark.deletion_vectors=true"])
    assert on.spark.deletion_vectors is True
    # the suite's session is built from the local profile: its tables have none
    assert spark.conf.get(DELETION_VECTORS_DEFAULT) == "false"
    target = str(tmp_path / "t")
    write_table(spark.createDataFrame([("a", 1)], "id string, n bigint"), target, CONTRACT)
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{target}`").first()
    assert detail["properties"].get("delta.enableDeletionVectors", "false") == "false"
    assert detail["minReaderVersion"] < 3  # deletion vectors need 3 (a reader feature)


def test_config_errors_name_every_bad_key(tmp_path: Path):
    (tmp_path / "base.yaml").write_text((Path("conf") / "base.yaml").read_text())
    (tmp_path / "broken.yaml").write_text(
        "spark: {master: 7}\npaths: {warehouse: w}\n"
        "entities: {recordings: {clustering: {threshold: 1.5}}}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config("broken", conf_dir=tmp_path)
    message = str(err.value)
    for key in (
        "spark.master",
        "paths.checkpoint_dir",
        "mlflow.tracking_uri",
        "clustering.threshold",
    ):
        assert key in message


def test_training_engine_is_chosen_by_sample_size_and_checked():
    training = (
        load_config("local", overrides=["entities.recordings.training.driver_max_rows=1000"])
        .entity("recordings")
        .training
    )
    assert training.engine == "auto"
    assert training.backend(1000) == "duckdb"  # a sample the driver holds: DuckDB
    assert training.backend(1001) == "spark"
    forced = load_config("local", overrides=["entities.recordings.training.engine=spark"])
    assert forced.entity("recordings").training.backend(10) == "spark"
    with pytest.raises(ConfigError) as err:
        load_config(
            "local",
            overrides=[
                "entities.recordings.training.engine=gpu",
                "entities.videos.training.driver_max_rows=0",
            ],
        )
    assert "entities.recordings.training.engine: expected one of auto, duckdb, spark" in str(
        err.value
    )
    assert "entities.videos.training.driver_max_rows: must be at least 1" in str(err.value)


def test_unknown_entity_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown entity 'podcasts'"):
        load_config("local").entity("podcasts")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "entities.recordings.clustering.thresold=0.8",
            "entities.recordings.clustering.thresold: unknown key "
            "(did you mean entities.recordings.clustering.threshold?)",
        ),
        ("foo.bar=1", "foo: unknown key"),
        ("videos.training.seed=3", "videos: unknown key (did you mean entities.videos?)"),
        ("entities.recordings.clustering.max_group_size=0", "must be at least 2, got 0"),
        ("entities.recordings.clustering.max_group_size=-3", "must be at least 2, got -3"),
        ("spark.shuffle_partitions=-1", "expected a positive int or 'auto', got -1"),
        ("entities.videos.link.threshold=1.5", "entities.videos.link.threshold: must be in (0, 1)"),
        (
            "entities.videos.kind=graph",
            "entities.videos.kind: must be one of dedupe, link, derived",
        ),
    ],
)
def test_unknown_keys_and_out_of_range_values_are_refused(override, message):
    with pytest.raises(ConfigError) as err:
        load_config("local", overrides=[override])
    assert message in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        load_config("local", overrides=["foo.bar=1", "spark.shuffle_partitions=0"])
    assert "foo: unknown key" in str(err.value) and "shuffle_partitions" in str(err.value)


def test_write_refuses_a_frame_that_breaks_its_contract(spark, tmp_path):
    bad = spark.createDataFrame([("a", "x", 1)], "id string, n string, extra int")
    target = str(tmp_path / "t")
    with pytest.raises(SchemaMismatchError) as err:
        write_table(bad, target, CONTRACT)
    assert "column n is string, contract says bigint" in str(err.value)
    assert "extra column extra" in str(err.value)
    assert not Path(target).exists(), "a failed write must not leave a table behind"


def test_read_validates_against_the_contract(spark, tmp_path):
    target = str(tmp_path / "t")
    write_table(spark.createDataFrame([("a", 1)], CONTRACT), target, CONTRACT)
    assert read_table(spark, target, CONTRACT).collect()[0].n == 1
    narrower = StructType(CONTRACT.fields + [StructField("missing", StringType())])
    with pytest.raises(SchemaMismatchError, match="missing column missing"):
        read_table(spark, target, narrower)
    with pytest.raises(ResolutionError, match="no Delta table"):
        read_table(spark, str(tmp_path / "nothing"))


@pytest.mark.parametrize(
    "value", ["plain", "x' OR '1'='1", "back\\slash", "quote\\'", "naïve ü", "a'b\\'c", ""]
)
def test_sql_literal_reads_back_as_the_same_text(spark, value):
    from jobs.runtime.sql import sql_literal

    assert spark.sql(f"SELECT {sql_literal(value)} AS v").first()["v"] == value


def test_a_hostile_run_id_replaces_only_its_own_rows(spark, tmp_path):
    from jobs.stages.common import run_scope

    path = str(tmp_path / "shared")
    schema = "entity_type string, run_id string, value int"
    write_table(
        spark.createDataFrame([("e", "r1", 1), ("e", "r2", 2), ("f", "r1", 3)], schema), path
    )
    hostile = "x' OR '1'='1"
    write_table(
        spark.createDataFrame([("e", hostile, 9)], schema),
        path,
        replace_where=run_scope("e", hostile),
    )
    rows = sorted(tuple(r) for r in read_table(spark, path).collect())
    assert rows == [("e", "r1", 1), ("e", "r2", 2), ("e", hostile, 9), ("f", "r1", 3)]


def test_a_rerun_logs_into_the_mlflow_run_it_opened(tmp_path):
    from jobs.runtime.tracking import mlflow_run
    from tests.conftest import test_config as config_in

    cfg = config_in(tmp_path)
    tags = {"entity": "recordings", "run_id": "it's-run-1", "stage": "train"}
    with mlflow_run(cfg, "train-recordings", tags) as first:
        pass
    with mlflow_run(cfg, "train-recordings", tags) as again:
        pass
    with mlflow_run(cfg, "train-recordings", {**tags, "run_id": "it's-run-2"}) as other:
        pass
    assert again.info.run_id == first.info.run_id
    assert other.info.run_id != first.info.run_id


def test_an_entitys_feature_options_reach_its_feature_builder(spark):
    from features.schemas import TRACK_INPUT
    from jobs.stages.features import features_of

    rows = [("t1", "s", "Queen - Bohemian Rhapsody", ["Various Artists"]) + (None,) * 7]
    keys = {}
    for value in ("false", "true"):
        cfg = load_config(
            "local", overrides=[f"entities.recordings.feature_options.title_credit={value}"]
        )
        entity = cfg.entity("recordings")
        assert dict(entity.feature_options) == {"title_credit": value == "true"}
        features, _ = features_of(spark.createDataFrame(rows, TRACK_INPUT), entity, "run-1")
        keys[value] = features.select("title_artist_key", "title_song_key").first()
    assert tuple(keys["false"]) == (None, None)
    assert tuple(keys["true"]) == ("queen", "bohemianrhapsody")
    cfg = load_config("local", overrides=["entities.recordings.feature_options.title_credits=true"])
    with pytest.raises(ConfigError, match=r"title_credits is not an option of .*title_credit"):
        features_of(spark.createDataFrame(rows, TRACK_INPUT), cfg.entity("recordings"), "run-1")


def test_logging_keeps_library_chatter_out():
    """Libraries that log a line per detail get their own WARNING level (not the root's).

    sqlglot logs one INFO line per array index Splink's DuckDB rendering shifts.
    """
    import logging

    from jobs.runtime.job import setup_logging

    setup_logging()
    for name in ("sqlglot", "py4j", "splink", "mlflow"):
        assert logging.getLogger(name).level == logging.WARNING, name


def test_spark_loggers_that_tell_a_user_nothing_are_kept_quiet(spark):
    """The JVM loggers in QUIET_JVM_LOGGERS log errors only, as the session sets them."""
    log_manager = spark.sparkContext._jvm.org.apache.logging.log4j.LogManager
    for name in QUIET_JVM_LOGGERS:
        logger = log_manager.getLogger(name)
        assert not logger.isWarnEnabled() and logger.isErrorEnabled(), name
    assert log_manager.getLogger("org.apache.spark.sql.SparkSession").isWarnEnabled()
