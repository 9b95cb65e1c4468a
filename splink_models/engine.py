"""Train, score and cluster with Splink on Spark: the same code for every entity type.

An entity's model module (``splink_models.<entity>.settings``) supplies the
comparisons and blocking rules; this module supplies the procedure, so videos,
works and contributors go through exactly the stages recordings do.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from splink import Linker, block_on
from splink.backends.spark import SparkAPI
from splink.internals.comparison_vector_values import (
    compute_comparison_vector_values_from_id_pairs_sqls,
)
from splink.internals.dialects import SplinkDialect
from splink.internals.exceptions import EMTrainingException
from splink.internals.pipeline import CTEPipeline
from splink.internals.predict import predict_from_comparison_vectors_sqls
from splink.internals.splink_dataframe import SplinkDataFrame
from splink.internals.unique_id_concat import CONCAT_SEPARATOR
from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

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


def entity_settings(module: str, link_type: str | None = None) -> Any:
    """The entity's untrained settings (a SettingsCreator), for ``link_type`` when given.

    A module whose ``settings()`` takes no ``link_type`` fixes its own (videos are
    always linked to tracks).
    """
    make = model_module(module).settings
    if link_type and "link_type" in inspect.signature(make).parameters:
        return make(link_type=link_type)
    return make()


def spark_api(spark: SparkSession) -> SparkAPI:
    # Parquet lineage-breaking with a checkpoint dir: 'persist' measured 10x slower.
    return SparkAPI(spark_session=spark, break_lineage_method="parquet")


def _linker(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    settings: Any,
    db_api: SparkAPI | None = None,
) -> Linker:
    """A linker over one table (dedupe) or several (link_only: one per side).

    A linking model given one table gets it split by its source column
    (:func:`model_inputs`). Tables the linker joins later (labels, pairs) must
    be registered with the same ``db_api``: each API names its inputs
    ``__splink__input_table_<n>`` from its own counter.
    """
    db_api = db_api or spark_api(spark)
    features = model_inputs(features, settings)
    if isinstance(features, DataFrame):
        return Linker(db_api.register(features), settings)
    return Linker([db_api.register(f) for f in features], settings)


def _settings_dict(settings: Any) -> dict[str, Any]:
    """A model JSON as it is, or a SettingsCreator's link fields (all this module reads)."""
    if isinstance(settings, dict):
        return settings
    return {
        "link_type": settings.link_type,
        "source_dataset_column_name": settings.source_dataset_column_name,
    }


def source_column(settings: Any) -> str | None:
    """The column that tells linked sources apart; None for a dedupe_only model."""
    as_dict = _settings_dict(settings)
    if as_dict.get("link_type", "dedupe_only") == "dedupe_only":
        return None
    return as_dict.get("source_dataset_column_name") or "source_dataset"


