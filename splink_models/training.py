"""Train an entity's model on Spark or on DuckDB in the driver; the result is Spark's JSON.

An entity's model package supplies the comparisons and blocking rules;
:mod:`splink_models.estimation` the procedure; the backends the linker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from splink import Linker

from features.errors import ResolutionError
from splink_models.dialect import to_dialect
from splink_models.duckdb_backend import driver_linker
from splink_models.estimation import (
    DistinctU,
    apply_distinct_u,
    distinct_records,
    estimate_m_from_labels,
    estimate_parameters,
    neutralise_untrained_levels,
    share_m,
)
from splink_models.frames import as_frames
from splink_models.model import TrainedModel, entity_settings, model_module, token_weight_spec
from splink_models.spark_backend import linker, model_inputs, spark_api
from splink_models.token_weights import fit_token_weights

logger = logging.getLogger(__name__)


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
    prior_scale: float = 1.0,
) -> tuple[TrainedModel, Linker]:
    """Prior from deterministic rules, u by seeded random sampling, m by EM sessions.

    Each EM session blocks on some fields and so trains the others; the config
    lists at least two so that every comparison is trained in some session.
    Token weights the package declares (``TOKEN_WEIGHTS``) are fitted first, on
    these same records, and rendered into the settings.

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
        prior_scale: The learned prior (probability that two random records
            match) is multiplied by it: a sample of whole blocks keeps the
            matches of the records it holds but only a fraction of their pairs,
            so its prior is too high for the catalog the model will score
            (:func:`block_sample_prior_scale`).
    """
    spec = token_weight_spec(module)
    weights = fit_token_weights(as_frames(features), spec) if spec is not None else None
    settings = entity_settings(module, link_type, weights)
    if backend == "duckdb":
        db_api, trainer = driver_linker(model_inputs(features, settings), settings)
    elif backend == "spark":
        db_api = spark_api(spark)
        trainer = linker(spark, features, settings, db_api)
    else:
        raise ValueError(f"training backend {backend!r}: expected 'spark' or 'duckdb'")
    distinct: DistinctU | None = getattr(model_module(module), "DISTINCT_U", None)
    if distinct is not None and isinstance(features, DataFrame):
        subset = distinct_records(features, distinct)
        n_distinct = subset.count()
        if n_distinct >= distinct.min_records:
            if backend == "duckdb":
                sampler = driver_linker(model_inputs(subset, settings), settings)[1]
            else:
                sampler = linker(spark, subset, settings, db_api)
            set_u = apply_distinct_u(
                trainer, sampler, distinct, seed=seed, max_pairs=max_pairs_for_u
            )
            logger.info(
                "u of %s sampled among %d records of distinct %s: %s",
                ", ".join(distinct.comparisons),
                n_distinct,
                distinct.column,
                "; ".join(
                    f"{c} " + ", ".join("-" if u is None else f"{u:.2g}" for u in us)
                    for c, us in set_u.items()
                ),
            )
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
    code = model_module(module)
    neutralise_untrained_levels(trainer, getattr(code, "UNTRAINED_M", {}))
    share_m(trainer, getattr(code, "SHARED_M_LEVELS", {}))
    if prior_scale != 1.0:
        # Splink has no public setter for the prior (see estimate_parameters)
        prior = trainer._settings_obj._probability_two_random_records_match
        trainer._settings_obj._probability_two_random_records_match = prior * prior_scale
    model = TrainedModel.from_settings(entity, trainer.misc.save_model_to_json())
    if model.dialect != "spark":
        spark_settings = to_dialect(model, "spark", module=module).settings
        model = TrainedModel.from_settings(entity, spark_settings)
    return model, trainer


def block_sample_prior_scale(n_sample: int, n_catalog: int) -> float:
    """What a prior learned on a sample of whole blocks is multiplied by for the whole catalog.

    Sampling whole blocks (all of an artist's tracks) keeps the matches of the
    sampled records: the catalog holds about n_catalog / n_sample times the
    sample's matches among n_catalog * (n_catalog - 1) / 2 pairs, so its prior
    is the sample's times (n_sample - 1) / (n_catalog - 1). Unscaled, a model
    trained on 200k of 1M generated tracks started every pair 2.3 bits too
    high and merged more look-alikes (live takes, re-recordings) at 1M than at
    20k.
    """
    if n_sample < 2 or n_catalog < n_sample:
        raise ResolutionError(
            f"training sample: {n_sample} records sampled from a catalog of {n_catalog}; "
            "raise training.sample_fraction (a prior needs at least two sampled records)"
        )
    return (n_sample - 1) / (n_catalog - 1)
