"""A day-2 delivery (jobs.deliver) gives what a full rebuild of the day-2 catalog gives.

On two copies of the day-1 sample (tests/conftest.py: day1_sample): one takes
the sample's day-2 delivery (new, changed and deleted tracks, a merge and a
split forced on purpose, plus a row it cannot apply); the other rebuilds the
day-2 catalog in full with the same model. Same partition, same candidate
pairs and levels, the day-1 id kept by every group the delivery left alone,
and id events exactly where groups changed, with the forced merge and split
among them.
(Releases: tests/test_deliver_releases.py.)
"""

from __future__ import annotations

import json

import pytest
from pyspark.sql import functions as F

from features.errors import ConfigError
from jobs import build_features, deliver, resolve
from jobs.bench.incremental import compare_outcomes, membership, rebuild
from jobs.runtime.delta import read_table, set_table_properties, table_version, write_table
from jobs.runtime.release import published
from jobs.samples.datasets import generate_datasets
from jobs.samples.delivery import generate_delivery
from jobs.stages.delivery_input import delivery_contract
from tests.conftest import delta_rs_table
from tests.conftest import test_config as config_in  # not collected as a test

ENTITY = "recordings"
VIDEOS = "videos"
WORKS = "works"


def _groups(spark, cfg) -> dict[str, frozenset]:
    e = cfg.entity(ENTITY)
    rows = read_table(spark, cfg.table_path(e.groups_table)).groupBy(e.group_column).agg(
        F.collect_set(e.id_column).alias("members")
    )
    return {r[0]: frozenset(r["members"]) for r in rows.collect()}


def _group_rows(spark, cfg) -> dict[str, tuple]:
    e = cfg.entity(ENTITY)
    rows = read_table(spark, cfg.table_path(e.groups_table)).collect()
    return {
        r[e.id_column]: (r[e.group_column], r["group_size"], r[f"representative_{e.id_column}"])
        for r in rows
    }


def _pairs(spark, cfg) -> dict[tuple[str, str], list[tuple[str, int]]]:
    e = cfg.entity(ENTITY)
    rows = read_table(spark, cfg.table_path(e.pairs_table)).collect()
    return {
        (r[f"{e.id_column}_l"], r[f"{e.id_column}_r"]): [
            (c["comparison"], c["level"]) for c in r["comparison_levels"]
        ]
        for r in rows
    }


def model_path(spark, cfg, entity: str) -> str:
    """The saved JSON of the model that scored the entity's published pairs."""
    e = cfg.entity(entity)
    model = read_table(spark, cfg.table_path(e.pairs_table)).first()["model_version"]
    return f"{cfg.paths.models_dir}/{entity}/{model}.json"


def copies_delivery(spark, cfg, entity: str, n: int, retitled):
    """A delivery from day-1 rows: ``n`` delivered again under new ids (``<id>-again``),
    ``n`` retitled (``retitled(i, title)``), ``n`` deleted.

    Returns (the delivery, copies: new id -> day-1 id).
    """
    e = cfg.entity(entity)
    idc = e.id_column
    picked = (
        read_table(spark, cfg.table_path(e.input_table))
        .where(F.col(idc).isNotNull())
        .orderBy(F.xxhash64(idc), idc)
        .limit(3 * n)
        .collect()
    )
    contract = delivery_contract(e)
    rows, copies = [], {}
    for i, r in enumerate(picked):
        d = r.asDict()
        if i < n:
            copies[f"{d[idc]}-again"] = d[idc]
            d[idc], d["change"] = f"{d[idc]}-again", "new"
        elif i < 2 * n:
            d["title"] = retitled(i, d["title"] or "")
            d["change"] = "changed"
        else:
            d["change"] = "deleted"
        rows.append(tuple(d.get(f.name) for f in contract.fields))
    return spark.createDataFrame(rows, contract), copies


