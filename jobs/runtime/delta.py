"""Delta I/O: read and write tables, each write one atomic commit, validated against its contract."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from features.errors import ResolutionError
from features.schemas import CONTRACT_VERSION, validate_schema
from jobs.runtime.sql import sql_literal

# A MERGE whose caller says its changes are few broadcasts its source below this
# many rows (a delivery's pairs: ~125k for 1% of 1M tracks); above, Spark shuffles.
BROADCAST_SOURCE_ROWS = 500_000

ABSENT = -1  # CommitHook.version_to_read: the table did not exist before this run


class CommitHook:
    """What a run that publishes does around each table read and commit.

    Inactive by default (every read at the latest version, commits untagged);
    ``jobs.runtime.release.Release`` overrides it to read each of its tables
    as it was before the run, tag and fence its commits, and skip the commits
    an interrupted attempt of the same run already made.
    """

    def version_to_read(self, path: str) -> int | None:
        """The version to read ``path`` at (ABSENT: as if missing); None: the latest."""
        return None

    def skip_commit(self, path: str) -> bool:
        """True when this run has committed ``path`` already (a rerun resuming)."""
        return False

    def commit_tags(self, path: str) -> tuple[dict[str, Any], dict[str, str]]:
        """(userMetadata fields, Delta txnAppId/txnVersion) for a commit to ``path``."""
        return {}, {}

    def committed(self, path: str) -> None:
        """Called right after each commit to ``path``."""

    def table_properties(self, path: str) -> dict[str, str]:
        """Table properties ``path`` should carry besides ``contract_version``."""
        return {}


_hook: list[CommitHook] = [CommitHook()]


@contextmanager
def commit_hook(hook: CommitHook) -> Iterator[CommitHook]:
    """Route every read_table, write_table and merge_changes through ``hook`` meanwhile."""
    _hook.append(hook)
    try:
        yield hook
    finally:
        _hook.remove(hook)


def _active() -> CommitHook:
    return _hook[-1]


def table_exists(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    if _active().version_to_read(path) == ABSENT:
        return False
    return DeltaTable.isDeltaTable(spark, path)


def read_table(
    spark: SparkSession,
    path: str,
    contract: StructType | None = None,
    *,
    version: int | None = None,
) -> DataFrame:
    """Read a Delta table; with a contract, validate it and fail naming what differs.

    While a run publishes (``commit_hook``), its own tables read as they were
    before the run, however many of its commits an interrupted attempt made.
    ``version``: an older version of a table the run does not publish.
    """
    from delta.tables import DeltaTable

    pinned = _active().version_to_read(path)
    version = pinned if pinned is not None else version
    if version == ABSENT or not DeltaTable.isDeltaTable(spark, path):
        raise ResolutionError(
            f"no Delta table at {path}: run the job that writes it first (see README, 'The jobs')"
        )
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    df = reader.load(path)
    return validate_schema(df, contract, path) if contract is not None else df


def table_history(spark: SparkSession, path: str) -> list[Row]:
    """A table's commits, newest first, up to the version a publishing run reads it at."""
    from delta.tables import DeltaTable

    version = _active().version_to_read(path)
    if version == ABSENT:
        return []
    history = DeltaTable.forPath(spark, path).history()
    if version is not None:
        history = history.where(F.col("version") <= version)
    return history.orderBy(F.desc("version")).collect()


def commit_metadata(commit: Row) -> dict[str, Any]:
    """A commit's userMetadata as a dict (empty when none, or when it is not JSON)."""
    try:
        meta = json.loads(commit["userMetadata"] or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def write_table(
    df: DataFrame,
    path: str,
    contract: StructType | None = None,
    *,
    mode: str = "overwrite",
    partition_by: Sequence[str] = (),
    replace_where: str | None = None,
    options: Mapping[str, str] | None = None,
) -> None:
    """Write a Delta table atomically (one Delta commit), validated against its contract.

    Overwrite replaces the schema too, so a contract change is visible in the
    table's history rather than failing half way. ``replace_where`` overwrites
    only the rows matching a predicate (e.g. one entity's, or one run's), so
    tables shared by several writers stay idempotent under reruns. ``options``:
    more Delta writer options (txnAppId, txnVersion, userMetadata).
    """

    hook = _active()
    spark = df.sparkSession
    state = table_state(spark, path)
    _set_properties(spark, path, contract, state)
    if hook.skip_commit(path):
        return
    if contract is not None:
        df = _with_comments(validate_schema(df, contract, path), contract)
    meta, txn = hook.commit_tags(path)
    options = {**txn, **(options or {})}
    if meta:
        options["userMetadata"] = json.dumps(meta, sort_keys=True)
    if state is None and _create(
        df, path, _wanted_properties(path, contract), options, partition_by
    ):
        hook.committed(path)
        return
    writer = df.write.format("delta").mode(mode).options(**options)
    if replace_where and state is not None:
        # a contract that gained a nullable column adds it to a table shared by writers
        writer = writer.option("replaceWhere", replace_where).option("mergeSchema", "true")
    elif mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)
    hook.committed(path)
    if state is None:  # a folder with files but no Delta log (a first write cut short)
        _set_properties(spark, path, contract, table_state(spark, path))


