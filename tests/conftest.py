"""Spark fixtures shared by the suite: one real SparkSession per worker, real Delta and MLflow.

The session is built by the project's own builder (jobs.runtime.session.build_spark)
from the `local` profile with paths moved under a temporary folder, so the
tests exercise exactly the configuration the jobs use.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from jobs.runtime.config import AppConfig, load_config
from jobs.runtime.session import build_spark

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

E2E_TRACKS = int(os.environ.get("MUSIC_RES_E2E_TRACKS", "2500"))


def overrides_under(root: Path, *extra: str) -> list[str]:
    """The overrides that move the local profile's paths under ``root``."""
    return [
        "spark.master=local[2]",
        "spark.shuffle_partitions=4",
        "spark.driver_memory=3g",
        f"paths.warehouse={root}/delta",
        f"paths.checkpoint_dir={root}/checkpoints",
        f"paths.models_dir={root}/models",
        f"paths.reports_dir={root}/reports",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db",
        f"mlflow.artifact_location={root}/mlflow-artifacts",
        # u from 100k random pairs instead of 1M: the samples here have a few
        # million possible pairs, and every training in the suite saves time
        "entities.recordings.training.max_pairs_for_u=100000",
        "entities.videos.training.max_pairs_for_u=100000",
        *extra,
    ]


def test_config(root: Path, *extra: str) -> AppConfig:
    """The local profile with every path under ``root``: what the tests run against."""
    return load_config("local", overrides=overrides_under(root, *extra))


def delta_rs_table(path: str, version: int | None = None):
    """A Delta table (at ``version``) as delta-rs reads it: a pyarrow Table.

    Through delta-rs's DataFusion reader (QueryBuilder), which applies deletion
    vectors; its ``to_pyarrow_table`` refuses tables that may have them.
    DataFusion hands strings back as ``string_view``, which pandas cannot take
    inside a list: cast to the table's own schema.
    """
    import deltalake
    import pyarrow as pa

    table = deltalake.DeltaTable(path, version=version)
    reader = deltalake.QueryBuilder().register("t", table).execute("SELECT * FROM t")
    return pa.table(reader.read_all()).cast(pa.schema(table.schema().to_arrow()))


@pytest.fixture(scope="session")
def session_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("music-res")


@pytest.fixture(scope="session")
def cfg(session_root) -> AppConfig:
    return test_config(session_root)


# The suite's one JVM runs thousands of small queries on 2 cores, a quarter of its CPU
# in the JIT compiler: Spark keeps 100 generated classes by default and compiles
# (and the JIT warms) a query again once it is evicted; the serial collector spares
# a core that G1's threads take. tests/test_entity_kinds.py: 155 s -> 143 s.
SUITE_SPARK_CONF = {
    "spark.sql.codegen.cache.maxEntries": "2000",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC",
}


@pytest.fixture(scope="session")
def spark(cfg):
    conf = {**cfg.spark.extra_conf, **SUITE_SPARK_CONF}
    session = build_spark(replace(cfg, spark=replace(cfg.spark, extra_conf=conf)))
    yield session
    session.stop()


# The entities resolved in the day-1 sample, in this order (the others are resolved on
# the shared lakehouse when a test first needs them)
DAY1_ENTITIES = ("recordings", "works", "videos", "releases")
DAY1_RUN = "e2e-run-1"
# resolved with the model file their training wrote, the others with the registry's champion
GIVEN_MODEL = {"works"}


def sample_config(root: Path, *extra: str) -> AppConfig:
    """The test profile of a sample lakehouse under ``root``."""
    return test_config(root, f"sample.n_tracks={E2E_TRACKS}", *extra)