def deliver_beside_rebuild(spark, delivered_cfg, rebuilt_cfg, entity: str, delivery: str):
    """``delivery`` applied to one copy, the final catalog rebuilt on the other with the
    model that scored day 1: (delivery result, compare_outcomes against the rebuild)."""
    e = delivered_cfg.entity(entity)
    day1 = membership(
        read_table(spark, delivered_cfg.table_path(e.groups_table)), e.id_column, e.group_column
    ).localCheckpoint()
    model = model_path(spark, delivered_cfg, entity)
    result = deliver.run(spark, delivered_cfg, entity=entity, delivery=delivery, run_id="day2")
    rebuild(spark, rebuilt_cfg, entity, delivery, "rebuild", model)
    return result, compare_outcomes(spark, entity, day1, delivered_cfg, rebuilt_cfg)


@pytest.fixture(scope="module")
def day2(spark, day1_sample, tmp_path_factory):
    """(cfg of the delivered copy, cfg of the rebuilt copy, day-1 groups, forced, result).

    Day 1 has the videos linked to the recording groups and the works derived from
    them too: test_videos_*, test_works_*.
    """
    base = tmp_path_factory.mktemp("deliver")
    delivered_cfg, rebuilt_cfg = day1_sample.copy(base / "a"), day1_sample.copy(base / "b")
    e = delivered_cfg.entity(ENTITY)
    s = delivered_cfg.sample
    tracks = generate_datasets(s)["tracks"]  # the same seed: the delivery's own forced changes
    forced = generate_delivery(tracks.rows, tracks.golden, rate=s.delivery_rate, seed=s.seed).forced
    contract = delivery_contract(e)
    bad = spark.createDataFrame(
        [("T_BAD_1", "sample", "Some Title", ["Someone"], None, 200000, None, None, None, None,
          None, "renamed")],
        contract,
    )
    for cfg in (delivered_cfg, rebuilt_cfg):  # the same delivery for both, plus a bad row
        path = cfg.table_path(s.delivery_table)
        write_table(read_table(spark, path).unionByName(bad).localCheckpoint(), path, contract)
    # the delivered copy's tables as a profile with spark.deletion_vectors creates them
    # (conf/base.yaml; the local profile's sample has none): its MERGEs mark rows
    for role in ("input", "features", "pairs", "groups"):
        path = delivered_cfg.table_path(e.tables[role])
        set_table_properties(spark, path, {"delta.enableDeletionVectors": "true"})
    day1 = _groups(spark, delivered_cfg)
    day1_rows = _group_rows(spark, delivered_cfg)
    result, outcome = deliver_beside_rebuild(
        spark, delivered_cfg, rebuilt_cfg, ENTITY, s.delivery_table
    )
    return delivered_cfg, rebuilt_cfg, day1, forced, result, outcome, day1_rows


def test_the_delivery_partitions_and_names_groups_as_a_full_rebuild(spark, day2):
    delivered_cfg, rebuilt_cfg, day1, _, result, outcome, _ = day2
    assert outcome["same_partition_as_rebuild"], outcome
    assert outcome["unchanged_groups"] > 0.9 * len(day1)
    assert outcome["unchanged_ids_share"] == 1.0
    assert outcome["same_ids_as_rebuild_share"] == 1.0
    # only the delivery's pairs were scored, and they are the candidates a rebuild finds
    pairs, rebuilt_pairs = _pairs(spark, delivered_cfg), _pairs(spark, rebuilt_cfg)
    assert set(pairs) == set(rebuilt_pairs)
    assert all(pairs[k] == rebuilt_pairs[k] for k in pairs)
    assert 0 < result.counts["pairs_added"] < 0.2 * len(pairs)


