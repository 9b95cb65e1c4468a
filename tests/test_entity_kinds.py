"""An entity type of each kind, added by a config dict alone, through features -> evaluate.

No stage code knows these entities: they reuse the feature builders, models
and contracts the project has under new names and tables (a dedupe entity of
tracks, a link entity of videos linked to it, a derived entity of its
groups), and the generic stages run them from their config sections.
"""

from __future__ import annotations

import copy

import pytest
from pyspark.sql import functions as F

from jobs import build_features, evaluate, generate_sample, resolve, train
from jobs.runtime.config import config_from_tree, config_tree
from jobs.runtime.delta import read_table
from jobs.stages.common import contracts
from tests.conftest import overrides_under

pytestmark = pytest.mark.e2e

N_TRACKS = 600


def _tables(prefix: str, *roles: str) -> dict[str, str]:
    return {role: f"{prefix}_{role}" for role in roles}


@pytest.fixture(scope="module")
def kinds_cfg(session_root):
    tree = config_tree(
        "local", overrides=overrides_under(session_root / "kinds", f"sample.n_tracks={N_TRACKS}")
    )
    base = copy.deepcopy(tree["entities"])
    for section in base.values():  # the knowledge graph's parts name the real entities
        section.pop("graph", None)
    tunes = {**base["recordings"], "group_id_prefix": "tg_"}
    tunes["tables"] = _tables("tunes", "input", "golden", "features", "pairs", "groups", "id_history")
    clips = {**base["videos"], "links_to": "tunes"}
    clips["tables"] = _tables("clips", "input", "golden", "features", "pairs", "matches", "unmatched")
    sets = {
        **base["recordings"],
        "kind": "derived",
        "derived_from": "tunes",
        "builder": "features.tracks:group_rows",
        "group_id_prefix": "ts_",
        "golden": {"truth_column": "recording_id"},
        "tables": _tables("sets", "input", "golden", "features", "pairs", "groups", "id_history"),
    }
    sets["training"] = {**sets["training"], "sample_block_key": None}
    tree["entities"] = {"tunes": tunes, "clips": clips, "tune_sets": sets}
    tree["sample"]["entities"] = {"tracks": "tunes", "videos": "clips"}
    return config_from_tree(tree, profile="local", source="test dict")


@pytest.fixture(scope="module")
def kinds_run(spark, kinds_cfg):
    cfg = kinds_cfg
    generate_sample.run(spark, cfg)
    reports = {}
    for e in cfg.in_dependency_order():
        # a derived entity's golden table is derived too (jobs.stages.features.derive_golden)
        build_features.run(spark, cfg, entity=e.name, run_id="kinds-1")
        path = train.run(spark, cfg, entity=e.name, run_id="kinds-1")
        resolve.run(spark, cfg, entity=e.name, run_id="kinds-1", model_path=str(path))
        reports[e.name] = evaluate.run(spark, cfg, entity=e.name)
    return cfg, reports


def test_the_kinds_run_in_dependency_order(kinds_cfg):
    order = [e.name for e in kinds_cfg.in_dependency_order()]
    assert order.index("tunes") < order.index("clips")
    assert order.index("tunes") < order.index("tune_sets")


def test_a_dedupe_entity_from_config_alone_clusters_its_records(spark, kinds_run):
    cfg, reports = kinds_run
    e = cfg.entity("tunes")
    groups = read_table(spark, cfg.table_path(e.groups_table), contracts(e).groups)
    assert groups.count() == reports["tunes"]["n_records"] > 0.99 * N_TRACKS
    assert groups.where(~F.col("recording_group_id").startswith("tg_")).count() == 0
    assert reports["tunes"]["precision"] > 0.9 and reports["tunes"]["recall"] > 0.8


def test_a_link_entity_from_config_alone_assigns_records_to_the_clusters_it_links_to(
    spark, kinds_run
):
    cfg, reports = kinds_run
    e, tunes = cfg.entity("clips"), cfg.entity("tunes")
    c = contracts(e)
    matches = read_table(spark, cfg.table_path(e.matches_table), c.matches)
    unmatched = read_table(spark, cfg.table_path(e.unmatched_table), c.unmatched)
    features = read_table(spark, cfg.table_path(e.features_table))
    assert matches.count() + unmatched.count() == features.count() > 0
    assert matches.groupBy("video_id").count().where("count > 1").count() == 0
    groups = read_table(spark, cfg.table_path(tunes.groups_table))
    # every assignment names a group of the entity it links to, through its configured tables
    assert matches.join(groups, "recording_group_id", "left_anti").count() == 0
    assert reports["clips"]["golden"] == "assignments"
    assert reports["clips"]["precision"] > 0.8


def test_a_derived_entity_from_config_alone_builds_its_input_from_the_other_entitys_groups(
    spark, kinds_run
):
    cfg, reports = kinds_run
    e, tunes = cfg.entity("tune_sets"), cfg.entity("tunes")
    source_groups = (
        read_table(spark, cfg.table_path(tunes.groups_table))
        .select("recording_group_id")
        .distinct()
    )
    rows = read_table(spark, cfg.table_path(e.input_table))
    assert rows.count() == source_groups.count()
    assert rows.join(
        source_groups.withColumnRenamed("recording_group_id", "track_id"), "track_id", "left_anti"
    ).isEmpty()
    groups = read_table(spark, cfg.table_path(e.groups_table), contracts(e).groups)
    assert groups.count() == reports["tune_sets"]["n_records"] == rows.count()
    assert reports["tune_sets"]["kind"] == "derived"
    assert groups.where(~F.col("recording_group_id").startswith("ts_")).count() == 0
