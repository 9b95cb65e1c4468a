"""The stages every entity type goes through; the jobs and the demo call these.

features -> train -> resolve -> evaluate. Each stage reads its inputs from
Delta, calls named functions from features/ and splink_models/, and writes
one or more Delta tables atomically. An entity type is a config section, a
feature builder, a model package and a set of contracts (features.schemas).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.parsing import INGEST_REASON_PREFIX
from features.quality import split_bad_input
from features.schemas import ENTITY_CONTRACTS, QUARANTINE, EntityContracts, labelled_pairs_schema
from jobs._runtime import (
    AppConfig,
    EntityConfig,
    ResolutionError,
    TrainingConfig,
    VideoConfig,
    conform,
    read_table,
    stage,
    write_json_atomic,
    write_table,
    write_text_atomic,
)
from splink_models import engine
from splink_models.evaluation import cluster_pairs as implied_pairs
from splink_models.evaluation import (
    error_pairs,
    evaluate,
    label_pairs,
    pair_key,
    possible_pairs,
    reduction_ratio,
    with_missed_true_pairs,
)
from splink_models.groups import build_groups
from splink_models.pair_evaluation import (
    LabelledScore,
    by_split,
    choose_and_report,
    curve_rows,
    figures_at,
    pair_completeness,
    probability_to_weight,
)

logger = logging.getLogger(__name__)


def _import(dotted: str):
    module, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module), attr)


def contracts(entity: EntityConfig | VideoConfig) -> EntityContracts:
    try:
        return ENTITY_CONTRACTS[entity.name]
    except KeyError:
        raise ResolutionError(
            f"entity {entity.name!r} has no table contracts in features/schemas.py ENTITY_CONTRACTS"
        ) from None


# --- features ------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureResult:
    n_input: int
    n_features: int
    quarantine_by_reason: dict[str, int]


def quarantine_scope(entity: str, stage: str) -> str:
    """The quarantine rows one stage owns: ingest's reasons start with INGEST_REASON_PREFIX.

    The table is shared by every entity type and by two stages (ingest, features),
    so each replaces only its own rows: rerunning features keeps what ingest set
    aside, and the other way round.
    """
    if stage not in ("ingest", "features"):
        raise ValueError(f"quarantine stage must be ingest or features, got {stage!r}")
    op = "LIKE" if stage == "ingest" else "NOT LIKE"
    return f"entity_type = '{entity}' AND reason {op} '{INGEST_REASON_PREFIX}%'"


def write_quarantine(
    cfg: AppConfig, entity: str, rows: DataFrame, *, stage: str = "features"
) -> None:
    """Replace one stage's quarantine rows of one entity type (see quarantine_scope)."""
    path = cfg.table_path(cfg.quarantine_table)
    write_table(
        conform(rows, QUARANTINE),
        path,
        QUARANTINE,
        replace_where=quarantine_scope(entity, stage),
    )


def build_features(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig | VideoConfig, run_id: str
) -> FeatureResult:
    c = contracts(entity)
    raw = read_table(spark, cfg.table_path(entity.input_table), c.input)
    record_rules, field_rules = _import(entity.quality_rules)()
    usable, quarantine = split_bad_input(
        raw,
        entity_type=entity.name,
        id_column=entity.id_column,
        run_id=run_id,
        record_rules=record_rules,
        field_rules=field_rules,
    )
    quarantine = quarantine.cache()
    write_quarantine(cfg, entity.name, quarantine)
    builder = _import(entity.feature_builder)
    features = builder(usable, generic_values=entity.generic_values)
    write_table(conform(features, c.features), cfg.table_path(entity.features_table), c.features)
    by_reason = {
        f"{r['field']}: {r['reason']}": int(r["count"])
        for r in quarantine.groupBy("field", "reason").count().collect()
    }
    result = FeatureResult(
        n_input=raw.count(),
        n_features=read_table(spark, cfg.table_path(entity.features_table)).count(),
        quarantine_by_reason=by_reason,
    )
    quarantine.unpersist()
    return result


# --- training --------------------------------------------------------------------


