"""Deliveries to a link entity: its own records delivered, and its target's changes followed.

A link entity's pairs pair its records with the members of its target's
groups (jobs.stages.linked), so both sides change: the entity's own delivery
adds, changes and deletes records, and each delivery or resolve of the
target adds, changes and deletes members and moves them between groups. A
link entity's release names the target's table versions it linked to
(``target_versions`` in its manifest summary): the members' link view then
and now says which members changed (any column: the group, and the
group-wide ones included) and which are gone.

Only the pairs with a delivered record or a changed member are scored
(splink_models.incremental.link_delivery_scorer); the pairs of deleted or
changed records and members go. A kept pair's weight was computed with the
old term frequencies: where its shift bound
(splink_models.incremental.pair_shifts) could move its record's decision (a
pair within it of the threshold, or two of the record's pairs within it of
each other or of the ambiguity margin), all the record's pairs are scored
again. The records whose pairs changed are assigned again and every group
they left or joined chooses its primary record again. Input, features,
quarantine, pairs, matches and unmatched are MERGEd.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from features.errors import ResolutionError
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import merge_changes, read_table
from jobs.runtime.job import stage
from jobs.runtime.release import Release, published
from jobs.stages import linked
from jobs.stages.common import compared_columns, contracts, read_features, read_groups
from jobs.stages.delivery_input import (
    DRIFT_KEY,
    DeliveredRecords,
    DeliveryResult,
    catalog_after,
    delivered_records,
    delivery_model,
    drift_allowance,
    write_delivered_records,
)
from splink_models.clustering import materialise
from splink_models.incremental import link_delivery_scorer, pair_shifts, weight_of
from splink_models.model import TrainedModel

logger = logging.getLogger(__name__)

PAIR_COMPARED = ["match_weight", "match_probability", "comparison_levels"]


def linked_versions(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> dict[str, int]:
    """Target table -> the version the entity's latest resolve or delivery linked to."""
    runs = [
        r
        for r in published(spark, cfg)
        if r["entity_type"] == entity.name and r["job"] in ("resolve", "deliver")
    ]
    if not runs:
        raise ResolutionError(f"deliver {entity.name}: it was never resolved (run jobs.resolve)")
    last = max(runs, key=lambda r: (r["finished_at"], r["txn_version"]))
    versions = json.loads(last["summary"] or "{}").get(linked.TARGET_VERSIONS)
    if not versions:
        raise ResolutionError(
            f"deliver {entity.name}: its latest release ({last['job']} run {last['run_id']}) "
            "does not say which versions of its target's tables it linked to; resolve "
            f"{entity.name} in full once (jobs.resolve), then deliver"
        )
    return {table: int(v) for table, v in versions.items()}


def _target_then(
    spark: SparkSession, cfg: AppConfig, target: EntityConfig, versions: dict[str, int]
) -> tuple[DataFrame, DataFrame]:
    """The target's features and groups at the versions the entity last linked to."""
    c = contracts(target)
    out = []
    for table, contract in ((target.features_table, c.features), (target.groups_table, c.groups)):
        try:
            out.append(
                read_table(
                    spark, cfg.table_path(table), contract, version=versions[table]
                ).localCheckpoint()
            )
        except Exception as error:  # noqa: BLE001 - vacuumed, or the table was replaced
            raise ResolutionError(
                f"{table} at version {versions.get(table)} (what the last link release read) "
                f"cannot be read ({type(error).__name__}); resolve the link entity in full"
            ) from None
    return out[0], out[1]


