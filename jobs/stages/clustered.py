"""The clustered kinds (dedupe, derived): scored pairs -> guarded clusters -> one group per record.

Evaluated against golden clusters (pairwise, B-cubed, blocking recall, false
merges by kind) or labelled pairs, with the errors behind the figures.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ResolutionError
from features.schemas import ERROR_ANALYSIS, conform
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_exists, write_table
from jobs.runtime.output import write_text_atomic
from jobs.stages.common import (
    Settled,
    contracts,
    entity_table,
    import_named,
    read_features,
    read_groups,
    run_scope,
)
from jobs.stages.labels import read_labelled_pairs
from splink_models.clustering import guarded_clusters
from splink_models.evaluation import (
    error_pairs,
    evaluate,
    implied_pairs,
    label_pairs,
    pair_key,
    rule_counts,
    with_missed_true_pairs,
)
from splink_models.groups import build_groups, carry_ids
from splink_models.model import TrainedModel, level_labels
from splink_models.pair_evaluation import (
    LabelledScore,
    by_split,
    choose_and_report,
    curve_rows,
    figures_at,
    pair_completeness,
    probability_to_weight,
)
from splink_models.scoring import explain_levels

logger = logging.getLogger(__name__)


def model_inputs(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    """The feature table: the model compares its records with each other."""
    return read_features(spark, cfg, entity)


def read_versions(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> dict[str, Any]:
    """Nothing: a clustered entity's release needs no record of the other tables it read."""
    return {}


def pair_rows(
    cfg: AppConfig, entity: EntityConfig, scored: DataFrame, model: TrainedModel, run_id: str
) -> DataFrame:
    """Splink's scored pairs in the entity's pairs contract (``<id>_l`` < ``<id>_r``)."""
    idc = entity.id_column
    return scored.select(
        F.col(f"{idc}_l"),
        F.col(f"{idc}_r"),
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
        explain_levels(model, scored.columns).alias("comparison_levels"),
        (F.col("match_probability") >= entity.threshold).alias("above_threshold"),
        F.lit(run_id).alias("run_id"),
        F.lit(model.version).alias("model_version"),
    )


def settle(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    pairs: DataFrame,
    *,
    run_id: str,
    model_version: str,
) -> Settled:
    """Guarded connected components of the scored pairs -> the groups contract.

    ``pairs`` should be materialised (a Delta table or a checkpoint): it is read twice.
    """
    idc = entity.id_column
    edges = pairs.select(
        F.col(f"{idc}_l").alias("node_l"), F.col(f"{idc}_r").alias("node_r"), "match_probability"
    )
    nodes = read_features(spark, cfg, entity).select(F.col(idc).alias("node"))
    groups, rounds = cluster_groups(
        entity, edges, nodes, run_id=run_id, model_version=model_version
    )
    groups, history = with_stable_ids(
        spark, cfg, entity, groups, run_id=run_id, model_version=model_version
    )
    if entity.products is None:
        return Settled({"groups": groups}, rounds, history)
    return Settled(products(spark, cfg, entity, groups, pairs), rounds, history)


def cluster_groups(
    entity: EntityConfig,
    edges: DataFrame,
    nodes: DataFrame,
    *,
    run_id: str,
    model_version: str,
) -> tuple[DataFrame, list[dict[str, Any]]]:
    """Guarded connected components of scored edges -> group rows (cluster keys, not ids yet).

    ``edges``: (node_l, node_r, match_probability); ``nodes``: (node), every
    record, singletons included. Returns the rows and the guard's rounds.
    """
    assert entity.clustering is not None
    threshold = entity.clustering.threshold
    assignment, rounds = guarded_clusters(
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
        id_column=entity.id_column,
        group_column=entity.group_column,
        group_id_prefix=entity.group_id_prefix,
        run_id=run_id,
        model_version=model_version,
    )
    return groups, rounds