def model_inputs(
    features: DataFrame | Sequence[DataFrame], settings: Any
) -> DataFrame | list[DataFrame]:
    """One frame per source for a linking model given one table; anything else as given.

    Splink links a list of tables; a catalog ingested from several sources is
    one table whose source column says which side each record is on.
    """
    column = source_column(settings)
    if column is None or not isinstance(features, DataFrame):
        return features if isinstance(features, DataFrame) else list(features)
    if column not in features.columns:
        from jobs._runtime import ResolutionError

        raise ResolutionError(
            f"a {_settings_dict(settings)['link_type']} model splits its input by the "
            f"{column!r} column, which the features lack (columns: {', '.join(features.columns)})"
        )
    sources = sorted(r[0] for r in features.select(column).distinct().collect() if r[0] is not None)
    if len(sources) < 2:
        logger.warning(
            "%s model on %d source(s) (%s): no pairs between sources to find",
            _settings_dict(settings)["link_type"],
            len(sources),
            ", ".join(sources) or "none",
        )
    return [features.where(F.col(column) == s) for s in sources]


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
    link_type: str | None = None,
    m_labels: DataFrame | None = None,
    backend: str = "spark",
) -> tuple[TrainedModel, Linker]:
    """Prior from deterministic rules, u by seeded random sampling, m by EM sessions.

    Each EM session blocks on some fields and so trains the others; the config
    lists at least two so that every comparison is trained in some session.

    Args:
        link_type: Passed to the model module's ``settings`` when given
            (dedupe_only, link_only, link_and_dedupe); its default otherwise.
        m_labels: Labelled matching pairs (``<id>_l``, ``<id>_r``): after EM, the
            m of every level not fixed by design is taken from them
            (:func:`estimate_m_from_labels`).
        backend: 'spark' trains with Spark jobs where the data is; 'duckdb'
            collects ``features`` (a training sample) to the driver as Arrow and
            trains with Splink's DuckDB backend in process: the same procedure
            without ~100 s of small Spark jobs. Either way the model comes back in
            Spark's dialect (:func:`splink_models.dialect.to_dialect`), versioned
            by that JSON, so scoring never sees the difference.
    """
    settings = entity_settings(module, link_type)
    if backend == "duckdb":
        from splink_models.duckdb_engine import driver_linker

        db_api, linker = driver_linker(model_inputs(features, settings), settings)
    elif backend == "spark":
        db_api = spark_api(spark)
        linker = _linker(spark, features, settings, db_api)
    else:
        raise ValueError(f"training backend {backend!r}: expected 'spark' or 'duckdb'")
    estimate_parameters(
        linker,
        seed=seed,
        max_pairs_for_u=max_pairs_for_u,
        em_blocking=em_blocking,
        prior_rules=prior_rules,
        prior_recall=prior_recall,
    )
    if m_labels is not None:
        estimate_m_from_labels(linker, db_api, features, m_labels)
    model = TrainedModel.from_settings(entity, linker.misc.save_model_to_json())
    if model.dialect != "spark":
        from splink_models.dialect import to_dialect

        spark_settings = to_dialect(model, "spark", module=module).settings
        model = TrainedModel.from_settings(entity, spark_settings)
    return model, linker


# A level no labelled match reached gets this m (before the comparison's m are
# scaled to sum to 1 again): unseen in a few hundred labels is rare, not impossible.
LABEL_M_FLOOR = 1e-3


def _with_sources(
    pairs: DataFrame, features: DataFrame | Sequence[DataFrame], id_column: str, source: str
) -> DataFrame:
    """``pairs`` (``<id>_l``, ``<id>_r``) with each side's source as ``<source>_l/_r``.

    Pairs with a side missing from the features are dropped.
    """
    frames = [features] if isinstance(features, DataFrame) else list(features)
    lookup = frames[0].select(id_column, source)
    for frame in frames[1:]:
        lookup = lookup.unionByName(frame.select(id_column, source))
    out = pairs
    for side in ("l", "r"):
        out = out.join(
            lookup.select(
                F.col(id_column).alias(f"{id_column}_{side}"),
                F.col(source).alias(f"{source}_{side}"),
            ),
            f"{id_column}_{side}",
        )
    return out


def estimate_m_from_labels(
    linker: Linker,
    db_api: Any,
    features: DataFrame | Sequence[DataFrame],
    matches: DataFrame,
) -> None:
    """m of every level not fixed by design from labelled matches (Splink's pairwise labels).

    EM inside blocks learns what the block's pairs share (inside artist
    blocks: "same album"), not what a match is; labels say it directly. The
    levels the model fixes (m known from the domain) keep their m. A level no
    labelled match reached gets a small m (LABEL_M_FLOOR) instead of zero,
    whose weight would be minus infinity.
    """
    settings = linker.misc.save_model_to_json()
    id_column = settings["unique_id_column_name"]
    source = source_column(settings)
    labels = matches.select(f"{id_column}_l", f"{id_column}_r").distinct()
    if source is not None:
        labels = _with_sources(labels, features, id_column, source)
    n = labels.count()
    if n == 0:
        from jobs._runtime import ResolutionError

        raise ResolutionError("m from labels: no labelled match found among the features")
    logger.info("m from %d labelled matches", n)
    name = f"__mr_m_labels_{uuid.uuid4().hex[:8]}"
    table = labels if isinstance(db_api, SparkAPI) else labels.toArrow()
    linker.training.estimate_m_from_pairwise_labels(db_api.register(table, table_name=name))
    floored = _floor_m(linker.misc.save_model_to_json(), LABEL_M_FLOOR)
    for comparison, trained in zip(
        linker._settings_obj.comparisons, floored["comparisons"], strict=True
    ):
        levels = [lv for lv in trained["comparison_levels"] if not lv.get("is_null_level")]
        for level, values in zip(comparison._comparison_levels_excluding_null, levels, strict=True):
            if not values.get("fix_m_probability"):
                level.m_probability = values["m_probability"]


