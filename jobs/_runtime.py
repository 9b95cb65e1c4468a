"""Runtime shared by every job: config, SparkSession, Delta I/O, errors, progress.

Nothing in here computes a feature or a match: it only wires the engine up so
that each job's ``run(spark, cfg)`` can read, call named functions and write.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pyspark import SparkConf
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

logger = logging.getLogger(__name__)

# Imported from a --py-files zip the package has no conf/ beside it: then the
# working directory is the project root (spark-submit from the project root).
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent
PROJECT_ROOT = _PACKAGE_PARENT if (_PACKAGE_PARENT / "conf").is_dir() else Path.cwd()
DEFAULT_CONF_DIR = PROJECT_ROOT / "conf"
DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
LINK_TYPES = ("dedupe_only", "link_only", "link_and_dedupe")


# --- errors -------------------------------------------------------------------


class ResolutionError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(ResolutionError):
    """The configuration is incomplete or inconsistent."""


class SchemaMismatchError(ResolutionError):
    """A table does not match its contract."""


class JavaMissingError(ResolutionError):
    """Java 17 (what Spark 4 needs) is not available."""


# --- config -------------------------------------------------------------------


def _deep_merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _apply_override(tree: dict[str, Any], dotted: str) -> None:
    """Apply ``a.b.c=value`` (value parsed as YAML) onto a config tree."""
    if "=" not in dotted:
        raise ConfigError(f"override {dotted!r} must look like section.key=value")
    key, raw = dotted.split("=", 1)
    node = tree
    parts = key.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = yaml.safe_load(raw)


@dataclass(frozen=True, kw_only=True)
class SparkConfig:
    master: str
    app_name: str
    driver_memory: str | None
    shuffle_partitions: int
    ivy_dir: str | None
    packages: tuple[str, ...]
    extra_conf: Mapping[str, str]
    log_level: str


@dataclass(frozen=True, kw_only=True)
class MlflowConfig:
    tracking_uri: str
    experiment: str
    artifact_location: str | None


@dataclass(frozen=True, kw_only=True)
class PathsConfig:
    warehouse: str
    checkpoint_dir: str
    models_dir: str
    reports_dir: str


@dataclass(frozen=True, kw_only=True)
class SampleConfig:
    n_tracks: int
    seed: int
    bad_row_rate: float


TRAINING_ENGINES = ("auto", "duckdb", "spark")


@dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    seed: int
    max_pairs_for_u: int
    em_blocking: tuple[tuple[str, ...], ...]
    prior_deterministic_rules: tuple[str, ...]
    prior_recall: float
    sample_fraction: float
    # sample whole blocks of this feature (features.sampling) so a sample keeps its
    # matching pairs; None: a uniform sample of records
    sample_block_key: str | None = None
    # m from labelled pairs (the entity's labelled_pairs table, rows of label_split
    # only) after EM: where labels exist they say what a match looks like
    m_from_labels: bool = False
    label_split: str = "train"
    # where EM runs (splink_models.engine.train): duckdb collects the (sampled)
    # training rows to the driver; auto = duckdb up to driver_max_rows rows
    engine: str = "auto"
    driver_max_rows: int = 2_000_000

    def backend(self, n_rows: int) -> str:
        """The engine that trains on ``n_rows`` records: 'duckdb' or 'spark'."""
        if self.engine == "auto":
            return "duckdb" if n_rows <= self.driver_max_rows else "spark"
        return self.engine


@dataclass(frozen=True, kw_only=True)
class ClusteringConfig:
    threshold: float
    max_group_size: int
    strict_threshold_step: float


@dataclass(frozen=True, kw_only=True)
class EntityConfig:
    """One entity type: a config section, a feature module, a model folder, a contract."""

    name: str
    id_column: str
    group_column: str
    input_table: str
    golden_table: str | None
    features_table: str
    pairs_table: str
    groups_table: str
    feature_builder: str
    quality_rules: str
    model_module: str
    group_id_prefix: str
    truth_column: str
    kind_column: str | None
    training: TrainingConfig
    clustering: ClusteringConfig
    generic_values: Mapping[str, tuple[str, ...]]
    # dedupe_only, or link_only / link_and_dedupe between the values of the source column
    link_type: str = "dedupe_only"
    labelled_pairs_table: str | None = None  # golden as pairs: <id>_l, <id>_r, label, split
    # "module:function" giving a Column that shows a record to a person (error reports)
    record_summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssignmentConfig:
    threshold: float
    ambiguity_margin: float  # bits of match weight between the best group and the next
    max_explanations: int


@dataclass(frozen=True, kw_only=True)
class VideoConfig:
    """Music Video Resolution: videos linked to an entity's groups (recordings)."""

    name: str
    id_column: str
    linked_entity: str
    input_table: str
    golden_table: str | None
    features_table: str
    pairs_table: str
    matches_table: str
    unmatched_table: str
    feature_builder: str
    quality_rules: str
    model_module: str
    sample_video_rate: float
    training: TrainingConfig
    assignment: AssignmentConfig
    generic_values: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True)