def train(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, run_id: str
) -> tuple[engine.TrainedModel, Path]:
    """Train on the feature table, save the versioned JSON, log it all to MLflow."""
    c = contracts(entity)
    features = read_table(spark, cfg.table_path(entity.features_table), c.features)
    t = entity.training
    if t.sample_fraction < 1.0 and t.sample_block_key:
        from features.sampling import sample_blocks

        features = sample_blocks(
            features, key=t.sample_block_key, fraction=t.sample_fraction, seed=t.seed
        )
    elif t.sample_fraction < 1.0:
        features = features.sample(fraction=t.sample_fraction, seed=t.seed)
    m_labels = labelled_matches(spark, cfg, entity) if entity.training.m_from_labels else None
    n_rows = features.count()
    return train_and_log(
        spark,
        cfg,
        entity.name,
        entity.model_module,
        entity.training,
        features,
        run_id,
        {"n_training_records": n_rows},
        n_rows=n_rows,
        link_type=entity.link_type,
        m_labels=m_labels,
    )


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


def train_and_log(
    spark: SparkSession,
    cfg: AppConfig,
    entity_name: str,
    model_module: str,
    t: TrainingConfig,
    features: DataFrame | list[DataFrame],
    run_id: str,
    extra_params: dict[str, Any],
    *,
    n_rows: int,
    link_type: str | None = None,
    m_labels: DataFrame | None = None,
) -> tuple[engine.TrainedModel, Path]:
    """Train one model (dedupe: one frame, link: one per side), save it, log it to MLflow.

    The model is also registered as a version of the entity's registered model,
    with the alias ``challenger`` (and ``champion`` when it is the first).
    ``link_type`` and ``m_labels`` go to ``engine.train``: a linking model's
    single feature frame is split by source, m is also taken from labels.
    ``n_rows`` (the records in ``features``, counted by the caller) chooses the
    training engine (``TrainingConfig.backend``).
    """
    from jobs._registry import register_version
    from jobs._tracking import log_flat_metrics, mlflow_run

    backend = t.backend(n_rows)
    logger.info("training %s on %s (%d rows, engine %s)", entity_name, backend, n_rows, t.engine)
    params = {
        "entity": entity_name,
        "seed": t.seed,
        "max_pairs_for_u": t.max_pairs_for_u,
        "em_blocking": " | ".join(",".join(s) for s in t.em_blocking),
        "prior_recall": t.prior_recall,
        "sample_fraction": t.sample_fraction,
        "training_engine": backend,
        **({"link_type": link_type} if link_type else {}),
        **({"m_from_labels": t.label_split} if m_labels is not None else {}),
        **extra_params,
    }
    with mlflow_run(
        cfg, f"train-{entity_name}", {"entity": entity_name, "run_id": run_id, "stage": "train"}
    ) as run:
        import mlflow

        mlflow.log_params(params)
        model, linker = engine.train(
            spark,
            features,
            entity=entity_name,
            module=model_module,
            seed=t.seed,
            max_pairs_for_u=t.max_pairs_for_u,
            em_blocking=t.em_blocking,
            prior_rules=t.prior_deterministic_rules,
            prior_recall=t.prior_recall,
            link_type=link_type,
            m_labels=m_labels,
            backend=backend,
        )
        path = model.save(cfg.paths.models_dir)
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


# --- resolve ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResolveResult:
    model_version: str
    n_pairs: int
    n_accepted: int
    n_groups: int
    largest_groups: list[tuple[str, int]]
    guard_rounds: list[dict[str, Any]]


def resolve(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    run_id: str,
    model_path: str | None = None,
) -> ResolveResult:
    """Score and cluster with a model: ``model_path`` is any model ref (jobs._registry)."""
    from jobs._registry import load_model

    c = contracts(entity)
    features = read_table(spark, cfg.table_path(entity.features_table), c.features)
    model = load_model(cfg, entity.name, entity.model_module, model_path).model
    pairs_path = cfg.table_path(entity.pairs_table)
    with stage(f"score {entity.name} pairs"):
        write_table(score_pairs(spark, entity, features, model, run_id), pairs_path, c.pairs)
    pairs = read_table(spark, pairs_path, c.pairs)
    groups_path = cfg.table_path(entity.groups_table)
    with stage(f"cluster {entity.name}"):
        groups, rounds = cluster_pairs(
            entity, features, pairs, run_id=run_id, model_version=model.version
        )
        write_table(groups, groups_path, c.groups)
    groups = read_table(spark, groups_path, c.groups)
    # one row per group: its representative's (a member), so no shuffle to count them
    heads = groups.where(
        F.col(entity.id_column) == F.col(f"representative_{entity.id_column}")
    ).select(entity.group_column, "group_size")
    largest = heads.orderBy(F.desc("group_size"), entity.group_column).limit(5).collect()
    counts = pairs.agg(
        F.count("*").alias("n"), F.sum(F.col("above_threshold").cast("long")).alias("accepted")
    ).first()
    return ResolveResult(
        model_version=model.version,
        n_pairs=int(counts["n"]),
        n_accepted=int(counts["accepted"] or 0),
        n_groups=heads.count(),
        largest_groups=[(r[entity.group_column], int(r["group_size"])) for r in largest],
        guard_rounds=rounds,
    )


