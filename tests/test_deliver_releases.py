"""Releases, the other dedupe entity, through the delivery stage, against a full rebuild.

On two copies of the day-1 sample, its releases resolved (tests/conftest.py:
day1_sample): one takes a delivery made of day-1 release rows (delivered
again under new ids, retitled, deleted), the other rebuilds the final
catalog in full with the same model.
"""

from __future__ import annotations

import pytest

from jobs.runtime.delta import read_table, write_table
from jobs.stages.delivery_input import delivery_contract
from tests.test_deliver import copies_delivery, deliver_beside_rebuild

pytestmark = pytest.mark.e2e


RELEASES = "releases"
N_EACH = 10  # new, changed and deleted release rows


@pytest.fixture(scope="module")
def releases_day2(spark, day1_sample, tmp_path_factory):
    """(delivered cfg, delivery result, rebuild comparison, copies: new id -> day-1 id)."""
    base = tmp_path_factory.mktemp("deliver-releases")
    delivered_cfg, rebuilt_cfg = day1_sample.copy(base / "a"), day1_sample.copy(base / "b")
    e = delivered_cfg.entity(RELEASES)
    # the same release delivered again by another feed joins its group
    delivery, copies = copies_delivery(
        spark,
        delivered_cfg,
        RELEASES,
        N_EACH,
        lambda i, title: f"{title} (Deluxe Edition)" if i % 2 else title[:-1],
    )
    for cfg in (delivered_cfg, rebuilt_cfg):
        write_table(delivery, cfg.table_path("releases_delivery"), delivery_contract(e))
    result, outcome = deliver_beside_rebuild(
        spark, delivered_cfg, rebuilt_cfg, RELEASES, "releases_delivery"
    )
    return delivered_cfg, result, outcome, copies


def test_a_releases_delivery_partitions_and_names_groups_as_a_full_rebuild(spark, releases_day2):
    cfg, result, outcome, copies = releases_day2
    n = result.counts
    assert (n["new"], n["changed"], n["deleted"], n["rejected"]) == (N_EACH, N_EACH, N_EACH, 0)
    assert outcome["same_partition_as_rebuild"], outcome
    assert outcome["pairs_only_on_one_side"] == 0
    assert outcome["pairs_accepted_differently"] == 0
    assert outcome["unchanged_ids_share"] == 1.0
    assert outcome["same_ids_as_rebuild_share"] == 1.0
    # a release delivered again lands in the group of its day-1 copy
    e = cfg.entity(RELEASES)
    group_of = {
        r[e.id_column]: r[e.group_column]
        for r in read_table(spark, cfg.table_path(e.groups_table)).collect()
    }
    assert all(group_of[new] == group_of[old] for new, old in copies.items())