@dataclass(frozen=True)
class Day1Sample:
    """The sample as resolved on day 1, built once per test run: read it or copy it.

    ``results[entity]``: the features result, resolve result, evaluation report
    and model path (relative to ``root``) of each of DAY1_ENTITIES.
    """

    root: Path
    results: dict[str, dict[str, Any]]

    @property
    def cfg(self) -> AppConfig:
        return sample_config(self.root)

    def copy(self, root: Path, *extra: str) -> AppConfig:
        """A lakehouse of its own under ``root``, as the sample left it on day 1."""
        shutil.copytree(self.root, root)
        return sample_config(root, *extra)


def _build_day1(spark, root: Path) -> dict[str, dict[str, Any]]:
    """Generate the sample and run features -> train -> resolve -> evaluate per entity."""
    from jobs import build_features, evaluate, generate_sample, resolve, train

    cfg = sample_config(root)
    generate_sample.run(spark, cfg)
    out = {}
    for entity in DAY1_ENTITIES:
        feats = build_features.run(spark, cfg, entity=entity, run_id=DAY1_RUN)
        path = train.run(spark, cfg, entity=entity, run_id=DAY1_RUN)
        given = str(path) if entity in GIVEN_MODEL else None
        resolved = resolve.run(spark, cfg, entity=entity, run_id=DAY1_RUN, model_path=given)
        out[entity] = {
            "features": feats,
            "resolve": resolved,
            "report": evaluate.run(spark, cfg, entity=entity, run_id=DAY1_RUN),
            "model": Path(path).relative_to(root),
        }
    return out


