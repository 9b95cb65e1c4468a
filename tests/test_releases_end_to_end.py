"""Releases on the shared sample: album records deduplicated into releases, features to evaluate.

The ``resolved_releases`` fixture (tests/conftest.py) runs the releases
entity's chain on the shared sample's generated releases, and
``compared_releases`` compares its model with one trained with another prior,
so their tables join the shared lakehouse that the delta-rs and Scala readers
check.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from features.schemas import ID_HISTORY, MODEL_COMPARISON, QUARANTINE
from jobs.runtime.delta import read_table
from jobs.stages.common import contracts

pytestmark = pytest.mark.e2e

# editions a model must keep apart: each names itself (deluxe, remaster) or differs in size
EDITION_KINDS = ("deluxe", "remaster", "single")


def test_releases_on_the_sample(resolved_releases):
    cfg, _, _, report = resolved_releases
    assert report["kind"] == "dedupe" and report["golden"] == "clusters"
    assert report["f1"] >= 0.85 and report["recall"] >= 0.95, report
    assert report["bcubed_f1"] >= 0.95 and report["blocking_recall"] >= 0.97, report
    assert report["largest_group"] <= cfg.entity("releases").clustering.max_group_size
    assert sum(report["false_merges"][k] for k in EDITION_KINDS) <= 2, report["false_merges"]


def test_release_tables_follow_their_contracts_and_hang_together(spark, resolved_releases):
    cfg, feats, resolved, report = resolved_releases
    e = cfg.entity("releases")
    c = contracts(e)
    features = read_table(spark, cfg.table_path(e.features_table), c.features)
    pairs = read_table(spark, cfg.table_path(e.pairs_table), c.pairs)
    groups = read_table(spark, cfg.table_path(e.groups_table), c.groups)
    history = read_table(spark, cfg.table_path(e.id_history_table), ID_HISTORY)

    assert groups.count() == features.count() == feats.n_features == report["n_records"]
    assert groups.select("release_id").distinct().count() == groups.count()
    sizes = groups.groupBy("release_group_id").agg(
        F.count("*").alias("n"), F.min("group_size").alias("lo"), F.max("group_size").alias("hi")
    )
    assert sizes.where("n != lo or n != hi").count() == 0
    assert sizes.count() == resolved.summary["n_groups"] == report["n_groups"]
    assert groups.where(~F.col("release_group_id").startswith(e.group_id_prefix)).count() == 0
    members = groups.select("release_group_id", "release_id")
    reps = groups.select(
        "release_group_id", F.col("representative_release_id").alias("release_id")
    ).distinct()
    assert reps.join(members, ["release_group_id", "release_id"], "left_anti").count() == 0
    # no guard split a component at this size: both ends of every accepted pair share a group
    g = {r.release_id: r.release_group_id for r in members.collect()}
    accepted = pairs.where("above_threshold").select("release_id_l", "release_id_r").collect()
    assert len(accepted) == resolved.summary["n_accepted"] > 0
    assert all(g[r.release_id_l] == g[r.release_id_r] for r in accepted)
    # the first run created every id, once
    created = history.where("event = 'created'").select("id").distinct()
    assert created.count() == sizes.count()
    assert (
        created.join(sizes.withColumnRenamed("release_group_id", "id"), "id", "anti").count() == 0
    )


def test_spoiled_releases_are_quarantined_and_none_vanishes(spark, resolved_releases):
    cfg, feats, _, _ = resolved_releases
    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).where(
        "entity_type = 'releases'"
    )
    assert sum(feats.quarantine_by_reason.values()) == quarantine.count() > 0
    excluded = quarantine.where("action = 'record_excluded'").count()
    assert feats.n_input == feats.n_features + excluded


def test_the_comparison_of_two_release_models_is_written(spark, compared_releases):
    cfg, comparison = compared_releases
    table = read_table(spark, comparison.table, MODEL_COMPARISON)
    rows = {r.change: r for r in table.where("run_id = 'e2e-compare'").collect()}
    assert {change: r["count"] for change, r in rows.items()} == {
        line.change: line.count for line in comparison.lines
    }
    assert len({(r.model_version_a, r.model_version_b) for r in rows.values()}) == 1
    row = next(iter(rows.values()))
    assert row.model_version_a != row.model_version_b
    # the lower prior lifts some pairs over the threshold: the change shows as gains and merges
    assert rows["pairs_gained"]["count"] > 0 and rows["groups_merged"]["count"] > 0
    for change, r in rows.items():
        assert (len(r.examples) > 0) == (r["count"] > 0), change
