"""Champion/challenger in the MLflow registry, the promotion gate, and the A/B compare job.

Two models are trained on the small sample's feature table (copied from the
``resolved_sample`` fixture into a warehouse of their own, with their own
MLflow SQLite store, so the suite's registry and published tables are left
alone): a deliberately degraded one first, which becomes champion as the
first version, then a properly trained one, the challenger. The gate promotes
the challenger, then refuses the degraded version when it is put up again.
`compare` runs both on the same features; its merge and split counts are
recomputed here in plain Python from the two groupings.
"""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from features.errors import ResolutionError
from features.schemas import MODEL_COMPARISON
from jobs import compare, promote, train
from jobs.runtime.config import AppConfig
from jobs.runtime.delta import read_table
from jobs.runtime.registry import ModelNotFoundError, load_model, registry_aliases, version_tags
from splink_models.impact import (
    GROUPS_MERGED,
    GROUPS_SPLIT,
    GROUPS_UNCHANGED,
    PAIRS_GAINED,
    PAIRS_LOST,
    RECORDS_CHANGED,
    group_changes,
    pair_changes,
    summarise,
)
from splink_models.model import TrainedModel
from tests.conftest import test_config as config_under  # not collected as a test

# The degraded model: a prior 40x too high (the deterministic rule's recall
# taken as 2%) lifts every pair's weight by ~5 bits, so weak pairs cross the
# threshold; and EM never trains in artist + duration blocks.
DEGRADED = (
    "entities.recordings.training.prior_recall=0.02",
    "entities.recordings.training.em_blocking=[[isrc], [core_title_key, primary_artist_key]]",
)


@pytest.fixture(scope="module")
def lifecycle_root(resolved_sample, tmp_path_factory) -> Path:
    """A warehouse with the sample's features and golden tables, and an empty MLflow store."""
    sample_cfg, _, _ = resolved_sample
    root = tmp_path_factory.mktemp("lifecycle")
    cfg = config_under(root)
    e = cfg.entity("recordings")
    for table in (e.features_table, e.golden_table):
        shutil.copytree(sample_cfg.table_path(table), cfg.table_path(table))
    return root


def _cfg(root: Path, *extra: str) -> AppConfig:
    return config_under(root, *extra)  # u from 100k pairs (tests.conftest)


def _clusters(groups) -> dict[str, set[str]]:
    clusters: dict[str, set[str]] = defaultdict(set)
    for row in groups.select("track_id", "recording_group_id").collect():
        clusters[row.recording_group_id].add(row.track_id)
    return clusters


def _impact_in_python(a: dict[str, set[str]], b: dict[str, set[str]]) -> dict[str, int]:
    """Merged, split, unchanged groups and moved records, straight from the definitions."""
    group_of_b = {t: g for g, members in b.items() for t in members}
    group_of_a = {t: g for g, members in a.items() for t in members}
    split = [g for g, members in a.items() if len({group_of_b[t] for t in members}) > 1]
    merged = [g for g, members in b.items() if len({group_of_a[t] for t in members}) > 1]
    b_sets = {frozenset(m) for m in b.values()}
    unchanged = [g for g, members in a.items() if frozenset(members) in b_sets]
    moved = sum(len(members) for members in a.values() if frozenset(members) not in b_sets)
    return {
        GROUPS_SPLIT: len(split),
        GROUPS_MERGED: len(merged),
        GROUPS_UNCHANGED: len(unchanged),
        RECORDS_CHANGED: moved,
    }


def _accepted(pairs) -> set[tuple[str, str]]:
    return {
        (r.track_id_l, r.track_id_r)
        for r in pairs.where("above_threshold").select("track_id_l", "track_id_r").collect()
    }


