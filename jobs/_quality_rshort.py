"""rShort hold-out benchmark: does the right video perform the left video's work?

The data is SHS100K's rShort pair file (see ../shared/datasets/README.md,
section shs100k): 7,060 labelled pairs of YouTube videos. The left video
carries its SecondHandSongs work title and performer, both videos their video
title and channel name. Label 1 means both perform the same work (covers and
live versions included), so the song title decides, not the performer.

    .venv/bin/python -m jobs._quality_rshort --datasets-dir ../shared/datasets

What runs, in order:

1. The serialisation ``COL attr VAL value ...<TAB>COL attr VAL value ...<TAB>label``
   is parsed; a malformed line raises :class:`RShortFormatError` naming its
   line number and field.
2. Split: a pair goes to the hold-out part when a seeded hash of the left
   video's normalised work title falls below ``holdout_fraction``. Every pair
   about one left work (by title) sits on one side, so the model never sees
   that work's labels before it is scored on them, and the split does not
   depend on the file's line order.
3. Features: both video titles go through the project's own parser
   (``features.videos``: with_channel_features, with_title_features,
   with_artist_features, as build_video_features chains them) and the work
   title through ``features.tracks.core_title``. Those are Spark Column
   functions; here they run on Python, row by row, through
   :class:`PythonColumns` (a small evaluator of the Spark built-ins they use,
   with Java-regex semantics), so the benchmark needs no Spark session.
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
import builtins
import functools
import hashlib
import importlib.util
import inspect
import logging
import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import duckdb
import jellyfish
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from jobs._runtime import PROJECT_ROOT, ResolutionError, load_config, setup_logging

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


# --- the project's Column functions, evaluated on Python -------------------------------
#
# features/ is written against pyspark.sql.functions. To run it without a Spark
# session, private copies of features.text, features.tracks and features.videos
# are loaded whose ``F`` is _PythonFunctions: the same built-ins, evaluated
# eagerly on one row's Python values with Spark's null rules and Java's regex
# dialect. A built-in the evaluator does not know raises NotImplementedError,
# so a new function in features/ cannot be silently misread.

# Java's \p{..} names that map onto Python's unicodedata categories one to one.
_CATEGORY_NAMES = frozenset({"L", "Lu", "Ll", "N", "Nd", "P", "S", "So", "Z", "Zs"})
_JAVA_CLASSES = {"s": r" \t\n\x0b\x0c\r", "d": "0-9", "w": "a-zA-Z_0-9"}


@functools.cache
def _category_ranges() -> dict[str, list[tuple[int, int]]]:
    """Code-point ranges of every Unicode category ('Lu') and major category ('L'), one pass."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        for name in (category, category[0]):
            spans = ranges.setdefault(name, [])
            if spans and spans[-1][1] == code - 1:
                spans[-1] = (spans[-1][0], code)
            else:
                spans.append((code, code))
    return ranges


@functools.cache
def _category_class(category: str) -> str:
    """Character-class body (no brackets) of every code point in a Unicode (major) category."""
    return "".join(
        f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}"
        for a, b in _category_ranges()[category]
    )


@functools.cache
def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex (as Spark runs it) with Python's re.

    Translated: ``\\p{L}``-style categories, ``\\x{hhhh}``, and ``\\s \\d \\w``
    (ASCII-only in Java, Unicode in Python). Java constructs Python lacks raise.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            if escape in "pP":
                match = re.match(r"\{(\w+)\}|(\w)", pattern[i + 2 :])
                if not match:
                    raise NotImplementedError(f"unreadable \\{escape} in Java regex {pattern!r}")
                name = match.group(1) or match.group(2)
                if name not in _CATEGORY_NAMES or (in_class and escape == "P"):
                    raise NotImplementedError(f"\\{escape}{{{name}}} in Java regex {pattern!r}")
                body = _category_class(name)
                negate = "^" if escape == "P" else ""
                out.append(body if in_class else f"[{negate}{body}]")
                i += 2 + match.end()
                continue
            if escape == "x" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                out.append(f"\\U{int(pattern[i + 3 : end], 16):08x}")
                i = end + 1
                continue
            if escape in _JAVA_CLASSES:
                body = _JAVA_CLASSES[escape]
                out.append(body if in_class else f"[{body}]")
            elif escape in "SDW":
                if in_class:
                    raise NotImplementedError(f"\\{escape} inside a class in {pattern!r}")
                out.append(f"[^{_JAVA_CLASSES[escape.lower()]}]")
            elif escape in "QEGzZhHvVRXk":
                raise NotImplementedError(f"Java-only \\{escape} in regex {pattern!r}")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            if in_class:
                raise NotImplementedError(f"nested character class in Java regex {pattern!r}")
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        elif in_class and char in "&~|-" and pattern[i + 1 : i + 2] == char:
            if char == "&":
                raise NotImplementedError(f"class intersection in Java regex {pattern!r}")
            out.append("\\" + char)  # Python reads a doubled one as a future set operation
        else:
            out.append(char)
        i += 1
    return re.compile("".join(out))