def with_stable_ids(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    groups: DataFrame,
    *,
    run_id: str,
    model_version: str,
    scope: DataFrame | None = None,
) -> tuple[DataFrame, DataFrame]:
    """This run's groups under the ids published before (``carry_ids``), and the id history rows.

    ``scope`` (node): when only some records were re-clustered (a delivery),
    the published groups of those records (and of the records the delivery
    deleted) are the previous state; the other groups keep their ids as they
    are. Both results are checkpointed: they read the published groups, which
    the caller is about to replace.
    """
    assert entity.groups_table is not None and entity.id_history_table is not None
    idc, gc = entity.id_column, entity.group_column
    published = cfg.table_path(entity.groups_table)
    previous = (
        read_table(spark, published).select(F.col(idc).alias("node"), F.col(gc).alias("old_id"))
        if table_exists(spark, published)
        else None
    )
    if previous is not None and scope is not None:
        previous = previous.join(F.broadcast(scope.select("node")), "node", "left_semi")
    history_path = cfg.table_path(entity.id_history_table)
    known, next_seq = None, 0
    if table_exists(spark, history_path):
        known = (
            read_table(spark, history_path, contracts(entity).id_history)
            .where(F.col("id_seq").isNotNull())
            .select(F.col("id").alias("old_id"), F.col("id_seq").alias("seq"))
        )
        top = known.agg(F.max("seq")).first()[0]
        next_seq = 0 if top is None else int(top) + 1
    groups = groups.localCheckpoint()  # read by the carry and joined back: built once
    clusters = groups.select(F.col(idc).alias("node"), F.col(gc).alias("cluster"))
    ids, events = carry_ids(
        clusters, previous, known, prefix=entity.group_id_prefix or "", next_seq=next_seq
    )
    carried = groups.join(
        ids.select(F.col("cluster").alias(gc), F.col("id").alias("_stable")), gc
    ).select(*[F.col("_stable").alias(gc) if c == gc else F.col(c) for c in groups.columns])
    history = events.select(
        "*",
        F.lit(run_id).alias("run_id"),
        F.lit(model_version).alias("model_version"),
        F.current_timestamp().alias("recorded_at"),
    )
    return carried.localCheckpoint(), history.localCheckpoint()


def products(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    groups: DataFrame,
    pairs: DataFrame,
    features: DataFrame | None = None,
) -> dict[str, DataFrame]:
    """The entity's products built from its clusters (config ``products``), by role.

    ``groups`` comes back too, in the entity's groups contract (a product may
    add columns to it, e.g. which member is the original). ``features``:
    the published feature table unless given (a delivery's, before it is written).
    """
    assert entity.products is not None
    row = groups.select("run_id", "model_version").first()
    built = import_named(entity.products.build)(
        groups,
        features if features is not None else read_features(spark, cfg, entity),
        pairs,
        id_column=entity.id_column,
        group_column=entity.group_column,
        run_id=row["run_id"] if row else "",
        model_version=row["model_version"] if row else "",
    )
    expected = {"groups", *entity.products.roles}
    if set(built) != expected:
        raise ResolutionError(
            f"{entity.products.build} returned tables {sorted(built)}, "
            f"entities.{entity.name}.products.roles says {sorted(expected)}"
        )
    return built


def product_outputs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig
) -> dict[str, DataFrame]:
    """The published product tables by role (none without products)."""
    if entity.products is None:
        return {}
    out = {}
    for role in entity.products.roles:
        table, contract = entity_table(entity, role)
        out[role] = read_table(spark, cfg.table_path(table), contract)
    return out


def summarise(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame
) -> dict[str, Any]:
    """Counts of the published pairs and groups, for the run summary."""
    groups = read_groups(spark, cfg, entity)
    # one row per group: its representative's (a member), so no shuffle to count them
    heads = groups.where(
        F.col(entity.id_column) == F.col(f"representative_{entity.id_column}")
    ).select(entity.group_column, "group_size")
    largest = heads.orderBy(F.desc("group_size"), entity.group_column).limit(5).collect()
    counts = pairs.agg(
        F.count("*").alias("n"), F.sum(F.col("above_threshold").cast("long")).alias("accepted")
    ).first()
    return {
        "n_pairs": int(counts["n"]),
        "n_accepted": int(counts["accepted"] or 0),
        "n_groups": heads.count(),
        "largest_groups": [(r[entity.group_column], int(r["group_size"])) for r in largest],
    }


