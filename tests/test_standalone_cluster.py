"""The resolve job runs on a real Spark cluster, submitted the way the README says.

A Spark standalone master and two one-core workers are started on 127.0.0.1
from pyspark's own distribution (``bin/spark-class``); the project is packaged
with ``jobs.runtime.package.build_zip`` (what ``make dist`` runs) and ``jobs/resolve.py``
is spark-submitted to the master with ``--py-files``, Delta's and Splink's jars
and the local profile, whose ``spark.master`` (local[*]) spark-submit's
``--master`` must override. The cluster run reads a copy of the day-1
sample's features with the model the local run used, writes to its own
warehouse, and must produce exactly the local run's recording groups.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession

from jobs.runtime.config import PROJECT_ROOT
from jobs.runtime.package import build_zip
from jobs.runtime.session import local_jars, splink_jar
from tests.conftest import DAY1_RUN, Day1Sample

pytestmark = pytest.mark.cluster

N_WORKERS = 2
START_TIMEOUT_S = 120
SUBMIT_TIMEOUT_S = 600  # 360 s measured on 2 cores shared with other Spark jobs (load ~10)
STOP_TIMEOUT_S = 20
APP_NAME = "music-resolution-standalone-test"
GROUP_COLUMNS = ["track_id", "recording_group_id", "group_size", "representative_track_id"]


def _pyspark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _free_port(preferred: int | None = None) -> int:
    """``preferred`` when nothing listens on it, else a port the OS hands out."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free TCP port on 127.0.0.1")


def _tail(path: Path, n: int = 40) -> str:
    lines = path.read_text(errors="replace").splitlines() if path.exists() else ["(no file)"]
    return f"--- {path.name} ---\n" + "\n".join(lines[-n:])