class GateConfig:
    """What a challenger must show on the golden data to replace the champion."""

    max_precision_drop: float  # pairwise precision may fall at most this much
    min_f1_gain: float  # pairwise F1 must rise at least this much (0: not fall)


@dataclass(frozen=True, kw_only=True)
class LifecycleConfig:
    """MLflow model registry: one registered model per entity type, champion/challenger."""

    registered_model_prefix: str  # registered model of an entity: <prefix><entity>
    gate: GateConfig
    comparison_table: str  # jobs.compare's report
    models: Mapping[str, str]  # entity -> model ref the scoring jobs use instead of @champion

    def registered_model(self, entity: str) -> str:
        return f"{self.registered_model_prefix}{entity}"


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    profile: str
    spark: SparkConfig
    mlflow: MlflowConfig
    paths: PathsConfig
    sample: SampleConfig
    quarantine_table: str
    evaluation_table: str
    entities: Mapping[str, EntityConfig]
    error_analysis_table: str | None = None  # jobs.evaluate: top false positives/negatives
    error_top_n: int = 25  # how many errors of each type it keeps
    videos: VideoConfig | None = None
    lifecycle: LifecycleConfig | None = None

    def table_path(self, table: str) -> str:
        """Where a logical table lives: the warehouse plus its name."""
        return _join(self.paths.warehouse, table)

    def video(self) -> VideoConfig:
        if self.videos is None:
            raise ConfigError(
                "videos are not configured: add a videos section (see conf/base.yaml)"
            )
        return self.videos

    def stage_target(self, name: str) -> EntityConfig | VideoConfig:
        """The config of anything that goes through the features stage, videos included."""
        if name == "videos" and self.videos is not None:
            return self.videos
        return self.entity(name)

    def entity(self, name: str) -> EntityConfig:
        try:
            return self.entities[name]
        except KeyError:
            known = ", ".join(sorted(self.entities)) or "none"
            raise ConfigError(
                f"entity {name!r} is not configured (known: {known}); add entities.{name}"
            ) from None


def _join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def _resolve_local_path(value: str) -> str:
    """Relative local paths are taken from the project root, URIs are left alone."""
    if "://" in value or value.startswith("/"):
        return value
    return str(PROJECT_ROOT / value)


class _Reader:
    """Reads typed values out of a config tree and collects every problem."""

    def __init__(self, tree: Mapping[str, Any]):
        self.tree = tree
        self.problems: list[str] = []

    def get(self, dotted: str, kind: type | tuple[type, ...], *, default: Any = ...) -> Any:
        node: Any = self.tree
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not ...:
                    return default
                self.problems.append(f"{dotted}: missing")
                return None
            node = node[part]
        if node is None and default is not ...:
            return default
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            self.problems.append(f"{dotted}: expected {kind}, got {node!r}")
            return None
        return node