def _floor_m(settings: dict[str, Any], floor: float) -> dict[str, Any]:
    """The learned m of each comparison raised to at least ``floor``, then scaled back.

    Levels with a fixed m keep it; the learned ones are scaled to share what
    the fixed ones leave of 1.
    """
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        learned = [lv for lv in levels if not lv.get("fix_m_probability")]
        fixed = [lv for lv in levels if lv.get("fix_m_probability")]
        share = 1.0 - sum(lv.get("m_probability") or 0.0 for lv in fixed)
        if not learned or share <= 0.0:
            continue
        for level in learned:
            level["m_probability"] = max(level.get("m_probability") or 0.0, floor)
        total = sum(level["m_probability"] for level in learned)
        for level in learned:
            level["m_probability"] *= share / total
    return settings


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
    before = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    linker.training.estimate_probability_two_random_records_match(
        list(prior_rules), recall=prior_recall
    )
    if not linker.misc.save_model_to_json()["probability_two_random_records_match"]:
        # e.g. ISRC rules on a catalog without ISRCs: a prior of 0 makes every
        # match weight minus infinity; Splink has no public setter for it
        logger.warning(
            "prior rules found no pair (%s): keeping the settings' prior %g",
            " | ".join(prior_rules),
            before,
        )
        linker._settings_obj._probability_two_random_records_match = before
    # One chunk: Splink's probe-and-chunk loop costs a Spark job per chunk per
    # rare level (100 s on a 3k sample) for no better estimate.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs_for_u, seed=seed, num_chunks=1, min_count_per_level=None
    )
    for columns in em_blocking:
        logger.info("EM session blocked on %s", ", ".join(columns))
        # Splink 5.0's session takes the comparisons it blocks on out of the
        # linker's own settings before it finds out it has no pairs: put them back
        before_session = linker._settings_obj.core_model_settings.copy()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), estimate_without_term_frequencies=True
            )
        except EMTrainingException:
            # e.g. a catalog without ISRCs: the session has nothing to learn from
            linker._settings_obj.core_model_settings = before_session
            logger.warning("EM session blocked on %s found no pairs: skipped", ", ".join(columns))


def scoring_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A model's settings as scoring uses them: without each side's matching columns.

    The pairs carry ids, weights and levels (the ``gamma_``/``mw_`` columns stay);
    the records' own fields are in the feature table. Retained, they doubled
    the width of every intermediate Splink materialises: at 1M tracks predict
    took 153 s with them, 59 s without. ``additional_columns_to_retain`` stay.
    """
    return {**settings, "retain_matching_columns": False}


def blocking_rule_sqls(settings: dict[str, Any]) -> list[str]:
    """The SQL of each of a model's prediction blocking rules (a dict or plain SQL each)."""
    rules = settings.get("blocking_rules_to_generate_predictions") or []
    return [r["blocking_rule"] if isinstance(r, dict) else str(r) for r in rules]


def scoring_columns(settings: dict[str, Any], columns: Sequence[str]) -> list[str]:
    """The input columns a model reads: id, source, comparison, blocking and retained columns.

    Splink carries every input column through blocking and the term-frequency
    join; a feature table holds more than the model compares.
    """
    levels = [lv for c in settings["comparisons"] for lv in c["comparison_levels"]]
    sql = " ".join(
        [
            *(lv["sql_condition"] for lv in levels),
            *(lv.get("tf_adjustment_column") or "" for lv in levels),
            *blocking_rule_sqls(settings),
        ]
    )
    keep = {settings["unique_id_column_name"], *settings.get("additional_columns_to_retain", [])}
    if (source := source_column(settings)) is not None:
        keep.add(source)
    return [c for c in columns if c in keep or re.search(rf"\b{re.escape(c)}(_l|_r)?\b", sql)]


def _scoring_linker(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    model: TrainedModel,
    db_api: SparkAPI | None = None,
) -> Linker:
    settings = scoring_settings(model.settings)
    frames = [features] if isinstance(features, DataFrame) else list(features)
    pruned = [f.select(*scoring_columns(settings, f.columns)) for f in frames]
    return _linker(
        spark, pruned[0] if isinstance(features, DataFrame) else pruned, settings, db_api
    )