@functools.cache
def _java_replacement(template: str) -> str | Callable[[re.Match[str]], str]:
    """Java's replacement string ('$1', '\\$') for re.sub: a function of the match, or literal text."""
    if "$" not in template and "\\" not in template:
        return template
    tokens = re.findall(r"\$(\d)|\\(.)|([^$\\]+)", template)

    def replace(match: re.Match[str]) -> str:
        return "".join(
            (match.group(int(group)) or "") if group else (escaped or text)
            for group, escaped, text in tokens
        )

    return replace


def _java_split(text: str, pattern: str, limit: int) -> list[str]:
    """Java's String.split(regex, limit) as Spark's split calls it (limit <= 0: no limit)."""
    pieces, start = [], 0
    for match in java_regex(pattern).finditer(text):
        if limit > 0 and len(pieces) == limit - 1:
            break
        if match.end() == 0:  # a zero-width match at the start makes no leading piece
            continue
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


class PyColumn:
    """One row's value of a Spark Column; None is SQL null. Operators follow Spark's null rules."""

    __slots__ = ("value",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: Any) -> None:
        self.value = value

    def __bool__(self) -> bool:
        raise ValueError("a Column has no truth value: use &, | and ~ (as in PySpark)")

    def __repr__(self) -> str:
        return f"PyColumn({self.value!r})"

    def _compare(self, other: Any, op: Callable[[Any, Any], bool]) -> PyColumn:
        a, b = self.value, _value(other)
        return PyColumn(None if a is None or b is None else op(a, b))

    def __eq__(self, other: Any) -> PyColumn:  # type: ignore[override]
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other: Any) -> PyColumn:  # type: ignore[override]
        return self._compare(other, lambda a, b: a != b)

    def __gt__(self, other: Any) -> PyColumn:
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> PyColumn:
        return self._compare(other, lambda a, b: a >= b)

    def __lt__(self, other: Any) -> PyColumn:
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other: Any) -> PyColumn:
        return self._compare(other, lambda a, b: a <= b)

    def __and__(self, other: Any) -> PyColumn:
        a, b = self.value, _value(other)
        if a is False or b is False:
            return PyColumn(False)
        return PyColumn(None if a is None or b is None else True)

    def __or__(self, other: Any) -> PyColumn:
        a, b = self.value, _value(other)
        if a is True or b is True:
            return PyColumn(True)
        return PyColumn(None if a is None or b is None else False)

    def __invert__(self) -> PyColumn:
        return PyColumn(None if self.value is None else not self.value)

    def isNull(self) -> PyColumn:  # noqa: N802 - PySpark's name
        return PyColumn(self.value is None)

    def isNotNull(self) -> PyColumn:  # noqa: N802
        return PyColumn(self.value is not None)

    def eqNullSafe(self, other: Any) -> PyColumn:  # noqa: N802
        return PyColumn(self.value == _value(other))

    def isin(self, *values: Any) -> PyColumn:
        candidates = [_value(v) for v in values]
        if self.value is None:
            return PyColumn(None)
        if self.value in candidates:
            return PyColumn(True)
        return PyColumn(None if None in candidates else False)

    def rlike(self, pattern: str) -> PyColumn:
        text = self.value
        return PyColumn(None if text is None else java_regex(pattern).search(text) is not None)

    def cast(self, data_type: str) -> PyColumn:
        expected = {"string": str, "array<string>": list}.get(data_type)
        if expected is None or not (self.value is None or isinstance(self.value, expected)):
            raise NotImplementedError(f"cast of {self.value!r} to {data_type} is not evaluated")
        return self


