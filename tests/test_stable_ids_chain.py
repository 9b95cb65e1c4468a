"""Group ids survive reruns and retrains: every group whose members did not change keeps its id.

On a copy of the shared resolved sample, the recordings model is retrained
(another seed and fewer pairs for u, so its parameters differ) and the groups
resolved again; the id history records what changed and nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pyspark.sql import functions as F

from jobs import resolve, train
from jobs.runtime.delta import read_table
from tests.conftest import E2E_TRACKS
from tests.conftest import test_config as config_in  # not collected as a test


def _groups(spark, cfg, entity) -> dict[str, frozenset]:
    e = cfg.entity(entity)
    rows = read_table(spark, cfg.table_path(e.groups_table)).groupBy(e.group_column).agg(
        F.collect_set(e.id_column).alias("members")
    )
    return {r[0]: frozenset(r["members"]) for r in rows.collect()}


def test_a_retrained_model_keeps_the_id_of_every_unchanged_group(spark, resolved_sample, tmp_path):
    shared_cfg, _, results = resolved_sample
    root = tmp_path / "copy"
    shutil.copytree(Path(shared_cfg.paths.warehouse).parent, root)
    cfg = config_in(
        root,
        f"sample.n_tracks={E2E_TRACKS}",
        "entities.recordings.training.seed=7",
        "entities.recordings.training.max_pairs_for_u=50000",
    )
    before = _groups(spark, cfg, "recordings")

    train.run(spark, cfg, entity="recordings", run_id="retrain")
    resolved = resolve.run(spark, cfg, entity="recordings", run_id="retrain")

    after = _groups(spark, cfg, "recordings")
    unchanged = {members for members in after.values()} & set(before.values())
    ids_before = {members: gid for gid, members in before.items()}
    ids_after = {members: gid for gid, members in after.items()}
    kept = [m for m in unchanged if ids_before[m] == ids_after[m]]
    assert len(unchanged) > 0.9 * len(before)
    assert len(kept) / len(unchanged) == 1.0  # unchanged_ids_share

    history = read_table(spark, cfg.table_path(cfg.entity("recordings").id_history_table))
    events = history.where(F.col("run_id") == "retrain").collect()
    changed_ids = {gid for gid, members in after.items() if members not in set(before.values())}
    gone_ids = set(before) - set(after)
    # an id gets an event of this run exactly when its group changed, appeared or went
    assert {r["id"] for r in events} == changed_ids | gone_ids
    assert resolved.summary["id_events"] == {
        ev: sum(1 for r in events if r["event"] == ev) for ev in {r["event"] for r in events}
    }
    # the first run created every id it published, each with its own sequence number
    first = history.where(F.col("run_id") == results["run_id"]).collect()
    assert {r["event"] for r in first} == {"created"}
    assert len({r["id_seq"] for r in first}) == len(first) == len(before)