def predict_with_levels(linker: Linker) -> SplinkDataFrame:
    """Splink's ``predict`` on any backend, keeping each comparison's level but no side's fields.

    Splink 5.0 keeps the ``gamma_`` (level) columns only with
    ``retain_matching_columns``, which also carries every compared field of
    both sides into the materialised predictions (on Spark: 153 s at 1M
    tracks instead of 59 s). This is Splink's own single-chunk predict
    (``inference._predict_chunk``) with the output columns its EM training
    selects: ids, levels, term frequencies and weights. The linker's settings
    must not retain matching columns (:func:`scoring_settings`).
    """
    settings = linker._settings_obj
    columns = settings.column_info_settings
    blocked, from_cache = linker.inference._get_or_compute_blocked_pairs_for_predict_chunk()
    try:
        pipeline = CTEPipeline([blocked])
        enqueue_df_concat_with_tf(linker, pipeline)
        started = time.monotonic()
        pipeline.enqueue_list_of_sqls(
            compute_comparison_vector_values_from_id_pairs_sqls(
                settings._columns_to_select_for_blocking,
                settings._columns_to_select_for_comparison_vector_values,
                input_tablename_l="__splink__df_concat_with_tf",
                input_tablename_r="__splink__df_concat_with_tf",
                source_dataset_input_column=columns.source_dataset_input_column,
                unique_id_input_column=columns.unique_id_input_column,
                link_type=settings._link_type,
                sql_dialect_str=linker._sql_dialect_str,
            )
        )
        pipeline.enqueue_list_of_sqls(
            predict_from_comparison_vectors_sqls(
                unique_id_input_columns=columns.unique_id_input_columns,
                core_model_settings=settings.core_model_settings,
                sql_dialect=SplinkDialect.from_string(settings._sql_dialect_str),
                retain_matching_columns=False,
                retain_intermediate_calculation_columns=True,
                training_mode=True,  # keeps gamma_ without the matching columns
                additional_columns_to_retain=settings._additional_columns_to_retain,
            )
        )
        predictions = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
        logger.info("scored candidate pairs in %.1fs after blocking", time.monotonic() - started)
    finally:
        if not from_cache:
            blocked.drop_table_from_database_and_remove_from_cache()
    return predictions


def predict(
    spark: SparkSession, features: DataFrame | Sequence[DataFrame], model: TrainedModel
) -> DataFrame:
    """All candidate pairs from the model's blocking rules, scored (ids, levels and weights)."""
    return predict_with_levels(_scoring_linker(spark, features, model)).as_spark_dataframe()


def predict_given_pairs(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    model: TrainedModel,
    pairs: DataFrame,
) -> DataFrame:
    """Score exactly ``pairs`` (``<id>_l``, ``<id>_r``), whatever the blocking rules say.

    Term frequencies come from all of ``features``, as in :func:`predict`, so a
    pair scores what it would score among all candidates. A pair with a side
    missing from the features is not scored (absent from the result).
    """
    id_column = model.settings["unique_id_column_name"]
    source = source_column(model.settings)
    wanted = pairs.select(f"{id_column}_l", f"{id_column}_r").distinct()
    if source is None:
        keys = wanted.select(
            F.col(f"{id_column}_l").alias("join_key_l"), F.col(f"{id_column}_r").alias("join_key_r")
        )
    else:
        keys = _with_sources(wanted, features, id_column, source).select(
            *[
                F.concat_ws(CONCAT_SEPARATOR, f"{source}_{s}", f"{id_column}_{s}").alias(
                    f"join_key_{s}"
                )
                for s in ("l", "r")
            ]
        )
    db_api = spark_api(spark)
    linker = _scoring_linker(spark, features, model, db_api)
    registered = db_api.register(
        keys.withColumn("match_key", F.lit("0")),
        table_name=f"__mr_given_pairs_{uuid.uuid4().hex[:8]}",
    )
    linker.table_management.register_blocked_pairs_for_predict(registered)
    return predict_with_levels(linker).as_spark_dataframe()


