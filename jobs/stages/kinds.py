"""Which module serves an entity's kind: clustered (dedupe, derived) or linked (link).

Both offer the same functions, so the stages call them without asking which:

- ``model_inputs(spark, cfg, entity)``: the frame(s) the entity's model reads;
- ``pair_rows(cfg, entity, scored, model, run_id)``: Splink's pairs in the pairs contract;
- ``settle(spark, cfg, entity, pairs, run_id=, model_version=)``: the other outputs
  by role (groups; or matches and unmatched), not yet written;
- ``summarise(spark, cfg, entity, pairs)``: counts of what was published;
- ``golden_report(spark, cfg, entity, pairs, outputs)``: figures against golden data;
- ``evaluate_published(spark, cfg, entity, golden)``: the published tables' report.
"""

from __future__ import annotations

from types import ModuleType

from pyspark.sql.types import StructType

from jobs.runtime.config import EntityConfig
from jobs.stages import clustered, linked
from jobs.stages.common import contracts

# role of an output table -> the EntityConfig attribute naming it
OUTPUT_TABLES = {"groups": "groups_table", "matches": "matches_table", "unmatched": "unmatched_table"}


def kind_module(entity: EntityConfig) -> ModuleType:
    return linked if entity.kind == "link" else clustered


def output_table(entity: EntityConfig, role: str) -> tuple[str, StructType]:
    """(table name, contract) of one of an entity's outputs besides its pairs."""
    table = getattr(entity, OUTPUT_TABLES[role])
    contract = getattr(contracts(entity), role)
    assert table is not None and contract is not None, (entity.name, role)
    return table, contract
