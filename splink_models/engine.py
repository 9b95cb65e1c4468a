"""Train, score and cluster with Splink on Spark: the same code for every entity type.

An entity's model module (``splink_models.<entity>.settings``) supplies the
comparisons and blocking rules; this module supplies the procedure, so videos,
works and contributors go through exactly the stages recordings do.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from splink import Linker, block_on
from splink.backends.spark import SparkAPI

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedModel:
    """A Splink model JSON with the version derived from its content."""

    entity: str
    settings: dict[str, Any]
    version: str

    @classmethod
    def from_settings(cls, entity: str, settings: dict[str, Any]) -> TrainedModel:
        # Splink stamps a random linker_uid on every linker: drop it, so the same
        # training on the same data gives the same version.
        settings = {k: v for k, v in settings.items() if k != "linker_uid"}
        canonical = json.dumps(settings, sort_keys=True, default=str).encode()
        return cls(entity, settings, f"{entity}-{hashlib.sha256(canonical).hexdigest()[:12]}")

    @property
    def dialect(self) -> str:
        """The SQL dialect the model's comparisons are written in ('spark', 'duckdb')."""
        return self.settings.get("sql_dialect", "spark")

    def save(self, models_dir: str) -> Path:
        """Write <models_dir>/<entity>/<version>.json and point latest.json at it."""
        if "://" in models_dir:
            from jobs._runtime import ConfigError

            raise ConfigError(
                f"paths.models_dir={models_dir!r}: model JSON is written with local file I/O; "
                "use a local or mounted path (the model is also logged to MLflow)"
            )
        if TrainedModel.from_settings(self.entity, self.settings).version != self.version:
            from jobs._runtime import ResolutionError

            # a model converted to another dialect (splink_models.dialect) keeps the
            # version of the JSON it was trained into: saving it would replace that file
            raise ResolutionError(
                f"model {self.version} is a {self.dialect} rendering of a model trained in "
                "another dialect: save the trained model and convert it where it is loaded"
            )
        folder = Path(models_dir) / self.entity
        folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(self.settings, indent=2, sort_keys=True, default=str)
        path = folder / f"{self.version}.json"
        path.write_text(payload)
        tmp = folder / ".latest.json.tmp"
        tmp.write_text(json.dumps({"version": self.version, "path": path.name}))
        tmp.replace(folder / "latest.json")
        return path

    @classmethod
    def load(cls, entity: str, path_or_dir: str) -> TrainedModel:
        """Load a model JSON file, or the latest one in <models_dir>/<entity>/."""
        path = Path(path_or_dir)
        if path.is_dir():
            pointer = path / entity / "latest.json"
            if not pointer.exists():
                from jobs._runtime import ResolutionError

                raise ResolutionError(
                    f"no trained {entity} model in {path}: run `python -m jobs.train "
                    f"--entity {entity}` first, or give a model path"
                )
            path = path / entity / json.loads(pointer.read_text())["path"]
        return cls.from_settings(entity, json.loads(path.read_text()))


def model_module(dotted: str):
    """Import an entity's model package (e.g. ``splink_models.recordings``)."""
    return importlib.import_module(dotted + ".settings")


def spark_api(spark: SparkSession) -> SparkAPI:
    # Parquet lineage-breaking with a checkpoint dir: 'persist' measured 10x slower.
    return SparkAPI(spark_session=spark, break_lineage_method="parquet")


def _linker(
    spark: SparkSession, features: DataFrame | Sequence[DataFrame], settings: Any
) -> Linker:
    """A linker over one table (dedupe) or several (link_only: one per side)."""
    db_api = spark_api(spark)
    if isinstance(features, DataFrame):
        return Linker(db_api.register(features), settings)
    return Linker([db_api.register(f) for f in features], settings)


def train(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    *,
    entity: str,
    module: str,
    seed: int,
    max_pairs_for_u: int,
    em_blocking: Sequence[Sequence[str]],
    prior_rules: Sequence[str],
    prior_recall: float,
) -> tuple[TrainedModel, Linker]:
    """Prior from deterministic rules, u by seeded random sampling, m by EM sessions.

    Each EM session blocks on some fields and so trains the others; the config
    lists at least two so that every comparison is trained in some session.
    """
    settings = model_module(module).settings()
    linker = _linker(spark, features, settings)
    estimate_parameters(
        linker,
        seed=seed,
        max_pairs_for_u=max_pairs_for_u,
        em_blocking=em_blocking,
        prior_rules=prior_rules,
        prior_recall=prior_recall,
    )
    model = TrainedModel.from_settings(entity, linker.misc.save_model_to_json())
    return model, linker


