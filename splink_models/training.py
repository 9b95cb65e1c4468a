"""Train an entity's model on Spark or on DuckDB in the driver; the result is Spark's JSON.

An entity's model package supplies the comparisons and blocking rules;
:mod:`splink_models.estimation` the procedure; the backends the linker.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from splink import Linker

from splink_models.dialect import to_dialect
from splink_models.duckdb_backend import driver_linker
from splink_models.estimation import estimate_m_from_labels, estimate_parameters
from splink_models.model import TrainedModel, entity_settings
from splink_models.spark_backend import linker, model_inputs, spark_api


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
        db_api, trainer = driver_linker(model_inputs(features, settings), settings)
    elif backend == "spark":
        db_api = spark_api(spark)
        trainer = linker(spark, features, settings, db_api)
    else:
        raise ValueError(f"training backend {backend!r}: expected 'spark' or 'duckdb'")
    estimate_parameters(
        trainer,
        seed=seed,
        max_pairs_for_u=max_pairs_for_u,
        em_blocking=em_blocking,
        prior_rules=prior_rules,
        prior_recall=prior_recall,
    )
    if m_labels is not None:
        estimate_m_from_labels(trainer, db_api, features, m_labels)
    model = TrainedModel.from_settings(entity, trainer.misc.save_model_to_json())
    if model.dialect != "spark":
        spark_settings = to_dialect(model, "spark", module=module).settings
        model = TrainedModel.from_settings(entity, spark_settings)
    return model, trainer
