"""rShort hold-out benchmark: does the right video perform the left video's work?

The data is SHS100K's rShort pair file (see ../shared/datasets/README.md,
section shs100k): 7,060 labelled pairs of YouTube videos. The left video
carries its SecondHandSongs work title and performer, both videos their video
title and channel name. Label 1 means both perform the same work (covers and
live versions included), so the song title decides, not the performer.

    .venv/bin/python -m jobs._quality_rshort --datasets-dir ../shared/datasets

(or spark-submit jobs/_quality_rshort.py --datasets-dir ...; it takes the
jobs' --profile and --set too.)

What runs, in order:

1. The serialisation ``COL attr VAL value ...<TAB>COL attr VAL value ...<TAB>label``
   is parsed; a malformed line raises :class:`RShortFormatError` naming its
   line number and field.
2. Split: a pair goes to the hold-out part when a seeded hash of the left
   video's normalised work title falls below ``holdout_fraction``. Every pair
   about one left work (by title) sits on one side, so the model never sees
   that work's labels before it is scored on them, and the split does not
   depend on the file's line order.
3. Features, on Spark: the distinct videos (title, channel) go through the
   project's own parser (``features.videos``: with_channel_features,
   with_title_features, with_artist_features, as build_video_features chains
   them), the distinct SHS works through ``features.tracks.core_title`` and
   ``normalize_artist``; both in one DataFrame, collected to pandas once.
4. Methods. ``splink_title_model``: a Splink 5 link_only model on DuckDB
   (left videos x right videos, one blocking rule on the pair id, so exactly
   the labelled pairs are scored) with three comparisons, see
   :func:`rshort_settings`: the SHS work title (and the alternatives its
   brackets and slashes set apart) against the right's parsed title, its
   parts and its words; the two parsed video titles; the SHS performer
   credited on the right. m from the train part's matching pairs
   (``estimate_m_from_pairwise_labels``), u from random sampling of train
   videos; the score is Splink's match weight. ``fuzzy_title_baseline``:
   jellyfish's Jaro-Winkler similarity of the two raw, lower-cased video titles.
5. Each method's threshold is the one that maximises F1 on the train part;
   precision, recall and F1 are reported on both parts at that threshold.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jellyfish
import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from features.schemas import VIDEO_INPUT
from features.text import compact_key, normalize_text
from features.tracks import core_title, normalize_artist
from features.videos import with_artist_features, with_channel_features, with_title_features
from jobs._runtime import PROJECT_ROOT, ResolutionError, load_config, start_job, text_table
from splink_models import pair_evaluation
from splink_models.pair_evaluation import LabelledScore, PairFigures

logger = logging.getLogger(__name__)

DATASET = "shs100k-rShort"
RSHORT_FILE = Path("shs100k") / "rShort-train.txt"
DEFAULT_DATASETS_DIR = Path(
    os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets")
)
MODEL_METHOD = "splink_title_model"
BASELINE_METHOD = "fuzzy_title_baseline"
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


# --- features, on Spark -----------------------------------------------------------------

# Brackets and slashes set a work title's alternatives apart (a Java regex: Spark's split).
WORK_TITLE_PIECES = r"[()\[\]{}/]"
# The parser's input: the video contract's title and channel.
VIDEOS_TO_PARSE = StructType([VIDEO_INPUT["title"], VIDEO_INPUT["channel_name"]])
# The left video's SecondHandSongs work.
WORKS_TO_PARSE = StructType(
    [StructField("shs_title", StringType()), StructField("shs_performer", StringType())]
)
VIDEO_COLUMNS = (
    "title_norm",
    "core_title",
    "core_title_key",
    "title_parts",
    "title_part_keys",
    "artist_keys",
    "channel_artist_key",
)
WORK_COLUMNS = ("work_title", "work_titles", "work_title_keys", "performer", "performer_key")
# One row per pair and side; the left side also carries the SHS work title and performer.
FEATURE_COLUMNS = ("pair_id", "is_left", *WORK_COLUMNS, *VIDEO_COLUMNS)
# (title, channel) of a video; (work title, performer) of a work.
Key = tuple[str | None, str | None]


def work_title_alternatives(work_title: Column, title: Column) -> Column:
    """The normalised work title and the pieces brackets and slashes set apart, distinct; null if none.

    "Les feuilles mortes (Autumn Leaves)" -> its whole title, "les feuilles
    mortes", "autumn leaves".
    """
    pieces = F.transform(F.split(F.coalesce(title, F.lit("")), WORK_TITLE_PIECES), normalize_text)
    alternatives = F.array_distinct(
        F.filter(F.concat(F.array(work_title), pieces), lambda t: t.isNotNull())
    )
    return F.when(F.size(alternatives) > 0, alternatives)


def with_work_features(df: DataFrame, *, generic_titles: tuple[str, ...] = ()) -> DataFrame:
    """The SHS work title as the track features read a title; the performer as an artist."""
    return (
        df.withColumn("work_title", core_title(F.col("shs_title"), generic_titles))
        .withColumn("work_titles", work_title_alternatives(F.col("work_title"), F.col("shs_title")))
        .withColumn("work_title_keys", F.transform("work_titles", compact_key))
        .withColumn("performer", normalize_artist(F.col("shs_performer")))
        .withColumn("performer_key", compact_key(F.col("performer")))
    )


def _as_list(value: Any) -> Any:
    """An array cell as a Python list (toPandas gives numpy arrays when Arrow is on)."""
    return value.tolist() if isinstance(value, np.ndarray) else value


@dataclass(frozen=True)
class ParsedVideos:
    """The features of every distinct video (by title and channel) and work (by title and performer)."""

    videos: Mapping[Key, Mapping[str, Any]]
    works: Mapping[Key, Mapping[str, Any]]

    def side(
        self, pair_id: int, attributes: Mapping[str, str | None], *, is_left: bool
    ) -> dict[str, Any]:
        """A pair side's feature row; only the left video has a work."""
        video = self.videos[(attributes["video title"], attributes["channel name"])]
        work = (
            self.works[(attributes["title"], attributes["performer"])]
            if is_left
            else dict.fromkeys(WORK_COLUMNS)
        )
        return {**video, **work, "pair_id": pair_id, "is_left": is_left}