# --- evaluation -------------------------------------------------------------------------

GOLDEN_KINDS = ("auto", "clusters", "pairs")


# how far (bits) the configured prior_recall may be from the measured one before a warning
PRIOR_WARN_BITS = 0.3


def prior_rule_check(
    entity: EntityConfig, features: DataFrame, golden: DataFrame
) -> dict[str, float]:
    """What the prior's deterministic rules find in the golden data, and a warning.

    Training divides the pairs the rules find by ``training.prior_recall``, an
    assumption; here the value that gives the golden match rate is measured
    (splink_models.evaluation.RuleCounts). When the two differ by more than
    PRIOR_WARN_BITS, the log says by how much and what to set.
    """
    assert entity.golden is not None
    t = entity.training
    counts = rule_counts(
        features,
        golden,
        list(t.prior_deterministic_rules),
        id_column=entity.id_column,
        truth_column=entity.golden.truth_column,
    )
    if counts is None or not counts.found:
        return {}
    implied = counts.implied_recall
    assert implied is not None and counts.recall is not None and counts.precision is not None
    off = math.log2(t.prior_recall / implied)
    if abs(off) > PRIOR_WARN_BITS:
        fix = (
            f"prior_recall {implied:.2f} gives the golden match rate"
            if implied <= 1
            else "no prior_recall can give the golden match rate: the rules find more "
            "non-matches than they miss matches; make them stricter"
        )
        logger.warning(
            "%s: training.prior_recall is %.2f, but the prior rules find %.2f of the golden true "
            "pairs at precision %.2f: the prior is %.2f bits too %s (%s)",
            entity.name,
            t.prior_recall,
            counts.recall,
            counts.precision,
            abs(off),
            "low" if off > 0 else "high",
            fix,
        )
    return {
        "prior_rule_recall": counts.recall,
        "prior_rule_precision": counts.precision,
        "prior_recall_implied": implied,
    }


def golden_report(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    pairs: DataFrame,
    outputs: dict[str, DataFrame],
) -> dict[str, Any]:
    """Every quality figure of one set of pairs and groups against the entity's golden table."""
    c = contracts(entity)
    if not entity.golden_table or c.golden is None or entity.golden is None:
        raise ResolutionError(f"entity {entity.name} has no golden table configured")
    golden = read_table(spark, cfg.table_path(entity.golden_table), c.golden)
    report = evaluate(
        pairs=pairs,
        groups=outputs["groups"],
        golden=golden,
        id_column=entity.id_column,
        group_column=entity.group_column,
        truth_column=entity.golden.truth_column,
        kind_column=entity.golden.kind_column,
        base_kind=entity.golden.base_kind,
        threshold=entity.threshold,
    )
    features = read_features(spark, cfg, entity)
    took_part = golden.join(outputs["groups"].select(entity.id_column), entity.id_column)
    report.update(prior_rule_check(entity, features, took_part))
    if entity.products is not None and entity.products.evaluate:
        figures = import_named(entity.products.evaluate)(
            outputs,
            golden,
            features,
            id_column=entity.id_column,
            group_column=entity.group_column,
            truth_column=entity.golden.truth_column,
            kind_column=entity.golden.kind_column,
            base_kind=entity.golden.base_kind,
            relations=entity.golden.relations,
        )
        report.update(figures)
        report["product_figures"] = sorted(figures)
    return report