@dataclass(frozen=True)
class Resolution:
    """One model's pairs and groups over a feature table, held in Spark, not published."""

    model: engine.TrainedModel
    pairs: DataFrame  # the entity's pairs contract
    groups: DataFrame  # the entity's groups contract
    guard_rounds: list[dict[str, Any]]


def resolve_unpublished(
    spark: SparkSession,
    entity: EntityConfig,
    features: DataFrame,
    model: engine.TrainedModel,
    run_id: str,
) -> Resolution:
    """What resolve computes, checkpointed instead of written: for promote and compare.

    The published pairs and groups tables stay the champion's; evaluating or
    comparing a candidate model must not replace them.
    """
    pairs = score_pairs(spark, entity, features, model, run_id).checkpoint()
    groups, rounds = cluster_pairs(
        entity, features, pairs, run_id=run_id, model_version=model.version
    )
    return Resolution(model, pairs, groups.checkpoint(), rounds)


def score_pairs(
    spark: SparkSession,
    entity: EntityConfig,
    features: DataFrame,
    model: engine.TrainedModel,
    run_id: str,
) -> DataFrame:
    """Every candidate pair of the model's blocking rules, scored and explained (pairs contract)."""
    idc = entity.id_column
    scored = engine.predict(spark, features, model)
    return scored.select(
        F.col(f"{idc}_l"),
        F.col(f"{idc}_r"),
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
        engine.explain_levels(model, scored.columns).alias("comparison_levels"),
        (F.col("match_probability") >= entity.clustering.threshold).alias("above_threshold"),
        F.lit(run_id).alias("run_id"),
        F.lit(model.version).alias("model_version"),
    )


def cluster_pairs(
    entity: EntityConfig,
    features: DataFrame,
    pairs: DataFrame,
    *,
    run_id: str,
    model_version: str,
) -> tuple[DataFrame, list[dict[str, Any]]]:
    """Guarded connected components of the scored pairs -> the groups contract, guard rounds.

    ``pairs`` should be materialised (a Delta table or a checkpoint): it is read twice.
    """
    threshold = entity.clustering.threshold
    idc = entity.id_column
    edges = pairs.select(
        F.col(f"{idc}_l").alias("node_l"), F.col(f"{idc}_r").alias("node_r"), "match_probability"
    )
    nodes = features.select(F.col(idc).alias("node"))
    assignment, rounds = engine.guarded_clusters(
        edges,
        nodes,
        threshold=threshold,
        max_group_size=entity.clustering.max_group_size,
        step=entity.clustering.strict_threshold_step,
    )
    accepted = edges.where(F.col("match_probability") >= threshold)
    # Without a guard round the components are those of the accepted edges, so
    # every accepted edge is inside one; a re-split may leave some between two.
    same_component = accepted.select("node_l", "node_r")
    if rounds:
        side = {s: assignment.toDF(f"node_{s}", f"c_{s}") for s in ("l", "r")}
        same_component = (
            accepted.join(side["l"], "node_l")
            .join(side["r"], "node_r")
            .where(F.col("c_l") == F.col("c_r"))
            .select("node_l", "node_r")
        )
    groups = build_groups(
        assignment,
        same_component,
        id_column=idc,
        group_column=entity.group_column,
        group_id_prefix=entity.group_id_prefix,
        run_id=run_id,
        model_version=model_version,
    )
    return groups, rounds


# --- tuning sample ------------------------------------------------------------------