def _training(r: _Reader, p: str) -> TrainingConfig:
    em = r.get(f"{p}.training.em_blocking", list, default=[]) or []
    if len(em) < 2:
        r.problems.append(f"{p}.training.em_blocking: give at least two EM blocking sessions")
    engine = r.get(f"{p}.training.engine", str, default="auto")
    if engine not in TRAINING_ENGINES:
        r.problems.append(
            f"{p}.training.engine: expected one of {', '.join(TRAINING_ENGINES)}, got {engine!r}"
        )
    driver_max_rows = r.get(f"{p}.training.driver_max_rows", int, default=2_000_000)
    if isinstance(driver_max_rows, int) and driver_max_rows < 1:
        r.problems.append(
            f"{p}.training.driver_max_rows: must be at least 1, got {driver_max_rows}"
        )
    return TrainingConfig(
        seed=r.get(f"{p}.training.seed", int),
        max_pairs_for_u=int(r.get(f"{p}.training.max_pairs_for_u", (int, float)) or 0),
        em_blocking=tuple(tuple(s) for s in em),
        prior_deterministic_rules=tuple(
            r.get(f"{p}.training.prior_deterministic_rules", list) or []
        ),
        prior_recall=r.get(f"{p}.training.prior_recall", (int, float)),
        sample_fraction=r.get(f"{p}.training.sample_fraction", (int, float), default=1.0),
        sample_block_key=r.get(f"{p}.training.sample_block_key", str, default=None),
        m_from_labels=r.get(f"{p}.training.m_from_labels", bool, default=False),
        label_split=r.get(f"{p}.training.label_split", str, default="train"),
        engine=engine,
        driver_max_rows=driver_max_rows,
    )


def _probability(r: _Reader, key: str) -> float:
    value = r.get(key, (int, float))
    if isinstance(value, (int, float)) and not 0.0 < value < 1.0:
        r.problems.append(f"{key}: must be in (0, 1), got {value}")
    return value


def _videos(r: _Reader, entities: Mapping[str, EntityConfig]) -> VideoConfig:
    p = "videos"
    generic = r.get(f"{p}.generic_values", dict, default={}) or {}
    linked = r.get(f"{p}.linked_entity", str)
    if linked and linked not in entities:
        r.problems.append(f"{p}.linked_entity: {linked!r} is not under entities")
    return VideoConfig(
        name="videos",
        id_column=r.get(f"{p}.id_column", str),
        linked_entity=linked,
        input_table=r.get(f"{p}.tables.input", str),
        golden_table=r.get(f"{p}.tables.golden", str, default=None),
        features_table=r.get(f"{p}.tables.features", str),
        pairs_table=r.get(f"{p}.tables.pairs", str),
        matches_table=r.get(f"{p}.tables.matches", str),
        unmatched_table=r.get(f"{p}.tables.unmatched", str),
        feature_builder=r.get(f"{p}.feature_builder", str),
        quality_rules=r.get(f"{p}.quality_rules", str),
        model_module=r.get(f"{p}.model_module", str),
        sample_video_rate=r.get(f"{p}.sample_video_rate", (int, float), default=0.3),
        training=_training(r, p),
        assignment=AssignmentConfig(
            threshold=_probability(r, f"{p}.assignment.threshold"),
            ambiguity_margin=r.get(f"{p}.assignment.ambiguity_margin", (int, float)),
            max_explanations=r.get(f"{p}.assignment.max_explanations", int, default=3),
        ),
        generic_values={k: tuple(v) for k, v in generic.items()},
    )


def _entity(r: _Reader, name: str) -> EntityConfig:
    p = f"entities.{name}"
    generic = r.get(f"{p}.generic_values", dict, default={}) or {}
    threshold = _probability(r, f"{p}.clustering.threshold")
    link_type = r.get(f"{p}.link_type", str, default="dedupe_only")
    if link_type not in LINK_TYPES:
        r.problems.append(f"{p}.link_type: must be one of {LINK_TYPES}, got {link_type!r}")
    labelled_pairs = r.get(f"{p}.tables.labelled_pairs", str, default=None)
    if r.get(f"{p}.training.m_from_labels", bool, default=False) and not labelled_pairs:
        r.problems.append(
            f"{p}.training.m_from_labels: needs {p}.tables.labelled_pairs (the labelled pairs)"
        )
    return EntityConfig(
        name=name,
        id_column=r.get(f"{p}.id_column", str),
        group_column=r.get(f"{p}.group_column", str),
        input_table=r.get(f"{p}.tables.input", str),
        golden_table=r.get(f"{p}.tables.golden", str, default=None),
        features_table=r.get(f"{p}.tables.features", str),
        pairs_table=r.get(f"{p}.tables.pairs", str),
        groups_table=r.get(f"{p}.tables.groups", str),
        record_summary=r.get(f"{p}.record_summary", str, default=None),
        feature_builder=r.get(f"{p}.feature_builder", str),
        quality_rules=r.get(f"{p}.quality_rules", str),
        model_module=r.get(f"{p}.model_module", str),
        group_id_prefix=r.get(f"{p}.group_id_prefix", str),
        truth_column=r.get(f"{p}.golden.truth_column", str),
        kind_column=r.get(f"{p}.golden.kind_column", str, default=None),
        training=_training(r, p),
        clustering=ClusteringConfig(
            threshold=threshold,
            max_group_size=r.get(f"{p}.clustering.max_group_size", int),
            strict_threshold_step=r.get(f"{p}.clustering.strict_threshold_step", (int, float)),
        ),
        generic_values={k: tuple(v) for k, v in generic.items()},
        link_type=link_type,
        labelled_pairs_table=labelled_pairs,
    )


