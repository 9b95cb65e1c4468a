"""The output Delta tables are readable by JVM consumers (Scala/Scio jobs, BigQuery loaders).

The schema tests check the contracts from Python; this one checks them from the
other side: a small Scala program (tests/scala/OutputTablesConsumer.scala) reads
every output table of the shared test lakehouse into the case classes generated
from the contracts (conf/contracts/OutputTables.scala, written by
``python -m jobs.contracts``), checks each one's columns and row count against
Spark's in Python, compares ``recording_groups`` and ``recording_pairs`` with
values picked here, and counts ``kg_nodes`` and ``kg_edges`` by type as case
classes against Spark's counts here, with no edge end that is not a node. It is compiled with the Scala compiler that ships in
pyspark's jars and run with pyspark's own spark-submit, so no sbt, Maven or
network is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.runtime.config import DEFAULT_CONF_DIR, AppConfig
from jobs.runtime.contracts import OUTPUT_ROLES, SCALA_FILE, output_tables
from jobs.runtime.release import latest_run, published
from jobs.runtime.session import local_jars

SCALA_SOURCES = [
    Path(__file__).parent / "scala" / "OutputTablesConsumer.scala",
    DEFAULT_CONF_DIR / "contracts" / SCALA_FILE,  # the generated case classes
]
MAIN_CLASS = "OutputTablesConsumer"
# the entities whose output tables the shared lakehouse must hold (their fixtures ran)
ENTITIES_READ = ("recordings", "releases", "videos", "works", "contributors")
COMPILE_TIMEOUT_S = 300
SUBMIT_TIMEOUT_S = 300
N_SAMPLES = 5

pytestmark = pytest.mark.scala


def _pyspark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _one_jar(jars_dir: Path, prefix: str) -> Path:
    """The single ``<prefix>-<version>.jar`` pyspark ships: fail loudly if it moved."""
    found = sorted(jars_dir.glob(f"{prefix}-2.13.*.jar"))
    if len(found) != 1:
        pytest.fail(f"expected one {prefix}-2.13.*.jar in {jars_dir}, found {found}")
    return found[0]


def _tail(text: str, n: int = 60) -> str:
    return "\n".join(text.splitlines()[-n:])


def _outputs(out: str | bytes | None, err: str | bytes | None) -> str:
    """The ends of stdout and stderr: where scalac and Spark say what went wrong."""
    so, se = (t.decode() if isinstance(t, bytes) else t or "" for t in (out, err))
    return f"--- stdout ---\n{_tail(so)}\n--- stderr ---\n{_tail(se)}"


def _run(cmd: list[str], what: str, timeout_s: int, **kwargs: Any) -> CompletedProcess[str]:
    """Run a step with a timeout; on failure show the output tails, since that is the diagnosis."""
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, **kwargs)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what} timed out after {timeout_s}s\n{_outputs(exc.stdout, exc.stderr)}")
    print(f"{what}: {time.monotonic() - started:.1f}s, rc={proc.returncode}")
    if proc.returncode != 0:
        pytest.fail(f"{what} exited {proc.returncode}\n{_outputs(proc.stdout, proc.stderr)}")
    return proc


def compile_consumer(out_dir: Path) -> Path:
    """Compile the consumer and the generated case classes with pyspark's scalac, as one jar."""
    jars_dir = _pyspark_home() / "jars"
    compiler = [_one_jar(jars_dir, n) for n in ("scala-compiler", "scala-library", "scala-reflect")]
    classes = out_dir / "classes"
    classes.mkdir(parents=True)
    # C1 only: a one-shot compile ends before C2's code pays off (10 s -> 5.5 s alone)
    scalac = ["java", "-XX:TieredStopAtLevel=1", "-cp", os.pathsep.join(map(str, compiler))]
    scalac.append("scala.tools.nsc.Main")
    spark_cp = ["-usejavacp", "-cp", f"{jars_dir}/*"]
    sources = [str(p) for p in SCALA_SOURCES]
    _run([*scalac, *spark_cp, "-d", str(classes), *sources], "scalac", COMPILE_TIMEOUT_S)
    jar = out_dir / "output-tables-consumer.jar"
    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for path in sorted(classes.rglob("*.class")):
            zf.write(path, path.relative_to(classes).as_posix())
    return jar


