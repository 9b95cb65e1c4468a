# Two commands do all set-up on a fresh machine:  make demo  /  make test
# Set-up steps are stamp files, so they are quick no-ops once done.

PYTHON_BIN ?= python3.11
VENV       := .venv
PY         := $(VENV)/bin/python
IVY_DIR    := .cache/ivy
export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

.PHONY: setup demo test test-fast lint contracts bench bench-100k bench-incremental bench-quality dist clean java-check

setup: java-check $(VENV)/.installed $(IVY_DIR)/.fetched

java-check:
	@command -v java >/dev/null 2>&1 || { echo "ERROR: Java not found. Spark 4 needs Java 17: install it (apt-get install openjdk-17-jre-headless) or put it on PATH / set JAVA_HOME." >&2; exit 1; }
	@v=$$(java -version 2>&1 | awk -F'"' '/version/ {print $$2}' | cut -d. -f1); \
	if [ "$$v" -lt 17 ] 2>/dev/null; then echo "ERROR: Java $$v found; Spark 4 needs Java 17 or newer (set JAVA_HOME to a JDK 17)." >&2; exit 1; fi

$(VENV)/.installed: pyproject.toml constraints.txt
	@command -v $(PYTHON_BIN) >/dev/null 2>&1 || { echo "ERROR: $(PYTHON_BIN) not found; set PYTHON_BIN=/path/to/python3.11" >&2; exit 1; }
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Delta's jars: fetched once from Maven Central by Spark's Ivy into .cache/ivy,
# then used from there without network.
$(IVY_DIR)/.fetched: $(VENV)/.installed
	$(PY) -m jobs.runtime.session fetch-jars
	touch $@

demo: setup
	$(PY) -m jobs.demo

test: setup
	$(PY) -m pytest -q -n 2 --dist loadgroup

test-fast: setup
	$(PY) -m pytest -q -m "not e2e and not scala and not cluster"

lint: setup
	$(PY) -m ruff check jobs features splink_models tests

# The output tables' contracts as files for readers (conf/contracts/: BigQuery JSON and
# Avro schemas, Scala case classes) from features/schemas.py; tests/test_contracts.py
# fails when they are stale.
contracts: $(VENV)/.installed
	$(PY) -m jobs.contracts

# Stage timings, Spark vs DuckDB, at each size (reports/benchmarks/perf.json and perf.png);
# each size in data/bench/perf/<size>, never the demo's tables.
bench: setup
	$(PY) -m jobs.benchmark --entity recordings --sizes 10000,100000,1000000

bench-100k: setup
	$(PY) -m jobs.benchmark --entity recordings --n-tracks 100000

# A 1% day-2 delivery against a full rebuild on 1M tracks (reports/benchmarks/incremental.json).
bench-incremental: setup
	$(PY) -m jobs.bench_incremental --n-tracks 1000000 --set spark.deletion_vectors=true

# Precision/recall/F1 on real labelled data (conf/bench_quality.yaml) from
# ../shared/datasets (or DATASETS=<folder>, MUSIC_RES_DATASETS); skips when absent.
bench-quality: setup
	$(PY) -m jobs.bench_quality $(if $(DATASETS),--datasets-dir $(DATASETS))

# The code as one zip for spark-submit --py-files (README, 'On a cluster').
dist: $(VENV)/.installed
	$(PY) -m jobs.runtime.package dist/music_resolution.zip

clean:
	rm -rf data dist reports/evaluation spark-warehouse metastore_db derby.log