def _create(
    df: DataFrame,
    path: str,
    properties: Mapping[str, str],
    options: Mapping[str, str],
    partition_by: Sequence[str],
) -> bool:
    """Create the table with its properties in its first commit; False if the folder holds files.

    (The DataFrameWriterV2 path: a DataFrameWriter save cannot set table
    properties, which cost a SET TBLPROPERTIES commit of its own. Its commit
    takes userMetadata from the session conf, not from a writer option.)
    """
    from pyspark.errors import AnalysisException

    writer = df.writeTo(f"delta.`{path.replace('`', '``')}`").using("delta")
    writer = writer.options(**{k: v for k, v in options.items() if k != "userMetadata"})
    for key, value in properties.items():
        writer = writer.tableProperty(key, value)
    if partition_by:
        writer = writer.partitionedBy(*[F.col(c) for c in partition_by])
    confs = {}
    if "userMetadata" in options:
        confs["spark.databricks.delta.commitInfo.userMetadata"] = options["userMetadata"]
    try:
        with _session_confs(df.sparkSession, confs):
            writer.create()
    except AnalysisException as e:
        if "TABLE_OR_VIEW_ALREADY_EXISTS" not in str(e):
            raise
        return False
    return True


@contextmanager
def _session_confs(spark: SparkSession, confs: Mapping[str, str]) -> Iterator[None]:
    """Spark confs set for the commits made meanwhile (a MERGE or CTAS takes no writer option)."""
    for key, value in confs.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key in confs:
            spark.conf.unset(key)


def table_state(spark: SparkSession, path: str) -> tuple[int, dict[str, str]] | None:
    """(latest version, table properties) of the Delta table at ``path``; None if there is none.

    Read from the Delta log's snapshot through the JVM (milliseconds: the
    table's checksum file has both), where DESCRIBE DETAIL and history() each
    run a Spark job (0.2-0.8 s a call, several calls per commit).
    """
    jvm = spark._jvm
    none = jvm.scala.Option.apply(None)
    log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
    snapshot = log.update(False, none, none)
    version = int(snapshot.version())
    if version < 0:
        return None
    configuration = snapshot.metadata().configuration()
    properties = {}
    keys = configuration.keys().iterator()
    while keys.hasNext():
        key = keys.next()
        properties[key] = configuration.apply(key)
    return version, properties


def table_version(spark: SparkSession, path: str) -> int:
    """The latest version of the Delta table at ``path`` (an error naming it if there is none)."""
    state = table_state(spark, path)
    if state is None:
        raise ResolutionError(f"no Delta table at {path}")
    return state[0]


def _with_comments(df: DataFrame, contract: StructType) -> DataFrame:
    """Each column with its description as its Delta column comment (readers see it)."""
    from jobs.runtime.contracts import column_comments

    comments = column_comments(contract)
    return df.select(
        *[
            F.col(c).alias(c, metadata={"comment": comments[c]}) if c in comments else F.col(c)
            for c in df.columns
        ]
    )


def _wanted_properties(path: str, contract: StructType | None) -> dict[str, str]:
    """``contract_version`` (tables with a contract) and the active hook's properties."""
    wanted = dict(_active().table_properties(path))
    if contract is not None:
        wanted["contract_version"] = CONTRACT_VERSION
    return wanted


def _set_properties(
    spark: SparkSession,
    path: str,
    contract: StructType | None,
    state: tuple[int, dict[str, str]] | None,
) -> None:
    """Set the table properties that differ from the table's (``state``), before a commit.

    So the commit's version carries them; only those that differ, in a commit
    of their own, so a rerun that changes nothing commits nothing.
    """
    if state is None:
        return
    current = state[1]
    todo = {k: v for k, v in _wanted_properties(path, contract).items() if current.get(k) != v}
    if todo:
        set_table_properties(spark, path, todo)


def set_table_properties(spark: SparkSession, path: str, properties: Mapping[str, str]) -> None:
    """Set ``properties`` on the Delta table at ``path`` in one commit (ALTER TABLE)."""
    pairs = ", ".join(f"{sql_literal(k)} = {sql_literal(v)}" for k, v in sorted(properties.items()))
    quoted = path.replace("`", "``")
    spark.sql(f"ALTER TABLE delta.`{quoted}` SET TBLPROPERTIES ({pairs})")