def blocking_generates(
    features: DataFrame | Sequence[DataFrame], model: TrainedModel, pairs: DataFrame
) -> DataFrame:
    """``pairs`` with ``generated``: whether the model's blocking rules make the pair a candidate.

    Each rule's SQL is evaluated on the pair, in both orientations (Splink
    orders a pair's sides itself); a linking model only pairs records of
    different sources. A pair with a side missing from the features is not
    generated. Rules that explode arrays are not supported here.
    """
    settings = model.settings
    id_column = settings["unique_id_column_name"]
    rules = settings.get("blocking_rules_to_generate_predictions") or []
    exploding = [r for r in rules if isinstance(r, dict) and r.get("arrays_to_explode")]
    if exploding:
        from jobs._runtime import ResolutionError

        raise ResolutionError(
            f"blocking completeness: rules that explode arrays are not supported ({exploding})"
        )
    sqls = blocking_rule_sqls(settings) or ["1=1"]
    frames = [features] if isinstance(features, DataFrame) else list(features)
    records = frames[0]
    for frame in frames[1:]:
        records = records.unionByName(frame)
    source = source_column(settings)
    condition = F.lit(False)
    for sql in sqls:
        condition = condition | F.coalesce(F.expr(sql), F.lit(False))
    if source is not None:
        condition = condition & (F.col(f"l.{source}") != F.col(f"r.{source}"))
    pair_keys = pairs.select(f"{id_column}_l", f"{id_column}_r").distinct()

    def oriented(first: str, second: str) -> DataFrame:
        return (
            pair_keys.alias("p")
            .join(records.alias("l"), F.col(f"p.{first}") == F.col(f"l.{id_column}"))
            .join(records.alias("r"), F.col(f"p.{second}") == F.col(f"r.{id_column}"))
            .select(
                F.col(f"p.{id_column}_l"), F.col(f"p.{id_column}_r"), condition.alias("generated")
            )
        )

    both = oriented(f"{id_column}_l", f"{id_column}_r").unionByName(
        oriented(f"{id_column}_r", f"{id_column}_l")
    )
    generated = both.groupBy(f"{id_column}_l", f"{id_column}_r").agg(
        F.max("generated").alias("generated")
    )
    return pairs.join(generated, [f"{id_column}_l", f"{id_column}_r"], "left").withColumn(
        "generated", F.coalesce(F.col("generated"), F.lit(False))
    )


def comparison_names(model: TrainedModel) -> list[str]:
    return [c["output_column_name"] for c in model.settings["comparisons"]]


def level_labels(model: TrainedModel) -> dict[tuple[str, int], str]:
    """(comparison, level) -> the level's chart label, levels numbered as Splink's gamma.

    Splink numbers a comparison's null level -1 and the others from the most
    to the least similar as n-1 .. 0, in the order the settings list them.
    """
    labels: dict[tuple[str, int], str] = {}
    for comparison in model.settings["comparisons"]:
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        gamma = sum(1 for lvl in levels if not lvl.get("is_null_level"))
        for lvl in levels:
            if lvl.get("is_null_level"):
                labels[(name, -1)] = lvl.get("label_for_charts") or "null"
                continue
            gamma -= 1
            labels[(name, gamma)] = lvl.get("label_for_charts") or f"level {gamma}"
    return labels


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


def _materialise(df: DataFrame) -> DataFrame:
    """Cut a loop's lineage and its size estimates; the rows stay in executor storage.

    A checkpointed frame keeps its plan's size estimate, and Spark estimates a
    join as the product of its sides: over ten rounds of joins the estimate has
    thousands of digits and planning takes minutes (BigInt products in
    SizeInBytesOnlyStatsPlanVisitor). The frame is rebuilt from the
    checkpoint's rows without an estimate, so joins go by the explicit
    broadcast hints below.
    """
    rows = df.localCheckpoint()._jdf.queryExecution().toRdd()
    spark = df.sparkSession
    return DataFrame(
        spark._jsparkSession.internalCreateDataFrame(rows, df._jdf.schema(), False), spark
    )


def _maybe_broadcast(df: DataFrame, n_rows: int) -> DataFrame:
    return F.broadcast(df) if n_rows <= BROADCAST_ROWS else df


# Label propagation broadcasts its frontier below this many rows; larger rounds
# (the first, at catalog scale) shuffle. A few hundred thousand short ids are a
# few tens of MB.
BROADCAST_ROWS = 200_000
# Label propagation takes as many rounds as the longest path a component's
# smallest id must travel (less with pointer jumping). Tracks' groups are
# shallow (5 rounds at 1M tracks); a deeper graph goes to Splink's solver.
PROPAGATION_ROUNDS = 10