def export_tuning_sample(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    *,
    rows: int,
    block_key: str,
    out_dir: str | Path,
    label_column: str = "truth",
) -> Path:
    """About ``rows`` records of the feature table as Parquet, for Splink on DuckDB.

    Whole blocks of ``block_key`` are kept (features.sampling), so matching
    records stay together. With a golden cluster table, its truth column comes
    along as ``label_column`` for Splink's accuracy charts (null when absent).
    """
    from features.sampling import sample_blocks

    features = read_table(spark, cfg.table_path(entity.features_table), contracts(entity).features)
    total = features.count()
    sample = sample_blocks(features, key=block_key, fraction=rows / total if total else 1.0)
    if entity.golden_table and table_exists(spark, cfg.table_path(entity.golden_table)):
        golden = read_table(spark, cfg.table_path(entity.golden_table)).select(
            entity.id_column, F.col(entity.truth_column).alias(label_column)
        )
        sample = sample.join(golden, entity.id_column, "left")
    else:
        sample = sample.withColumn(label_column, F.lit(None).cast("string"))
    out = Path(out_dir)
    sample.coalesce(1).write.mode("overwrite").parquet(str(out))
    return out


# --- evaluate -------------------------------------------------------------------------


def score_labelled_pairs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, model: engine.TrainedModel
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
    features = read_table(spark, cfg.table_path(entity.features_table), contracts(entity).features)
    labels = read_labelled_pairs(spark, cfg, entity)
    keys = [f"{idc}_l", f"{idc}_r"]
    scored = engine.predict_given_pairs(spark, features, model, labels).select(
        *keys,
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
    )
    generated = engine.blocking_generates(features, model, labels.select(*keys).distinct())
    return labels.join(scored, keys, "left").join(generated, keys, "left")


GOLDEN_KINDS = ("auto", "clusters", "pairs")


def evaluate_entity(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, run_id: str, golden: str = "auto"
) -> dict[str, Any]:
    """Score a run against its golden data: Delta, MLflow, JSON, and the errors behind it.

    The golden data is the entity's golden cluster table when it exists
    (closed world: pairwise, B-cubed, blocking recall), otherwise its labelled
    pairs (precision/recall/F1 on the listed pairs, the threshold chosen on one
    split and reported on the others, pair completeness). Either way the
    blocking reduction ratio is added, and the top false positives and
    negatives go to the error_analysis table and reports/evaluation/<entity>.html.
    ``golden`` picks one of the two: "clusters", "pairs", or "auto" (clusters
    when that table exists).
    """
    if golden not in GOLDEN_KINDS:
        raise ResolutionError(f"golden={golden!r}: expected one of {', '.join(GOLDEN_KINDS)}")
    c = contracts(entity)
    pairs = read_table(spark, cfg.table_path(entity.pairs_table), c.pairs)
    groups = read_table(spark, cfg.table_path(entity.groups_table), c.groups)
    features = read_table(spark, cfg.table_path(entity.features_table), c.features)
    # the run evaluated is the one that wrote the groups, whoever evaluates it
    lineage = groups.select("run_id", "model_version").first()
    if lineage is None:
        raise ResolutionError(
            f"{cfg.table_path(entity.groups_table)} is empty: nothing to evaluate"
        )
    run_id, model_version = lineage["run_id"], lineage["model_version"]
    curve = None
    has_clusters = bool(entity.golden_table) and table_exists(
        spark, cfg.table_path(entity.golden_table or "")
    )
    has_pairs = bool(entity.labelled_pairs_table) and table_exists(
        spark, cfg.table_path(entity.labelled_pairs_table or "")
    )
    if golden == "pairs" and not has_pairs:
        raise ResolutionError(
            f"--golden pairs: {cfg.table_path(entity.labelled_pairs_table or '')} does not exist "
            "(jobs.ingest writes it from a mapping's labelled_pairs)"
        )
    if golden == "clusters" and not has_clusters:
        raise ResolutionError(
            f"--golden clusters: {cfg.table_path(entity.golden_table or '')} does not exist"
        )
    if has_clusters and golden != "pairs":
        report = golden_report(spark, cfg, entity, pairs, groups)
        report["golden"] = "clusters"
        labelled = golden_labelled_pairs(spark, cfg, entity, pairs, groups)
    elif has_pairs:
        report, labelled, curve = labelled_pairs_report(spark, cfg, entity, pairs)
    else:
        raise ResolutionError(
            f"entity {entity.name} has no golden data: neither its golden table "
            f"({entity.golden_table}) nor its labelled pairs ({entity.labelled_pairs_table}) "
            f"exist under {cfg.paths.warehouse}"
        )
    n_candidates = report.get("n_candidate_pairs")
    if n_candidates is None:
        n_candidates = pairs.count()
    report["reduction_ratio"] = reduction_ratio(
        n_candidates, possible_pairs(features, link_type=entity.link_type)
    )
    report["run_id"] = run_id
    report["model_version"] = model_version
    report["entity_type"] = entity.name
    record_evaluation(spark, cfg, entity.name, report, entity.clustering.threshold)
    record_errors(spark, cfg, entity, report, labelled, features, curve)
    return report