def parse_videos(
    spark: SparkSession,
    pairs: Sequence[RShortPair],
    generic_values: Mapping[str, Sequence[str]],
) -> ParsedVideos:
    """Every distinct video of ``pairs`` through build_video_features' stages, on Spark.

    The works go through core_title and normalize_artist in the same job;
    the two are unioned and collected to pandas once.
    """
    videos = {
        (side["video title"], side["channel name"]): None
        for pair in pairs
        for side in (pair.left, pair.right)
    }
    works = {(pair.left["title"], pair.left["performer"]): None for pair in pairs}
    generic_artists = tuple(generic_values.get("artist", ()))
    generic_titles = tuple(generic_values.get("title", ()))
    video_features = (
        spark.createDataFrame(list(videos), VIDEOS_TO_PARSE)
        .transform(with_channel_features, generic_artists=generic_artists)
        .transform(with_title_features, generic_titles=generic_titles)
        .transform(with_artist_features, generic_artists=generic_artists)
        .select(F.lit(False).alias("is_work"), "title", "channel_name", *VIDEO_COLUMNS)
    )
    work_features = (
        spark.createDataFrame(list(works), WORKS_TO_PARSE)
        .transform(with_work_features, generic_titles=generic_titles)
        .select(
            F.lit(True).alias("is_work"),
            F.col("shs_title").alias("title"),
            F.col("shs_performer").alias("channel_name"),
            *WORK_COLUMNS,
        )
    )
    # A work rides in the title and channel columns; is_work tells the two apart.
    collected = video_features.unionByName(work_features, allowMissingColumns=True).toPandas()
    parsed: dict[bool, dict[Key, Mapping[str, Any]]] = {False: {}, True: {}}
    for row in collected.to_dict("records"):
        is_work = bool(row["is_work"])
        names = WORK_COLUMNS if is_work else VIDEO_COLUMNS
        parsed[is_work][(row["title"], row["channel_name"])] = {
            name: _as_list(row[name]) for name in names
        }
    result = ParsedVideos(videos=parsed[False], works=parsed[True])
    if len(result.videos) != len(videos) or len(result.works) != len(works):
        raise ResolutionError(
            f"Spark returned features for {len(result.videos)} of {len(videos)} videos and "
            f"{len(result.works)} of {len(works)} works"
        )
    return result