def _lifecycle(r: _Reader) -> LifecycleConfig:
    p = "lifecycle"
    models = r.get(f"{p}.models", dict, default={}) or {}
    return LifecycleConfig(
        registered_model_prefix=r.get(f"{p}.registered_model_prefix", str),
        gate=GateConfig(
            max_precision_drop=r.get(f"{p}.gate.max_precision_drop", (int, float)),
            min_f1_gain=r.get(f"{p}.gate.min_f1_gain", (int, float)),
        ),
        comparison_table=r.get("tables.model_comparison", str),
        models={k: str(v) for k, v in models.items() if v not in (None, "")},
    )


def load_config(
    profile: str = "local",
    *,
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> AppConfig:
    """Load conf/base.yaml overlaid by conf/<profile>.yaml and ``key=value`` overrides.

    Every problem is collected and raised at once, each naming its key, so a
    broken profile is fixed in one pass rather than one error per run.
    """
    conf_dir = Path(conf_dir) if conf_dir else DEFAULT_CONF_DIR
    base_file, profile_file = conf_dir / "base.yaml", conf_dir / f"{profile}.yaml"
    for f in (base_file, profile_file):
        if not f.exists():
            raise ConfigError(f"config file {f} not found (profiles live in {conf_dir})")
    tree = _deep_merge(
        yaml.safe_load(base_file.read_text()) or {},
        yaml.safe_load(profile_file.read_text()) or {},
    )
    for item in overrides:
        _apply_override(tree, item)

    r = _Reader(tree)
    shuffle = r.get("spark.shuffle_partitions", (int, str))
    if shuffle == "auto":
        shuffle = 5 * (os.cpu_count() or 2)
    elif not isinstance(shuffle, int):
        r.problems.append(f"spark.shuffle_partitions: expected an int or 'auto', got {shuffle!r}")
    spark = SparkConfig(
        master=r.get("spark.master", str),
        app_name=r.get("spark.app_name", str),
        driver_memory=r.get("spark.driver_memory", str, default=None),
        shuffle_partitions=shuffle if isinstance(shuffle, int) else 10,
        ivy_dir=r.get("spark.ivy_dir", str, default=None),
        packages=tuple(r.get("spark.packages", list, default=[DELTA_PACKAGE])),
        extra_conf={k: str(v) for k, v in (r.get("spark.conf", dict, default={}) or {}).items()},
        log_level=r.get("spark.log_level", str, default="WARN"),
    )
    paths = PathsConfig(
        warehouse=r.get("paths.warehouse", str),
        checkpoint_dir=r.get("paths.checkpoint_dir", str),
        models_dir=r.get("paths.models_dir", str),
        reports_dir=r.get("paths.reports_dir", str),
    )
    mlflow_cfg = MlflowConfig(
        tracking_uri=r.get("mlflow.tracking_uri", str),
        experiment=r.get("mlflow.experiment", str),
        artifact_location=r.get("mlflow.artifact_location", str, default=None),
    )
    sample = SampleConfig(
        n_tracks=r.get("sample.n_tracks", int),
        seed=r.get("sample.seed", int),
        bad_row_rate=r.get("sample.bad_row_rate", (int, float), default=0.0),
    )
    entities = {name: _entity(r, name) for name in (r.get("entities", dict, default={}) or {})}
    videos = _videos(r, entities) if "videos" in tree else None
    quarantine = r.get("tables.quarantine", str)
    evaluation = r.get("tables.evaluation", str)
    error_analysis = r.get("tables.error_analysis", str)
    error_top_n = r.get("evaluation.top_errors", int, default=25)
    lifecycle = _lifecycle(r)
    if r.problems:
        raise ConfigError(
            f"config {base_file.name} + {profile_file.name} has problems:\n  - "
            + "\n  - ".join(r.problems)
        )
    if paths.warehouse and "://" not in paths.warehouse:
        paths = PathsConfig(**{k: _resolve_local_path(v) for k, v in vars(paths).items()})
    if mlflow_cfg.tracking_uri.startswith("sqlite:///") and not mlflow_cfg.tracking_uri.startswith(
        "sqlite:////"
    ):
        db = _resolve_local_path(mlflow_cfg.tracking_uri[len("sqlite:///") :])
        mlflow_cfg = MlflowConfig(
            tracking_uri="sqlite:///" + db,
            experiment=mlflow_cfg.experiment,
            artifact_location=(
                _resolve_local_path(mlflow_cfg.artifact_location)
                if mlflow_cfg.artifact_location
                else None
            ),
        )
    return AppConfig(
        profile=profile,
        spark=spark,
        mlflow=mlflow_cfg,
        paths=paths,
        sample=sample,
        quarantine_table=quarantine,
        evaluation_table=evaluation,
        entities=entities,
        error_analysis_table=error_analysis,
        error_top_n=error_top_n,
        videos=videos,
        lifecycle=lifecycle,
    )


def scratch_overrides(scratch_dir: str, name: str) -> list[str]:
    """Every path a run writes, moved under ``<scratch_dir>/<name>`` (MLflow included).

    Benchmarks run whole chains on their own data: with these overrides they
    never write into the demo's warehouse, models or MLflow store. Reports stay
    where the profile puts them (a benchmark's report is the point of running it).
    """
    root = f"{scratch_dir.rstrip('/')}/{name}"
    return [
        f"paths.warehouse={root}/delta",
        f"paths.checkpoint_dir={root}/checkpoints",
        f"paths.models_dir={root}/models",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db",
        f"mlflow.artifact_location={root}/mlflow-artifacts",
    ]


# --- Spark --------------------------------------------------------------------


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
    jars_dir = Path(_resolve_local_path(ivy_dir)) / "jars"
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
            builder = builder.config("spark.jars.ivy", _resolve_local_path(s.ivy_dir))
    builder = builder.config("spark.jars", ",".join(jars))
    for key, value in s.extra_conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(s.log_level)
    spark.sparkContext.setCheckpointDir(cfg.paths.checkpoint_dir)
    logger.info(
        "Spark %s on %s, %d shuffle partitions, Delta jars %s",
        spark.version,
        spark.sparkContext.master,
        s.shuffle_partitions,
        "from cache" if cached else "via packages",
    )
    return spark


# --- schemas and Delta ----------------------------------------------------------


def schema_problems(actual: StructType, expected: StructType) -> list[str]:
    """Missing, mistyped and extra columns, each as one readable line."""
    have = {f.name: f for f in actual.fields}
    want = {f.name: f for f in expected.fields}
    problems = [
        f"missing column {n} ({f.dataType.simpleString()})"
        for n, f in want.items()
        if n not in have
    ]
    for name, f in want.items():
        if name in have and have[name].dataType.simpleString() != f.dataType.simpleString():
            problems.append(
                f"column {name} is {have[name].dataType.simpleString()}, "
                f"contract says {f.dataType.simpleString()}"
            )
    problems += [f"extra column {n}" for n in have if n not in want]
    return problems


def validate_schema(df: DataFrame, contract: StructType, table: str) -> DataFrame:
    """Check a DataFrame against its contract and return it in the contract's column order."""
    problems = schema_problems(df.schema, contract)
    if problems:
        raise SchemaMismatchError(
            f"table {table} does not match its contract:\n  - " + "\n  - ".join(problems)
        )
    return df.select(*[f.name for f in contract.fields])


def conform(df: DataFrame, contract: StructType) -> DataFrame:
    """Select and cast a DataFrame's columns to a contract's names, types and order."""
    return df.select(*[df[f.name].cast(f.dataType).alias(f.name) for f in contract.fields])


def read_table(spark: SparkSession, path: str, contract: StructType | None = None) -> DataFrame:
    """Read a Delta table; with a contract, validate it and fail naming what differs."""
    from delta.tables import DeltaTable

    if not DeltaTable.isDeltaTable(spark, path):
        raise ResolutionError(
            f"no Delta table at {path}: run the job that writes it first (see README, 'The jobs')"
        )
    df = spark.read.format("delta").load(path)
    return validate_schema(df, contract, path) if contract is not None else df


def write_table(
    df: DataFrame,
    path: str,
    contract: StructType | None = None,
    *,
    mode: str = "overwrite",
    partition_by: Sequence[str] = (),
    replace_where: str | None = None,
) -> None:
    """Write a Delta table atomically (one Delta commit), validated against its contract.

    Overwrite replaces the schema too, so a contract change is visible in the
    table's history rather than failing half way. ``replace_where`` overwrites
    only the rows matching a predicate (e.g. one entity's, or one run's), so
    tables shared by several writers stay idempotent under reruns.
    """
    from delta.tables import DeltaTable

    if contract is not None:
        df = validate_schema(df, contract, path)
    writer = df.write.format("delta").mode(mode)
    if replace_where and DeltaTable.isDeltaTable(df.sparkSession, path):
        writer = writer.option("replaceWhere", replace_where)
    elif mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)


