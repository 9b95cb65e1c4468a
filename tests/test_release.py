"""A resolve killed mid-publish leaves the last release whole; its rerun finishes the same release.

Two copies of the day-1 sample (release 1: run e2e-run-1) are
resolved again as run ``r2`` with a lower clustering threshold, so the run
merges groups and writes id events. One copy runs uninterrupted. The other
runs ``python -m jobs.resolve`` as a separate process that SIGKILLs itself
right after committing a table (``MUSIC_RES_KILL_AFTER``): after the groups,
the second of its three tables, so the pairs and groups of the new run sit
beside the id history of the last. The manifest's latest release is still
release 1 and every table reads at its listed version as before, in Spark
and in delta-rs. A rerun in this process resumes (commits only the id
history) and finishes the release: the same tables, rows, ids and events as
the uninterrupted run, and a further rerun commits nothing. (One killed
process, not one per table: each costs a JVM and a resolve, 45-60 s of the
suite; the table after which it dies is the one the rerun must skip and the
one it must still write.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import resolve
from jobs.runtime.delta import commit_metadata, read_table
from jobs.runtime.release import KILL_ENV, latest_release, published
from tests.conftest import E2E_TRACKS, delta_rs_table, overrides_under

ENTITY = "recordings"
RUN = "r2"
REPO = Path(__file__).resolve().parent.parent
JOB_TIMEOUT_S = 600


# a lower threshold than release 1's: groups merge, so the run has id events
LOWER = f"entities.{ENTITY}.clustering.threshold=0.7"
EXTRA = (f"sample.n_tracks={E2E_TRACKS}", LOWER)


def _tables(cfg) -> dict[str, str]:
    e = cfg.entity(ENTITY)
    return {t: cfg.table_path(t) for t in (e.pairs_table, e.groups_table, e.id_history_table)}


def _versions(spark, cfg) -> dict[str, int]:
    from delta.tables import DeltaTable

    return {
        name: DeltaTable.forPath(spark, path).history(1).first()["version"]
        for name, path in _tables(cfg).items()
    }


def _resolved_release(spark, cfg) -> dict[str, int]:
    """The latest release's versions of the tables a resolve publishes."""
    return {t: v for t, v in latest_release(spark, cfg, ENTITY).items() if t in _tables(cfg)}


def _commits_of(spark, cfg, run_id: str) -> dict[str, int]:
    """Per table, the commits tagged with ``run_id``."""
    from delta.tables import DeltaTable

    return {
        name: sum(
            commit_metadata(c).get("run_id") == run_id
            for c in DeltaTable.forPath(spark, path).history().collect()
        )
        for name, path in _tables(cfg).items()
    }


def _content(spark, cfg, versions: dict[str, int]) -> dict[str, list[str]]:
    """Each table at a version, as sorted rows (timestamps left out: they say when, not what)."""
    out = {}
    for name, path in _tables(cfg).items():
        df = spark.read.format("delta").option("versionAsOf", versions[name]).load(path)
        keep = [f.name for f in df.schema.fields if f.dataType.typeName() != "timestamp"]
        out[name] = sorted(repr(tuple(r)) for r in df.select(*keep).collect())
    return out


def _delta_rs_counts(cfg, versions: dict[str, int]) -> dict[str, int]:
    pytest.importorskip("deltalake")
    return {
        name: delta_rs_table(path, versions[name]).num_rows for name, path in _tables(cfg).items()
    }


def _killed_resolve(cfg, root: Path, model_path: str, after: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "jobs.resolve", "--entity", ENTITY, "--run-id", RUN]
    args += ["--model", model_path]
    for o in overrides_under(root, *EXTRA):
        args += ["--set", o]
    env = {**os.environ, KILL_ENV: after, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=JOB_TIMEOUT_S
    )