def merge_changes(
    path: str,
    contract: StructType,
    *,
    keys: Sequence[str],
    upserts: DataFrame,
    deletes: DataFrame | None = None,
    scope: str | None = None,
    insert_only: bool = False,
    compare: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
    few_upserts: bool = False,
) -> None:
    """Apply row changes to a Delta table in one MERGE commit.

    ``upserts`` (in ``contract``) replace the rows with their ``keys`` or are
    inserted; the rows whose keys ``deletes`` lists (and no upsert) are
    removed. ``scope`` (SQL on the target as ``t``) limits which rows a key
    matches. ``insert_only``: upserts never replace (a table whose key is not
    unique, e.g. the quarantine: delete by key, then add the new rows). With
    ``compare``, a matched row is replaced only when one of those columns
    differs (its run id stays that of the run that last changed it): the
    unchanged upserts are dropped before the MERGE, so it rewrites no file
    for them (a commit that rewrites files without a change record would
    read as every row deleted and inserted to a delta-rs change-feed reader).
    ``metadata`` goes into the commit's userMetadata (JSON). A MERGE rather
    than an overwrite, so the change feed shows only what changed.
    ``few_upserts``: the upserts' keys are few enough to broadcast (a
    delivery's), so the comparison reads only the target rows with those keys
    instead of shuffling the whole table (the 6.1M pairs of 1M tracks with
    their comparison levels: 51 s against 5 s for 98k upserts), and the
    MERGE joins its source to the table by broadcasting the source when it
    has at most ``BROADCAST_SOURCE_ROWS`` rows, instead of shuffling the table
    (the pairs MERGE of a 1% delivery of 1M tracks, 125k source rows: 23 s
    against 42 s).
    """
    from delta.tables import DeltaTable

    hook = _active()
    spark = upserts.sparkSession
    _set_properties(spark, path, contract, table_state(spark, path))  # a MERGE's target exists
    if hook.skip_commit(path):
        return
    upserts = validate_schema(upserts, contract, path)
    upsert_keys = upserts.select(*keys)
    if compare:
        same = [*keys, *compare]
        target = DeltaTable.forPath(spark, path).toDF()
        if few_upserts:
            target = target.join(F.broadcast(upsert_keys.distinct()), list(keys), "left_semi")
        target = target.select(*[F.col(c).alias(f"_t_{c}") for c in same])
        upserts = upserts.join(
            target, [upserts[c].eqNullSafe(target[f"_t_{c}"]) for c in same], "left_anti"
        )
    columns = [f.name for f in contract.fields]
    source = upserts.select(*columns, F.lit(False).alias("_delete"))
    if deletes is not None:
        gone = deletes.select(*keys).distinct()
        if not insert_only:
            gone = gone.join(upsert_keys, list(keys), "left_anti")
        source = source.unionByName(
            gone.select(
                *[
                    F.col(c) if c in keys else F.lit(None).cast(contract[c].dataType).alias(c)
                    for c in columns
                ],
                F.lit(True).alias("_delete"),
            )
        )
    if few_upserts:
        source = source.localCheckpoint()  # computed once: counted, then merged
        if source.count() <= BROADCAST_SOURCE_ROWS:
            source = F.broadcast(source)
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    if scope:
        on = f"{on} AND ({scope})"
    if insert_only:
        on = f"{on} AND s._delete"
    values = {f"`{c}`": f"s.`{c}`" for c in columns}
    update = "NOT s._delete"
    if compare:
        update += " AND NOT (" + " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in compare) + ")"
    tags, txn = hook.commit_tags(path)
    tags = {**tags, **(metadata or {})}
    # MERGE takes no writer options: the session's confs tag and fence its commit
    confs = {f"spark.databricks.delta.write.{k}": v for k, v in txn.items()}
    if tags:
        confs["spark.databricks.delta.commitInfo.userMetadata"] = json.dumps(tags, sort_keys=True)
    with _session_confs(spark, confs):
        (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(source.alias("s"), on)
            .whenMatchedDelete(condition="s._delete")
            .whenMatchedUpdate(condition=update, set=values)
            .whenNotMatchedInsert(condition="NOT s._delete", values=values)
            .execute()
        )
    hook.committed(path)


def replace_rows(
    df: DataFrame, path: str, contract: StructType, *, keys: Sequence[str], compare: Sequence[str]
) -> None:
    """Make the table hold exactly ``df``'s rows, committing only the rows that change.

    A MERGE on ``keys``: a row whose ``compare`` columns are unchanged keeps its
    old row (its lineage columns name the run that last changed it), so the
    change feed holds only real changes; a key ``df`` no longer has is
    deleted. A new table, or one whose columns differ from the contract, is
    written in full instead.
    """
    from delta.tables import DeltaTable

    from features.schemas import schema_problems

    spark = df.sparkSession
    if not table_exists(spark, path):
        write_table(df, path, contract)
        return
    current = DeltaTable.forPath(spark, path).toDF()  # what the MERGE changes: the latest
    if schema_problems(current.schema, contract):
        write_table(df, path, contract)
        return
    gone = current.select(*keys).join(df.select(*keys), list(keys), "left_anti")
    merge_changes(path, contract, keys=keys, upserts=df, deletes=gone, compare=compare)