def feature_tables(
    pairs: Sequence[RShortPair], parsed: ParsedVideos
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(left videos, right videos), one row per pair on each side, ``pair_id`` = line number."""
    left = [parsed.side(p.line_number, p.left, is_left=True) for p in pairs]
    right = [parsed.side(p.line_number, p.right, is_left=False) for p in pairs]
    return pd.DataFrame(left, columns=FEATURE_COLUMNS), pd.DataFrame(right, columns=FEATURE_COLUMNS)


# --- the Splink model -----------------------------------------------------------------

LEFT_TABLE, RIGHT_TABLE = "rshort_left", "rshort_right"
# Random pairs of train videos for u; one chunk, as splink_models.engine does.
MAX_PAIRS_FOR_U = 300_000
# A level no train match falls into keeps this m instead of 0 (an infinite weight).
M_FLOOR = 1e-4


def left_side(template: str) -> str:
    """SQL with the left video (the one with the SHS work) as ``{a}`` and the right as ``{b}``.

    Splink orders a pair's records by source and id, not by our left/right, so
    ``is_left`` says which side is which (as ``video_side`` in the video model).
    """
    return (
        f"(CASE WHEN is_left_l THEN {template.format(a='_l', b='_r')} "
        f"ELSE {template.format(a='_r', b='_l')} END)"
    )


def _word_in(needle: str, haystack: str) -> str:
    """Whether normalised text ``needle`` occurs as whole words in ``haystack``."""
    return f"contains(' ' || {haystack} || ' ', ' ' || {needle} || ' ')"


def _word_coverage(words: str, text: str) -> str:
    """Share of the distinct words of ``words`` that occur in ``text`` (both normalised)."""
    mine = f"list_distinct(string_split({words}, ' '))"
    return f"(len(list_intersect({mine}, string_split({text}, ' '))) / len({mine}))"


def work_title_comparison() -> cl.CustomComparison:
    """The left's SHS work title (and its alternatives) against the right video's title."""
    alternative_in_title = (
        "len(list_filter(work_titles{a}, lambda t: " + _word_in("t", "title_norm{b}") + ")) > 0"
    )
    part_in_work = (
        "len(list_filter(title_parts{b}, lambda p: contains(p, ' ') AND "
        + _word_in("p", "work_title{a}")
        + ")) > 0"
    )
    return cl.CustomComparison(
        output_column_name="work_title",
        comparison_description="SHS work title (left) vs the right video's title",
        comparison_levels=[
            cll.CustomLevel(
                left_side("(work_title_keys{a} IS NULL OR title_norm{b} IS NULL)"),
                label_for_charts="No work title or no video title",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                left_side("list_contains(work_title_keys{a}, core_title_key{b})"),
                label_for_charts="The parsed title is the work title (or an alternative)",
            ),
            cll.CustomLevel(
                left_side("list_has_any(work_title_keys{a}, title_part_keys{b})"),
                label_for_charts="A part of the video title is the work title (or an alternative)",
            ),
            cll.CustomLevel(
                left_side(_word_in("work_title{a}", "title_norm{b}")),
                label_for_charts="The work title's words appear in the video title, in order",
            ),
            cll.CustomLevel(
                left_side(alternative_in_title),
                label_for_charts="An alternative title appears in the video title",
            ),
            cll.CustomLevel(
                left_side(part_in_work),
                label_for_charts="A part of the video title (2+ words) appears in the work title",
            ),
            cll.CustomLevel(
                left_side("jaro_winkler_similarity(work_title{a}, core_title{b}) >= 0.9"),
                label_for_charts="Parsed title Jaro-Winkler >= 0.9",
            ),
            cll.CustomLevel(
                left_side(f"{_word_coverage('work_title{a}', 'title_norm{b}')} >= 0.75"),
                label_for_charts="3/4 of the work title's words appear in the video title",
            ),
            cll.CustomLevel(
                left_side("jaro_winkler_similarity(work_title{a}, core_title{b}) >= 0.75"),
                label_for_charts="Parsed title Jaro-Winkler >= 0.75",
            ),
            cll.ElseLevel(),
        ],
    )


def video_title_comparison() -> cl.CustomComparison:
    """The two videos' parsed titles: the left video may spell the work otherwise than SHS."""
    either_part = (
        "(list_contains(title_part_keys_r, core_title_key_l) "
        "OR list_contains(title_part_keys_l, core_title_key_r))"
    )
    either_in = f"({_word_in('core_title_l', 'title_norm_r')} OR {_word_in('core_title_r', 'title_norm_l')})"
    return cl.CustomComparison(
        output_column_name="video_title",
        comparison_description="Parsed video title vs parsed video title",
        comparison_levels=[
            cll.CustomLevel(
                "core_title_key_l IS NULL OR core_title_key_r IS NULL",
                label_for_charts="A video title without a song",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "core_title_key_l = core_title_key_r", label_for_charts="Same parsed title"
            ),
            cll.CustomLevel(either_part, label_for_charts="One's title is a part of the other's"),
            cll.CustomLevel(either_in, label_for_charts="One's title appears in the other's"),
            cll.JaroWinklerLevel("core_title", 0.9),
            cll.JaroWinklerLevel("core_title", 0.75),
            cll.ElseLevel(),
        ],
    )


def performer_comparison() -> cl.CustomComparison:
    """The left's SHS performer credited on the right video (live versions, re-uploads)."""
    credited = (
        "(list_contains(artist_keys{b}, performer_key{a}) OR performer_key{a} = channel_artist_key{b}"
        " OR list_contains(title_part_keys{b}, performer_key{a}))"
    )
    return cl.CustomComparison(
        output_column_name="performer",
        comparison_description="SHS performer (left) credited on the right video",
        comparison_levels=[
            cll.CustomLevel(
                left_side("performer_key{a} IS NULL"), label_for_charts="No performer"
            ).configure(is_null_level=True),
            cll.CustomLevel(
                left_side(credited), label_for_charts="Performer is a credit or channel"
            ),
            cll.CustomLevel(
                left_side(_word_in("performer{a}", "title_norm{b}")),
                label_for_charts="Performer's name appears in the video title",
            ),
            cll.ElseLevel(),
        ],
    )


def rshort_settings(match_rate: float) -> SettingsCreator:
    """link_only between left and right videos, scoring exactly the listed pairs.

    ``match_rate`` is the prior: the share of matching pairs among the listed
    ones (not among all left x right pairs), so that match_probability is
    calibrated to the kind of pairs being scored. The work-title and
    video-title comparisons are not independent (both see the song), so the
    weights overstate agreement on both; the threshold, chosen on train,
    absorbs that.
    """
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="pair_id",
        probability_two_random_records_match=match_rate,
        comparisons=[work_title_comparison(), video_title_comparison(), performer_comparison()],
        blocking_rules_to_generate_predictions=[block_on("pair_id")],
        retain_intermediate_calculation_columns=False,
    )