def table_exists(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, path)


def golden_labelled_pairs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame, groups: DataFrame
) -> DataFrame:
    """Candidate pairs labelled by the golden clusters, plus the true pairs never compared."""
    c = contracts(entity)
    golden = read_table(spark, cfg.table_path(entity.golden_table), c.golden).join(
        groups.select(entity.id_column), entity.id_column
    )
    labelled = label_pairs(
        pairs,
        golden,
        id_column=entity.id_column,
        truth_column=entity.truth_column,
        kind_column=entity.kind_column,
    )
    true_pairs = implied_pairs(golden, id_column=entity.id_column, group_column=entity.truth_column)
    return with_missed_true_pairs(labelled, true_pairs, id_column=entity.id_column)


def labelled_pairs_report(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame
) -> tuple[dict[str, Any], DataFrame, list[dict[str, float]]]:
    """Figures on the labelled pairs, from the run's scored candidates.

    A labelled pair that is not among the candidates was never generated by
    blocking: a predicted non-match. Figures at the entity's threshold over
    all labelled pairs; when the pairs are split, the F1-maximising threshold
    is chosen on training.label_split and every split is reported at it.
    Returns the report, the labelled pairs joined to their scores (for the
    error analysis) and the precision-recall curve.
    """
    idc = entity.id_column
    keys = pair_key(idc)  # either orientation of a pair is the same pair
    scored = pairs.select(
        *keys, "match_weight", "match_probability", "comparison_levels"
    ).dropDuplicates(["key_l", "key_r"])
    labels = read_labelled_pairs(spark, cfg, entity).select(
        f"{idc}_l", f"{idc}_r", "label", "split", *keys
    )
    labelled = (
        labels.join(scored, ["key_l", "key_r"], "left")
        .drop("key_l", "key_r")
        .withColumn("is_match", F.col("label") == 1)
    ).cache()
    scores = [
        LabelledScore(
            label=int(r["label"]),
            score=r["match_weight"],
            generated=r["match_weight"] is not None,
            split=r["split"],
        )
        for r in labelled.select("label", "split", "match_weight").collect()
    ]
    threshold = entity.clustering.threshold
    at = figures_at(scores, probability_to_weight(threshold))
    report: dict[str, Any] = {
        "golden": "labelled pairs",
        "precision": at.precision,
        "recall": at.recall,
        "f1": at.f1,
        "threshold": threshold,
        "pair_completeness": pair_completeness(scores),
        "n_labelled_pairs": at.n_pairs,
        "n_labelled_matches": at.n_matches,
        "n_predicted_pairs": at.n_predicted,
        "n_candidate_pairs": pairs.count(),
    }
    splits = {s for s in by_split(scores) if s is not None}
    choice = entity.training.label_split
    if choice in splits:
        chosen, rows = choose_and_report(scores, choose_on=choice, report=sorted(splits))
        report["chosen_threshold_weight"] = chosen
        report["choice_split"] = choice
        for row in rows:
            report[f"split_{row['split']}"] = {
                k: v for k, v in row.items() if k not in ("split", "threshold")
            }
    return report, labelled, curve_rows(scores)


