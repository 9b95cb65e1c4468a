"""Which module serves an entity's kind: clustered (dedupe, derived) or linked (link).

Both offer the same functions, so the stages call them without asking which:

- ``model_inputs(spark, cfg, entity)``: the frame(s) the entity's model reads;
- ``read_versions(spark, cfg, entity)``: what a release must remember of the other
  entities' tables it read (a link entity: its target's versions), for its summary;
- ``pair_rows(cfg, entity, scored, model, run_id)``: Splink's pairs in the pairs contract;
- ``settle(spark, cfg, entity, pairs, run_id=, model_version=)``: the other outputs
  by role (groups; or matches and unmatched), not yet written;
- ``summarise(spark, cfg, entity, pairs)``: counts of what was published;
- ``golden_report(spark, cfg, entity, pairs, outputs)``: figures against golden data;
- ``evaluate_published(spark, cfg, entity, golden)``: the published tables' report.
"""

from __future__ import annotations

from types import ModuleType

from jobs.runtime.config import EntityConfig
from jobs.stages import clustered, linked


def kind_module(entity: EntityConfig) -> ModuleType:
    return linked if entity.kind == "link" else clustered