def present_tables(spark: SparkSession, cfg: AppConfig) -> list[dict[str, Any]]:
    """Every output table the lakehouse holds: its name, path and row count as Spark counts it."""
    found = []
    for name in sorted(output_tables(cfg)):
        path = cfg.table_path(name)
        if DeltaTable.isDeltaTable(spark, path):
            rows = spark.read.format("delta").load(path).count()
            found.append({"name": name, "path": path, "rows": rows})
    return found


def entity_outputs(cfg: AppConfig, entities: tuple[str, ...]) -> set[str]:
    """The output tables of ``entities``: each one's published roles and product tables."""
    names = set()
    for entity in map(cfg.entity, entities):
        roles = [*OUTPUT_ROLES, *(entity.products.roles if entity.products else ())]
        names |= {entity.tables[r] for r in roles if r in entity.tables}
    return names


def expected_recordings(
    spark: SparkSession, groups_path: str, pairs_path: str, run_id: str
) -> dict[str, Any]:
    """What the Scala side must find in the recording tables, read here through Python/Delta.

    Sample rows mix multi-member groups with a singleton, and pairs above and
    below the threshold, so a consumer that mangles either kind is caught.
    """
    groups = spark.read.format("delta").load(groups_path)
    pairs = spark.read.format("delta").load(pairs_path)
    sample_groups = (
        groups.where("group_size > 1").orderBy("track_id").limit(N_SAMPLES - 1).collect()
        + groups.where("group_size = 1").orderBy("track_id").limit(1).collect()
    )
    by_ids = pairs.orderBy("track_id_l", "track_id_r")
    sample_pairs = (
        by_ids.where("above_threshold").limit(3).collect()
        + by_ids.where("not above_threshold").limit(N_SAMPLES - 3).collect()
    )
    assert sample_groups and sample_pairs, "the sample produced no groups or no pairs to check"
    return {
        "run_id": run_id,
        "groups_path": groups_path,
        "pairs_path": pairs_path,
        "pairs_rows": pairs.count(),
        "distinct_groups": groups.select("recording_group_id").distinct().count(),
        "track_groups": [
            {"track_id": r.track_id, "recording_group_id": r.recording_group_id}
            for r in sample_groups
        ],
        "pairs": [
            {
                "track_id_l": r.track_id_l,
                "track_id_r": r.track_id_r,
                "match_probability": r.match_probability,
            }
            for r in sample_pairs
        ],
    }


def expected_graph(spark: SparkSession, cfg: AppConfig) -> dict[str, Any]:
    """kg_nodes and kg_edges as Python's Spark counts them by type, for the Scala side."""
    assert cfg.graph is not None
    paths = {
        k: cfg.table_path(t)
        for k, t in (("nodes", cfg.graph.nodes_table), ("edges", cfg.graph.edges_table))
    }

    def counts(path: str, column: str) -> dict[str, int]:
        df = spark.read.format("delta").load(path).groupBy(column).count()
        return {r[column]: r["count"] for r in df.collect()}

    return {
        "nodes_path": paths["nodes"],
        "edges_path": paths["edges"],
        "node_counts": counts(paths["nodes"], "node_type"),
        "edge_counts": counts(paths["edges"], "edge_type"),
    }


