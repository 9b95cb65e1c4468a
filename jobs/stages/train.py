"""The train stage: the entity's model inputs -> Splink training -> JSON, MLflow run, registry version."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.registry import register_version
from jobs.runtime.tracking import log_flat_metrics, mlflow_run
from jobs.stages.common import require_inputs
from jobs.stages.kinds import kind_module
from jobs.stages.labels import labelled_matches
from splink_models.model import TrainedModel
from splink_models.training import block_sample_prior_scale
from splink_models.training import train as train_model

logger = logging.getLogger(__name__)


def training_inputs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig
) -> tuple[DataFrame | list[DataFrame], int | None]:
    """The model inputs, sampled as ``training.sample_fraction`` says (whole blocks when keyed),
    and the catalog's row count when whole blocks were sampled (its prior is scaled to it)."""
    inputs = kind_module(entity).model_inputs(spark, cfg, entity)
    t = entity.training
    if t.sample_fraction >= 1.0 or not isinstance(inputs, DataFrame):
        return inputs, None
    if t.sample_block_key:
        from features.sampling import sample_blocks

        sample = sample_blocks(
            inputs,
            key=t.sample_block_key,
            fraction=t.sample_fraction,
            seed=t.seed,
            null_key_by=entity.id_column,
        )
        return sample, inputs.count()
    return inputs.sample(fraction=t.sample_fraction, seed=t.seed), None


def train(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, run_id: str
) -> tuple[TrainedModel, Path]:
    """Train on the entity's inputs, save the versioned JSON, log it all to MLflow."""
    require_inputs(spark, cfg, entity, "model")
    inputs, n_catalog = training_inputs(spark, cfg, entity)
    frames = [inputs] if isinstance(inputs, DataFrame) else inputs
    counts = [frame.count() for frame in frames]
    m_labels = labelled_matches(spark, cfg, entity) if entity.training.m_from_labels else None
    prior_scale = 1.0 if n_catalog is None else block_sample_prior_scale(counts[0], n_catalog)
    return train_and_log(
        spark,
        cfg,
        entity,
        inputs,
        run_id,
        {
            "n_training_records": sum(counts),
            "n_training_records_per_input": str(counts),
            "prior_scale": prior_scale,
        },
        n_rows=sum(counts),
        m_labels=m_labels,
        prior_scale=prior_scale,
    )


def train_and_log(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    inputs: DataFrame | list[DataFrame],
    run_id: str,
    extra_params: dict[str, Any],
    *,
    n_rows: int,
    m_labels: DataFrame | None = None,
    prior_scale: float = 1.0,
) -> tuple[TrainedModel, Path]:
    """Train one model (one frame, or one per side), save it, log it to MLflow, register it.

    The model is registered as a version of the entity's registered model,
    with the alias ``challenger`` (and ``champion`` when it is the first).
    ``n_rows`` (the records in ``inputs``, counted by the caller) chooses the
    training engine (``TrainingConfig.backend``).
    """
    t = entity.training
    backend = t.backend(n_rows)
    logger.info("training %s on %s (%d rows, engine %s)", entity.name, backend, n_rows, t.engine)
    params = {
        "entity": entity.name,
        "kind": entity.kind,
        "seed": t.seed,
        "max_pairs_for_u": t.max_pairs_for_u,
        "em_blocking": " | ".join(",".join(s) for s in t.em_blocking),
        "prior_recall": t.prior_recall,
        "sample_fraction": t.sample_fraction,
        "training_engine": backend,
        **({"m_from_labels": t.label_split} if m_labels is not None else {}),
        **extra_params,
    }
    with mlflow_run(
        cfg, f"train-{entity.name}", {"entity": entity.name, "run_id": run_id, "stage": "train"}
    ) as run:
        import mlflow

        mlflow.log_params(params)
        model, linker = train_model(
            spark,
            inputs,
            entity=entity.name,
            module=entity.model_module,
            seed=t.seed,
            max_pairs_for_u=t.max_pairs_for_u,
            em_blocking=t.em_blocking,
            prior_rules=t.prior_deterministic_rules,
            prior_recall=t.prior_recall,
            link_type=entity.link_type,
            m_labels=m_labels,
            backend=backend,
            prior_scale=prior_scale,
        )
        path = model.save(cfg.paths.models_dir)
        mlflow.log_param("link_type", model.settings.get("link_type"))
        mlflow.set_tag("model_version", model.version)
        mlflow.log_artifact(str(path), artifact_path="model")
        registered = register_version(
            cfg,
            model,
            source=mlflow.get_artifact_uri("model"),
            mlflow_run_id=run.info.run_id,
            run_id=run_id,
        )
        mlflow.set_tags(
            {"registered_model": registered.name, "registered_version": registered.version}
        )
        log_flat_metrics(
            {
                "probability_two_random_records_match": model.settings[
                    "probability_two_random_records_match"
                ]
            }
        )
        for name, chart in (
            ("match_weights_chart", linker.visualisations.match_weights_chart()),
            ("m_u_parameters_chart", linker.visualisations.m_u_parameters_chart()),
            (
                "parameter_estimate_comparisons_chart",
                linker.visualisations.parameter_estimate_comparisons_chart(),
            ),
        ):
            mlflow.log_text(chart.to_html(inline=True), f"charts/{name}.html")
        logger.info("trained %s (MLflow run %s), saved to %s", model.version, run.info.run_id, path)
    return model, path