def linked_components(edges: DataFrame) -> DataFrame:
    """Connected components of the nodes that have an edge: (node_l, node_r) -> (node, component).

    Nodes are comparable keys (longs: :class:`NodeKeys`); a component is named
    by its smallest key. Label propagation with a shrinking frontier: each
    node starts with the smallest key among itself and its neighbours; then
    only the nodes whose label fell in the last round offer it to their
    neighbours, and a node that takes a lower label also takes that label's
    own label (pointer jumping). Labels that fall after the first round are
    kept in a small table beside the first labels, so a round reads the first
    labels through broadcast joins instead of rewriting them. At 1M tracks the
    frontier falls from 620k nodes to 13k, 1k, 43, 1 and 0. Splink's solver
    carries every node through every round and writes five Parquet tables per
    round: 31.0 s against 22.4 s for the same 1.42M edges, measured in one
    JVM. A graph still changing after ``PROPAGATION_ROUNDS`` rounds (long
    chains) goes to Splink's solver.
    """
    links = edges.select("node_l", "node_r").where(F.col("node_l") != F.col("node_r"))
    adjacency = _materialise(
        links.select(F.col("node_l").alias("node"), F.col("node_r").alias("neighbour")).unionByName(
            links.select(F.col("node_r").alias("node"), F.col("node_l").alias("neighbour"))
        )
    )
    first = _materialise(
        adjacency.groupBy("node").agg(F.least(F.first("node"), F.min("neighbour")).alias("label"))
    )
    # Labels only fall. The few that fall after the first are kept apart, so a
    # round reads the first labels (broadcast joins) instead of rewriting them.
    lowered = first.limit(0)

    def current(keys: DataFrame, n_keys: int) -> DataFrame:
        """(node) -> (node, label) now; every key is a node with an edge."""
        return (
            first.join(_maybe_broadcast(keys, n_keys), "node")
            .join(
                _maybe_broadcast(lowered.withColumnRenamed("label", "low"), n_lowered),
                "node",
                "left",
            )
            .select("node", F.coalesce("low", "label").alias("label"))
        )

    n_lowered = 0
    # a node that kept its own id has shown it to its neighbours already
    frontier = first.where(F.col("node") != F.col("label"))
    n_frontier = frontier.count()
    rounds = 0
    while n_frontier:
        if rounds == PROPAGATION_ROUNDS:
            logger.info(
                "connected components: %d labels still falling after %d rounds: Splink's solver",
                n_frontier,
                rounds,
            )
            return _splink_components(adjacency)
        rounds += 1
        offers = _materialise(
            adjacency.join(_maybe_broadcast(frontier, n_frontier), "node")
            .groupBy(F.col("neighbour").alias("node"))
            .agg(F.min("label").alias("offer"))
        )
        n_offers = offers.count()
        taken = (
            current(offers.select("node"), n_offers)
            .join(_maybe_broadcast(offers, n_offers), "node")
            .where(F.col("offer") < F.col("label"))
            .select("node", F.col("offer").alias("label"))
        )
        # pointer jumping: a node takes its new label's own label, when lower
        hops = current(taken.select(F.col("label").alias("node")).distinct(), n_offers)
        frontier = _materialise(
            taken.join(
                _maybe_broadcast(hops.toDF("via", "via_label"), n_offers),
                taken["label"] == F.col("via"),
            ).select("node", F.least("label", "via_label").alias("label"))
        )
        n_frontier = frontier.count()
        if n_frontier:
            lowered = _materialise(
                lowered.unionByName(frontier).groupBy("node").agg(F.min("label").alias("label"))
            )
            n_lowered = lowered.count()
    logger.info("connected components: %d propagation rounds", rounds)
    return first.join(
        _maybe_broadcast(lowered.withColumnRenamed("label", "low"), n_lowered), "node", "left"
    ).select("node", F.coalesce("low", "label").alias("component"))