class _When(PyColumn):
    """F.when(...).when(...).otherwise(...): the first true condition's value."""

    __slots__ = ("decided",)

    def __init__(self, condition: Any, value: Any) -> None:
        self.decided = _value(condition) is True
        super().__init__(_value(value) if self.decided else None)

    def when(self, condition: Any, value: Any) -> _When:
        if self.decided:
            return self
        return _When(condition, value)

    def otherwise(self, value: Any) -> PyColumn:
        return PyColumn(self.value if self.decided else _value(value))


def _value(item: Any) -> Any:
    """A PyColumn's value, or a literal as it is."""
    return item.value if isinstance(item, PyColumn) else item


@functools.cache
def _translation_table(source: str, target: str) -> dict[int, str | None]:
    """Spark's translate: the first mapping of a character wins; past ``target`` it is deleted."""
    table: dict[int, str | None] = {}
    for i, char in enumerate(source):
        table.setdefault(ord(char), target[i] if i < len(target) else None)
    return table


def _arity(function: Callable[..., Any]) -> int:
    code = getattr(function, "__code__", None)
    if code is not None and not code.co_flags & inspect.CO_VARARGS:
        return code.co_argcount + code.co_kwonlyargcount
    return len(inspect.signature(function).parameters)


def _lambda(function: Callable[..., PyColumn]) -> Callable[[Any, int], Any]:
    """A higher-order function's lambda, given (element) or (element, index) as Spark does."""
    arity = _arity(function)
    if arity == 1:
        return lambda element, index: _value(function(PyColumn(element)))
    return lambda element, index: _value(function(PyColumn(element), PyColumn(index)))


def _null_in(function: Callable[..., Any]) -> Callable[..., PyColumn]:
    """A built-in that is null when any argument is null (most of Spark's)."""

    def evaluate(*args: Any) -> PyColumn:
        return PyColumn(None if any(a is None for a in args) else function(*args))

    return evaluate