def _linker(
    left: pd.DataFrame, right: pd.DataFrame, settings: SettingsCreator | dict[str, Any]
) -> tuple[Linker, DuckDBAPI]:
    """A linker over the left and right tables in a fresh in-memory DuckDB."""
    connection = duckdb.connect()
    connection.execute("SET threads TO 1")  # reproducible u sampling and float sums
    db_api = DuckDBAPI(connection=connection)
    tables = [
        db_api.register(left, dataset_display_name=LEFT_TABLE),
        db_api.register(right, dataset_display_name=RIGHT_TABLE),
    ]
    return Linker(tables, settings, log_level=logging.WARNING), db_api


def _floor_m(model: dict[str, Any]) -> dict[str, Any]:
    """Give levels that no train match reached a small m (unseen is rare, not impossible).

    The m of each comparison are then scaled to sum to 1 again.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            level["m_probability"] = max(level.get("m_probability") or 0.0, M_FLOOR)
        total = sum(level["m_probability"] for level in levels)
        for level in levels:
            level["m_probability"] /= total
    return model


def train_model(
    left: pd.DataFrame, right: pd.DataFrame, labels: Sequence[int], *, seed: int
) -> dict[str, Any]:
    """The model JSON: u from random left x right train pairs, m from the train matches."""
    match_rate = sum(labels) / len(labels)
    linker, db_api = _linker(left, right, rshort_settings(match_rate))
    linker.training.estimate_u_using_random_sampling(
        max_pairs=MAX_PAIRS_FOR_U, seed=seed, num_chunks=1, min_count_per_level=None
    )
    matches = [pid for pid, label in zip(left["pair_id"], labels, strict=True) if label == 1]
    pairwise_labels = pd.DataFrame(
        {
            "source_dataset_l": LEFT_TABLE,
            "pair_id_l": matches,
            "source_dataset_r": RIGHT_TABLE,
            "pair_id_r": matches,
        }
    )
    linker.training.estimate_m_from_pairwise_labels(
        db_api.register(pairwise_labels, table_name="rshort_train_matches")
    )
    return _floor_m(linker.misc.save_model_to_json())


def score_pairs(left: pd.DataFrame, right: pd.DataFrame, model: dict[str, Any]) -> dict[int, float]:
    """pair_id -> match weight of every listed pair (the model's blocking rule is the pair id)."""
    linker, _ = _linker(left, right, model)
    scored = linker.inference.predict(warning_mode="never").as_pandas_dataframe()
    weights = dict(
        zip(scored["pair_id_l"].astype(int), scored["match_weight"].astype(float), strict=True)
    )
    missing = set(left["pair_id"]) - set(weights)
    if missing:
        raise ResolutionError(
            f"Splink scored no weight for {len(missing)} pairs, e.g. {min(missing)}"
        )
    return weights


def model_scores(
    train: Sequence[RShortPair],
    holdout: Sequence[RShortPair],
    parsed: ParsedVideos,
    *,
    seed: int,
) -> tuple[list[float], list[float]]:
    """Match weights of the train and hold-out pairs from a model trained on train only."""
    train_left, train_right = feature_tables(train, parsed)
    model = train_model(train_left, train_right, [p.label for p in train], seed=seed)
    scores = []
    for part, (left, right) in (
        (train, (train_left, train_right)),
        (holdout, feature_tables(holdout, parsed)),
    ):
        weights = score_pairs(left, right, model)
        scores.append([weights[p.line_number] for p in part])
    return scores[0], scores[1]


# --- the baseline -----------------------------------------------------------------------


def fuzzy_title_score(pair: RShortPair) -> float:
    """Jaro-Winkler similarity of the two raw video titles, lower-cased."""
    left, right = (side["video title"] or "" for side in (pair.left, pair.right))
    return jellyfish.jaro_winkler_similarity(left.lower(), right.lower())


# --- thresholds and figures --------------------------------------------------------------


def _labelled(scores: Sequence[float], labels: Sequence[int]) -> list[LabelledScore]:
    return [LabelledScore(label=y, score=s) for s, y in zip(scores, labels, strict=True)]


def figures_at(scores: Sequence[float], labels: Sequence[int], threshold: float) -> PairFigures:
    """Pairwise precision, recall and F1 when every pair scoring >= ``threshold`` is a match."""
    return pair_evaluation.figures_at(_labelled(scores, labels), threshold)


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The score threshold (match if score >= it) with the highest F1; ties go to the higher one.

    Only the labels given are read, so passing the train part is what keeps
    the hold-out unseen. The threshold is a score itself (rShort scores every
    pair, there is no gap to split).
    """
    if not scores:
        raise ValueError("no scores to choose a threshold from")
    return pair_evaluation.best_point(_labelled(scores, labels)).threshold


# --- the benchmark -------------------------------------------------------------------------


def method_rows(
    method: str,
    train_scores: Sequence[float],
    train: Sequence[RShortPair],
    holdout_scores: Sequence[float],
    holdout: Sequence[RShortPair],
) -> list[dict[str, Any]]:
    """A method's train and hold-out rows, both at the threshold chosen on train."""
    threshold = best_threshold(train_scores, [p.label for p in train])
    rows = []
    for split, scores, part in (
        ("train", train_scores, train),
        ("holdout", holdout_scores, holdout),
    ):
        figures = figures_at(scores, [p.label for p in part], threshold)
        rows.append(
            {
                "dataset": DATASET,
                "method": method,
                "split": split,
                "precision": round(figures.precision, 4),
                "recall": round(figures.recall, 4),
                "f1": round(figures.f1, 4),
                "threshold": round(threshold, 4),
                "n_pairs": figures.n_pairs,
                "n_matches": figures.n_matches,
            }
        )
    return rows


def default_generic_values() -> Mapping[str, Sequence[str]]:
    """The video entity's generic values from conf/ (local profile)."""
    videos = load_config("local").videos
    return videos.generic_values if videos else {}


def rshort_rows(
    spark: SparkSession,
    datasets_dir: Path,
    seed: int = 17,
    holdout_fraction: float = 0.3,
    *,
    generic_values: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """Train and hold-out precision/recall/F1 of the Splink title model and the fuzzy baseline.

    Args:
        spark: Parses the video titles (the project's feature code is Spark code).
        datasets_dir: The folder holding ``shs100k/rShort-train.txt``.
        seed: Seeds the split and Splink's u sampling.
        holdout_fraction: Expected share of left works (and so of pairs) held out.
        generic_values: Titles and artists that carry no identity; conf/'s video
            generic values by default.

    Returns:
        One row per method and split (train, holdout), each with the threshold
        chosen on train: dataset, method, split, precision, recall, f1,
        threshold, n_pairs, n_matches.
    """
    started = time.perf_counter()
    path = Path(datasets_dir) / RSHORT_FILE
    if not path.is_file():
        raise ResolutionError(
            f"{path} not found: give --datasets-dir the folder that holds {RSHORT_FILE}"
        )
    pairs = read_rshort(path)
    train, holdout = split_pairs(pairs, seed=seed, holdout_fraction=holdout_fraction)
    logger.info("rShort: %d pairs, %d train, %d hold-out", len(pairs), len(train), len(holdout))

    generic = default_generic_values() if generic_values is None else generic_values
    parsing = time.perf_counter()
    parsed = parse_videos(spark, pairs, generic)
    logger.info(
        "parsed %d distinct videos and %d works on Spark in %.1f s",
        len(parsed.videos),
        len(parsed.works),
        time.perf_counter() - parsing,
    )
    model_train, model_holdout = model_scores(train, holdout, parsed, seed=seed)
    rows = method_rows(MODEL_METHOD, model_train, train, model_holdout, holdout)
    rows += method_rows(
        BASELINE_METHOD,
        [fuzzy_title_score(p) for p in train],
        train,
        [fuzzy_title_score(p) for p in holdout],
        holdout,
    )
    logger.info("rShort benchmark took %.1f s", time.perf_counter() - started)
    return rows


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as an aligned text table."""
    columns = ("method", "split", "precision", "recall", "f1", "threshold", "n_pairs", "n_matches")
    return text_table(rows, columns)


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
        parser.add_argument("--seed", type=int, default=17)
        parser.add_argument("--holdout-fraction", type=float, default=0.3)

    ctx = start_job(__doc__, argv, extra, entity=False)
    args, videos = ctx.args, ctx.cfg.videos
    started = time.perf_counter()
    try:
        rows = rshort_rows(
            ctx.spark,
            args.datasets_dir,
            seed=args.seed,
            holdout_fraction=args.holdout_fraction,
            generic_values=videos.generic_values if videos else {},
        )
    finally:
        ctx.spark.stop()
    logger.info(
        "%s (threshold chosen on train; seed %d)\n%s\n%.1f s",
        DATASET,
        args.seed,
        format_table(rows),
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    main()
