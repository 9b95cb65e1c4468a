"""Releases: the tables one run publishes, committed so that readers never see half a run.

Delta has no multi-table transactions. A run that publishes (resolve, deliver)
therefore commits each of its tables on its own, every commit tagged with the
run (``userMetadata``: run id, job, entity, release number) and fenced with
Delta's idempotent-write ids (``txnAppId`` = ``<job>:<entity>``,
``txnVersion`` = the release number of that app id), then appends one row per
table to the ``published_runs`` manifest (``features.schemas.PUBLISHED_RUNS``).
A reader that needs tables that belong together reads each at the version the
latest release lists (``VERSION AS OF``).

While a release is open every read of one of its tables sees the table as it
was before the run until the run commits it (then, as committed): commits of
an attempt that was killed before its manifest (this run's, or an abandoned
run's) are not its input. So a rerun with the same
run id computes what the first attempt computed, skips the commits the
first attempt made, makes the rest and writes the manifest; a rerun of a run
already in the manifest writes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from features.errors import ResolutionError
from features.schemas import CONTRACT_VERSION, PUBLISHED_RUNS
from jobs.runtime.config import AppConfig
from jobs.runtime.delta import (
    ABSENT,
    CommitHook,
    commit_hook,
    commit_metadata,
    read_table,
    table_exists,
    table_state,
    table_version,
    write_table,
)

logger = logging.getLogger(__name__)

# Fault injection for the kill tests: the process SIGKILLs itself right after it
# commits the table of this name (a table of the release, or the manifest).
KILL_ENV = "MUSIC_RES_KILL_AFTER"
RELEASE_KEY = "release"  # userMetadata key holding the release number of a tagged commit


@dataclass
class Release(CommitHook):
    """One run's publish of an entity's tables (see the module's docstring)."""

    spark: SparkSession
    cfg: AppConfig
    job: str
    entity: str
    run_id: str
    tables: dict[str, str]  # path -> table name
    number: int = 0  # the release's txnVersion for its app id
    complete: bool = False  # the manifest lists this run already
    pins: dict[str, int] = field(default_factory=dict)  # path -> version to read (ABSENT)
    done: dict[str, int] = field(default_factory=dict)  # path -> version this run committed
    written: set[str] = field(default_factory=set)  # paths this attempt committed
    model_version: str | None = None  # of the run (its stage sets it), or as the manifest lists it
    summary: dict[str, Any] = field(default_factory=dict)  # as the manifest lists it

    @property
    def app_id(self) -> str:
        return f"{self.job}:{self.entity}"

    # --- CommitHook -------------------------------------------------------------------

    def version_to_read(self, path: str) -> int | None:
        return self.pins.get(path)

    def skip_commit(self, path: str) -> bool:
        if path not in self.tables:
            return False
        if path in self.written:
            raise ResolutionError(
                f"{self.tables[path]}: committed twice by run {self.run_id}; a release "
                "commits each table once (one idempotent-write version per table)"
            )
        if path in self.done:
            # from here on the run reads what it (an earlier attempt) committed
            self.pins[path] = self.done[path]
            return True
        return False

    def commit_tags(self, path: str) -> tuple[dict[str, Any], dict[str, str]]:
        if path not in self.tables:
            return {}, {}
        tags = {
            "run_id": self.run_id,
            "job": self.job,
            "entity": self.entity,
            RELEASE_KEY: self.number,
        }
        return tags, {"txnAppId": self.app_id, "txnVersion": str(self.number)}

    def table_properties(self, path: str) -> dict[str, str]:
        if path not in self.tables or self.model_version is None:
            return {}
        return {"model_version": self.model_version}

    def committed(self, path: str) -> None:
        if path not in self.tables:
            return
        self.done[path] = self.pins[path] = table_version(self.spark, path)
        self.written.add(path)
        _maybe_kill(self.tables[path])

    # --- the manifest -----------------------------------------------------------------

    def finish(self, model_version: str | None, summary: dict[str, Any]) -> None:
        """Append the manifest rows: the release is published (a no-op when it was).

        ``summary``: the run's counts (JSON-able), kept so a rerun can report them.
        """
        if self.complete:
            return
        manifest = self.cfg.table_path(self.cfg.published_runs_table)
        rows = []
        for path, version in sorted(self.done.items()):
            reader = self.spark.read.format("delta")
            if version != table_version(self.spark, path):  # time travel replays the log
                reader = reader.option("versionAsOf", version)
            count = reader.load(path).count()
            rows.append(
                (
                    self.run_id,
                    self.entity,
                    self.job,
                    self.tables[path],
                    version,
                    count,
                    CONTRACT_VERSION,
                    model_version,
                    self.app_id,
                    self.number,
                    json.dumps(summary, sort_keys=True, default=str),
                )
            )
        schema = StructType([f for f in PUBLISHED_RUNS.fields if f.name != "finished_at"])
        frame = self.spark.createDataFrame(rows, schema).withColumn(
            "finished_at", F.current_timestamp()
        )
        write_table(
            frame,
            manifest,
            PUBLISHED_RUNS,
            mode="append",
            options={
                "txnAppId": f"manifest:{self.app_id}",
                "txnVersion": str(self.number),
                "userMetadata": json.dumps({"run_id": self.run_id}),
            },
        )
        self.complete = True
        _maybe_kill(self.cfg.published_runs_table)


def _maybe_kill(table: str) -> None:
    if os.environ.get(KILL_ENV) == table:
        logger.warning("%s=%s: killing this process after its commit", KILL_ENV, table)
        os.kill(os.getpid(), signal.SIGKILL)


def published(spark: SparkSession, cfg: AppConfig) -> list[Row]:
    """Every manifest row (empty before the first release)."""
    path = cfg.table_path(cfg.published_runs_table)
    if not table_exists(spark, path):
        return []
    return read_table(spark, path, PUBLISHED_RUNS).collect()


def latest_release(spark: SparkSession, cfg: AppConfig, entity: str) -> dict[str, int]:
    """Table name -> the version its latest release published, for one entity's tables."""
    latest: dict[str, tuple[Any, int]] = {}
    for r in published(spark, cfg):
        if r["entity_type"] != entity:
            continue
        key = (r["finished_at"], r["table_version"])
        if r["table_name"] not in latest or key > latest[r["table_name"]][0]:
            latest[r["table_name"]] = (key, r["table_version"])
    return {name: version for name, (_, version) in latest.items()}


def open_release(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    job: str,
    entity: str,
    run_id: str,
    tables: Sequence[str],
) -> Release:
    """Where a run stands: already published, resumed after a kill, or new.

    ``tables``: the names of every table the run may commit. Each is pinned to
    the version before the earliest commit tagged by a run the manifest does not
    list (an interrupted attempt) made after the table's last published version;
    with none, to its latest version.
    """
    release = Release(spark, cfg, job, entity, run_id, {cfg.table_path(t): t for t in tables})
    manifest = published(spark, cfg)
    listed = {(r["run_id"], r["job"], r["entity_type"]) for r in manifest}
    mine = [
        r for r in manifest if (r["run_id"], r["job"], r["entity_type"]) == (run_id, job, entity)
    ]
    if mine:
        release.complete = True
        release.number = int(mine[0]["txn_version"])
        release.pins = {cfg.table_path(r["table_name"]): int(r["table_version"]) for r in mine}
        release.done = dict(release.pins)
        release.model_version = mine[0]["model_version"]
        release.summary = json.loads(mine[0]["summary"] or "{}")
        return release
    numbers = [int(r["txn_version"]) for r in manifest if r["txn_app_id"] == release.app_id]
    last_published: dict[str, int] = {}
    for r in manifest:
        name = r["table_name"]
        last_published[name] = max(last_published.get(name, -1), int(r["table_version"]))
    for path, name in release.tables.items():
        state = table_state(spark, path)
        if state is None:
            continue
        latest, pending = state[0], []
        for commit in _tagged_commits(
            spark, path, after=last_published.get(name, -1), latest=latest
        ):
            meta = commit_metadata(commit)
            if (meta["run_id"], meta.get("job"), meta.get("entity")) in listed:
                continue
            pending.append(int(commit["version"]))
            if meta.get("job") == job and meta.get("entity") == entity:
                numbers.append(int(meta[RELEASE_KEY]))
                if meta["run_id"] == run_id:
                    release.number = int(meta[RELEASE_KEY])
                    release.done[path] = max(release.done.get(path, -1), int(commit["version"]))
        if pending:
            first = min(pending)
            release.pins[path] = first - 1 if first > 0 else ABSENT
        else:
            release.pins[path] = latest
    if not release.number:
        release.number = max(numbers, default=0) + 1
    if release.done:
        logger.info(
            "run %s resumes its release: %s committed already",
            run_id,
            ", ".join(f"{release.tables[p]} v{v}" for p, v in sorted(release.done.items())),
        )
    return release


def _tagged_commits(spark: SparkSession, path: str, *, after: int, latest: int) -> Iterator[Row]:
    """The commits of ``path`` after version ``after`` (up to ``latest``) that a release tagged."""
    from delta.tables import DeltaTable

    if latest <= after:
        return
    # history(n) reads the newest n commit files, not the whole log
    for commit in (
        DeltaTable.forPath(spark, path)
        .history(latest - after)
        .where(F.col("version") > after)
        .collect()
    ):
        meta = commit_metadata(commit)
        if RELEASE_KEY in meta and "run_id" in meta:
            yield commit


@contextmanager
def publishing(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    job: str,
    entity: str,
    run_id: str,
    tables: Sequence[str],
) -> Iterator[Release]:
    """Open a release, route the block's reads and commits through it (its manifest is
    written by ``Release.finish``, which the block calls once everything is committed)."""
    release = open_release(spark, cfg, job=job, entity=entity, run_id=run_id, tables=tables)
    with commit_hook(release):
        yield release


def latest_run(
    spark: SparkSession, cfg: AppConfig, entity: str, jobs: Sequence[str] = ("resolve", "deliver")
) -> tuple[str, str | None] | None:
    """(run id, model version) of the latest release of ``entity`` by one of ``jobs``."""
    rows = [r for r in published(spark, cfg) if r["entity_type"] == entity and r["job"] in jobs]
    if not rows:
        return None
    last = max(rows, key=lambda r: r["finished_at"])
    return last["run_id"], last["model_version"]


@dataclass
class ReleasedView(CommitHook):
    """Reads of the listed tables at the versions a release published."""

    pins: dict[str, int]

    def version_to_read(self, path: str) -> int | None:
        return self.pins.get(path)


@contextmanager
def reading_latest_release(spark: SparkSession, cfg: AppConfig, entity: str) -> Iterator[None]:
    """Read ``entity``'s published tables as its latest release lists them, meanwhile.

    A run killed before its manifest may have committed some of them since:
    what it left is not read. Tables no release lists read at their latest.
    """
    pins = {cfg.table_path(t): v for t, v in latest_release(spark, cfg, entity).items()}
    with commit_hook(ReleasedView(pins)):
        yield