@pytest.fixture(scope="module")
def killed(spark, day1_sample, tmp_path_factory):
    """(uninterrupted cfg, killed-then-rerun cfg, release 1, what each kill left, reruns)."""
    base = tmp_path_factory.mktemp("release")
    whole_cfg = day1_sample.copy(base / "whole", LOWER)
    killed_cfg = day1_sample.copy(base / "killed", LOWER)
    e = killed_cfg.entity(ENTITY)
    model = read_table(spark, killed_cfg.table_path(e.pairs_table)).first()["model_version"]
    model_path = f"{killed_cfg.paths.models_dir}/{ENTITY}/{model}.json"
    resolve.run(spark, whole_cfg, entity=ENTITY, run_id=RUN, model_path=model_path)

    release1 = _resolved_release(spark, killed_cfg)
    kills = []
    for table in (e.groups_table,):
        proc = _killed_resolve(killed_cfg, base / "killed", model_path, after=table)
        kills.append(
            {
                "after": table,
                "returncode": proc.returncode,
                "log": proc.stderr[-3000:],
                "heads": _versions(spark, killed_cfg),
                "latest_release": _resolved_release(spark, killed_cfg),
            }
        )
    resumed = resolve.run(spark, killed_cfg, entity=ENTITY, run_id=RUN, model_path=model_path)
    finished = _versions(spark, killed_cfg)
    again = resolve.run(spark, killed_cfg, entity=ENTITY, run_id=RUN, model_path=model_path)
    return {
        "whole": whole_cfg,
        "killed": killed_cfg,
        "release1": release1,
        "kills": kills,
        "resumed": resumed,
        "again": again,
        "finished": finished,
        "after_again": _versions(spark, killed_cfg),
    }


def test_each_kill_leaves_the_last_release_whole(spark, killed, day1_sample):
    shared_cfg = day1_sample.cfg
    release1 = killed["release1"]
    assert set(release1) == set(_tables(shared_cfg)), release1
    before = _content(spark, shared_cfg, release1)
    for kill in killed["kills"]:
        assert kill["returncode"] == -9, f"{kill['after']}: not killed\n{kill['log']}"
        # the killed attempt committed something past release 1 ...
        assert kill["heads"][kill["after"]] > release1[kill["after"]], kill
        # ... but the manifest still names release 1, and it reads as it was
        assert kill["latest_release"] == release1, kill
    assert _content(spark, killed["killed"], release1) == before
    rows = {k: len(v) for k, v in before.items()}
    assert _delta_rs_counts(killed["killed"], release1) == rows


def test_the_rerun_gives_exactly_the_uninterrupted_release(spark, killed):
    whole, done = killed["whole"], killed["killed"]
    mine = _resolved_release(spark, done)
    assert mine == _resolved_release(spark, whole)
    assert mine != killed["release1"]
    # each table committed once by r2, though an attempt was killed on the way
    assert _commits_of(spark, done, RUN) == {t: 1 for t in mine}
    assert _content(spark, done, mine) == _content(spark, whole, mine)
    history = _content(spark, done, mine)[done.entity(ENTITY).id_history_table]
    assert any(f"'{RUN}'" in row for row in history), "no id events: the test would show nothing"
    assert _summary(spark, done) == _summary(spark, whole)


def _summary(spark, cfg) -> dict:
    rows = [r for r in published(spark, cfg) if r["run_id"] == RUN]
    return json.loads(rows[0]["summary"])


def test_a_rerun_of_a_published_run_commits_nothing(spark, killed):
    assert killed["after_again"] == killed["finished"]
    # the first from the manifest (JSON), the second as the run computed it
    assert killed["again"].summary == json.loads(json.dumps(killed["resumed"].summary))
    manifest = [r for r in published(spark, killed["killed"]) if r["run_id"] == RUN]
    assert len(manifest) == 3, manifest
    assert {r["txn_app_id"] for r in manifest} == {f"resolve:{ENTITY}"}
    for r in manifest:
        table = read_table(spark, killed["killed"].table_path(r["table_name"]))
        if r["table_name"] != killed["killed"].entity(ENTITY).id_history_table:
            assert table.count() == r["row_count"], r  # the history's head may hold more runs