def _spark_env(root: Path) -> dict[str, str]:
    """Environment of every cluster JVM and of spark-submit: loopback only, state under root."""
    conf_dir = root / "conf"  # empty: no spark-defaults or log4j files from elsewhere
    conf_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "SPARK_HOME": str(_pyspark_home()),
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOCAL_DIRS": str(root / "local"),
        "SPARK_LOG_DIR": str(root / "logs"),
        "SPARK_DAEMON_MEMORY": "512m",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (the JVM and the executors it forked), SIGKILL what stays."""
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:  # the leader is gone; make sure its group went with it
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        break


@dataclass
class StandaloneCluster:
    """A master and its workers, each a spark-class JVM in its own process group."""

    root: Path
    port: int = 0
    webui_port: int = 0
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def worker_dir(self, index: int) -> Path:
        return self.root / f"worker-{index}"

    def logs_tail(self) -> str:
        return "\n".join(_tail(self.root / "logs" / f"{name}.log") for name, _ in self.procs)

    def state(self) -> dict[str, Any]:
        """The master's JSON view: workers, active and completed applications."""
        url = f"http://127.0.0.1:{self.webui_port}/json/"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)

    def _launch(self, name: str, main_class: str, *args: str) -> None:
        log = (self.root / "logs" / f"{name}.log").open("wb")
        spark_class = _pyspark_home() / "bin" / "spark-class"
        proc = subprocess.Popen(
            [str(spark_class), main_class, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_spark_env(self.root),
            start_new_session=True,  # own process group: stop() kills executors too
        )
        log.close()
        self.procs.append((name, proc))

    def start(self, n_workers: int) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        self.port, self.webui_port = _free_port(7077), _free_port()
        self._launch(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", "127.0.0.1", "--port", str(self.port)),
            *("--webui-port", str(self.webui_port)),
        )
        for i in range(n_workers):
            self._launch(
                f"worker-{i}",
                "org.apache.spark.deploy.worker.Worker",
                self.url,
                *("--host", "127.0.0.1", "--cores", "1", "--memory", "1g"),
                *("--webui-port", str(_free_port()), "--work-dir", str(self.worker_dir(i))),
            )
        self.wait_for_workers(n_workers)

    def wait_for_workers(self, n_workers: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        seen: Any = "master not answering yet"
        while time.monotonic() < deadline:
            dead = [name for name, p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{dead} exited while the cluster started\n{self.logs_tail()}")
            try:
                seen = self.state().get("aliveworkers")
            except OSError as exc:
                seen = exc
            if seen == n_workers:
                return
            time.sleep(1)
        raise RuntimeError(
            f"{n_workers} workers did not register with {self.url} in {START_TIMEOUT_S}s "
            f"(alive workers: {seen})\n{self.logs_tail()}"
        )

    def stop(self) -> None:
        """Workers first (they take their executors with them), then the master."""
        for _name, proc in reversed(self.procs):
            _stop_group(proc)


@pytest.fixture
def standalone_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> StandaloneCluster:
    if shutil.which("java") is None:
        pytest.skip("java is not on PATH: cannot start a Spark standalone cluster")
    cluster = StandaloneCluster(root=tmp_path / "cluster")
    request.addfinalizer(cluster.stop)  # before any start: a half-started cluster is stopped too
    started = time.monotonic()
    cluster.start(N_WORKERS)
    print(f"standalone cluster {cluster.url}: up in {time.monotonic() - started:.1f}s")
    return cluster


def spark_submit(
    cluster: StandaloneCluster, py_files: Path, jars: list[str], job_args: list[str], logs: Path
) -> None:
    """spark-submit a job to the cluster from the project root (where conf/ is found)."""
    cmd = [str(_pyspark_home() / "bin" / "spark-submit"), "--master", cluster.url]
    cmd += ["--deploy-mode", "client", "--driver-memory", "1g"]
    cmd += ["--executor-memory", "1g", "--executor-cores", "1"]
    cmd += ["--jars", ",".join(jars), "--py-files", str(py_files)]
    for key, value in {
        "spark.executorEnv.PYSPARK_PYTHON": sys.executable,
        "spark.pyspark.python": sys.executable,
        "spark.driver.host": "127.0.0.1",
    }.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd += ["jobs/resolve.py", *job_args]
    out, err = logs / "submit.stdout", logs / "submit.stderr"
    with out.open("wb") as so, err.open("wb") as se:
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            stdout=so,
            stderr=se,
            env=_spark_env(cluster.root),
            start_new_session=True,  # the driver JVM and its Python child, stopped together
        )
        started = time.monotonic()
        try:
            rc = proc.wait(timeout=SUBMIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            _stop_group(proc)
    print(f"spark-submit resolve on {cluster.url}: {time.monotonic() - started:.1f}s, rc={rc}")
    if rc != 0:
        what = f"timed out after {SUBMIT_TIMEOUT_S}s" if rc is None else f"exited {rc}"
        pytest.fail(f"spark-submit {what}\n{_tail(out)}\n{_tail(err, 80)}\n{cluster.logs_tail()}")


def finished_app(cluster: StandaloneCluster, name: str) -> dict[str, Any]:
    """The completed application called ``name`` (the master records it shortly after exit)."""
    deadline = time.monotonic() + 30
    while True:
        state = cluster.state()
        apps = [a for a in state.get("completedapps", []) if a.get("name") == name]
        if apps or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(apps) == 1, f"no single completed app {name!r} on {cluster.url}: {state}"
    return apps[0]


def test_resolve_on_a_standalone_cluster_matches_local_mode(
    day1_sample: Day1Sample,
    spark: SparkSession,
    standalone_cluster: StandaloneCluster,
    tmp_path: Path,
) -> None:
    """spark-submit --master spark://... runs resolve on the workers and gives the local groups."""
    cfg, results = day1_sample.cfg, day1_sample.results["recordings"]
    entity = cfg.entity("recordings")
    delta_jars = local_jars(cfg.spark.ivy_dir)
    if not delta_jars:
        pytest.skip(f"no cached Delta jars under {cfg.spark.ivy_dir}/jars: run `make setup`")
    model_version = results["resolve"].model_version
    model = Path(cfg.paths.models_dir) / entity.name / f"{model_version}.json"
    assert model.is_file(), f"the local run's model {model} is missing"

    # Its own warehouse: the local run's tables stay untouched for the comparison.
    root = tmp_path / "cluster-run"
    warehouse = root / "delta"
    shutil.copytree(cfg.table_path(entity.features_table), warehouse / entity.features_table)
    py_files = build_zip(tmp_path / "dist" / "music_resolution.zip")
    overrides = [
        f"spark.app_name={APP_NAME}",
        "spark.shuffle_partitions=4",
        f"paths.warehouse={warehouse}",
        f"paths.checkpoint_dir={root}/checkpoints",  # same machine: executors reach it
        f"paths.models_dir={root}/models",
        f"paths.reports_dir={root}/reports",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db",
        f"mlflow.artifact_location={root}/mlflow-artifacts",
    ]
    job_args = ["--profile", "local", "--entity", entity.name, "--run-id", DAY1_RUN]
    job_args += ["--model", str(model)]
    for item in overrides:
        job_args += ["--set", item]
    spark_submit(standalone_cluster, py_files, [*delta_jars, splink_jar()], job_args, tmp_path)

    # It ran on the cluster: the master lists it, and each worker launched an executor for it.
    app = finished_app(standalone_cluster, APP_NAME)
    assert app["state"] == "FINISHED", app
    for i in range(N_WORKERS):
        executors = list((standalone_cluster.worker_dir(i) / app["id"]).glob("*/stderr"))
        assert executors, f"worker {i} launched no executor for {app['id']}"
    shipped = list(standalone_cluster.root.glob(f"worker-*/{app['id']}/*/{py_files.name}"))
    assert shipped, "no executor fetched the --py-files zip, so none ran a task"

    local = spark.read.format("delta").load(cfg.table_path(entity.groups_table))
    remote = spark.read.format("delta").load(str(warehouse / entity.groups_table))
    assert {tuple(r) for r in remote.select("run_id", "model_version").distinct().collect()} == {
        (DAY1_RUN, model_version)
    }
    assert {r.model_version for r in local.select("model_version").distinct().collect()} == {
        model_version
    }, "the local groups were rewritten by another model since the sample was resolved"
    assert_df_equality(
        remote.select(*GROUP_COLUMNS),
        local.select(*GROUP_COLUMNS),
        ignore_row_order=True,
    )
