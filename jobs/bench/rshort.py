"""rShort hold-out benchmark: the production link model on real music-video metadata.

The data is SHS100K's rShort pair file (see ../shared/datasets/README.md,
section shs100k): 7,060 labelled pairs of YouTube videos. The left video
carries its SecondHandSongs work title and performer (what a catalog knows
of a song), the right video only its video title and channel name (what a
video platform shows). Label 1 means both perform the same work, covers and
live versions included.

The pairs go through the project's own link stages, as a catalog's videos
would, with a link entity of the config (``rshort.entity`` in
conf/bench_quality.yaml; the demo's video model) and the entity it links to:

1. The serialisation ``COL attr VAL value ...<TAB>COL attr VAL value ...<TAB>label``
   is parsed; a malformed line raises :class:`RShortFormatError` naming its
   line number and field.
2. Split: a pair goes to the hold-out part when a seeded hash of the left
   video's normalised work title falls below ``holdout_fraction``; every pair
   about one work sits on one side.
3. Tables, in a scratch warehouse: each distinct left (work title, performer)
   is a record of the linked entity (title, artists) and its own group (no
   duplicates to resolve); each distinct right (video title, channel) is a
   record of the link entity. Both go through the features stage.
4. The link model is trained on them (the train stage: prior, u, EM; no label
   is used) and the resolve stage scores the candidate pairs its blocking
   rules generate. A labelled pair blocking never generates is a predicted
   non-match.
5. The threshold that maximises F1 on the train part is chosen; train and
   hold-out are reported at it, with the fuzzy title baseline (Jaro-Winkler of
   the two raw video titles, its own threshold chosen the same way).

The video model links a video to a *recording*: a cover by another artist or
a live video of a studio track is, by design, not a match for it, while
rShort labels them matches of the work. Its recall here is bounded by that;
the figures say how the parser and the title and artist evidence hold up on
real titles, not how works are found (that is the works entity's job).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jellyfish
from pyspark.sql import SparkSession

from features.errors import ConfigError, ResolutionError
from features.schemas import conform
from jobs.runtime.config import PROJECT_ROOT, AppConfig
from jobs.runtime.delta import read_table, write_table
from jobs.runtime.output import rounded
from jobs.stages.common import contracts
from jobs.stages.features import build_features
from jobs.stages.resolve import resolve
from jobs.stages.train import train
from splink_models.pair_evaluation import LabelledScore, choose_and_report

logger = logging.getLogger(__name__)

DATASET = "shs100k-rShort"
RSHORT_FILE = Path("shs100k") / "rShort-train.txt"
DEFAULT_DATASETS_DIR = Path(
    os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets")
)
BASELINE_METHOD = "fuzzy title baseline"
MASK = "[MASK]"


class RShortFormatError(ResolutionError):
    """A line of the rShort file does not follow its serialisation."""


# --- the serialisation ------------------------------------------------------------

FIELDS = ("title", "performer", "video title", "channel name")
_FIELD_PATTERN = re.compile(r"COL (" + "|".join(re.escape(f) for f in FIELDS) + r") VAL ?")
# The file escapes commas (and backslashes) inside values with a backslash.
_ESCAPED = re.compile(r"\\(.)")


@dataclass(frozen=True)
class RShortPair:
    """One labelled pair; attribute values are unescaped, "[MASK]" and blanks become None."""

    line_number: int
    left: Mapping[str, str | None]
    right: Mapping[str, str | None]
    label: int


def _unescape(value: str) -> str | None:
    value = _ESCAPED.sub(r"\1", value).strip()
    return None if value in ("", MASK) else value


def parse_video_side(text: str, *, line_number: int, side: str) -> dict[str, str | None]:
    """'COL title VAL x COL performer VAL y ...' -> {'title': 'x', ...}, every field once, in order."""
    pieces = _FIELD_PATTERN.split(text)
    where = f"line {line_number}, {side} video"
    if pieces[0].strip():
        raise RShortFormatError(
            f"{where}: text before the first 'COL <field> VAL': {pieces[0].strip()[:40]!r}"
        )
    names, values = pieces[1::2], pieces[2::2]
    if tuple(names) != FIELDS:
        missing = [f for f in FIELDS if f not in names]
        raise RShortFormatError(
            f"{where}: expected the fields {', '.join(FIELDS)} in this order, got "
            f"{', '.join(names) or 'none'}"
            + (f" (missing field {', '.join(repr(m) for m in missing)})" if missing else "")
        )
    return {name: _unescape(value) for name, value in zip(names, values, strict=True)}


def parse_rshort_line(line: str, line_number: int) -> RShortPair:
    """One line of the file: left video, right video and label, separated by tabs."""
    columns = line.rstrip("\r\n").split("\t")
    if len(columns) != 3:
        raise RShortFormatError(
            f"line {line_number}: expected 3 tab-separated fields (left video, right video, "
            f"label), got {len(columns)}"
        )
    left_text, right_text, label = columns
    if label.strip() not in ("0", "1"):
        raise RShortFormatError(f"line {line_number}, field label: expected 0 or 1, got {label!r}")
    left = parse_video_side(left_text, line_number=line_number, side="left")
    right = parse_video_side(right_text, line_number=line_number, side="right")
    if left["title"] is None:
        raise RShortFormatError(
            f"line {line_number}, left video, field title: the work title is missing"
        )
    return RShortPair(line_number, left, right, int(label))


def read_rshort(path: Path) -> list[RShortPair]:
    """Every pair of the file, in file order (blank lines are skipped)."""
    with path.open(encoding="utf-8") as handle:
        return [
            parse_rshort_line(line, number)
            for number, line in enumerate(handle, start=1)
            if line.strip()
        ]


# --- the split ------------------------------------------------------------------


def _split_key(pair: RShortPair) -> str:
    """What keeps pairs together: the left video's work title, folded and without punctuation."""
    title = unicodedata.normalize("NFKD", pair.left["title"] or "").casefold()
    return " ".join(re.findall(r"[^\W_]+", title))