class _PythonFunctions:
    """The pyspark.sql.functions built-ins that features/ uses, on one row at a time."""

    def __init__(self) -> None:
        self.row: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedError(
            f"F.{name} has no Python evaluation yet: add it to {type(self).__name__}"
        )

    def _column(self, item: Any) -> Any:
        """A column argument's value: a PyColumn, or a column name."""
        return self.row[item] if isinstance(item, str) else _value(item)

    def col(self, name: str) -> PyColumn:
        return PyColumn(self.row[name])

    def lit(self, value: Any) -> PyColumn:
        return PyColumn(_value(value))

    def when(self, condition: Any, value: Any) -> _When:
        return _When(condition, value)

    def coalesce(self, *columns: Any) -> PyColumn:
        return PyColumn(next((v for v in map(self._column, columns) if v is not None), None))

    # strings
    def lower(self, column: Any) -> PyColumn:
        return _null_in(str.lower)(self._column(column))

    def upper(self, column: Any) -> PyColumn:
        return _null_in(str.upper)(self._column(column))

    def trim(self, column: Any) -> PyColumn:
        return _null_in(lambda s: s.strip(" "))(self._column(column))  # Spark trims spaces only

    def length(self, column: Any) -> PyColumn:
        return _null_in(len)(self._column(column))

    def translate(self, column: Any, source: str, target: str) -> PyColumn:
        table = _translation_table(source, target)
        return _null_in(lambda s: s.translate(table))(self._column(column))

    def regexp_replace(self, column: Any, pattern: Any, replacement: Any) -> PyColumn:
        text = self._column(column)
        if text is None:
            return PyColumn(None)
        replace = _java_replacement(_value(replacement))
        return PyColumn(java_regex(_value(pattern)).sub(replace, text))

    def regexp_extract(self, column: Any, pattern: str, index: int) -> PyColumn:
        def extract(text: str) -> str:
            found = java_regex(pattern).search(text)
            return (found.group(index) or "") if found else ""

        return _null_in(extract)(self._column(column))

    def regexp_extract_all(self, column: Any, pattern: Any, index: Any = 1) -> PyColumn:
        compiled, group = java_regex(_value(pattern)), _value(index)
        return _null_in(lambda s: [m.group(group) or "" for m in compiled.finditer(s)])(
            self._column(column)
        )

    def split(self, column: Any, pattern: str, limit: int = -1) -> PyColumn:
        return _null_in(lambda s: _java_split(s, pattern, limit))(self._column(column))

    def concat_ws(self, separator: str, *columns: Any) -> PyColumn:
        pieces: list[str] = []
        for value in map(self._column, columns):
            items = value if isinstance(value, list) else [value]
            pieces.extend(item for item in items if item is not None)
        return PyColumn(separator.join(pieces))

    def concat(self, *columns: Any) -> PyColumn:
        values = [self._column(c) for c in columns]
        if any(v is None for v in values):
            return PyColumn(None)
        if values and all(isinstance(v, list) for v in values):
            return PyColumn([item for v in values for item in v])
        return PyColumn("".join(values))

    # arrays
    def array(self, *columns: Any) -> PyColumn:
        return PyColumn([self._column(c) for c in columns])

    def get(self, column: Any, index: Any) -> PyColumn:
        array, position = self._column(column), _value(index)
        if array is None or position is None or not 0 <= position < len(array):
            return PyColumn(None)
        return PyColumn(array[position])

    def size(self, column: Any) -> PyColumn:
        return _null_in(len)(self._column(column))  # ANSI mode (Spark 4's default): null -> null

    def slice(self, column: Any, start: int, length: int) -> PyColumn:
        def take(array: list[Any]) -> list[Any]:
            first = start - 1 if start > 0 else len(array) + start
            return array[max(first, 0) : max(first, 0) + length]

        return _null_in(take)(self._column(column))

    def transform(self, column: Any, function: Callable[..., PyColumn]) -> PyColumn:
        apply = _lambda(function)
        return _null_in(lambda a: [apply(x, i) for i, x in enumerate(a)])(self._column(column))

    def filter(self, column: Any, function: Callable[..., PyColumn]) -> PyColumn:
        keep = _lambda(function)
        return _null_in(lambda a: [x for i, x in enumerate(a) if keep(x, i) is True])(
            self._column(column)
        )

    def exists(self, column: Any, function: Callable[..., PyColumn]) -> PyColumn:
        test = _lambda(function)

        def any_true(array: list[Any]) -> bool | None:
            results = [test(x, i) for i, x in enumerate(array)]
            return True if True in results else (None if None in results else False)

        array = self._column(column)
        return PyColumn(None if array is None else any_true(array))

    def flatten(self, column: Any) -> PyColumn:
        def join(arrays: list[Any]) -> list[Any] | None:
            if any(a is None for a in arrays):
                return None
            return [item for a in arrays for item in a]

        return PyColumn(None if (v := self._column(column)) is None else join(v))

    def array_distinct(self, column: Any) -> PyColumn:
        return _null_in(lambda a: list(dict.fromkeys(a)))(self._column(column))

    def array_remove(self, column: Any, element: Any) -> PyColumn:
        target = _value(element)
        return _null_in(lambda a: [x for x in a if x is None or x != target])(self._column(column))

    def array_join(self, column: Any, delimiter: str) -> PyColumn:
        return _null_in(lambda a: delimiter.join(x for x in a if x is not None))(
            self._column(column)
        )


class _RowFrame:
    """The DataFrame methods that features/ chains (withColumn, transform, drop), on one row."""

    def __init__(self, functions: _PythonFunctions, row: Mapping[str, Any]) -> None:
        self._functions = functions
        functions.row = dict(row)

    @property
    def row(self) -> dict[str, Any]:
        return self._functions.row

    def withColumn(self, name: str, column: PyColumn) -> _RowFrame:  # noqa: N802
        self.row[name] = _value(column)
        return self

    def transform(self, function: Callable[..., _RowFrame], *args: Any, **kwargs: Any) -> _RowFrame:
        return function(self, *args, **kwargs)

    def drop(self, *names: str) -> _RowFrame:
        for name in names:
            self.row.pop(name, None)
        return self


_FEATURE_MODULES = ("features.text", "features.tracks", "features.videos")
# Modules whose functions read nothing but their arguments (no F.col): memoised on
# their argument values, since the parser folds the same text many times per title.
_PURE_MODULES = frozenset({"features.text"})


def _memoized(function: Callable[..., Any]) -> Callable[..., Any]:
    results: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(function)
    def call(*args: Any) -> Any:
        key = tuple((isinstance(a, PyColumn), _value(a)) for a in args)
        try:
            if key not in results:
                results[key] = _value(function(*args))
        except TypeError:  # an unhashable argument (a list): no memo
            return function(*args)
        return PyColumn(results[key])

    return call


def _memoize_functions(module: ModuleType) -> None:
    """Replace each function defined in ``module`` by a memoised one (before others import it)."""
    for name, item in list(vars(module).items()):
        if inspect.isfunction(item) and item.__module__ == module.__name__:
            setattr(module, name, _memoized(item))