def spark_submit(jar: Path, delta_jars: list[str], *args: str) -> CompletedProcess[str]:
    """Run the consumer in its own JVM with pyspark's spark-submit, Delta given as --jars."""
    home = _pyspark_home()
    env = {**os.environ, "SPARK_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    confs = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.ui.enabled": "false",
        "spark.databricks.delta.snapshotPartitions": "2",  # 50 by default: slow on small tables
        "spark.sql.shuffle.partitions": "4",  # 200 by default: slow on small tables
        "spark.log.level": "WARN",
    }
    cmd = [str(home / "bin" / "spark-submit"), "--master", "local[2]", "--driver-memory", "1g"]
    cmd += ["--class", MAIN_CLASS, "--jars", ",".join(delta_jars)]
    for key, value in confs.items():
        cmd += ["--conf", f"{key}={value}"]
    return _run([*cmd, str(jar), *args], "spark-submit", SUBMIT_TIMEOUT_S, env=env)


def test_scala_consumer_reads_every_output_table(
    resolved_sample: tuple[AppConfig, Any, dict[str, Any]],
    resolved_releases: Any,
    compared_releases: Any,
    resolved_videos: Any,
    resolved_works: Any,
    resolved_graph: Any,
    spark: SparkSession,
    tmp_path: Path,
) -> None:
    """A Scala program reads every output table into its generated case class, agreeing
    with Python; and the recording tables in detail."""
    if shutil.which("java") is None:
        pytest.skip("java is not on PATH: cannot compile or run the Scala consumer")
    cfg, _report, _results = resolved_sample
    delta_jars = local_jars(cfg.spark.ivy_dir)
    if not delta_jars:
        pytest.skip(
            f"no cached Delta jars under {cfg.spark.ivy_dir}/jars: start Spark once with network "
            "(any job or test) so Ivy fills the cache"
        )
    tables = present_tables(spark, cfg)
    names = {t["name"] for t in tables}
    shared = {
        cfg.quarantine_table,
        cfg.evaluation_table,
        cfg.error_analysis_table,
        cfg.lifecycle.comparison_table,
    }
    must = entity_outputs(cfg, ENTITIES_READ) | shared | {cfg.published_runs_table}
    must |= {cfg.graph.nodes_table, cfg.graph.edges_table}
    assert must <= names, f"output tables the fixtures did not write: {sorted(must - names)}"

    entity = cfg.entity("recordings")
    groups_path = cfg.table_path(entity.groups_table)
    pairs_path = cfg.table_path(entity.pairs_table)
    # the latest resolve of the shared sample published these tables (other tests rerun it)
    run_id = latest_run(spark, cfg, "recordings")[0]
    recordings = expected_recordings(spark, groups_path, pairs_path, run_id)
    # a group row names the run that last changed it: one of the published resolves
    recordings["group_runs"] = sorted(
        {r["run_id"] for r in published(spark, cfg) if r["entity_type"] == "recordings"}
    )
    expected_path = tmp_path / "expected.json"
    graph = expected_graph(spark, cfg)
    expected_path.write_text(
        json.dumps({"tables": tables, "recordings": recordings, "graph": graph}, indent=2)
    )

    jar = compile_consumer(tmp_path / "build")
    proc = spark_submit(jar, delta_jars, str(expected_path))

    read = {
        line.split()[2]: line
        for line in proc.stdout.splitlines()
        if line.startswith("SCALA TABLE ")
    }
    assert set(read) == names, f"tables read: {sorted(read)}, expected {sorted(names)}"
    ok_lines = [line for line in proc.stdout.splitlines() if line.startswith("SCALA CONSUMER OK")]
    want = (
        f"SCALA CONSUMER OK tables={len(tables)} groups={recordings['distinct_groups']} "
        f"pairs={recordings['pairs_rows']}"
    )
    want_graph = (
        f"graph_nodes={sum(graph['node_counts'].values())} "
        f"graph_edges={sum(graph['edge_counts'].values())} "
        f"edge_types={len(graph['edge_counts'])}"
    )
    assert len(ok_lines) == 1 and ok_lines[0].startswith(want) and want_graph in ok_lines[0], (
        f"no {want!r} line\n{_outputs(proc.stdout, proc.stderr)}"
    )
    print(f"read {len(read)} output tables as case classes: {sorted(read)}")