def test_id_events_say_exactly_what_changed(spark, day2):
    delivered_cfg, _, day1, forced, result, _, _ = day2
    after = _groups(spark, delivered_cfg)
    id_of = {m: g for g, m in after.items()}
    history = read_table(
        spark, delivered_cfg.table_path(delivered_cfg.entity(ENTITY).id_history_table)
    ).where(F.col("run_id") == "day2")
    events = [r.asDict() for r in history.collect()]
    changed = {g for g, m in after.items() if day1.get(g) != m}
    gone = set(day1) - set(after)
    assert {r["id"] for r in events} == changed | gone
    assert result.id_events == {
        ev: sum(1 for r in events if r["event"] == ev) for ev in {r["event"] for r in events}
    }

    def group_of(track: str) -> str:
        return next(g for g, m in after.items() if track in m)

    def day1_group_of(track: str) -> str:
        return next(g for g, m in day1.items() if track in m)

    # the forced merge: A's and B's tracks in one group; every other day-1 id of theirs merged into it
    merge = forced["merge"]
    merged_into = {group_of(t) for t in merge["into"] + merge["moved"]}
    assert len(merged_into) == 1
    survivor = merged_into.pop()
    before = {day1_group_of(t) for t in merge["into"] + merge["moved"]}
    assert survivor in before
    merged = {r["id"]: r["related_id"] for r in events if r["event"] == "merged"}
    for old in before - {survivor}:
        assert merged.get(old) == survivor
    # the forced split: the moved track leaves its group, which keeps its id
    split = forced["split"]
    kept = {group_of(t) for t in split["stay"]}
    assert kept == {day1_group_of(split["stay"][0])}
    moved_to = group_of(split["moved"][0])
    assert moved_to not in kept
    split_events = {r["id"]: r["related_id"] for r in events if r["event"] == "split"}
    assert split_events.get(moved_to) == kept.pop()
    # deleted tracks are gone; a group left empty is retired
    deleted = set(forced["deleted"]["ids"])
    assert not deleted & set().union(*after.values())
    emptied = {g for g, m in day1.items() if m <= deleted}
    retired = {r["id"] for r in events if r["event"] == "retired"}
    assert emptied <= retired
    assert id_of  # groups exist after the delivery


def test_a_row_the_delivery_cannot_apply_is_quarantined(spark, day2):
    delivered_cfg, _, _, _, result, _, _ = day2
    e = delivered_cfg.entity(ENTITY)
    q = read_table(spark, delivered_cfg.table_path(delivered_cfg.quarantine_table)).where(
        (F.col("run_id") == "day2") & (F.col("record_id") == "T_BAD_1")
    )
    reasons = [r["reason"] for r in q.collect()]
    assert reasons == ["delivery: change must be one of new, changed, deleted"]
    assert result.counts["rejected"] == 1
    ids = read_table(spark, delivered_cfg.table_path(e.input_table)).select(e.id_column)
    assert ids.where(F.col(e.id_column) == "T_BAD_1").count() == 0


def test_the_groups_change_feed_holds_only_the_rows_the_delivery_changed(spark, day2):
    delivered_cfg, _, _, _, _, _, day1_rows = day2
    from delta.tables import DeltaTable

    path = delivered_cfg.table_path(delivered_cfg.entity(ENTITY).groups_table)
    version = DeltaTable.forPath(spark, path).history(1).first()["version"]  # the delivery's MERGE
    changes = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", version)
        .load(path)
        .collect()
    )
    after = _group_rows(spark, delivered_cfg)
    changed = {t for t in set(after) | set(day1_rows) if after.get(t) != day1_rows.get(t)}
    assert changed and len(changed) < 0.2 * len(after)
    assert {r["track_id"] for r in changes} == changed
    kinds = {r["_change_type"] for r in changes}
    assert kinds <= {"insert", "delete", "update_preimage", "update_postimage"}


def test_the_delivery_rewrites_no_file_and_delta_rs_reads_what_spark_reads(spark, day2):
    """Deletion vectors mark the rows a MERGE replaced; a second reader must apply them."""
    delivered_cfg = day2[0]
    from delta.tables import DeltaTable

    e = delivered_cfg.entity(ENTITY)
    idc = e.id_column
    for table, keys in (
        (e.pairs_table, [f"{idc}_l", f"{idc}_r", "match_probability"]),
        (e.features_table, [idc]),
        (e.groups_table, [idc, e.group_column]),
    ):
        path = delivered_cfg.table_path(table)
        metrics = DeltaTable.forPath(spark, path).history(1).first()["operationMetrics"]
        assert int(metrics["numTargetDeletionVectorsAdded"]) > 0, (table, metrics)
        assert int(metrics["numTargetRowsCopied"]) == 0, (table, metrics)
        ours = sorted(tuple(r) for r in read_table(spark, path).select(*keys).collect())
        theirs = delta_rs_table(path).select(keys).to_pylist()
        assert sorted(tuple(r[k] for k in keys) for r in theirs) == ours, table