class PythonColumns:
    """features.text, features.tracks and features.videos bound to the Python evaluator.

    ``self.videos.with_title_features`` is the project's function, the same
    source text, only its ``F`` evaluates in Python. One instance evaluates one
    row at a time (not thread-safe); make one per thread.
    """

    def __init__(self) -> None:
        self.functions = _PythonFunctions()
        copies: dict[str, ModuleType] = {}
        pyspark_sql = SimpleNamespace(
            functions=self.functions, Column=PyColumn, DataFrame=_RowFrame
        )

        def import_(name: str, globals_=None, locals_=None, fromlist=(), level=0):
            if name == "pyspark.sql":
                return pyspark_sql
            if name in copies and fromlist:
                return copies[name]
            return builtins.__import__(name, globals_, locals_, fromlist, level)

        module_builtins = {**vars(builtins), "__import__": import_}
        for name in _FEATURE_MODULES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                raise ResolutionError(f"module {name} not found: run from the project root")
            module = ModuleType(f"{__name__}.python_{name.rsplit('.', 1)[-1]}")
            module.__dict__.update(__file__=spec.origin, __builtins__=module_builtins)
            source = Path(spec.origin).read_text(encoding="utf-8")
            exec(compile(source, spec.origin, "exec"), module.__dict__)
            if name in _PURE_MODULES:
                _memoize_functions(module)
            copies[name] = module
        self.text, self.tracks, self.videos = (copies[n] for n in _FEATURE_MODULES)

    def apply(
        self, row: Mapping[str, Any], steps: Iterable[tuple[Callable[..., Any], Mapping[str, Any]]]
    ) -> dict[str, Any]:
        """Run DataFrame -> DataFrame steps (function, keyword arguments) on one row."""
        frame = _RowFrame(self.functions, row)
        for step, kwargs in steps:
            frame = step(frame, **kwargs)
        return dict(frame.row)

    def value(self, function: Callable[..., PyColumn], *values: Any) -> Any:
        """A Column -> Column function's result on literal inputs."""
        self.functions.row = {}
        return _value(function(*(PyColumn(v) for v in values)))

    def video_features(
        self,
        title: str | None,
        channel: str | None,
        generic_values: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Any]:
        """build_video_features' title, channel and artist stages for one video."""
        generic = generic_values or {}
        artists, titles = tuple(generic.get("artist", ())), tuple(generic.get("title", ()))
        videos = self.videos
        return self.apply(
            {"title": title, "channel_name": channel},
            [
                (videos.with_channel_features, {"generic_artists": artists}),
                (videos.with_title_features, {"generic_titles": titles}),
                (videos.with_artist_features, {"generic_artists": artists}),
            ],
        )


# --- features ---------------------------------------------------------------------

# Brackets and slashes set a work title's alternatives apart.
WORK_TITLE_PIECES = re.compile(r"[()\[\]{}/]")
# One row per pair and side; the left side also carries the SHS work title and performer.
FEATURE_COLUMNS = (
    "pair_id",
    "is_left",
    "work_title",
    "work_titles",
    "work_title_keys",
    "performer",
    "performer_key",
    "title_norm",
    "core_title",
    "core_title_key",
    "title_parts",
    "title_part_keys",
    "artist_keys",
    "channel_artist_key",
)