def deliver_links(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    delivery: str | None,
    run_id: str,
    model_ref: str | None,
    release: Release,
) -> DeliveryResult:
    """Apply a delivery (or none) to a link entity and follow its target (module docstring)."""
    assert entity.link is not None
    target = cfg.entity(entity.link.links_to)
    c = contracts(entity)
    idc, tid = entity.id_column, target.id_column
    pairs_path = cfg.table_path(entity.pairs_table)
    pairs = read_table(spark, pairs_path, c.pairs)
    model = delivery_model(spark, cfg, entity, pairs, model_ref)
    release.model_version = model.version
    then = linked_versions(spark, cfg, entity)
    now = linked.read_versions(spark, cfg, entity)  # before reading the target

    with stage(f"check {entity.name} delivery"):
        d = delivered_records(spark, cfg, entity, delivery, run_id)
    with stage(f"score {entity.name} delivery"):
        sides = _Sides.build(spark, cfg, entity, target, d, then, model)
        scorer = link_delivery_scorer(spark, sides.after, model)
        new_pairs = materialise(
            linked.pair_rows(
                cfg, entity, scorer(sides.as_view(d.delivered, idc), sides.changed), model, run_id
            )
        )
        out = sides.changed.unionByName(sides.gone).select(F.col(sides.view_id).alias(tid))
        removed = materialise(
            pairs.join(F.broadcast(d.applied_ids), idc, "left_semi")
            .select(idc, tid)
            .unionByName(pairs.join(F.broadcast(out), tid, "left_semi").select(idc, tid))
            .distinct()
        )
        kept = pairs.join(removed, [idc, tid], "left_anti")
        allowance = drift_allowance(spark, pairs_path)
        shifts = sides.shifts(kept, d, out, model, idc, tid, allowance)
        unstable = materialise(
            _unstable(
                shifts.unionByName(
                    new_pairs.select(*shifts.columns[:-1]).withColumn("_shift", F.lit(0.0))
                ),
                entity,
                target,
            ).join(d.delivered, idc, "left_anti")
        )
        rescored = materialise(
            linked.pair_rows(cfg, entity, scorer(sides.as_view(unstable, idc), None), model, run_id)
        )
        left = shifts.join(unstable, idc, "left_anti").agg(F.max("_shift")).first()[0]
        drift = float(left if left is not None else allowance)
    with stage(f"assign the {entity.name} the delivery touches"):
        fresh = new_pairs.join(unstable, idc, "left_anti").unionByName(rescored)
        after = (
            kept.join(unstable, idc, "left_anti")
            .join(fresh.select(idc, tid), [idc, tid], "left_anti")
            .unionByName(fresh)
        )
        reassign = materialise(
            d.delivered.unionByName(removed.select(idc))
            .unionByName(unstable)
            .unionByName(fresh.select(idc))
            .distinct()
            .join(d.gone, idc, "left_anti")
        )
        outputs = _reassigned(spark, cfg, entity, target, sides, d, after, reassign, run_id, model)
    counts = {
        **d.counts(),
        "members_changed": sides.changed.count(),
        "members_gone": sides.gone.count(),
        "pairs_removed": removed.count(),
        "pairs_added": new_pairs.count(),
        "pairs_rescored": rescored.count(),
        "records_reassigned": reassign.count(),
        "matched_after": outputs["matched_after"],
        "tf_drift_allowance_bits": allowance,
        "tf_drift_bits": drift,
    }
    with stage(f"write {entity.name} delivery"):
        write_delivered_records(cfg, d)
        merge_changes(
            pairs_path,
            c.pairs,
            keys=[idc, tid],
            upserts=fresh,
            deletes=removed,
            compare=[*PAIR_COMPARED, target.group_column],
            metadata={DRIFT_KEY: drift, "run_id": run_id},
            few_upserts=True,
        )
        for role in ("matches", "unmatched"):
            frame = outputs[role]
            merge_changes(
                cfg.table_path(entity.tables[role]),
                getattr(c, role),
                keys=[idc],
                upserts=frame,
                deletes=outputs["settled"].join(frame.select(idc), idc, "left_anti"),
                compare=compared_columns(getattr(c, role), [idc]),
                few_upserts=True,
            )
    return DeliveryResult(model_version=model.version, counts=counts, id_events={}, summary=now)


class _Sides:
    """The link view's two sides before and after: records, and the target's members."""

    def __init__(
        self,
        view_id: str,
        before: list[DataFrame],
        after: list[DataFrame],
        features_after: DataFrame,
    ) -> None:
        self.view_id = view_id
        self.before, self.after = before, after
        self.features_after = features_after  # the entity's own feature rows after the delivery
        members_then, members_now = before[1], after[1]
        # members new, in another group, or with any other column changed (a group-wide
        # one included): their pairs are scored again, and so carry their group of now
        self.changed = materialise(members_now.exceptAll(members_then).select(view_id).distinct())
        self.gone = materialise(
            members_then.select(view_id).join(members_now.select(view_id), view_id, "left_anti")
        )

    @classmethod
    def build(
        cls,
        spark: SparkSession,
        cfg: AppConfig,
        entity: EntityConfig,
        target: EntityConfig,
        d: DeliveredRecords,
        then: dict[str, int],
        model: TrainedModel,
    ) -> _Sides:
        features = read_features(spark, cfg, entity)
        features_after = catalog_after(features, d)
        target_then = _target_then(spark, cfg, target, then)
        before = linked.link_views(entity, target, features, *target_then)
        after = linked.link_views(
            entity,
            target,
            features_after,
            read_features(spark, cfg, target),
            read_groups(spark, cfg, target),
        )
        return cls(
            model.settings["unique_id_column_name"],
            [materialise(f) for f in before],
            [materialise(f) for f in after],
            features_after,
        )

    def as_view(self, ids: DataFrame, idc: str) -> DataFrame:
        return ids.select(F.col(idc).alias(self.view_id))

    def shifts(
        self,
        kept: DataFrame,
        d: DeliveredRecords,
        out: DataFrame,
        model: TrainedModel,
        idc: str,
        tid: str,
        allowance: float,
    ) -> DataFrame:
        """The kept pairs (record, member, group, weight, levels) with each one's ``_shift``."""
        v = self.view_id
        applied = self.as_view(d.applied_ids, idc).unionByName(out.select(F.col(tid).alias(v)))
        shifted = pair_shifts(
            kept.select(F.col(idc).alias(f"{v}_l"), F.col(tid).alias(f"{v}_r"), "match_weight"),
            self.before[0].unionByName(self.before[1]),
            self.after[0].unionByName(self.after[1]),
            applied,
            model.settings,
            allowance,
        ).select(F.col(f"{v}_l").alias(idc), F.col(f"{v}_r").alias(tid), "_shift")
        return materialise(kept.join(shifted, [idc, tid]))