@pytest.fixture(scope="session")
def day1_sample(spark, tmp_path_factory) -> Day1Sample:
    """The day-1 sample, built by the first worker that needs it; the others wait and read it.

    Under pytest-xdist the workers' temporary folders share a parent made for
    this run, so the sample is built once for the whole run, not once a
    worker; a lock file serialises the build. Tests must not write to it:
    they copy it (Day1Sample.copy), as the shared lakehouse does.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root, done = shared / "day1-sample", shared / "day1-sample.pickle"
    with open(shared / "day1-sample.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed half way
            done.write_bytes(pickle.dumps(_build_day1(spark, root)))
    return Day1Sample(root, pickle.loads(done.read_bytes()))


@pytest.fixture(scope="session")
def resolved_sample(day1_sample, session_root):
    """The shared lakehouse: a copy of the day-1 sample that the tests grouped on it may change.

    Returns (cfg, the recordings' evaluation report, {features, resolve, run_id}).
    """
    cfg = day1_sample.copy(session_root / "lakehouse")
    r = day1_sample.results["recordings"]
    results = {"features": r["features"], "resolve": r["resolve"], "run_id": DAY1_RUN}
    return cfg, r["report"], results


@pytest.fixture(scope="session")
def resolved_works(resolved_sample, day1_sample):
    """SongDNA works derived from the shared sample's recording groups: (cfg, report, model)."""
    cfg = resolved_sample[0]
    r = day1_sample.results["works"]
    return cfg, r["report"], Path(cfg.paths.warehouse).parent / r["model"]


def _resolved_on_day1(resolved_sample, day1_sample, entity: str):
    """(cfg, features result, resolve result, report) of a day-1 entity on the shared lakehouse."""
    r = day1_sample.results[entity]
    return resolved_sample[0], r["features"], r["resolve"], r["report"]


def _chain_on_sample(spark, resolved_sample, entity: str):
    """features -> train -> resolve -> evaluate of ``entity`` on the shared sample, its run id.

    Returns (cfg, features result, resolve result, report).
    """
    from jobs import build_features, evaluate, resolve, train

    cfg, _, results = resolved_sample
    run_id = results["run_id"]
    feats = build_features.run(spark, cfg, entity=entity, run_id=run_id)
    train.run(spark, cfg, entity=entity, run_id=run_id)
    resolved = resolve.run(spark, cfg, entity=entity, run_id=run_id)
    report = evaluate.run(spark, cfg, entity=entity, run_id=run_id)
    return cfg, feats, resolved, report


@pytest.fixture(scope="session")
def resolved_releases(resolved_sample, day1_sample):
    """The shared sample's releases deduplicated: features to evaluate.

    Returns (cfg, features result, resolve result, report).
    """
    return _resolved_on_day1(resolved_sample, day1_sample, "releases")


@pytest.fixture(scope="session")
def compared_releases(spark, resolved_releases):
    """A second releases model (another prior: prior_recall 0.3) compared with the first.

    Fills the shared lakehouse's model comparison table, so its readers check it too.
    Returns (cfg, comparison).
    """
    from jobs import compare, train

    cfg = resolved_releases[0]
    other = test_config(
        Path(cfg.paths.warehouse).parent,
        f"sample.n_tracks={E2E_TRACKS}",
        "entities.releases.training.prior_recall=0.3",
    )
    challenger = train.run(spark, other, entity="releases", run_id="e2e-releases-prior-0.3")
    return cfg, compare.run(
        spark, cfg, entity="releases", run_id="e2e-compare", a="1", b=str(challenger)
    )


@pytest.fixture(scope="session")
def resolved_contributors(spark, resolved_sample):
    """The shared sample's credits resolved into people (SongDNA contributors).

    Returns (cfg, features result, resolve result, report).
    """
    return _chain_on_sample(spark, resolved_sample, "contributors")


@pytest.fixture(scope="session")
def resolved_graph(
    spark, resolved_sample, resolved_releases, resolved_videos, resolved_works, resolved_contributors
):
    """The knowledge graph of the shared sample, once every entity is resolved.

    Returns (cfg, jobs.stages.graph.GraphResult).
    """
    from jobs import graph

    cfg = resolved_sample[0]
    return cfg, graph.run(spark, cfg, run_id="e2e-graph")


@pytest.fixture(scope="session")
def resolved_videos(resolved_sample, day1_sample):
    """Music videos of the shared sample linked to its recording groups: features to evaluate.

    Returns (cfg, features result, resolve result, report).
    """
    return _resolved_on_day1(resolved_sample, day1_sample, "videos")


# Under pytest-xdist (`make test`: two workers, --dist loadgroup) every test that uses
# the shared lakehouse runs on one worker, so it is copied and its later entities
# resolved once, there. Any other test stays with its module, whose fixtures are
# then built once; the day-1 sample is built once for both workers (day1_sample).
SHARED_LAKEHOUSE = "resolved_sample"
# Groups are handed out in this order, longest first so that short ones fill the end
# (xdist's own order, by number of tests, puts one-test modules of 90-170 s last):
# the shared lakehouse; groups that run whole jobs (SLOW_MARKERS) without the day-1
# sample, which the other worker runs while the first builds that sample (a group
# that needs it would wait for it, ~2 minutes idle); groups that copy the day-1
# sample; then the rest. Each tier by number of tests.
SLOW_MARKERS = ("e2e", "cluster", "scala")


def xdist_group(item) -> str:
    if SHARED_LAKEHOUSE in getattr(item, "fixturenames", ()):
        return "shared-lakehouse"
    return item.nodeid.split("::")[0]


def _tier(items) -> int:
    """Where a group's tests go in the order above."""
    if any(SHARED_LAKEHOUSE in getattr(i, "fixturenames", ()) for i in items):
        return 0
    if any("day1_sample" in getattr(i, "fixturenames", ()) for i in items):
        return 2
    if any(i.get_closest_marker(m) for i in items for m in SLOW_MARKERS):
        return 1
    return 3


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # xdist's: by number of tests
        config.option.loadscopereorder = False


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    groups = {id(item): xdist_group(item) for item in items}
    members: dict[str, list] = {}
    for item in items:
        members.setdefault(groups[id(item)], []).append(item)
    tier = {g: _tier(m) for g, m in members.items()}
    items.sort(key=lambda item: (tier[groups[id(item)]], -len(members[groups[id(item)]])))
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[id(item)]))