@dataclass
class VideoFeaturizer:
    """Parsed-title features of the videos, each distinct (title, channel) parsed once."""

    generic_values: Mapping[str, Sequence[str]]
    columns: PythonColumns

    def __post_init__(self) -> None:
        self._videos: dict[tuple[str | None, str | None], dict[str, Any]] = {}
        self._works: dict[tuple[str | None, str | None], dict[str, Any]] = {}

    def video(self, title: str | None, channel: str | None) -> dict[str, Any]:
        key = (title, channel)
        if key not in self._videos:
            self._videos[key] = self.columns.video_features(title, channel, self.generic_values)
        return self._videos[key]

    def work(self, title: str | None, performer: str | None) -> dict[str, Any]:
        """The SHS work title as the track features read a title; the performer as an artist.

        ``work_titles`` are the title's alternatives: the whole title, and the
        pieces that brackets and slashes set apart ("Les feuilles mortes
        (Autumn Leaves)", "Bonie Moronie/Tequila"), normalised.
        """
        key = (title, performer)
        if key not in self._works:
            c = self.columns
            generic_titles = tuple(self.generic_values.get("title", ()))
            work_title = c.value(lambda t: c.tracks.core_title(t, generic_titles), title)
            pieces = [
                c.value(c.text.normalize_text, p) for p in WORK_TITLE_PIECES.split(title or "")
            ]
            alternatives = list(dict.fromkeys(t for t in (work_title, *pieces) if t))
            performer_norm = c.value(c.tracks.normalize_artist, performer)
            self._works[key] = {
                "work_title": work_title,
                "work_titles": alternatives or None,
                "work_title_keys": [c.value(c.text.compact_key, t) for t in alternatives] or None,
                "performer": performer_norm,
                "performer_key": c.value(c.text.compact_key, performer_norm),
            }
        return self._works[key]

    def side(
        self, pair_id: int, attributes: Mapping[str, str | None], *, is_left: bool
    ) -> dict[str, Any]:
        video = self.video(attributes["video title"], attributes["channel name"])
        work = (
            self.work(attributes["title"], attributes["performer"])
            if is_left
            else dict.fromkeys(
                ("work_title", "work_titles", "work_title_keys", "performer", "performer_key")
            )
        )
        row = {**video, **work, "pair_id": pair_id, "is_left": is_left}
        return {column: row[column] for column in FEATURE_COLUMNS}


def feature_tables(
    pairs: Sequence[RShortPair], featurizer: VideoFeaturizer
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(left videos, right videos), one row per pair on each side, ``pair_id`` = line number."""
    left = [featurizer.side(p.line_number, p.left, is_left=True) for p in pairs]
    right = [featurizer.side(p.line_number, p.right, is_left=False) for p in pairs]
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
    featurizer: VideoFeaturizer,
    *,
    seed: int,
) -> tuple[list[float], list[float]]:
    """Match weights of the train and hold-out pairs from a model trained on train only."""
    train_left, train_right = feature_tables(train, featurizer)
    model = train_model(train_left, train_right, [p.label for p in train], seed=seed)
    scores = []
    for part, (left, right) in (
        (train, (train_left, train_right)),
        (holdout, feature_tables(holdout, featurizer)),
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


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f1: float
    n_pairs: int
    n_matches: int


def figures_at(scores: Sequence[float], labels: Sequence[int], threshold: float) -> Figures:
    """Pairwise precision, recall and F1 when every pair scoring >= ``threshold`` is a match."""
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y == 1)
    predicted = sum(1 for s in scores if s >= threshold)
    actual = sum(labels)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Figures(precision, recall, f1, len(labels), actual)


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The score threshold (match if score >= it) with the highest F1; ties go to the higher one.

    One pass over the scores in descending order; only the labels given are
    read, so passing the train part is what keeps the hold-out unseen.
    """
    if not scores:
        raise ValueError("no scores to choose a threshold from")
    ordered = sorted(zip(scores, labels, strict=True), key=lambda item: -item[0])
    actual = sum(labels)
    best_f1, best = -1.0, ordered[0][0]
    tp = predicted = 0
    for i, (score, label) in enumerate(ordered):
        tp += label
        predicted += 1
        if i + 1 < len(ordered) and ordered[i + 1][0] == score:
            continue  # a threshold admits every pair with the same score
        f1 = 2 * tp / (predicted + actual) if predicted + actual else 0.0
        if f1 > best_f1:
            best_f1, best = f1, score
    return best


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
    datasets_dir: Path,
    seed: int = 17,
    holdout_fraction: float = 0.3,
    *,
    generic_values: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """Train and hold-out precision/recall/F1 of the Splink title model and the fuzzy baseline.

    Args:
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
    featurizer = VideoFeaturizer(generic, PythonColumns())
    for pair in pairs:  # parse every distinct video once, up front, to time the parser apart
        featurizer.side(pair.line_number, pair.left, is_left=True)
        featurizer.side(pair.line_number, pair.right, is_left=False)
    logger.info("parsed the video titles in %.1f s", time.perf_counter() - started)
    model_train, model_holdout = model_scores(train, holdout, featurizer, seed=seed)
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
    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--holdout-fraction", type=float, default=0.3)
    args = parser.parse_args(argv)
    setup_logging()
    started = time.perf_counter()
    rows = rshort_rows(args.datasets_dir, seed=args.seed, holdout_fraction=args.holdout_fraction)
    print(f"{DATASET} (threshold chosen on train; seed {args.seed})")
    print(format_table(rows))
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