@pytest.mark.e2e
def test_train_register_gate_and_compare(spark, lifecycle_root):
    cfg = _cfg(lifecycle_root)
    entity = cfg.entity("recordings")
    name = cfg.lifecycle.registered_model("recordings")

    # 1. the degraded model is the first version: challenger and, with no champion yet, champion
    train.run(spark, _cfg(lifecycle_root, *DEGRADED), entity="recordings", run_id="lc-train-1")
    assert registry_aliases(cfg, "recordings") == {"champion": "1", "challenger": "1"}
    # 2. a properly trained model: the new challenger; the champion stays
    train.run(spark, cfg, entity="recordings", run_id="lc-train-2")
    assert registry_aliases(cfg, "recordings") == {"champion": "1", "challenger": "2"}
    degraded_version = version_tags(cfg, "recordings", "1")["model_version"]
    good_version = version_tags(cfg, "recordings", "2")["model_version"]
    assert degraded_version != good_version
    # scoring jobs take the champion by default, and a ref wins over it
    assert load_model(cfg, "recordings", entity.model_module).source == (
        f"models:/{name}/1 (@champion)"
    )
    assert load_model(cfg, "recordings", entity.model_module).model.version == degraded_version
    assert load_model(cfg, "recordings", entity.model_module, "2").model.version == good_version

    # 3. gate: the challenger beats the degraded champion -> promoted
    accepted = promote.run(spark, cfg, entity="recordings", run_id="lc-gate-1")
    assert accepted.promoted, accepted.decision
    assert accepted.reasons == ()
    assert registry_aliases(cfg, "recordings") == {"champion": "2", "challenger": "2"}
    assert accepted.challenger_report["f1"] > accepted.champion_report["f1"]
    tags = version_tags(cfg, "recordings", "2")
    assert tags["gate.decision"] == "promoted" and tags["gate.champion_version"] == "1"
    assert load_model(cfg, "recordings", entity.model_module).model.version == good_version

    # 4. gate: the degraded version put up against the new champion -> refused, with the reason
    refused = promote.run(spark, cfg, entity="recordings", run_id="lc-gate-2", challenger="1")
    assert not refused.promoted
    assert registry_aliases(cfg, "recordings")["champion"] == "2"
    # the figures are the first gate's: same tables, same models, nothing re-scored
    assert refused.champion_report["cached"] and refused.challenger_report["cached"]
    assert refused.champion_report["f1"] == pytest.approx(accepted.challenger_report["f1"])
    p_champion = refused.champion_report["precision"]
    p_challenger = refused.challenger_report["precision"]
    assert p_champion - p_challenger > 0.005, (p_champion, p_challenger)
    assert (
        f"max_precision_drop: precision {p_challenger:.4f} vs champion {p_champion:.4f}: "
        f"drop {p_champion - p_challenger:.4f} > allowed 0.0050"
    ) in refused.reasons
    tags = version_tags(cfg, "recordings", "1")
    assert tags["gate.decision"] == "refused" and "max_precision_drop" in tags["gate.reasons"]

    # 5. compare the degraded version (A) with the champion (B) on the same features
    result = compare.run(spark, cfg, entity="recordings", run_id="lc-compare", a="1", b="@champion")
    a_groups, b_groups = _clusters(result.a.outputs["groups"]), _clusters(result.b.outputs["groups"])
    expected = _impact_in_python(a_groups, b_groups)
    a_pairs, b_pairs = _accepted(result.a.pairs), _accepted(result.b.pairs)
    expected[PAIRS_GAINED] = len(b_pairs - a_pairs)
    expected[PAIRS_LOST] = len(a_pairs - b_pairs)
    got = {line.change: line.count for line in result.lines}
    assert got == expected
    # a 40x prior glues groups the good model keeps apart: the good one splits them
    assert expected[GROUPS_SPLIT] > 0 and expected[PAIRS_LOST] > expected[PAIRS_GAINED]
    # the other way round (B -> A) those splits are merges: same code, counted again
    backwards = summarise(
        pair_changes(result.b.pairs, result.a.pairs, id_column="track_id"),
        group_changes(
            result.b.outputs["groups"],
            result.a.outputs["groups"],
            id_column="track_id",
            group_column="recording_group_id",
        ),
        id_column="track_id",
    )
    expected_backwards = _impact_in_python(b_groups, a_groups)
    expected_backwards[PAIRS_GAINED], expected_backwards[PAIRS_LOST] = (
        expected[PAIRS_LOST],
        expected[PAIRS_GAINED],
    )
    assert {line.change: line.count for line in backwards} == expected_backwards
    assert expected_backwards[GROUPS_MERGED] > 0
    assert expected[GROUPS_UNCHANGED] > 0.5 * len(a_groups)
    assert set(itertools.chain(*a_groups.values())) == set(itertools.chain(*b_groups.values()))

    table = read_table(spark, cfg.table_path(cfg.lifecycle.comparison_table), MODEL_COMPARISON)
    rows = {r.change: r for r in table.where("run_id = 'lc-compare'").collect()}
    assert {change: r["count"] for change, r in rows.items()} == expected
    assert {r.model_version_a for r in rows.values()} == {degraded_version}
    assert {r.model_b for r in rows.values()} == {f"models:/{name}/2 (@champion)"}
    for change, row in rows.items():
        assert (len(row.examples) > 0) == (row["count"] > 0), change
    # an example of a split names the A group and the B groups it went to
    split_example = rows[GROUPS_SPLIT].examples[0]
    group_a = split_example.split(" ")[1]
    assert group_a in a_groups and len({g for g in b_groups if g in split_example}) >= 2


def test_model_refs_without_a_registry(tmp_path):
    """Before anything is registered: the newest JSON; a version or alias is a clear error."""
    cfg = config_under(tmp_path)
    module = cfg.entity("recordings").model_module
    with pytest.raises(ResolutionError, match="no trained recordings model"):
        load_model(cfg, "recordings", module)
    model = TrainedModel.from_settings("recordings", {"sql_dialect": "spark", "comparisons": []})
    path = model.save(cfg.paths.models_dir)
    assert load_model(cfg, "recordings", module).model.version == model.version
    assert load_model(cfg, "recordings", module, str(path)).source == str(path)
    for ref, message in (
        ("7", "models:/music-resolution-recordings/7: not in the registry"),
        ("@champion", "has no alias 'champion' \\(aliases: none\\)"),
        ("models:/music-resolution-recordings@challenger", "has no alias 'challenger'"),
        (str(tmp_path / "gone.json"), "no such file"),
    ):
        with pytest.raises(ModelNotFoundError, match=message):
            load_model(cfg, "recordings", module, ref)
    # asking a registry must not create an empty MLflow store
    assert not (tmp_path / "mlflow.db").exists()