def record_errors(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    report: dict[str, Any],
    labelled: DataFrame,
    features: DataFrame,
    curve: list[dict[str, float]] | None,
) -> Path:
    """The top errors of each type to the error_analysis table and the HTML report."""
    from features.schemas import ERROR_ANALYSIS
    from jobs._error_report import render

    idc = entity.id_column
    errors = error_pairs(
        labelled, id_column=idc, threshold=entity.clustering.threshold, top_n=cfg.error_top_n
    )
    summary = _import(entity.record_summary)(features) if entity.record_summary else F.col(idc)
    shown = features.select(F.col(idc).alias("id"), summary.alias("record"))
    errors = (
        errors.join(shown.toDF("id_l", "record_l"), "id_l", "left")
        .join(shown.toDF("id_r", "record_r"), "id_r", "left")
        .withColumn("entity_type", F.lit(entity.name))
        .withColumn("run_id", F.lit(report["run_id"]))
        .withColumn("model_version", F.lit(report["model_version"]))
        .withColumn("threshold", F.lit(float(entity.clustering.threshold)))
        .withColumn("evaluated_at", F.current_timestamp())
        .localCheckpoint()  # computed once for the table and the page
    )
    if cfg.error_analysis_table:
        write_table(
            conform(errors, ERROR_ANALYSIS),
            cfg.table_path(cfg.error_analysis_table),
            ERROR_ANALYSIS,
            replace_where=f"entity_type = '{entity.name}' AND run_id = '{report['run_id']}'",
        )
    rows = [r.asDict(recursive=True) for r in errors.orderBy("error_type", "rank").collect()]
    page = render(
        entity=entity.name,
        report=report,
        errors=rows,
        labels=_level_labels(cfg, entity, report["model_version"]),
        curve=curve,
    )
    out = write_text_atomic(
        Path(cfg.paths.reports_dir) / "evaluation" / f"{entity.name}.html", page
    )
    logger.info(
        "error analysis of %s: %d pairs to %s and %s",
        entity.name,
        len(rows),
        cfg.error_analysis_table,
        out,
    )
    return out


def _level_labels(cfg: AppConfig, entity: EntityConfig, version: str) -> dict[tuple[str, int], str]:
    """The chart labels of the evaluated model's levels, when its JSON is at hand."""
    path = Path(cfg.paths.models_dir) / entity.name / f"{version}.json"
    if "://" in cfg.paths.models_dir or not path.exists():
        return {}
    return engine.level_labels(engine.TrainedModel.load(entity.name, str(path)))


def golden_report(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame, groups: DataFrame
) -> dict[str, Any]:
    """Every quality figure of one set of pairs and groups against the entity's golden table."""
    c = contracts(entity)
    if not entity.golden_table or c.golden is None:
        raise ResolutionError(f"entity {entity.name} has no golden table configured")
    return evaluate(
        pairs=pairs,
        groups=groups,
        golden=read_table(spark, cfg.table_path(entity.golden_table), c.golden),
        id_column=entity.id_column,
        group_column=entity.group_column,
        truth_column=entity.truth_column,
        kind_column=entity.kind_column,
        threshold=entity.clustering.threshold,
    )


def record_evaluation(
    spark: SparkSession, cfg: AppConfig, entity_name: str, report: dict[str, Any], threshold: float
) -> Path:
    """One report, three places: the evaluation Delta table, MLflow and reports/evaluation/.

    The report's run_id and model_version say which run was evaluated; its
    rows in the evaluation table are replaced, so re-evaluating is idempotent.
    """
    from features.schemas import EVALUATION
    from jobs._tracking import flatten_metrics, log_flat_metrics, mlflow_run

    run_id, model_version = report["run_id"], report["model_version"]
    rows = [
        (
            entity_name,
            key,
            float(value) if value is not None else None,
            threshold,
            run_id,
            model_version,
        )
        for key, value in flatten_metrics(report).items()
    ]
    frame = spark.createDataFrame(
        rows,
        "entity_type string, metric string, value double, threshold double, run_id string, model_version string",
    ).withColumn("evaluated_at", F.current_timestamp())
    write_table(
        conform(frame, EVALUATION),
        cfg.table_path(cfg.evaluation_table),
        EVALUATION,
        replace_where=f"entity_type = '{entity_name}' AND run_id = '{run_id}'",
    )
    with mlflow_run(
        cfg,
        f"evaluate-{entity_name}",
        {
            "entity": entity_name,
            "run_id": run_id,
            "stage": "evaluate",
            "model_version": model_version,
        },
    ):
        log_flat_metrics(report)
    return write_json_atomic(
        Path(cfg.paths.reports_dir) / "evaluation" / f"{entity_name}.json", report
    )