def text_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table of ``columns`` (a missing or None value is blank)."""
    cells = [["" if row.get(c) is None else str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def write_json_atomic(path: str | Path, payload: Any) -> Path:
    """Write JSON through a temporary file and a rename: readers never see half a file."""
    return write_text_atomic(
        path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    )


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file through a temporary file and a rename: never half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; reports are for everyone
    os.replace(tmp, target)
    return target


# --- progress -------------------------------------------------------------------


@contextmanager
def stage(name: str, timings: dict[str, float] | None = None) -> Iterator[None]:
    """Log one line when a stage starts and one with its elapsed time when it ends."""
    logger.info("stage %s: started", name)
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        if timings is not None:
            timings[name] = round(elapsed, 2)
        logger.info("stage %s: done in %.1fs", name, elapsed)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("py4j", "splink", "alembic", "urllib3", "mlflow"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def common_args(description: str, argv: Sequence[str] | None = None, extra=None):
    """Parse the arguments every job takes: --profile, --config-dir, --run-id, --set."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--profile", default=os.environ.get("MUSIC_RES_PROFILE", "local"))
    parser.add_argument("--config-dir", default=None)
    parser.add_argument("--run-id", default=None, help="defaults to a new timestamped id")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set sample.n_tracks=1000",
    )
    if extra:
        extra(parser)
    return parser.parse_args(argv)


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"


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


if __name__ == "__main__":  # python -m jobs._runtime fetch-jars
    setup_logging()
    if sys.argv[1:] == ["fetch-jars"]:
        logger.info("Delta jars ready: %d files", len(fetch_jars()))
    else:
        raise SystemExit("usage: python -m jobs._runtime fetch-jars")


@dataclass(frozen=True)
class JobContext:
    args: Any
    cfg: AppConfig
    spark: SparkSession
    run_id: str


def start_job(
    doc: str | None, argv: Sequence[str] | None = None, extra=None, *, entity: bool = True
) -> JobContext:
    """What every job's main() does first: logging, arguments, config, session, run id."""
    setup_logging()

    def add_args(parser) -> None:
        if entity:
            parser.add_argument(
                "--entity", default="recordings", help="entity type (config section)"
            )
        if extra:
            extra(parser)

    args = common_args((doc or "").strip().splitlines()[0], argv, add_args)
    cfg = load_config(args.profile, conf_dir=args.config_dir, overrides=args.overrides)
    spark = build_spark(cfg)
    return JobContext(args=args, cfg=cfg, spark=spark, run_id=args.run_id or new_run_id())
