"""Golden data as labelled pairs: read them, take m from their matches, score exactly them."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ResolutionError
from features.schemas import labelled_pairs_schema
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table
from jobs.stages.common import read_features
from splink_models.model import TrainedModel
from splink_models.spark_backend import blocking_generates, predict_given_pairs


def read_labelled_pairs(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    """The entity's labelled pairs table (jobs.ingest writes it from a mapping's labelled_pairs)."""
    if not entity.labelled_pairs_table:
        raise ResolutionError(
            f"entity {entity.name} has no labelled pairs table: set "
            f"entities.{entity.name}.tables.labelled_pairs"
        )
    return read_table(
        spark,
        cfg.table_path(entity.labelled_pairs_table),
        labelled_pairs_schema(entity.id_column),
    )


def labelled_matches(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    """The labelled matches m may be taken from: split training.label_split only."""
    split = entity.training.label_split
    matches = read_labelled_pairs(spark, cfg, entity).where(
        (F.col("label") == 1) & (F.col("split") == split)
    )
    if matches.isEmpty():
        raise ResolutionError(
            f"entities.{entity.name}.training.m_from_labels: the labelled pairs table "
            f"{cfg.table_path(entity.labelled_pairs_table or '')} has no match in split {split!r}"
        )
    return matches


def score_labelled_pairs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, model: TrainedModel
) -> DataFrame:
    """Each labelled pair with the model's score and whether blocking generates it.

    Exactly the labelled pairs are scored (term frequencies from the whole
    feature table); ``generated`` is false for a pair the model's blocking
    rules never make a candidate, which the evaluation counts as a predicted
    non-match. A pair with a record missing from the features (quarantined,
    never ingested) has a null score. Columns: ``<id>_l``, ``<id>_r``, label,
    split, match_weight, match_probability, generated.
    """
    idc = entity.id_column
    features = read_features(spark, cfg, entity)
    labels = read_labelled_pairs(spark, cfg, entity)
    keys = [f"{idc}_l", f"{idc}_r"]
    scored = predict_given_pairs(spark, features, model, labels).select(
        *keys,
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
    )
    generated = blocking_generates(features, model, labels.select(*keys).distinct())
    return labels.join(scored, keys, "left").join(generated, keys, "left")
