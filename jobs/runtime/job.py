"""What every job's entry point does: logging, arguments, config, session, run id, clean errors."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from features.errors import ResolutionError
from jobs.runtime.config import AppConfig, load_config
from jobs.runtime.session import build_spark

logger = logging.getLogger(__name__)

DEBUG_ENV = "MUSIC_RES_DEBUG"  # set to 1 (or pass --debug) for a traceback with project errors


_ACTIVE_STAGES: list[str] = []  # names of the stages running now, outermost first


@contextmanager
def stage(name: str, timings: dict[str, float] | None = None) -> Iterator[None]:
    """Log one line when a stage ends: done with its elapsed time, or failed.

    A stage inside another of the same name (the demo timing a job that times
    itself) logs nothing of its own: one line per stage.
    """
    start = time.perf_counter()
    nested = name in _ACTIVE_STAGES
    _ACTIVE_STAGES.append(name)
    try:
        yield
    except BaseException:
        if not nested:
            logger.error("stage %s: failed after %.1fs", name, time.perf_counter() - start)
        raise
    finally:
        _ACTIVE_STAGES.pop()
    elapsed = time.perf_counter() - start
    if timings is not None:
        timings[name] = round(elapsed, 2)
    if not nested:
        logger.info("stage %s: done in %.1fs", name, elapsed)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # sqlglot: one INFO line per array index it shifts when Splink renders a level for DuckDB
    for noisy in ("py4j", "splink", "alembic", "urllib3", "mlflow", "sqlglot"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Splink warns that max_pairs is its default whatever it is; the config sets it
    logging.getLogger("splink.internals.linker_components.training").addFilter(
        lambda record: "default value for `max_pairs`" not in record.getMessage()
    )
    # ... and, one multi-line warning per level, that an EM session saw no pair at a
    # level a catalog cannot have (no ISWCs, no writers): the level keeps its default m
    logging.getLogger("splink.internals.expectation_maximisation").addFilter(
        lambda record: "not observed in dataset" not in record.getMessage()
    )


def common_args(
    description: str,
    argv: Sequence[str] | None = None,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Parse the arguments every job takes: --profile, --config-dir, --run-id, --set, --debug."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--profile", default=os.environ.get("MUSIC_RES_PROFILE", "local"))
    parser.add_argument("--config-dir", default=None)
    parser.add_argument("--run-id", default=None, help="defaults to a new timestamped id")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set sample.n_tracks=1000",
    )
    parser.add_argument(
        "--debug", action="store_true", help=f"show tracebacks of project errors (or {DEBUG_ENV}=1)"
    )
    if extra:
        extra(parser)
    return parser.parse_args(argv)


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"


@dataclass(frozen=True)
class JobContext:
    args: Any
    cfg: AppConfig
    spark: SparkSession
    run_id: str


def start_job(
    doc: str | None,
    argv: Sequence[str] | None = None,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
    *,
    entity: bool = True,
) -> JobContext:
    """What every job's main() does first: logging, arguments, config, session, run id.

    With ``entity`` the job takes ``--entity <name>`` (a section under ``entities:``).
    """
    setup_logging()

    def add_args(parser: argparse.ArgumentParser) -> None:
        if entity:
            parser.add_argument(
                "--entity", required=True, help="entity type: a section under entities:"
            )
        if extra:
            extra(parser)

    args = common_args((doc or "").strip().splitlines()[0], argv, add_args)
    if args.debug:
        os.environ[DEBUG_ENV] = "1"
    cfg = load_config(args.profile, conf_dir=args.config_dir, overrides=args.overrides)
    if entity:
        cfg.entity(args.entity)  # an unknown entity fails here, before Spark starts
    spark = build_spark(cfg)
    return JobContext(args=args, cfg=cfg, spark=spark, run_id=args.run_id or new_run_id())


def run_main(main: Callable[[], Any]) -> None:
    """Run a job's main: a project error is one clear message and exit status 2, no traceback.

    ``--debug`` or ``MUSIC_RES_DEBUG=1`` shows the traceback too.
    """
    try:
        main()
    except ResolutionError as error:
        if os.environ.get(DEBUG_ENV) or "--debug" in sys.argv:
            raise
        logging.getLogger("jobs").error("%s: %s", type(error).__name__, error)
        sys.exit(2)
