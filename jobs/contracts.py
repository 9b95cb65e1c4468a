"""Write the output tables' contracts as files: conf/contracts/<table>.bigquery.json and .avsc.

Also conf/contracts/OutputTables.scala, the tables' Scala case classes. No Spark:
the files come from the StructType constants of features.schemas and
the table names of the config (see jobs.runtime.contracts, conf/contracts/README.md).

    python -m jobs.contracts            # regenerate conf/contracts/ (make contracts)
    python -m jobs.contracts --check    # CI: exit 1 listing each file that would change

A breaking change (a column removed, renamed or retyped, ...) is refused, and
fails --check, until features.schemas.CONTRACT_VERSION is bumped.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from features.schemas import CONTRACT_VERSION
from jobs.runtime.config import DEFAULT_CONF_DIR, load_config
from jobs.runtime.contracts import (
    ContractError,
    contract_problems,
    output_tables,
    render_contracts,
    stale_files,
    write_contracts,
)
from jobs.runtime.job import run_main, setup_logging

logger = logging.getLogger("jobs.contracts")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("MUSIC_RES_PROFILE", "local"))
    parser.add_argument("--config-dir", default=None)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on a change")
    args = parser.parse_args(argv)
    setup_logging()
    cfg = load_config(args.profile, conf_dir=args.config_dir)
    contract_dir = Path(args.config_dir or DEFAULT_CONF_DIR) / "contracts"
    tables = output_tables(cfg)
    rendered = render_contracts(tables, CONTRACT_VERSION)
    breaking = contract_problems(contract_dir, tables, CONTRACT_VERSION)
    if args.check:
        stale = stale_files(contract_dir, rendered)
        for line in [*breaking, *(f"{contract_dir}/{name}" for name in stale)]:
            logger.error("%s", line)
        if stale:
            logger.error("contracts out of date: run `make contracts` (python -m jobs.contracts)")
        return 1 if breaking or stale else 0
    if breaking:
        raise ContractError("breaking change to output contracts:\n  - " + "\n  - ".join(breaking))
    changed = write_contracts(contract_dir, rendered)
    logger.info(
        "contracts v%s of %d output tables in %s: %s",
        CONTRACT_VERSION,
        len(tables),
        contract_dir,
        ", ".join(changed) or "no change",
    )
    return 0


if __name__ == "__main__":
    run_main(lambda: sys.exit(main()))