def _splink_components(adjacency: DataFrame) -> DataFrame:
    """Splink's solver on (node, neighbour) pairs: (node, component) for every node in them."""
    from splink.internals.connected_components import solve_connected_components

    db_api = spark_api(adjacency.sparkSession)
    result = solve_connected_components(
        nodes_table=db_api.register(adjacency.select(F.col("node").alias("node_id")).distinct()),
        edges_table=db_api.register(
            adjacency.select(F.col("node").alias("node_l"), F.col("neighbour").alias("node_r"))
        ),
        node_id_column_name="node_id",
        edge_id_column_name_left="node_l",
        edge_id_column_name_right="node_r",
        db_api=db_api,
        threshold_match_probability=None,
    ).as_spark_dataframe()
    return result.select(F.col("node_id").alias("node"), F.col("cluster_id").alias("component"))


@dataclass(frozen=True)
class NodeKeys:
    """A 64-bit key per node id, for the clustering's joins and minima.

    Spark aggregates the minimum of a string by sorting (SortAggregate) and
    of a long by hashing: on the 2.8M (node, neighbour) rows of 1M tracks,
    6.3 s against 2.8 s. The key is the id's xxhash64, computed in place on
    the edges. Should two ids of the catalog share one, the ids are numbered
    in order instead (a one-partition sort: correct, slow, and logged).
    """

    table: DataFrame  # (node, key), every node
    hashed: bool

    @classmethod
    def of(cls, nodes: DataFrame) -> NodeKeys:
        keyed = _materialise(nodes.select("node", _hash_key("node").alias("key")))
        n_nodes, n_keys = keyed.agg(F.count("*"), F.countDistinct("key")).first()
        if n_keys == n_nodes:
            return cls(keyed, hashed=True)
        logger.warning(
            "clustering: %d node ids share 64-bit hashes; numbering the ids instead",
            n_nodes - n_keys,
        )
        # dense_rank: a node id listed twice keeps one key
        numbered = nodes.select("node", F.dense_rank().over(Window.orderBy("node")).alias("key"))
        return cls(_materialise(numbered.withColumn("key", F.col("key").cast("long"))), False)

    def edges(self, edges: DataFrame) -> DataFrame:
        """(node_l, node_r, ...) -> the same edges between keys."""
        others = [c for c in edges.columns if c not in ("node_l", "node_r")]
        if self.hashed:
            ends = [_hash_key(f"node_{s}").alias(f"node_{s}") for s in ("l", "r")]
            return edges.select(*ends, *others)
        side = {s: self.table.toDF(f"node_{s}", f"key_{s}") for s in ("l", "r")}
        return (
            edges.join(side["l"], "node_l")
            .join(side["r"], "node_r")
            .select(F.col("key_l").alias("node_l"), F.col("key_r").alias("node_r"), *others)
        )

    def named(self, components: DataFrame) -> DataFrame:
        """(key, component) of linked keys -> (node, component) for every node.

        A node without edges is its own component, named by its key.
        """
        linked = components.withColumnRenamed("node", "key")
        return self.table.join(linked, "key", "left").select(
            "node", F.coalesce("component", "key").alias("component")
        )


def _hash_key(column: str) -> Column:
    return F.xxhash64(column)


def connected_components(edges: DataFrame, nodes: DataFrame) -> DataFrame:
    """(node_l, node_r) edges -> (node, component) for every node in ``nodes``.

    Edges must join nodes of ``nodes``. A component's name is a long, the
    same for all its members; it is not a member's id.
    """
    keys = NodeKeys.of(nodes)
    return keys.named(linked_components(keys.edges(edges)))


def guarded_clusters(
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
    keys = NodeKeys.of(nodes)
    current = _materialise(keys.edges(edges.where(F.col("match_probability") >= threshold)))
    # only linked nodes can be in an oversized component: singletons join at the end
    assignment = linked_components(current)
    rounds: list[dict[str, Any]] = []
    level = threshold
    while level < 0.9999:
        sizes = assignment.groupBy("component").agg(F.count("*").alias("size"))
        oversized = sizes.where(F.col("size") > max_group_size).select("component")
        n_oversized = oversized.count()
        if n_oversized == 0:
            break
        level = min(0.9999, level + step)
        big_nodes = assignment.join(oversized, "component").select("node")
        big_edges = current.join(big_nodes.withColumnRenamed("node", "node_l"), "node_l").where(
            F.col("match_probability") >= level
        )
        # a node left without edges at the stricter level becomes a singleton
        assignment = _materialise(
            assignment.join(big_nodes, "node", "left_anti").unionByName(
                linked_components(big_edges)
            )
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
    return keys.named(assignment), rounds
