"""The sample catalog as data sets: each one an input table and its golden table.

``tracks`` is the catalog itself (jobs.samples.catalog); ``videos`` are music
videos of its recordings (jobs.samples.videos); ``releases`` its albums as
stores deliver them (jobs.samples.releases); ``publisher_works`` a
publisher's feed of its works (titles, ISWCs, writers); ``credits`` who the
tracks credit (writers, producers, ..., jobs.samples.credits) and
``credit_truth`` the person each credit names; ``declared_relations`` samples
and interpolations a sample database declares (jobs.samples.relations) and
``relation_truth`` what each points at. Which are made, and
which entity's table each fills (``entity`` for its input and golden tables,
``entity.role`` for another of its tables), is the config's ``sample.entities``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.errors import ConfigError
from features.schemas import TRACK_INPUT
from jobs.runtime.config import SampleConfig
from jobs.samples.catalog import build_catalog_and_works, inject_bad_rows
from jobs.samples.credits import generate_credits, inject_bad_credits
from jobs.samples.relations import generate_relations, inject_bad_relations

DATASETS = (
    "tracks",
    "videos",
    "releases",
    "publisher_works",
    "credits",
    "credit_truth",
    "declared_relations",
    "relation_truth",
)


@dataclass(frozen=True)
class SampleDataset:
    rows: pd.DataFrame  # the input table's rows
    golden: pd.DataFrame | None  # their truth (None: the data set has none of its own)
    spoiled: dict[str, int]  # rows spoiled on purpose, per kind


def generate_datasets(sample: SampleConfig) -> dict[str, SampleDataset]:
    """Every data set ``sample.entities`` names, from one catalog of ``sample.n_tracks`` tracks."""
    unknown = sorted(set(sample.entities) - set(DATASETS))
    if unknown:
        raise ConfigError(f"sample.entities: unknown data sets {unknown} (known: {DATASETS})")
    builder, tracks, golden, feed, writers = build_catalog_and_works(
        sample.n_tracks, seed=sample.seed
    )
    credits, credit_truth = generate_credits(builder, tracks, writers, seed=sample.seed)
    out: dict[str, SampleDataset] = {}
    # from the clean tracks: a video shows a recording, a release lists its tracks
    if "videos" in sample.entities:
        from jobs.samples.videos import generate_videos, inject_bad_videos

        videos, video_golden = generate_videos(
            tracks, golden, seed=sample.seed, video_rate=sample.video_rate
        )
        videos, spoiled = inject_bad_videos(videos, sample.bad_row_rate, seed=sample.seed)
        out["videos"] = SampleDataset(videos, video_golden, spoiled)
    if "releases" in sample.entities:
        from jobs.samples.releases import generate_releases, inject_bad_releases

        releases, release_golden = generate_releases(tracks, golden, seed=sample.seed)
        releases, spoiled = inject_bad_releases(releases, sample.bad_row_rate, seed=sample.seed)
        out["releases"] = SampleDataset(releases, release_golden, spoiled)
    relations, relation_truth = generate_relations(tracks, golden, seed=sample.seed)
    relations, spoiled = inject_bad_relations(relations, sample.bad_row_rate, seed=sample.seed)
    out["declared_relations"] = SampleDataset(relations, None, spoiled)
    out["relation_truth"] = SampleDataset(relation_truth, None, {})
    tracks, spoiled = inject_bad_rows(tracks, sample.bad_row_rate, seed=sample.seed)
    tracks = tracks.assign(genre=None)[TRACK_INPUT.fieldNames()]  # the generator invents no genres
    out["tracks"] = SampleDataset(tracks, golden, spoiled)
    out["publisher_works"] = SampleDataset(feed, None, {})  # a feed: no truth of its own
    credits, spoiled = inject_bad_credits(credits, sample.bad_row_rate, seed=sample.seed)
    out["credits"] = SampleDataset(credits, None, spoiled)
    out["credit_truth"] = SampleDataset(credit_truth, None, {})
    return {name: out[name] for name in DATASETS if name in out and name in sample.entities}
