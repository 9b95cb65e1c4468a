"""Declared samples and interpolations between the sample catalog's recordings, with truth.

A sample database or a label says "track X samples recording Y" or "track X
interpolates song Z". ``generate_relations`` picks studio recordings that
sample or interpolate the studio recording of another artist's song, and
names each target as such feeds do: by a catalog track id, by the work's
ISWC (interpolations), or only by a title and an artist as one of the
target's tracks spells them. A share of the targets are not in the catalog
(a track id it does not hold, a record nobody delivered): their truth is
null and they must stay unresolved. ``inject_bad_relations`` spoils a few
rows the way feeds do. Draws come from ``random.Random(seed + 5)`` only.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pandas as pd

from features.identifiers import iswc_check_digit

RELATION_COLUMNS = (
    "relation_id",
    "source",
    "track_id",
    "relation_type",
    "target_track_id",
    "target_iswc",
    "target_title",
    "target_artist",
)
TRUTH_COLUMNS = ("relation_id", "target_truth")
RELATION_RATE = 0.06  # relations per studio recording
INTERPOLATION_SHARE = 0.4
MISSING_TARGET_EVERY = 16  # every 16th relation names a target the catalog does not hold
# how a sample's target is named; an interpolation's also by ISWC (when its work has one)
SAMPLE_TARGETS = {"track_id": 50, "title_artist": 50}
INTERPOLATION_TARGETS = {"iswc": 40, "track_id": 30, "title_artist": 30}
TYPE_SPELLINGS = {
    "SAMPLES": ("sample", "Sample", "SAMPLES", "sampled"),
    "INTERPOLATES": ("interpolation", "Interpolation", "INTERPOLATES"),
}
SOURCES = ("sample-db", "label")
BAD_RELATION_KINDS = ("missing_track", "unknown_type", "no_target", "invalid_iswc")
_MADE_UP = ("Crate Tape", "Basement Break", "Dusty Loop", "Lost Reel", "Library Cue")


def _draw(r: random.Random, weights: dict[str, int]) -> str:
    return r.choices(list(weights), list(weights.values()))[0]


def generate_relations(
    tracks: pd.DataFrame, golden: pd.DataFrame, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(declared relations, truth) between the studio recordings of ``tracks`` (clean, with golden)."""
    r = random.Random(seed + 5)
    t = tracks[["track_id", "title", "artists", "iswc"]].merge(
        golden[["track_id", "recording_id", "work_id", "recording_kind"]], on="track_id"
    )
    studio = t[t["recording_kind"] == "studio"]
    by_recording = {rec: g for rec, g in studio.groupby("recording_id", sort=True)}
    recordings = list(by_recording)
    iswc_of: dict[str, str] = {}
    for work, values in t.dropna(subset=["iswc"]).groupby("work_id", sort=True)["iswc"]:
        cleaned = Counter(re.sub(r"[^0-9A-Za-z]", "", v).upper() for v in values)
        iswc_of[work] = cleaned.most_common(1)[0][0]
    rows: list[tuple] = []
    truth: list[tuple[str, str | None]] = []
    n = max(10, round(len(recordings) * RELATION_RATE)) if len(recordings) > 1 else 0
    for i in range(n):
        a, b = r.sample(recordings, 2)
        ga, gb = by_recording[a], by_recording[b]
        first_artist = lambda g: (list(g["artists"].iloc[0]) or [""])[0]  # noqa: E731
        if ga["work_id"].iloc[0] == gb["work_id"].iloc[0] or first_artist(ga) == first_artist(gb):
            continue  # a song does not sample itself, nor (here) its own artist
        kind = "INTERPOLATES" if r.random() < INTERPOLATION_SHARE else "SAMPLES"
        work = gb["work_id"].iloc[0]
        target_truth: str | None = work if kind == "INTERPOLATES" else b
        how = _draw(r, INTERPOLATION_TARGETS if kind == "INTERPOLATES" else SAMPLE_TARGETS)
        if how == "iswc" and work not in iswc_of:
            how = "track_id"
        target = gb.iloc[r.randrange(len(gb))]
        target_id = iswc = title = artist = None
        if len(rows) % MISSING_TARGET_EVERY == MISSING_TARGET_EVERY // 2:
            target_truth = None
            if how == "track_id":
                target_id = f"missing-{i:06d}"
            else:
                how = "title_artist"
                title = f"{r.choice(_MADE_UP)} {r.randint(1, 999)}"
                artist = f"DJ {r.choice(_MADE_UP).split()[0]} {r.randint(1, 99)}"
        elif how == "track_id":
            target_id = target["track_id"]
        elif how == "iswc":
            iswc = iswc_of[work]
        else:
            title, artist = target["title"], (list(target["artists"]) or [None])[0]
        sampler = ga.iloc[r.randrange(len(ga))]
        relation_id = f"REL{len(rows) + 1:06d}"
        spelled = r.choice(TYPE_SPELLINGS[kind])
        rows.append(
            (
                relation_id,
                r.choice(SOURCES),
                sampler["track_id"],
                spelled,
                target_id,
                iswc,
                title,
                artist,
            )
        )
        truth.append((relation_id, target_truth))
    return (
        pd.DataFrame(rows, columns=list(RELATION_COLUMNS)),
        pd.DataFrame(truth, columns=list(TRUTH_COLUMNS)),
    )


def inject_bad_relations(
    relations: pd.DataFrame, rate: float, seed: int = 42
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Spoil a share of rows (at least one of each kind when rate > 0): no track, a type
    that is neither, no target at all, an ISWC failing its check."""
    r = random.Random(seed + 6)
    n_bad = min(len(relations), max(len(BAD_RELATION_KINDS), round(len(relations) * rate)))
    if rate <= 0:
        n_bad = 0
    out = relations.copy()
    counts: dict[str, int] = {}
    # an invalid ISWC goes on a row that names its target otherwise (so it stays resolvable)
    rows = r.sample(range(len(out)), n_bad)
    other = [i for i in range(len(out)) if i not in set(rows) and pd.isna(out.iat[i, 5])]
    for i, row in enumerate(rows):
        kind = BAD_RELATION_KINDS[i % len(BAD_RELATION_KINDS)]
        if kind == "invalid_iswc" and other:
            row = other[r.randrange(len(other))]
        counts[kind] = counts.get(kind, 0) + 1
        col = out.columns.get_loc
        if kind == "missing_track":
            out.iat[row, col("track_id")] = None
        elif kind == "unknown_type":
            out.iat[row, col("relation_type")] = "remake"
        elif kind == "no_target":
            for c in ("target_track_id", "target_iswc", "target_title", "target_artist"):
                out.iat[row, col(c)] = None
        else:  # an ISWC whose check digit is off beside the target: nulled, the target counts
            body = f"{(row * 7919) % 10**9:09d}"
            out.iat[row, col("target_iswc")] = f"T{body}{(iswc_check_digit(body) + 1) % 10}"
    return out, counts
