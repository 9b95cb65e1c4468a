"""The deliver stage: new, changed and deleted records linked into a resolved catalog.

A delivery is a table in the entity's input contract plus a ``change``
column (new, changed, deleted); a derived entity's is built from its source
(``derived_delivery``), and a link entity's goes its own way
(jobs.stages.deliver_links). Its records are checked and quarantined like
any input, their features built, and only the pairs with a delivered record
on one side scored (splink_models.incremental); the pairs table loses every
edge of a changed or deleted record and gains the new ones; the records
whose group can change (the delivered ones, the groups they touched, closed
under accepted edges) are clustered again and keep their ids by the
stable-id rules, and an entity's products are built again for those groups.
Everything is computed before anything is written; then input, features,
quarantine, pairs, groups and products are MERGEd, so each table's change
feed shows only what the delivery changed.
"""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from features.errors import ConfigError
from features.schemas import conform
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import merge_changes, read_table
from jobs.runtime.job import stage
from jobs.runtime.release import Release, publishing
from jobs.stages import deliver_links
from jobs.stages.clustered import cluster_groups, pair_rows, products, with_stable_ids
from jobs.stages.common import (
    compared_columns,
    contracts,
    entity_table,
    event_counts,
    read_features,
    read_groups,
    require_inputs,
    write_id_history,
)
from jobs.stages.delivery_input import (
    DRIFT_KEY,
    Delivery,
    DeliveryResult,
    catalog_after,
    delivered_records,
    delivery_model,
    derived_delivery,
    drift_allowance,
    with_a_side_in,
    write_delivered_records,
)
from jobs.stages.resolve import published_tables
from splink_models.clustering import guard_levels, materialise
from splink_models.incremental import (
    crosses,
    frequency_shifted_pairs,
    predict_delivery,
    touched_records,
)
from splink_models.spark_backend import (
    predict_given_pairs,
    term_frequency_columns,
    term_frequency_tables,
)

logger = logging.getLogger(__name__)


def deliver(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    delivery: str | None,
    run_id: str,
    model_ref: str | None = None,
) -> DeliveryResult:
    """Apply one delivery to a resolved entity's tables (see the module docstring).

    A link entity takes its own delivery, or none (``delivery`` None): either
    way it is brought up to date with its target's tables
    (jobs.stages.deliver_links). A derived entity takes none: its delivery is
    its input rows built from its source now, against its input table
    (``derived_delivery``).
    """
    if entity.kind == "derived" and delivery is not None:
        raise ConfigError(
            f"jobs.deliver: entity {entity.name} is derived from "
            f"{entity.derived.derived_from if entity.derived else 'another entity'}: its "
            "delivery is what changed there since its last run (run it without --delivery)"
        )
    if delivery is None and entity.kind == "dedupe":
        raise ConfigError(f"jobs.deliver: entity {entity.name} needs a delivery (--delivery)")
    require_inputs(spark, cfg, entity, "model")
    tables = [entity.input_table, entity.features_table, cfg.quarantine_table]
    tables += published_tables(entity)
    apply = deliver_links.deliver_links if entity.kind == "link" else _deliver
    with publishing(
        spark, cfg, job="deliver", entity=entity.name, run_id=run_id, tables=tables
    ) as release:
        if release.complete:
            logger.info("deliver %s: run %s is published already", entity.name, run_id)
            return DeliveryResult(
                model_version=release.model_version or "unknown",
                counts=release.summary["counts"],
                id_events=release.summary["id_events"],
            )
        result = apply(spark, cfg, entity, delivery, run_id, model_ref, release)
        release.finish(
            result.model_version,
            {"counts": result.counts, "id_events": result.id_events, **result.summary},
        )
    return result


