"""Splink on Spark: linkers over feature frames, scoring, exactly-these-pairs scoring, blocking checks.

A linking model (link_only, link_and_dedupe) given one table gets it split by
its source column (:func:`model_inputs`); a list of frames is one per side.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from splink import Linker
from splink.backends.spark import SparkAPI
from splink.internals.input_column import InputColumn
from splink.internals.unique_id_concat import CONCAT_SEPARATOR

from features.errors import ResolutionError
from splink_models.frames import as_frames, union_all
from splink_models.model import (
    TrainedModel,
    scoring_columns,
    scoring_settings,
    settings_dict,
    source_column,
)
from splink_models.scoring import predict_with_levels

logger = logging.getLogger(__name__)


def spark_api(spark: SparkSession) -> SparkAPI:
    # Parquet lineage-breaking with a checkpoint dir: 'persist' measured 10x slower.
    return SparkAPI(spark_session=spark, break_lineage_method="parquet")


def linker(
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
        return Linker(db_api.register(features), settings, log_level=None)
    return Linker([db_api.register(f) for f in features], settings, log_level=None)


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
        raise ResolutionError(
            f"a {settings_dict(settings)['link_type']} model splits its input by the "
            f"{column!r} column, which the features lack (columns: {', '.join(features.columns)})"
        )
    sources = sorted(r[0] for r in features.select(column).distinct().collect() if r[0] is not None)
    if len(sources) < 2:
        logger.warning(
            "%s model on %d source(s) (%s): no pairs between sources to find",
            settings_dict(settings)["link_type"],
            len(sources),
            ", ".join(sources) or "none",
        )
    return [features.where(F.col(column) == s) for s in sources]


def with_sources(
    pairs: DataFrame, features: DataFrame | Sequence[DataFrame], id_column: str, source: str
) -> DataFrame:
    """``pairs`` (``<id>_l``, ``<id>_r``) with each side's source as ``<source>_l/_r``.

    Pairs with a side missing from the features are dropped.
    """
    lookup = union_all([f.select(id_column, source) for f in as_frames(features)])
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


def term_frequency_columns(settings: dict) -> list[str]:
    """The columns a model's levels adjust by term frequency."""
    return sorted(
        {
            lv["tf_adjustment_column"]
            for c in settings["comparisons"]
            for lv in c["comparison_levels"]
            if lv.get("tf_adjustment_column")
        }
    )


def term_frequency_tables(
    catalog: DataFrame | Sequence[DataFrame], settings: dict
) -> dict[str, DataFrame]:
    """Each term-frequency column's lookup (value, ``tf_<column>``) over ``catalog``, materialised.

    What Splink's ``compute_tf_table`` computes (a value's rows over the
    column's non-null rows of every input, in double precision), computed
    here so that linkers over other frames (a delivery's records, the pairs
    scored again) can share one table per column instead of each scanning
    the catalog. ``catalog`` (one table, or one per side) needs only the
    columns (a narrow projection does).
    """
    columns = term_frequency_columns(settings)
    catalog = union_all([f.select(*columns) for f in as_frames(catalog)])
    out = {}
    for column in columns:
        tf = InputColumn(column, sqlglot_dialect_str="spark").unquote().tf_name
        values = catalog.where(F.col(column).isNotNull())
        total = values.count()
        lookup = values.groupBy(column).agg(
            (F.count(F.lit(1)).cast("double") / F.lit(total)).alias(tf)
        )
        out[column] = lookup.localCheckpoint()
    return out


def register_term_frequencies(
    linker: Linker, db_api: SparkAPI, tf_tables: dict[str, DataFrame]
) -> None:
    """Register ``tf_tables`` (:func:`term_frequency_tables`) with ``linker``: it scores
    with them instead of computing its own from its input."""
    for column, table in tf_tables.items():
        linker.table_management.register_term_frequency_lookup(db_api.register(table), column)


def scoring_linker(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    model: TrainedModel,
    db_api: SparkAPI | None = None,
) -> Linker:
    settings = scoring_settings(model.settings)
    pruned = [f.select(*scoring_columns(settings, f.columns)) for f in as_frames(features)]
    return linker(spark, pruned[0] if isinstance(features, DataFrame) else pruned, settings, db_api)