N_VIDEOS = 5  # new, changed and deleted videos in the videos' own delivery


@pytest.fixture(scope="module")
def videos_day2(spark, day2):
    """The videos' own delivery and the recordings' day 2 followed on one copy; the final
    videos linked in full to the rebuilt recordings on the other.

    Returns (delivered cfg, rebuilt cfg, delivery result, copies: new id -> day-1 id).
    """
    delivered_cfg, rebuilt_cfg = day2[0], day2[1]
    e = delivered_cfg.entity(VIDEOS)
    # a re-upload by another channel links where the first one does
    delivery, copies = copies_delivery(
        spark, delivered_cfg, VIDEOS, N_VIDEOS, lambda i, title: f"{title} (Remastered 2011)"
    )
    for cfg in (delivered_cfg, rebuilt_cfg):
        write_table(delivery, cfg.table_path("videos_delivery"), delivery_contract(e))
    model = model_path(spark, delivered_cfg, VIDEOS)
    result = deliver.run(
        spark, delivered_cfg, entity=VIDEOS, delivery="videos_delivery", run_id="day2-videos"
    )
    rebuild(spark, rebuilt_cfg, VIDEOS, "videos_delivery", "rebuild-videos", model)
    return delivered_cfg, rebuilt_cfg, result, copies


def _links(spark, cfg):
    """(pairs: (video, track) -> (group, levels), matches: video -> (group, member,
    primary), unmatched: video -> reason)."""
    e, target = cfg.entity(VIDEOS), cfg.entity(ENTITY)
    idc, tid, gc = e.id_column, target.id_column, target.group_column
    pairs = {
        (r[idc], r[tid]): (r[gc], [(c["comparison"], c["level"]) for c in r["comparison_levels"]])
        for r in read_table(spark, cfg.table_path(e.pairs_table)).collect()
    }
    matches = {
        r[idc]: (r[gc], r[f"matched_{tid}"], r["is_primary"])
        for r in read_table(spark, cfg.table_path(e.matches_table)).collect()
    }
    unmatched = {
        r[idc]: r["reason"]
        for r in read_table(spark, cfg.table_path(e.unmatched_table)).collect()
    }
    return pairs, matches, unmatched


def test_videos_follow_their_delivery_and_the_recordings_as_a_full_link_would(
    spark, videos_day2
):
    delivered_cfg, rebuilt_cfg, result, copies = videos_day2
    n = result.counts
    assert (n["new"], n["changed"], n["deleted"], n["rejected"]) == (N_VIDEOS,) * 3 + (0,)
    # the recordings' day 2 reached the videos: tracks changed, deleted and regrouped
    assert n["members_changed"] > 0 and n["members_gone"] > 0
    pairs, matches, unmatched = _links(spark, delivered_cfg)
    rebuilt_pairs, rebuilt_matches, rebuilt_unmatched = _links(spark, rebuilt_cfg)
    assert set(pairs) == set(rebuilt_pairs)
    assert {k for k in pairs if pairs[k] != rebuilt_pairs[k]} == set()
    assert {k for k in matches.keys() | rebuilt_matches.keys() if matches.get(k) != rebuilt_matches.get(k)} == set()
    assert unmatched == rebuilt_unmatched
    assert 0 < n["records_reassigned"] < 0.5 * (len(matches) + len(unmatched))
    # a video uploaded again links to the group its day-1 copy links to
    linked_copies = [new for new, old in copies.items() if old in matches]
    assert linked_copies
    assert all(matches[new][0] == matches[copies[new]][0] for new in linked_copies)


def test_a_videos_delivery_records_the_recordings_versions_it_followed(spark, videos_day2):
    cfg = videos_day2[0]
    target = cfg.entity(ENTITY)
    row = next(
        r for r in published(spark, cfg) if r["run_id"] == "day2-videos" and r["job"] == "deliver"
    )
    followed = json.loads(row["summary"])["target_versions"]
    assert followed == {
        t: table_version(spark, cfg.table_path(t))
        for t in (target.features_table, target.groups_table)
    }


