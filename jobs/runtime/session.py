"""The one SparkSession builder: Delta, Splink's UDF jar, checkpoints, partitions.

    python -m jobs.runtime.session fetch-jars    # make setup: Delta's jars into .cache/ivy
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pyspark import SparkConf
from pyspark.sql import SparkSession

from features.errors import ResolutionError
from jobs.runtime.config import AppConfig, load_config, resolve_local_path

logger = logging.getLogger(__name__)

# Delta's default for tables created from now on (spark.deletion_vectors in the profile)
DELETION_VECTORS_DEFAULT = "spark.databricks.delta.properties.defaults.enableDeletionVectors"

# JVM loggers whose warnings tell a user nothing: Splink reads its own checkpoint
# folders, some still empty, and Spark warns "All paths were ignored" for each.
# Splink registers its similarity UDFs again for every linker ("replaced a
# previously registered function").
QUIET_JVM_LOGGERS = (
    "org.apache.spark.sql.execution.datasources.DataSource",
    "org.apache.spark.sql.catalyst.analysis.SimpleFunctionRegistry",
    # "output columns are expected to the same ... between logical plan and optimized
    # plan": a checkpointed frame's plan renumbers its columns; nothing for a user to do
    "org.apache.spark.sql.execution.LogicalRDD",
    # "Broadcasting large task binary with size 1.9 MiB": the feature builders' plans
    # (hundreds of regexes) travel to the executors once per stage, as they must
    "org.apache.spark.scheduler.DAGScheduler",
    # "Hint (strategy=broadcast) is not supported in the query: build left for left outer
    # join": a delivery's MERGE broadcasts its source for the join that finds the rows it
    # touches; Delta's outer joins for the inserts cannot, and Spark says so per join
    "org.apache.spark.sql.catalyst.analysis.HintErrorLogger",
    # "RDD 2017 was locally checkpointed, its lineage has been truncated and cannot be
    # recomputed after unpersisting": Delta's MERGE materializes its source that way and
    # unpersists it when done, once per MERGE
    "org.apache.spark.rdd.MapPartitionsRDD",
)


class JavaMissingError(ResolutionError):
    """Java 17 (what Spark 4 needs) is not available."""


def check_java() -> None:
    """Fail early, and say how to fix it, when Java 17+ is missing."""
    java = shutil.which("java", path=os.environ.get("JAVA_HOME", "") + "/bin") or shutil.which(
        "java"
    )
    if not java:
        raise JavaMissingError(
            "Java was not found. Spark 4 needs Java 17: install it (e.g. "
            "`apt-get install openjdk-17-jre-headless`) or set JAVA_HOME."
        )


def local_jars(ivy_dir: str | None) -> list[str]:
    """Jars Ivy already fetched into the project cache, so later starts need no network."""
    if not ivy_dir:
        return []
    jars_dir = Path(resolve_local_path(ivy_dir)) / "jars"
    jars = sorted(str(p) for p in jars_dir.glob("*.jar"))
    return jars if any("delta-spark" in Path(j).name for j in jars) else []


def splink_jar() -> str:
    from splink.backends.spark import similarity_jar_location

    return similarity_jar_location()


def _submitted_conf() -> SparkConf:
    """The settings spark-submit launched this driver with; empty when started by python.

    spark-submit starts the driver JVM before the job's Python runs and hands
    it over through PYSPARK_GATEWAY_PORT. A SparkConf made before connecting
    to it is empty, so the builder would silently replace --master and --jars
    with the profile's: connect first, and keep them.
    """
    from pyspark import SparkContext

    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return SparkConf(loadDefaults=False)
    SparkContext._ensure_initialized()  # joins spark-submit's JVM; starts nothing new
    return SparkConf()


def build_spark(cfg: AppConfig) -> SparkSession:
    """The one SparkSession builder: Delta, Splink's UDF jar, checkpoints, partitions.

    On the first start in local mode Delta's jars come from Maven Central
    through Ivy into ``spark.ivy_dir``; afterwards they are taken from that
    folder directly, so no network is needed. On a cluster, where
    spark-submit already passed ``--packages``, nothing is added.
    """
    check_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    s = cfg.spark
    submitted = _submitted_conf()
    builder = (
        SparkSession.builder.appName(s.app_name)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"
        )
        .config("spark.sql.shuffle.partitions", str(s.shuffle_partitions))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
    )
    # Under spark-submit, its --master wins: the driver JVM was launched for it.
    submitted_master = submitted.get("spark.master", None)
    if submitted_master is None:
        builder = builder.master(s.master)
    elif submitted_master != s.master:
        logger.info("master %s from spark-submit (profile: %s)", submitted_master, s.master)
    if s.driver_memory:
        builder = builder.config("spark.driver.memory", s.driver_memory)
    # Under spark-submit, --jars/--packages already fill spark.jars: keep them.
    jars = [j for j in submitted.get("spark.jars", "").split(",") if j]
    cached = local_jars(s.ivy_dir)
    for jar in [splink_jar(), *cached]:  # each jar once, however spark-submit spelt its path
        if Path(jar).name not in {Path(j).name for j in jars}:
            jars.append(jar)
    if not cached and s.packages and not submitted.get("spark.jars.packages", ""):
        builder = builder.config("spark.jars.packages", ",".join(s.packages))
        if s.ivy_dir:
            builder = builder.config("spark.jars.ivy", resolve_local_path(s.ivy_dir))
    builder = builder.config("spark.jars", ",".join(jars))
    dv = "true" if s.deletion_vectors else "false"
    builder = builder.config(DELETION_VECTORS_DEFAULT, dv)
    for key, value in s.extra_conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(s.log_level)
    log4j = spark.sparkContext._jvm.org.apache.logging.log4j
    for name in QUIET_JVM_LOGGERS:
        log4j.core.config.Configurator.setLevel(name, log4j.Level.ERROR)
    spark.sparkContext.setCheckpointDir(cfg.paths.checkpoint_dir)
    logger.info(
        "Spark %s on %s, %d shuffle partitions, Delta jars %s",
        spark.version,
        spark.sparkContext.master,
        s.shuffle_partitions,
        "from cache" if cached else "via packages",
    )
    return spark



def fetch_jars(profile: str = "local") -> list[str]:
    """Resolve Delta's jars once through Ivy into the project cache and list them.

    Used by ``make`` set-up: after it, sessions start from the cache without
    network (see ``local_jars``).
    """
    cfg = load_config(profile)
    cached = local_jars(cfg.spark.ivy_dir)
    if cached:
        return cached
    spark = build_spark(cfg)
    spark.range(1).write.format("delta").mode("overwrite").save(
        str(Path(tempfile.mkdtemp(prefix="delta-probe-")) / "t")
    )
    spark.stop()
    jars = local_jars(cfg.spark.ivy_dir)
    if not jars:
        raise ResolutionError(
            f"Ivy did not leave Delta's jars in {cfg.spark.ivy_dir}/jars; check network access "
            "to Maven Central"
        )
    return jars


if __name__ == "__main__":  # python -m jobs.runtime.session fetch-jars
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if sys.argv[1:] == ["fetch-jars"]:
        logger.info("Delta jars ready: %d files", len(fetch_jars()))
    else:
        raise SystemExit("usage: python -m jobs.runtime.session fetch-jars")