def predict(
    spark: SparkSession, features: DataFrame | Sequence[DataFrame], model: TrainedModel
) -> DataFrame:
    """All candidate pairs from the model's blocking rules, scored (ids, levels and weights)."""
    return predict_with_levels(scoring_linker(spark, features, model)).as_spark_dataframe()


def predict_given_pairs(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    model: TrainedModel,
    pairs: DataFrame,
    tf_tables: dict[str, DataFrame] | None = None,
) -> DataFrame:
    """Score exactly ``pairs`` (``<id>_l``, ``<id>_r``), whatever the blocking rules say.

    Term frequencies come from all of ``features``, as in :func:`predict`
    (``tf_tables``: already computed from them, :func:`term_frequency_tables`),
    so a pair scores what it would score among all candidates. A pair with a
    side missing from the features is not scored (absent from the result).
    """
    id_column = model.settings["unique_id_column_name"]
    source = source_column(model.settings)
    wanted = pairs.select(f"{id_column}_l", f"{id_column}_r").distinct()
    if source is None:
        keys = wanted.select(
            F.col(f"{id_column}_l").alias("join_key_l"), F.col(f"{id_column}_r").alias("join_key_r")
        )
    else:
        keys = with_sources(wanted, features, id_column, source).select(
            *[
                F.concat_ws(CONCAT_SEPARATOR, f"{source}_{s}", f"{id_column}_{s}").alias(
                    f"join_key_{s}"
                )
                for s in ("l", "r")
            ]
        )
    db_api = spark_api(spark)
    # Splink prepares every input row for scoring (term frequencies joined on): give
    # it the pairs' records only, with the term frequencies of all of ``features``
    sides = wanted.select(F.col(f"{id_column}_l").alias(id_column)).unionByName(
        wanted.select(F.col(f"{id_column}_r").alias(id_column))
    )
    involved = [f.join(sides, id_column, "left_semi") for f in as_frames(features)]
    scorer = scoring_linker(
        spark, involved[0] if isinstance(features, DataFrame) else involved, model, db_api
    )
    if tf_tables is None:
        tf_tables = term_frequency_tables(features, model.settings)
    register_term_frequencies(scorer, db_api, tf_tables)
    registered = db_api.register(
        keys.withColumn("match_key", F.lit("0")),
        table_name=f"__mr_given_pairs_{uuid.uuid4().hex[:8]}",
    )
    scorer.table_management.register_blocked_pairs_for_predict(registered)
    return predict_with_levels(scorer).as_spark_dataframe()


def pair_rule_sql(rule: Any) -> str:
    """A prediction blocking rule as a condition on one pair of records.

    Splink blocks a rule with ``arrays_to_explode`` on one row per element of
    each listed array, so ``l.c = r.c`` on an exploded column holds for a pair
    when the two arrays have an element in common, and the equalities of
    several exploded columns hold independently: each becomes
    ``arrays_overlap``. Any other use of an exploded column is refused.
    """
    if not isinstance(rule, dict):
        return str(rule)
    sql = rule["blocking_rule"]
    for column in rule.get("arrays_to_explode") or []:
        name = rf"(?:`{re.escape(column)}`|\b{re.escape(column)}\b)"
        overlap = f"arrays_overlap(l.`{column}`, r.`{column}`)"
        sql = re.sub(rf"\bl\.{name}\s*=\s*r\.{name}", overlap, sql)
        if re.search(rf"\b[lr]\.{name}", sql.replace(overlap, "")):
            raise ResolutionError(
                f"blocking rule {rule['blocking_rule']!r} explodes {column!r}: only "
                f"l.{column} = r.{column} can be read as a condition on one pair"
            )
    return sql


def blocking_generates(
    features: DataFrame | Sequence[DataFrame], model: TrainedModel, pairs: DataFrame
) -> DataFrame:
    """``pairs`` with ``generated``: whether the model's blocking rules make the pair a candidate.

    Each rule's SQL is evaluated on the pair, in both orientations (Splink
    orders a pair's sides itself); a linking model only pairs records of
    different sources. A pair with a side missing from the features is not
    generated. A rule that explodes arrays is read as its pair condition
    (:func:`pair_rule_sql`).
    """
    settings = model.settings
    id_column = settings["unique_id_column_name"]
    rules = settings.get("blocking_rules_to_generate_predictions") or []
    sqls = [pair_rule_sql(r) for r in rules] or ["1=1"]
    records = union_all(as_frames(features))
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
