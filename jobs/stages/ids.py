"""Redirect group ids a reader holds to the current ones, through an entity's id history.

An id stays current until it is merged into another (event ``merged``,
``related_id`` the survivor) or retired (no member left); a merged id's
survivor may itself merge later, so the redirect follows the chain. Ids are
never reused, so a chain always ends. A split keeps the id on the largest part;
the other parts' new ids name the old one in ``related_id`` (event ``split``).

``REDIRECT_SQL`` is the same redirect in SQL (Spark 4.1+ and BigQuery run
recursive CTEs), for readers who join on ids in their own engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

# {history}: the entity's id history table; {held}: a table of the ids held (column id)
REDIRECT_SQL = """
WITH RECURSIVE chain (held_id, id, hops) AS (
  SELECT id, id, 0 FROM {held}
  UNION ALL
  SELECT chain.held_id, h.related_id, chain.hops + 1
  FROM chain JOIN {history} AS h ON h.id = chain.id AND h.event = 'merged'
)
SELECT chain.held_id,
       CASE WHEN MAX(retired.id) IS NULL THEN MAX_BY(chain.id, chain.hops) END AS current_id
FROM chain
LEFT JOIN (SELECT id FROM {history} WHERE event = 'retired') AS retired
  ON retired.id = chain.id
GROUP BY chain.held_id
"""


def resolve_ids(history: DataFrame, held: Iterable[str]) -> dict[str, str | None]:
    """Each held id -> the current id it became, or None when its group is gone (retired).

    ``history``: the entity's id history table (``tables.id_history``). Only the
    merged and retired events are read (a few per run), onto the driver.
    """
    events = history.where(F.col("event").isin("merged", "retired")).select(
        "id", "event", "related_id"
    )
    merged, retired = {}, set()
    for r in events.collect():
        if r["event"] == "merged":
            merged[r["id"]] = r["related_id"]
        else:
            retired.add(r["id"])
    current: dict[str, str | None] = {}
    for start in held:
        at, seen = start, {start}
        while at in merged and merged[at] not in seen:  # ids are never reused: no cycle
            at = merged[at]
            seen.add(at)
        current[start] = None if at in retired else at
    return current