def _deliver(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    delivery: Delivery,
    run_id: str,
    model_ref: str | None,
    release: Release,
) -> DeliveryResult:
    c = contracts(entity)
    idc = entity.id_column
    for role in entity.products.roles if entity.products else ():
        table, contract = entity_table(entity, role)
        if entity.group_column not in contract.fieldNames():  # checked before any work
            raise ConfigError(
                f"entities.{entity.name}.products: table {table} has no "
                f"{entity.group_column} column, so a delivery cannot replace its rows of "
                "the groups it touched (resolve in full)"
            )
    pair_key = [f"{idc}_l", f"{idc}_r"]
    pairs_path = cfg.table_path(entity.pairs_table)
    pairs = read_table(spark, pairs_path, c.pairs)
    old_groups = read_groups(spark, cfg, entity)
    model = delivery_model(spark, cfg, entity, pairs, model_ref)
    release.model_version = model.version

    with stage(f"check {entity.name} delivery"):
        if entity.kind == "derived":
            delivery = derived_delivery(spark, cfg, entity)
        d = delivered_records(spark, cfg, entity, delivery, run_id)
        applied_ids, delivered, gone = d.applied_ids, d.delivered, d.gone
    with stage(f"score {entity.name} delivery"):
        before = read_features(spark, cfg, entity)
        catalog = catalog_after(before, d)
        # the term-frequency columns before and after, read by every count below
        narrow = [idc, *term_frequency_columns(model.settings)]
        before_tf = materialise(before.select(*narrow))
        after_tf = materialise(catalog.select(*narrow))
        tf_tables = term_frequency_tables(after_tf, model.settings)
        scored = predict_delivery(spark, catalog, delivered, model, tf_tables)
        new_pairs = materialise(pair_rows(cfg, entity, scored, model, run_id))
        old_touching = materialise(with_a_side_in(pairs, applied_ids, idc).select(*pair_key))
        # pairs the delivery left whose term frequencies it moved: scored again, as a
        # rebuild over the new catalog would score them
        assert entity.clustering is not None
        levels = guard_levels(entity.clustering.threshold, entity.clustering.strict_threshold_step)
        kept = with_a_side_in(pairs, applied_ids, idc, inside=False)
        allowance = drift_allowance(spark, pairs_path)
        near, drift = frequency_shifted_pairs(
            kept.select(*pair_key, "match_weight", "match_probability"),
            before_tf,
            after_tf,
            applied_ids,
            model.settings,
            levels,
            allowance,
        )
        drifting = materialise(
            near.select(*pair_key, F.col("match_probability").alias("_p_before"))
        )
        rescored = materialise(
            pair_rows(
                cfg,
                entity,
                predict_given_pairs(spark, catalog, model, drifting, tf_tables),
                model,
                run_id,
            )
        )
    with stage(f"cluster the {entity.name} the delivery touches"):
        upserts = new_pairs.unionByName(rescored)
        # every pair after the delivery: the ones it left as they were, and its upserts
        pairs_after = kept.join(rescored.select(*pair_key), pair_key, "left_anti").unionByName(
            upserts
        )
        after = pairs_after.select(
            F.col(f"{idc}_l").alias("node_l"),
            F.col(f"{idc}_r").alias("node_r"),
            "match_probability",
        )
        threshold = entity.threshold
        # read by every round of the closure: built once
        accepted = materialise(after.where(F.col("match_probability") >= threshold))
        groups_before = old_groups.select(
            F.col(idc).alias("node"), F.col(entity.group_column).alias("group")
        )
        # read by every round of the closure: built once
        remaining = materialise(groups_before.join(gone.toDF("node"), "node", "left_anti"))
        hit_groups = groups_before.join(applied_ids.toDF("node"), "node").select("group")
        # a rescored pair that crossed a clustering level (the threshold, or a stricter
        # one the size guard uses) can change its component
        moved = drifting.join(rescored.select(*pair_key, "match_probability"), pair_key).where(
            crosses(F.col("_p_before"), F.col("match_probability"), levels)
        )
        seeds = (
            delivered.toDF("node")
            .unionByName(remaining.join(hit_groups, "group").select("node"))
            .unionByName(moved.select(F.col(f"{idc}_l").alias("node")))
            .unionByName(moved.select(F.col(f"{idc}_r").alias("node")))
            .distinct()
        )
        touched = touched_records(accepted, remaining, seeds)
        inside = F.broadcast(touched.withColumn("_in", F.lit(True)))
        edges = (
            after.join(inside.toDF("node_l", "in_l"), "node_l")
            .join(inside.toDF("node_r", "in_r"), "node_r")
            .select("node_l", "node_r", "match_probability")
        )
        groups, rounds = cluster_groups(
            entity, edges, touched, run_id=run_id, model_version=model.version
        )
        groups, history = with_stable_ids(
            spark,
            cfg,
            entity,
            groups,
            run_id=run_id,
            model_version=model.version,
            scope=touched.unionByName(gone.toDF("node")),
        )
        built = {}
        if entity.products is not None:  # products of the touched groups, built again
            contract_pairs = (
                pairs_after.join(inside.toDF(f"{idc}_l", "_in_l"), f"{idc}_l")
                .join(inside.toDF(f"{idc}_r", "_in_r"), f"{idc}_r")
                .drop("_in_l", "_in_r")
            )
            built = products(spark, cfg, entity, groups, contract_pairs, features=catalog)
            groups = materialise(built.pop("groups"))
            changed_groups = (
                old_groups.join(touched.unionByName(gone.toDF("node")).toDF(idc), idc, "left_semi")
                .select(entity.group_column)
                .unionByName(groups.select(entity.group_column))
                .distinct()
            )
        counts = {
            **d.counts(),
            "pairs_removed": old_touching.count(),
            "pairs_added": new_pairs.count(),
            "touched_records": touched.count(),
            "groups_after": groups.select(entity.group_column).distinct().count(),
        }
        counts["pairs_rescored"] = rescored.count()
        counts["tf_drift_allowance_bits"] = allowance  # from earlier deliveries
        counts["tf_drift_bits"] = drift  # the next delivery's allowance
    with stage(f"write {entity.name} delivery"):
        write_delivered_records(cfg, d)
        merge_changes(
            pairs_path,
            c.pairs,
            keys=pair_key,
            upserts=upserts,
            deletes=old_touching,
            compare=["match_weight", "match_probability", "comparison_levels"],
            metadata={DRIFT_KEY: drift, "run_id": run_id},
            few_upserts=True,
        )
        merge_changes(
            cfg.table_path(entity.groups_table),
            c.groups,
            keys=[idc],
            upserts=conform(groups, c.groups),
            deletes=gone,
            compare=compared_columns(c.groups, [idc]),
            few_upserts=True,
        )
        for role, frame in built.items():  # each product's rows of the touched groups
            table, contract = entity_table(entity, role)
            merge_changes(
                cfg.table_path(table),
                contract,
                keys=[entity.group_column],
                upserts=conform(frame, contract),
                deletes=changed_groups,
                insert_only=True,
                few_upserts=True,
            )
        write_id_history(cfg, entity, history, run_id)
    return DeliveryResult(
        model_version=model.version,
        counts=counts,
        id_events=event_counts(history),
        guard_rounds=rounds,
    )