@pytest.fixture(scope="module")
def works_day2(spark, day2):
    """The works brought up to date with the recordings' day 2 on one copy, derived and
    resolved in full from the rebuilt recordings on the other.

    Returns (delivered cfg, rebuilt cfg, delivery result, compare_outcomes).
    """
    delivered_cfg, rebuilt_cfg = day2[0], day2[1]
    e = delivered_cfg.entity(WORKS)
    day1 = membership(
        read_table(spark, delivered_cfg.table_path(e.groups_table)), e.id_column, e.group_column
    ).localCheckpoint()
    model = model_path(spark, delivered_cfg, WORKS)
    result = deliver.run(spark, delivered_cfg, entity=WORKS, delivery=None, run_id="day2-works")
    build_features.run(spark, rebuilt_cfg, entity=WORKS, run_id="rebuild-works")
    resolve.run(
        spark,
        rebuilt_cfg,
        entity=WORKS,
        run_id="rebuild-works",
        model_path=model,
    )
    outcome = compare_outcomes(spark, WORKS, day1, delivered_cfg, rebuilt_cfg)
    return delivered_cfg, rebuilt_cfg, result, outcome


def _products(spark, cfg, role: str) -> set[tuple]:
    """A product table's rows without lineage (and a relation's score and evidence)."""
    e = cfg.entity(WORKS)
    skip = {"run_id", "model_version", "confidence", "evidence"}
    rows = read_table(spark, cfg.table_path(e.tables[role])).collect()
    return {tuple(v for k, v in r.asDict().items() if k not in skip) for r in rows}


def test_works_follow_the_recordings_delivery_as_a_full_rebuild(spark, works_day2):
    delivered_cfg, rebuilt_cfg, result, outcome = works_day2
    n = result.counts
    # the recordings' day 2 changed, added and (the forced merge) removed recording groups
    assert n["new"] > 0 and n["changed"] > 0 and n["deleted"] > 0 and n["rejected"] == 0
    assert outcome["same_partition_as_rebuild"], outcome
    assert outcome["unchanged_ids_share"] == 1.0
    assert outcome["same_ids_as_rebuild_share"] == 1.0
    e = delivered_cfg.entity(WORKS)
    for role in ("groups", *e.products.roles):
        assert _products(spark, delivered_cfg, role) == _products(spark, rebuilt_cfg, role), role


def test_a_derived_entity_takes_no_delivery_of_its_own(spark, cfg):
    with pytest.raises(ConfigError, match="derived from recordings"):
        deliver.run(spark, cfg, entity=WORKS, delivery="some_table", run_id="refused")


def test_a_link_release_that_does_not_name_its_target_versions_asks_for_a_resolve(spark, tmp_path):
    """Links published before releases recorded them: following needs one full resolve."""
    from datetime import UTC, datetime

    from features.errors import ResolutionError
    from features.schemas import PUBLISHED_RUNS
    from jobs.stages.deliver_links import linked_versions

    cfg = config_in(tmp_path)
    e = cfg.entity(VIDEOS)
    old = json.dumps({"n_pairs": 10})
    row = (
        *("old-run", VIDEOS, "resolve", e.pairs_table, 0, 10, "1", "m", "resolve:videos", 0),
        *(old, datetime.now(UTC)),
    )
    path = cfg.table_path(cfg.published_runs_table)
    write_table(spark.createDataFrame([row], PUBLISHED_RUNS), path, PUBLISHED_RUNS)
    with pytest.raises(ResolutionError, match="resolve videos in full once"):
        linked_versions(spark, cfg, e)
    versions = json.dumps({"target_versions": {"track_features": 3}})
    later = (*row[:9], 1, versions, datetime.now(UTC))
    frame = spark.createDataFrame([later], PUBLISHED_RUNS)
    write_table(frame, path, PUBLISHED_RUNS, mode="append")
    assert linked_versions(spark, cfg, e) == {"track_features": 3}