def _unstable(pairs: DataFrame, entity: EntityConfig, target: EntityConfig) -> DataFrame:
    """(record id) of the records whose assignment the pairs' shifts (``_shift``) could change.

    A record is unstable when one of its pairs is within its shift of the
    threshold, or two of its pairs are within their shifts of each other or
    of the ambiguity margin apart (the best group, the runner-up, the member
    matched could change). Two pairs with the same levels and the same shift
    bound move together (the same value frequencies before and after) and
    are not counted.
    """
    link = entity.link
    assert link is not None
    idc, tid = entity.id_column, target.id_column
    threshold = weight_of(link.threshold)
    best = Window.partitionBy(idc).orderBy(F.desc("match_weight"), target.group_column, tid)
    ranked = pairs.withColumn("_rank", F.row_number().over(best))
    top = ranked.where("_rank = 1").select(
        idc,
        F.col("match_weight").alias("_w_b"),
        F.col("_shift").alias("_s_b"),
        F.col("comparison_levels").alias("_levels_b"),
    )
    near_threshold: Column = F.abs(F.col("match_weight") - threshold) <= F.col("_shift") + 1e-9
    together = (F.col("comparison_levels") == F.col("_levels_b")) & (
        F.col("_shift") == F.col("_s_b")
    )
    close = (
        (F.col("_rank") > 1)
        & ~together
        & (
            F.col("_w_b") - F.col("match_weight")
            <= link.ambiguity_margin + F.col("_s_b") + F.col("_shift") + 1e-9
        )
    )
    return ranked.join(top, idc).where(near_threshold | close).select(idc).distinct()


def _reassigned(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    target: EntityConfig,
    sides: _Sides,
    d: DeliveredRecords,
    after: DataFrame,
    reassign: DataFrame,
    run_id: str,
    model: TrainedModel,
) -> dict[str, Any]:
    """The matches and unmatched rows the delivery changes, and the records they replace."""
    c = contracts(entity)
    idc, gc = entity.id_column, target.group_column
    old = read_table(spark, cfg.table_path(entity.matches_table), c.matches)
    records = linked.record_kinds(entity, sides.features_after)
    scope = F.broadcast(reassign.select(F.col(idc).alias("record_id")))
    matches, unmatched = linked.assign(
        cfg,
        entity,
        after.join(F.broadcast(reassign), idc, "left_semi"),
        records.join(scope, "record_id", "left_semi"),
        run_id=run_id,
        model_version=model.version,
    )
    settled = reassign.unionByName(d.gone).distinct()  # records whose rows this run settles
    others = old.join(F.broadcast(settled), idc, "left_anti")
    # the groups a record joined or left choose their primary record again
    groups = (
        old.join(F.broadcast(settled), idc, "left_semi")
        .select(gc)
        .unionByName(matches.select(gc))
        .distinct()
    )
    chosen = linked.with_primary(
        cfg,
        entity,
        others.join(F.broadcast(groups), gc, "left_semi").unionByName(matches),
    )
    # the run id of the rows whose primary flag moves too (unchanged rows are not written)
    matched = materialise(chosen.withColumn("run_id", F.lit(run_id)))
    return {
        "matches": matched,
        "unmatched": materialise(unmatched),
        "settled": settled,
        "matched_after": others.join(F.broadcast(groups), gc, "left_anti").count()
        + matched.count(),
    }