def evaluate_published(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, golden: str = "auto"
) -> tuple[dict[str, Any], DataFrame | None, list[dict[str, float]] | None]:
    """The published pairs and groups against golden clusters or labelled pairs.

    The golden data is the entity's golden cluster table when it exists
    (closed world: pairwise, B-cubed, blocking recall), otherwise its labelled
    pairs (precision/recall/F1 on the listed pairs, the threshold chosen on one
    split and reported on the others, pair completeness). ``golden`` picks one
    of the two: "clusters", "pairs", or "auto" (clusters when that table
    exists). Returns the report, the labelled pairs for the error analysis and
    the precision-recall curve (labelled pairs only).
    """
    if golden not in GOLDEN_KINDS:
        raise ResolutionError(f"golden={golden!r}: expected one of {', '.join(GOLDEN_KINDS)}")
    c = contracts(entity)
    pairs = read_table(spark, cfg.table_path(entity.pairs_table), c.pairs)
    groups = read_groups(spark, cfg, entity)
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
        outputs = {"groups": groups, **product_outputs(spark, cfg, entity)}
        report = golden_report(spark, cfg, entity, pairs, outputs)
        report["golden"] = "clusters"
        return report, golden_labelled_pairs(spark, cfg, entity, pairs, groups), None
    if has_pairs:
        return labelled_pairs_report(spark, cfg, entity, pairs)
    raise ResolutionError(
        f"entity {entity.name} has no golden data: neither its golden table "
        f"({entity.golden_table}) nor its labelled pairs ({entity.labelled_pairs_table}) "
        f"exist under {cfg.paths.warehouse}"
    )


def golden_labelled_pairs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame, groups: DataFrame
) -> DataFrame:
    """Candidate pairs labelled by the golden clusters, plus the true pairs never compared."""
    assert entity.golden is not None
    c = contracts(entity)
    golden = read_table(spark, cfg.table_path(entity.golden_table), c.golden).join(
        groups.select(entity.id_column), entity.id_column
    )
    labelled = label_pairs(
        pairs,
        golden,
        id_column=entity.id_column,
        truth_column=entity.golden.truth_column,
        kind_column=entity.golden.kind_column,
        base_kind=entity.golden.base_kind,
    )
    true_pairs = implied_pairs(
        golden, id_column=entity.id_column, group_column=entity.golden.truth_column
    )
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
    threshold = entity.threshold
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
    curve: list[dict[str, float]] | None,
    page: Path,
) -> Path:
    """The top errors of each type to the error_analysis table and the HTML report."""
    from jobs.reports.error_report import render

    idc = entity.id_column
    features = read_features(spark, cfg, entity)
    errors = error_pairs(labelled, id_column=idc, threshold=entity.threshold, top_n=cfg.error_top_n)
    summary = import_named(entity.record_summary)(features) if entity.record_summary else F.col(idc)
    shown = features.select(F.col(idc).alias("id"), summary.alias("record"))
    errors = (
        errors.join(shown.toDF("id_l", "record_l"), "id_l", "left")
        .join(shown.toDF("id_r", "record_r"), "id_r", "left")
        .withColumn("entity_type", F.lit(entity.name))
        .withColumn("run_id", F.lit(report["run_id"]))
        .withColumn("model_version", F.lit(report["model_version"]))
        .withColumn("threshold", F.lit(float(entity.threshold)))
        .withColumn("evaluated_at", F.current_timestamp())
        .localCheckpoint()  # computed once for the table and the page
    )
    if cfg.error_analysis_table:
        write_table(
            conform(errors, ERROR_ANALYSIS),
            cfg.table_path(cfg.error_analysis_table),
            ERROR_ANALYSIS,
            replace_where=run_scope(entity.name, report["run_id"]),
        )
    rows = [r.asDict(recursive=True) for r in errors.orderBy("error_type", "rank").collect()]
    html = render(
        entity=entity.name,
        report=report,
        errors=rows,
        labels=_level_labels(cfg, entity, report["model_version"]),
        curve=curve,
    )
    return write_text_atomic(page, html)


def _level_labels(cfg: AppConfig, entity: EntityConfig, version: str) -> dict[tuple[str, int], str]:
    """The chart labels of the evaluated model's levels, when its JSON is at hand."""
    path = Path(cfg.paths.models_dir) / entity.name / f"{version}.json"
    if "://" in cfg.paths.models_dir or not path.exists():
        return {}
    return level_labels(TrainedModel.load(entity.name, str(path)))


def comparable(
    cfg: AppConfig, entity: EntityConfig, pairs: DataFrame, outputs: dict[str, DataFrame]
) -> tuple[DataFrame, DataFrame, str]:
    """(pairs, groups, group column) as splink_models.impact compares two models' results."""
    return pairs, outputs["groups"], entity.group_column