def estimate_parameters(
    linker: Linker,
    *,
    seed: int,
    max_pairs_for_u: int,
    em_blocking: Sequence[Sequence[str]],
    prior_rules: Sequence[str],
    prior_recall: float,
) -> None:
    """The training procedure on any backend's linker (see :func:`train`)."""
    linker.training.estimate_probability_two_random_records_match(
        list(prior_rules), recall=prior_recall
    )
    # One chunk: Splink's probe-and-chunk loop costs a Spark job per chunk per
    # rare level (100 s on a 3k sample) for no better estimate.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs_for_u, seed=seed, num_chunks=1, min_count_per_level=None
    )
    for columns in em_blocking:
        logger.info("EM session blocked on %s", ", ".join(columns))
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*columns), estimate_without_term_frequencies=True
        )


def predict(
    spark: SparkSession, features: DataFrame | Sequence[DataFrame], model: TrainedModel
) -> DataFrame:
    """All candidate pairs from the model's blocking rules, scored."""
    linker = _linker(spark, features, model.settings)
    return linker.inference.predict(warning_mode="never").as_spark_dataframe()


def comparison_names(model: TrainedModel) -> list[str]:
    return [c["output_column_name"] for c in model.settings["comparisons"]]


def explain_levels(model: TrainedModel, columns: Sequence[str]) -> Column:
    """Each comparison's level and match weight as array<struct>, for JVM readers.

    The weight includes the comparison's term-frequency adjustment (Splink's
    ``mw_tf_adj_<name>`` column) where it has one, so the weights plus the
    prior add up to the pair's match_weight.
    """

    def weight(name: str) -> Column:
        base = F.col(f"mw_{name}").cast("double")
        tf = f"mw_tf_adj_{name}"
        return base + F.coalesce(F.col(tf).cast("double"), F.lit(0.0)) if tf in columns else base

    return F.array(
        *[
            F.struct(
                F.lit(name).alias("comparison"),
                F.col(f"gamma_{name}").cast("int").alias("level"),
                weight(name).alias("match_weight"),
            )
            for name in comparison_names(model)
        ]
    )


# --- clustering ---------------------------------------------------------------------


def connected_components(spark: SparkSession, edges: DataFrame, nodes: DataFrame) -> DataFrame:
    """Connected components with Splink's solver: (node_l, node_r) edges -> (node, component).

    Every node in ``nodes`` comes back; a node without edges is its own component.
    """
    from splink.internals.connected_components import solve_connected_components

    db_api = spark_api(spark)
    result = solve_connected_components(
        nodes_table=db_api.register(nodes.select(F.col("node").alias("node_id"))),
        edges_table=db_api.register(edges.select("node_l", "node_r")),
        node_id_column_name="node_id",
        edge_id_column_name_left="node_l",
        edge_id_column_name_right="node_r",
        db_api=db_api,
        threshold_match_probability=None,
    ).as_spark_dataframe()
    return result.select(F.col("node_id").alias("node"), F.col("cluster_id").alias("component"))


def guarded_clusters(
    spark: SparkSession,
    edges: DataFrame,
    nodes: DataFrame,
    *,
    threshold: float,
    max_group_size: int,
    step: float,
) -> tuple[DataFrame, list[dict[str, Any]]]:
    """Connected components at ``threshold``; oversized components are re-split.

    One bad edge chains two groups, a few chain thousands. Inside any component
    larger than ``max_group_size`` the edges are re-clustered at a stricter
    threshold (raised by ``step`` each round) until it falls apart or the
    threshold reaches 0.9999. Returns (node, component) and one record per
    round that split something, for the run summary.

    ``edges``: (node_l, node_r, match_probability); ``nodes``: (node).
    """
    current = edges.where(F.col("match_probability") >= threshold)
    assignment = connected_components(spark, current, nodes).localCheckpoint()
    rounds: list[dict[str, Any]] = []
    level = threshold
    while level < 0.9999:
        sizes = assignment.groupBy("component").agg(F.count("*").alias("size"))
        oversized = sizes.where(F.col("size") > max_group_size).select("component")
        n_oversized = oversized.count()
        if n_oversized == 0:
            break
        level = min(0.9999, level + step)
        in_big = assignment.join(oversized, "component").select("node", "component")
        big_nodes = in_big.select("node")
        big_edges = current.join(big_nodes.withColumnRenamed("node", "node_l"), "node_l").where(
            F.col("match_probability") >= level
        )
        resplit = connected_components(spark, big_edges, big_nodes)
        assignment = (
            assignment.join(big_nodes, "node", "left_anti").unionByName(resplit).localCheckpoint()
        )
        rounds.append({"threshold": round(level, 4), "oversized_components": n_oversized})
        logger.info(
            "clustering guard: %d components over %d tracks re-split at p >= %.4f",
            n_oversized,
            max_group_size,
            level,
        )
    else:
        leftover = (
            assignment.groupBy("component").count().where(F.col("count") > max_group_size).count()
        )
        if leftover:
            logger.warning(
                "clustering guard: %d components still over %d records at p >= 0.9999",
                leftover,
                max_group_size,
            )
            rounds.append({"threshold": 0.9999, "oversized_components_left": leftover})
    return assignment, rounds