def in_holdout(pair: RShortPair, *, seed: int, holdout_fraction: float) -> bool:
    """A stable, seeded coin per left work: sha256(seed, work) below the hold-out fraction."""
    digest = hashlib.sha256(f"{seed}\x1f{_split_key(pair)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < holdout_fraction


def split_pairs(
    pairs: Sequence[RShortPair], *, seed: int, holdout_fraction: float
) -> tuple[list[RShortPair], list[RShortPair]]:
    """(train, holdout); the same seed and pairs always give the same parts."""
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(
            f"holdout_fraction must lie strictly between 0 and 1, got {holdout_fraction}"
        )
    holdout = [p for p in pairs if in_holdout(p, seed=seed, holdout_fraction=holdout_fraction)]
    held = {p.line_number for p in holdout}
    return [p for p in pairs if p.line_number not in held], holdout


# --- tables for the link stages ------------------------------------------------------------


def _key(*values: str | None) -> str:
    return hashlib.sha256("\x1f".join(v or "" for v in values).encode()).hexdigest()[:16]


def target_id(pair: RShortPair) -> str:
    """The left side's record: one per distinct (work title, performer)."""
    return "shs-" + _key(pair.left["title"], pair.left["performer"])


def record_id(pair: RShortPair) -> str:
    """The right side's record: one per distinct (video title, channel)."""
    return "yt-" + _key(pair.right["video title"], pair.right["channel name"])


def write_inputs(spark: SparkSession, cfg: AppConfig, entity: str, pairs: Sequence[RShortPair]):
    """The link entity's input (right videos) and its target's input and groups (left works)."""
    link = cfg.entity(entity)
    if link.link is None:
        raise ConfigError(f"rshort.entity: {entity!r} is a {link.kind} entity, not a link entity")
    target = cfg.entity(link.link.links_to)
    target_rows = {
        target_id(p): {
            target.id_column: target_id(p),
            "source": "shs",
            "title": p.left["title"],
            "artists": [p.left["performer"]] if p.left["performer"] else None,
        }
        for p in pairs
    }
    record_rows = {
        record_id(p): {
            link.id_column: record_id(p),
            "source": "youtube",
            "title": p.right["video title"],
            "channel_name": p.right["channel name"],
        }
        for p in pairs
    }
    for e, rows in ((target, target_rows), (link, record_rows)):
        contract = contracts(e).input
        frame = spark.createDataFrame(
            [tuple(row.get(f.name) for f in contract.fields) for row in rows.values()], contract
        )
        write_table(conform(frame, contract), cfg.table_path(e.input_table), contract)
    # every left work is a group of its own: there is nothing to deduplicate
    groups = contracts(target).groups
    ids = spark.createDataFrame([(i,) for i in target_rows], f"{target.id_column} string")
    frame = ids.selectExpr(
        target.id_column,
        f"{target.id_column} AS {target.group_column}",
        "CAST(1 AS BIGINT) AS group_size",
        f"{target.id_column} AS representative_{target.id_column}",
        "'rshort' AS run_id",
        "'none' AS model_version",
    )
    write_table(conform(frame, groups), cfg.table_path(target.groups_table), groups)
    return link, target


def model_scores(
    spark: SparkSession, cfg: AppConfig, entity: str, pairs: Sequence[RShortPair], run_id: str
) -> tuple[dict[tuple[str, str], float], str]:
    """Match weights of the candidate (record, target) pairs the link stages generate."""
    link, target = write_inputs(spark, cfg, entity, pairs)
    for e in (target, link):
        result = build_features(spark, cfg, e, run_id)
        logger.info("rShort %s: %d records -> %d features", e.name, result.n_input, result.n_features)
    model, path = train(spark, cfg, link, run_id)
    resolve(spark, cfg, link, run_id, str(path))
    scored = read_table(spark, cfg.table_path(link.pairs_table), contracts(link).pairs)
    rows = scored.select(link.id_column, target.id_column, "match_weight").collect()
    return {(r[0], r[1]): float(r[2]) for r in rows}, model.version

# --- the baseline -----------------------------------------------------------------------


def fuzzy_title_score(pair: RShortPair) -> float:
    """Jaro-Winkler similarity of the two raw video titles, lower-cased."""
    left, right = (side["video title"] or "" for side in (pair.left, pair.right))
    return jellyfish.jaro_winkler_similarity(left.lower(), right.lower())


# --- the benchmark -------------------------------------------------------------------------


def _rows(
    method: str, pairs: Sequence[LabelledScore], **extra: Any
) -> list[dict[str, Any]]:
    """Train and hold-out rows at the threshold that maximises F1 on train."""
    threshold, rows = choose_and_report(pairs, choose_on="train", report=("train", "holdout"))
    return [
        {
            "dataset": DATASET,
            "method": method,
            **rounded(row),
            "threshold": round(threshold, 4),
            **extra,
        }
        for row in rows
    ]


def rshort_rows(
    spark: SparkSession,
    cfg: AppConfig,
    datasets_dir: Path,
    *,
    entity: str,
    run_id: str,
    seed: int = 17,
    holdout_fraction: float = 0.3,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Train and hold-out precision/recall/F1 of the link model and the fuzzy baseline.

    Args:
        cfg: A config whose paths are the benchmark's scratch (its tables are replaced).
        entity: The link entity whose model is measured.
        limit: Only the file's first ``limit`` pairs (tests); all of them by default.
    """
    path = Path(datasets_dir) / RSHORT_FILE
    if not path.is_file():
        raise ResolutionError(
            f"{path} not found: give --datasets-dir the folder that holds {RSHORT_FILE}"
        )
    pairs = read_rshort(path)[:limit]
    train_part, holdout = split_pairs(pairs, seed=seed, holdout_fraction=holdout_fraction)
    logger.info("rShort: %d pairs, %d train, %d hold-out", len(pairs), len(train_part), len(holdout))
    split = {p.line_number: "holdout" for p in holdout}
    scores, version = model_scores(spark, cfg, entity, pairs, run_id)
    model = [
        LabelledScore(
            label=p.label,
            score=scores.get((record_id(p), target_id(p))),
            generated=(record_id(p), target_id(p)) in scores,
            split=split.get(p.line_number, "train"),
        )
        for p in pairs
    ]
    baseline = [
        LabelledScore(p.label, fuzzy_title_score(p), True, split.get(p.line_number, "train"))
        for p in pairs
    ]
    return [
        *_rows(f"{entity} model (link stages)", model, model_version=version),
        *_rows(BASELINE_METHOD, baseline, threshold_kind="jaro_winkler"),
    ]
