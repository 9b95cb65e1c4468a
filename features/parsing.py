"""Raw catalog values -> the canonical input schema: Column -> Column parsers, Spark built-ins only.

A user's catalog spells a duration "3:20", "215.4" or "PT3M20S" and a date
"31-Mar-15" or "September 16 , 2014". Each parser turns every shape it knows
into one type and everything else into null; its companion ``*_problem``
says why a present value came out null, so the ingest job can quarantine it
instead of losing it silently. Knobs (units, date formats, placeholders)
arrive as keyword arguments from a source mapping (conf/sources/*.yaml).

The second half maps one raw source frame onto an input contract
(``map_source``) and splits it into records and quarantine rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DataType,
    DateType,
    IntegerType,
    LongType,
    StringType,
    StructType,
    TimestampType,
)

from features.quality import RECORD_EXCLUDED, RECORD_FLAGGED, VALUE_NULLED
from features.records import FLAG, LINES, LOCATION, ORDER, PROBLEM, RAW, READER_COLUMNS
from features.schemas import QUARANTINE
from features.text import blank_to_null

# Quarantine rows written by ingest start their reason with this: the features
# stage shares the quarantine table and replaces only rows without it.
INGEST_REASON_PREFIX = "ingest: "

_EDGE_SPACE = r"^[\s\p{Z}]+|[\s\p{Z}]+$"  # \s alone misses no-break spaces


def _stripped(raw: Column) -> Column:
    return F.regexp_replace(raw.cast("string"), _EDGE_SPACE, "")


def is_present(raw: Column) -> Column:
    """True when a raw value is neither null nor blank (what a parser is asked to read)."""
    return F.coalesce(F.length(_stripped(raw)) > 0, F.lit(False))


def _problem_if(raw: Column, failed: Column, reason: str) -> Column:
    return F.when(is_present(raw) & F.coalesce(failed, F.lit(False)), F.lit(reason))


# --- text -------------------------------------------------------------------------


def clean_text(raw: Column, *, remove: str | None = None) -> Column:
    """Trimmed text, blank -> null; ``remove`` (a regex) drops e.g. '(C) 2014 ' from a label."""
    text = _stripped(raw)
    if remove:
        text = _stripped(F.regexp_replace(text, remove, ""))
    return blank_to_null(text)


def parse_list(raw: Column, *, delimiter: str | None = None) -> Column:
    """A list of texts: split on ``delimiter`` (a regex), or the whole value as one element.

    An array column is cleaned the same way (each element trimmed, blanks dropped).
    """
    text = _stripped(raw)
    return clean_artist_list(F.split(text, delimiter) if delimiter else F.array(text))


INTEGER_PATTERN = r"^[+-]?\d{1,9}$"


def parse_integer(raw: Column) -> Column:
    """A whole number written as digits (a year, a track count); anything else -> null."""
    text = _stripped(raw)
    return F.when(text.rlike(INTEGER_PATTERN), text.cast("int"))


def _integer_reason(**_: Any) -> str:
    return "unparseable whole number: not digits"


# --- artists -------------------------------------------------------------------------

# Only unambiguous credit separators: features.tracks.split_artist_names splits
# again (on 'x', 'and', 'with', 'vs' too) when it builds artist features, so
# what is left joined here is still split there.
DEFAULT_ARTIST_DELIMITER = r"(?i)\s*[,;]\s*|\s+[&/]\s+|\s+(?:feat\.?|ft\.?|featuring)\s+"


def clean_artist_list(names: Column) -> Column:
    """An array of names, each trimmed, blanks dropped; an empty list -> null."""
    cleaned = F.filter(F.transform(names, lambda n: clean_text(n)), lambda n: n.isNotNull())
    return F.when(F.size(cleaned) > 0, cleaned)


def parse_artists(raw: Column, *, delimiter: str = DEFAULT_ARTIST_DELIMITER) -> Column:
    """'Skrillex & Diplo' -> ['Skrillex', 'Diplo']: a credited string split on a delimiter regex."""
    return clean_artist_list(F.split(_stripped(raw), delimiter))


# --- durations -------------------------------------------------------------------------

_NUMBER = r"^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$"
_M_SS = r"^(\d+):([0-5]\d(?:\.\d+)?)$"  # minutes may run past 59: '75:00'
_H_MM_SS = r"^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$"
_ISO_8601 = (
    r"^P(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
DURATION_UNITS = ("ms", "s")


def _number(text: Column, pattern: str, group: int) -> Column:
    """One numeric group of a match; an absent optional group counts 0."""
    return F.coalesce(F.regexp_extract(text, pattern, group).try_cast("double"), F.lit(0.0))


def parse_duration_ms(
    raw: Column, *, unit: str = "ms", overflow_hours_as_minutes: bool = False
) -> Column:
    """A duration in any common shape -> whole milliseconds (long); anything else -> null.

    Shapes: a bare number in ``unit`` ('215000' ms, or '215' / '215.4' s),
    'm:ss', 'mm:ss', 'h:mm:ss', ISO-8601 ('PT3M20S', 'PT1H2M3S', 'PT45.5S').
    With ``overflow_hours_as_minutes`` an 'H:MM:00' whose hours exceed 23 is
    read as minutes and seconds: a spreadsheet that took '27:07' for a time of
    day writes '27:07:00'.
    """
    return _duration_from_text(
        _duration_text(raw), unit=unit, overflow_hours_as_minutes=overflow_hours_as_minutes
    )


def _duration_text(raw: Column) -> Column:
    return F.upper(F.regexp_replace(_stripped(raw), r"\s*:\s*", ":"))


def _duration_from_text(
    text: Column, *, unit: str = "ms", overflow_hours_as_minutes: bool = False
) -> Column:
    if unit not in DURATION_UNITS:
        raise ValueError(f"duration unit must be one of {DURATION_UNITS}, got {unit!r}")
    bare = text.try_cast("double") * (1000.0 if unit == "s" else 1.0)
    m_ss = (_number(text, _M_SS, 1) * 60 + _number(text, _M_SS, 2)) * 1000
    hours, minutes, seconds = (_number(text, _H_MM_SS, g) for g in (1, 2, 3))
    h_mm_ss = (hours * 3600 + minutes * 60 + seconds) * 1000
    if overflow_hours_as_minutes:
        h_mm_ss = F.when((hours > 23) & (seconds == 0), (hours * 60 + minutes) * 1000).otherwise(
            h_mm_ss
        )
    iso = (
        sum(
            (_number(text, _ISO_8601, g) * s for g, s in ((1, 86400), (2, 3600), (3, 60), (4, 1))),
            F.lit(0.0),
        )
        * 1000
    )
    millis = (
        F.when(text.rlike(_NUMBER), bare)
        .when(text.rlike(_M_SS), m_ss)
        .when(text.rlike(_H_MM_SS), h_mm_ss)
        .when(text.rlike(_ISO_8601) & text.rlike(r"\d"), iso)
    )
    return F.round(millis).try_cast("long")


def _duration_reason(unit: str = "ms", **_: Any) -> str:
    shape = "milliseconds" if unit == "ms" else "seconds"
    return f"unparseable duration: not {shape}, m:ss, h:mm:ss or ISO-8601"


def duration_problem(
    raw: Column, *, unit: str = "ms", overflow_hours_as_minutes: bool = False
) -> Column:
    """Why a present duration did not parse (null when it did, or when it is absent)."""
    parsed = parse_duration_ms(raw, unit=unit, overflow_hours_as_minutes=overflow_hours_as_minutes)
    return _why_nulled(raw, parsed, _duration_reason(unit), [], "duration")


# --- placeholders and reasons, shared by the parsers that can fail ---------------------------


def _without_placeholders(parsed: Column, placeholders: Sequence[Column]) -> Column:
    if not placeholders:
        return parsed
    return F.when(~F.coalesce(parsed.isin(*placeholders), F.lit(False)), parsed)


def _why_nulled(
    raw: Column, parsed: Column, unparseable: str, placeholders: Sequence[Column], noun: str
) -> Column:
    problem = _problem_if(raw, parsed.isNull(), unparseable)
    if placeholders:
        placeholder = _problem_if(raw, parsed.isin(*placeholders), f"placeholder {noun}")
        problem = F.coalesce(problem, placeholder)
    return problem


# --- dates --------------------------------------------------------------------------------

# Spark datetime patterns, tried in order; 'M' and 'd' take one or two digits,
# month names match in any case. Day/month-ambiguous shapes ('03/04/2015') are
# left out: a mapping says which order its source uses (numeric_dates).
DEFAULT_DATE_FORMATS: tuple[str, ...] = (
    "yyyy-M-d",
    "yyyy/M/d",
    "yyyy.M.d",
    "yyyyMMdd",
    "d-MMM-yy",
    "d-MMM-yyyy",
    "d MMM yyyy",
    "d MMMM yyyy",
    "MMM d, yyyy",
    "MMMM d, yyyy",
    "MMM yyyy",
    "MMMM yyyy",
    "yyyy-M",
    "yyyy",
)
NUMERIC_DATE_FORMATS: Mapping[str, tuple[str, ...]] = {
    "month_first": ("M/d/yyyy", "M/d/yy", "M-d-yyyy"),
    "day_first": ("d/M/yyyy", "d/M/yy", "d.M.yyyy", "d-M-yyyy"),
}
# Two-digit years up to this one are 20xx, later ones 19xx (as spreadsheets do).
TWO_DIGIT_YEAR_MAX = 2029
UNPARSEABLE_DATE = "unparseable date: matches none of the formats"
_TWO_DIGIT_YEAR = re.compile(r"(?<!y)yy(?!y)")
# Spark pattern letters -> what they can match, for a cheap regex pre-check
_LETTER_SHAPES: Mapping[str, Callable[[int], str]] = {
    "y": lambda n: r"\d{2}" if n == 2 else r"\d{4}",
    "u": lambda n: r"\d{2}" if n == 2 else r"\d{4}",
    "M": lambda n: r"\d{1,2}" if n <= 2 else r"\p{L}+",
    "L": lambda n: r"\d{1,2}" if n <= 2 else r"\p{L}+",
    "d": lambda n: r"\d{1,2}",
    "D": lambda n: r"\d{1,3}",
    "H": lambda n: r"\d{1,2}",
    "h": lambda n: r"\d{1,2}",
    "k": lambda n: r"\d{1,2}",
    "K": lambda n: r"\d{1,2}",
    "m": lambda n: r"\d{1,2}",
    "s": lambda n: r"\d{1,2}",
    "S": lambda n: r"\d+",
    "a": lambda n: r"\p{L}+",
    "E": lambda n: r"\p{L}+",
}


def _literal(text: str) -> str:
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def pattern_guard(pattern: str) -> str | None:
    """A regex every value ``pattern`` can parse matches (None: letters it does not know).

    A failed try_to_date costs Spark a Java exception; trying only the patterns
    whose shape fits makes a 14-pattern date column several times cheaper.
    """
    parts = ["^"]
    for m in re.finditer(r"'([^']*)'|(([A-Za-z])\3*)|(.)", pattern):
        quoted, run, letter, other = m.group(1), m.group(2), m.group(3), m.group(4)
        if quoted is not None:
            parts.append(_literal(quoted) if quoted else "'")
        elif run:
            if letter not in _LETTER_SHAPES:
                return None
            parts.append(_LETTER_SHAPES[letter](len(run)))
        else:
            parts.append(_literal(other))
    return "".join(parts) + "$"


def date_formats(
    formats: Sequence[str] | None = None, numeric_dates: str | None = None
) -> tuple[str, ...]:
    """The patterns a date parser tries: the given list (or the default) plus the numeric order."""
    if numeric_dates is not None and numeric_dates not in NUMERIC_DATE_FORMATS:
        raise ValueError(
            f"numeric_dates must be one of {tuple(NUMERIC_DATE_FORMATS)}, got {numeric_dates!r}"
        )
    chosen = tuple(formats) if formats else DEFAULT_DATE_FORMATS
    return chosen + (NUMERIC_DATE_FORMATS[numeric_dates] if numeric_dates else ())


def _date_text(raw: Column) -> Column:
    """Tidy the spellings stores produce: 'September 16 , 2014', 'Sept. 16th, 2014', ISO times."""
    text = F.regexp_replace(_stripped(raw), r"[\s\p{Z}]+", " ")
    text = F.regexp_replace(text, r"\s*,\s*", ", ")
    text = F.regexp_replace(text, r"(?i)\b(sep)t\b", "$1")
    text = F.regexp_replace(text, r"(?i)\b(jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\.", "$1")
    text = F.regexp_replace(text, r"(?i)\b(\d{1,2})(?:st|nd|rd|th)\b", "$1")
    # a date with a time of day: the date as written, whatever the offset
    return F.regexp_replace(text, r"^(\d{4}-\d{1,2}-\d{1,2})[T ]\d{1,2}:\d{2}.*$", "$1")


def _guarded(text: Column, pattern: str, parse: Column) -> Column:
    guard = pattern_guard(pattern)
    return parse if guard is None else F.when(text.rlike(guard), parse)


def _try_date(text: Column, pattern: str, two_digit_year_max: int) -> Column:
    parsed = F.try_to_date(text, pattern)
    if _TWO_DIGIT_YEAR.search(pattern):  # Spark reads 'yy' as 2000-2099
        parsed = F.when(F.year(parsed) > two_digit_year_max, F.add_months(parsed, -1200)).otherwise(
            parsed
        )
    return _guarded(text, pattern, parsed)


def _any_date(
    raw: Column,
    *,
    formats: Sequence[str] | None = None,
    numeric_dates: str | None = None,
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    return _date_from_text(
        _date_text(raw),
        formats=formats,
        numeric_dates=numeric_dates,
        two_digit_year_max=two_digit_year_max,
    )


def _date_from_text(
    text: Column,
    *,
    formats: Sequence[str] | None = None,
    numeric_dates: str | None = None,
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    return F.coalesce(
        *[_try_date(text, p, two_digit_year_max) for p in date_formats(formats, numeric_dates)]
    )


def _dates(placeholders: Sequence[str]) -> list[Column]:
    return [F.lit(dt.date.fromisoformat(p)) for p in placeholders]


def parse_date(
    raw: Column,
    *,
    formats: Sequence[str] | None = None,
    numeric_dates: str | None = None,
    placeholders: Sequence[str] = (),
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    """A release date in any configured shape -> date; placeholders ('1900-01-01') -> null.

    Year-only and year-month values become the first day of the period, as the
    features only use the year.
    """
    parsed = _any_date(
        raw, formats=formats, numeric_dates=numeric_dates, two_digit_year_max=two_digit_year_max
    )
    return _without_placeholders(parsed, _dates(placeholders))


# A full date written inside free text ("... $ 0.99 3:01 31-Mar-15": a store that put
# the date field into the title). Only the shapes that name the month or lead with a
# four-digit year: a bare number or "3/4/15" in a title is never read as a date.
_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_TEXT_DATE_SHAPES = (
    rf"\d{{1,2}}[- ]{_MONTH_WORD}[- ]\d{{2}}(?:\d{{2}})?",  # 31-Mar-15, 17 March 2008
    rf"{_MONTH_WORD} \d{{1,2}}(?:st|nd|rd|th)? ?, ?\d{{4}}",  # March 17, 2008
    r"\d{4}-\d{1,2}-\d{1,2}",  # 2008-03-17
)
TEXT_DATE_PATTERN = r"(?i)(?<![\p{L}\p{N}])(" + "|".join(_TEXT_DATE_SHAPES) + r")(?![\p{L}\p{N}])"


def date_in_text(text: Column, *, two_digit_year_max: int = TWO_DIGIT_YEAR_MAX) -> Column:
    """The first full date written inside free text, read by the date parser above; else null."""
    found = F.regexp_extract(text, TEXT_DATE_PATTERN, 1)
    return F.when(found != "", _any_date(found, two_digit_year_max=two_digit_year_max))


def date_problem(
    raw: Column,
    *,
    formats: Sequence[str] | None = None,
    numeric_dates: str | None = None,
    placeholders: Sequence[str] = (),
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    """Why a present date was nulled: it matched no format, or it is a known placeholder."""
    parsed = _any_date(
        raw, formats=formats, numeric_dates=numeric_dates, two_digit_year_max=two_digit_year_max
    )
    return _why_nulled(raw, parsed, UNPARSEABLE_DATE, _dates(placeholders), "date")


# --- timestamps -------------------------------------------------------------------------------

UNPARSEABLE_TIMESTAMP = "unparseable timestamp: not ISO-8601, a listed format or a date"


def _any_timestamp(
    raw: Column,
    *,
    formats: Sequence[str] = (),
    numeric_dates: str | None = None,
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    text = _stripped(raw)
    return F.coalesce(
        F.try_to_timestamp(text),  # ISO-8601, with or without 'T', fraction and offset
        *[_guarded(text, p, F.try_to_timestamp(text, F.lit(p))) for p in formats],
        _any_date(raw, numeric_dates=numeric_dates, two_digit_year_max=two_digit_year_max).cast(
            "timestamp"
        ),
    )


def _timestamps(placeholders: Sequence[str]) -> list[Column]:
    return [F.lit(dt.datetime.fromisoformat(p)) for p in placeholders]


def parse_timestamp(
    raw: Column,
    *,
    formats: Sequence[str] = (),
    numeric_dates: str | None = None,
    placeholders: Sequence[str] = (),
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    """A point in time -> timestamp (UTC session): ISO-8601, extra ``formats``, or a bare date.

    A bare date ('March 31, 2015') is taken at midnight.
    """
    parsed = _any_timestamp(
        raw, formats=formats, numeric_dates=numeric_dates, two_digit_year_max=two_digit_year_max
    )
    return _without_placeholders(parsed, _timestamps(placeholders))


def timestamp_problem(
    raw: Column,
    *,
    formats: Sequence[str] = (),
    numeric_dates: str | None = None,
    placeholders: Sequence[str] = (),
    two_digit_year_max: int = TWO_DIGIT_YEAR_MAX,
) -> Column:
    """Why a present timestamp was nulled: unparseable, or a known placeholder."""
    parsed = _any_timestamp(
        raw, formats=formats, numeric_dates=numeric_dates, two_digit_year_max=two_digit_year_max
    )
    return _why_nulled(raw, parsed, UNPARSEABLE_TIMESTAMP, _timestamps(placeholders), "timestamp")


# --- the parsers a mapping can name ----------------------------------------------------------


def _is_regex(value: Any) -> bool:
    try:
        re.compile(value)
    except (re.error, TypeError):
        return False
    return isinstance(value, str)


def _is_formats(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v.strip() for v in value)
    )


# knob -> (check, what it must be): a mapping is validated against these before Spark starts
KNOBS: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "remove": (_is_regex, "a regular expression"),
    "delimiter": (_is_regex, "a regular expression"),
    "unit": (lambda v: v in DURATION_UNITS, f"one of {', '.join(DURATION_UNITS)}"),
    "overflow_hours_as_minutes": (lambda v: isinstance(v, bool), "true or false"),
    "formats": (_is_formats, "a non-empty list of Spark datetime patterns"),
    "numeric_dates": (
        lambda v: v in NUMERIC_DATE_FORMATS,
        f"one of {', '.join(NUMERIC_DATE_FORMATS)}",
    ),
    "two_digit_year_max": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 1999 < v < 2100,
        "a year between 2000 and 2099",
    ),
}


@dataclass(frozen=True)
class Parser:
    """A parser a mapping names: how it reads, its type, its knobs, why it fails, placeholders.

    ``read`` gives the value before placeholders are removed, so that a job can
    compute it once and derive both the value and the problem from it.
    """

    read: Callable[..., Column]  # prepared column, knobs as keywords -> value
    output: DataType
    knobs: tuple[str, ...]
    unparseable: Callable[..., str] | None = None  # knobs -> reason; None: it cannot fail
    placeholder: Callable[[str], Any] | None = None  # ISO text -> value; None: takes none
    noun: str = ""
    # raw -> the tidied text ``read`` takes; a job computes it once, not once per pattern
    prepare: Callable[[Column], Column] | None = None

    def _placeholders(self, options: Mapping[str, Any]) -> list[Column]:
        values = options.get("placeholders", ())
        return [F.lit(self.placeholder(v)) for v in values] if self.placeholder else []

    def _knobs(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in options.items() if k != "placeholders"}

    def tidy(self, raw: Column) -> Column:
        return self.prepare(raw) if self.prepare else raw

    def parse(self, prepared: Column, options: Mapping[str, Any]) -> Column:
        """The value of a ``tidy`` column, before placeholders are removed."""
        return self.read(prepared, **self._knobs(options))

    def value(self, parsed: Column, options: Mapping[str, Any]) -> Column:
        return _without_placeholders(parsed, self._placeholders(options))

    def problem(self, raw: Column, parsed: Column, options: Mapping[str, Any]) -> Column | None:
        """Why a present raw value gave no value (null when it did), or None if it cannot fail."""
        if self.unparseable is None:
            return None
        reason = self.unparseable(**self._knobs(options))
        return _why_nulled(raw, parsed, reason, self._placeholders(options), self.noun)

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        """'knob: why' for every knob this parser does not take or whose value is wrong."""
        problems = []
        for knob, value in options.items():
            if knob == "placeholders" and self.placeholder is not None:
                if not isinstance(value, (list, tuple)) or not all(
                    self._is_placeholder(v) for v in value
                ):
                    problems.append(f"placeholders: must be a list of ISO dates, got {value!r}")
            elif knob not in self.knobs:
                problems.append(f"{knob}: not a knob of this parser (knobs: {self.knobs})")
            elif not KNOBS[knob][0](value):
                problems.append(f"{knob}: must be {KNOBS[knob][1]}, got {value!r}")
        return problems

    def _is_placeholder(self, value: Any) -> bool:
        try:
            self.placeholder(str(value))  # type: ignore[misc]
        except ValueError:
            return False
        return True


PARSERS: Mapping[str, Parser] = {
    "text": Parser(clean_text, StringType(), ("remove",)),
    "artists": Parser(parse_artists, ArrayType(StringType(), True), ("delimiter",)),
    "list": Parser(parse_list, ArrayType(StringType(), True), ("delimiter",)),
    "integer": Parser(
        parse_integer, IntegerType(), (), unparseable=_integer_reason, noun="whole number"
    ),
    "duration": Parser(
        _duration_from_text,
        LongType(),
        ("unit", "overflow_hours_as_minutes"),
        unparseable=_duration_reason,
        noun="duration",
        prepare=_duration_text,
    ),
    "date": Parser(
        _date_from_text,
        DateType(),
        ("formats", "numeric_dates", "two_digit_year_max"),
        unparseable=lambda **_: UNPARSEABLE_DATE,
        placeholder=dt.date.fromisoformat,
        noun="date",
        prepare=_date_text,
    ),
    "timestamp": Parser(
        _any_timestamp,
        TimestampType(),
        ("formats", "numeric_dates", "two_digit_year_max"),
        unparseable=lambda **_: UNPARSEABLE_TIMESTAMP,
        placeholder=dt.datetime.fromisoformat,
        noun="timestamp",
    ),
}


# --- a source mapped onto an input contract ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FieldMapping:
    """How one canonical field is filled from one source column."""

    field: str  # a field of the input contract
    column: str  # the source column
    parse: str  # a key of PARSERS
    options: Mapping[str, Any] = field(default_factory=dict)  # the parser's knobs, placeholders
    null_values: tuple[str, ...] = ()  # raw values that mean 'unknown' ('--'): null, no problem


def _col(name: str) -> Column:
    """A top-level column whatever its name holds (dots, spaces)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _without_null_values(raw: Column, null_values: Sequence[str]) -> Column:
    if not null_values:
        return raw
    return F.when(~F.coalesce(_stripped(raw).isin(*null_values), F.lit(False)), raw)


def _quarantine_entry(cond: Column, fld: str, reason: Column, action: str, raw: Column) -> Column:
    return F.when(
        cond,
        F.struct(
            F.lit(fld).alias("field"),
            F.concat(F.lit(INGEST_REASON_PREFIX), reason).alias("reason"),
            F.lit(action).alias("action"),
            raw.cast("string").alias("raw_value"),
        ),
    )


def map_source(
    raw: DataFrame,
    *,
    source: str,
    contract: StructType,
    id_field: str,
    id_column: str,
    id_prefix: str = "",
    fields: Sequence[FieldMapping],
) -> DataFrame:
    """Raw source rows -> the contract's columns plus ``_problems`` (what ingest set aside).

    The record id is ``id_prefix`` + the trimmed id value, ``source`` is the
    source's name and unmapped contract fields are null. ``_problems`` holds
    one struct (field, reason, action, raw_value) per problem: a row without
    an id, or one Spark could not parse, is excluded; a present value that a
    parser could not read is nulled, its raw text kept in the problem.

    Built in steps so that each parser runs once per value: Spark does not
    inline a costly column that a later step uses more than once.
    """
    meta = [c for c in READER_COLUMNS if c in raw.columns]
    own = [c for c in raw.columns if c not in READER_COLUMNS]
    whole_row = F.to_json(F.struct(*[_col(c) for c in own]))
    problem = F.col(PROBLEM) if PROBLEM in meta else F.lit(None).cast("string")
    raw_text = F.col(RAW) if RAW in meta else F.lit(None).cast("string")
    flag = F.col(FLAG) if FLAG in meta else F.lit(None).cast("string")
    inputs = raw.select(
        blank_to_null(_stripped(_col(id_column))).alias("_id"),
        problem.alias("_bad"),
        raw_text.alias("_bad_raw"),
        flag.alias("_flag"),
        whole_row.alias("_row"),
        *meta,
        *[
            _without_null_values(_col(m.column), m.null_values).alias(f"_raw{i}")
            for i, m in enumerate(fields)
        ],
    )
    tidied = inputs.select(
        "*",
        *[
            PARSERS[m.parse].tidy(F.col(f"_raw{i}")).alias(f"_tidy{i}")
            for i, m in enumerate(fields)
        ],
    )
    carried = ["_id", "_bad", "_bad_raw", "_flag", "_row", *meta]
    parsed = tidied.select(
        *carried,
        *[F.col(f"_raw{i}") for i in range(len(fields))],
        *[
            _parse(m, F.col(f"_tidy{i}"), raw.schema[m.column].dataType).alias(f"_parsed{i}")
            for i, m in enumerate(fields)
        ],
    )
    why = {
        i: PARSERS[m.parse].problem(F.col(f"_raw{i}"), F.col(f"_parsed{i}"), m.options)
        for i, m in enumerate(fields)
    }
    judged = parsed.select(
        *carried,
        *[F.col(f"_raw{i}") for i in range(len(fields))],
        *[
            PARSERS[m.parse].value(F.col(f"_parsed{i}"), m.options).alias(f"_value{i}")
            for i, m in enumerate(fields)
        ],
        *[reason.alias(f"_why{i}") for i, reason in why.items() if reason is not None],
    )
    corrupt = F.col("_bad").isNotNull()
    missing_id = ~corrupt & F.col("_id").isNull()
    kept = ~corrupt & ~missing_id
    problems = [
        _quarantine_entry(corrupt, "_row", F.col("_bad"), RECORD_EXCLUDED, F.col("_bad_raw")),
        _quarantine_entry(
            F.col("_flag").isNotNull(), "_row", F.col("_flag"), RECORD_FLAGGED, F.col("_bad_raw")
        ),
        _quarantine_entry(
            missing_id,
            id_field,
            F.lit(f"missing id (source column {id_column!r})"),
            RECORD_EXCLUDED,
            F.col("_row"),
        ),
    ] + [
        _quarantine_entry(
            kept & F.col(f"_why{i}").isNotNull(),
            fields[i].field,
            F.col(f"_why{i}"),
            VALUE_NULLED,
            F.col(f"_raw{i}"),
        )
        for i, reason in why.items()
        if reason is not None
    ]
    index = {m.field: i for i, m in enumerate(fields)}
    values: list[Column] = []
    for target in contract.fields:
        if target.name == id_field:
            value = F.concat(F.lit(id_prefix), F.col("_id"))
        elif target.name == "source":
            value = F.lit(source)
        elif target.name in index:
            value = F.col(f"_value{index[target.name]}")
        else:
            value = F.lit(None)
        values.append(value.cast(target.dataType).alias(target.name))
    return judged.select(
        *values, F.filter(F.array(*problems), lambda p: p.isNotNull()).alias("_problems"), *meta
    )


def _parse(mapping: FieldMapping, prepared: Column, source_type: DataType) -> Column:
    """A field's value before placeholders; an array column of artists is cleaned, not split."""
    if mapping.parse == "artists" and isinstance(source_type, ArrayType):
        return clean_artist_list(prepared.cast("array<string>"))
    return PARSERS[mapping.parse].parse(prepared, mapping.options)


def _excluded() -> Column:
    return F.exists("_problems", lambda p: p["action"] == RECORD_EXCLUDED)


def keep_first_in_order(mapped: DataFrame, id_field: str, sources: Sequence[str]) -> DataFrame:
    """Of the usable records sharing an id, keep the first in file order; exclude the rest.

    File order: sources in the mapping's order, then each source's files in
    path order, then lines (``ORDER``). Each later copy gets a problem naming
    where the kept one is, so a user can predict and find which one won.
    """
    rank = F.array_position(F.array(*[F.lit(s) for s in sources]), F.col("source"))
    usable = ~_excluded()
    by_id = Window.partitionBy(id_field, usable).orderBy(rank, F.col(ORDER))
    first_at = F.first(F.coalesce(F.col(LOCATION), F.col("source"))).over(
        by_id.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    later = usable & (F.row_number().over(by_id) > 1)
    duplicate = _quarantine_entry(
        later,
        id_field,
        F.concat(F.lit("duplicate id: the first in file order is kept ("), first_at, F.lit(")")),
        RECORD_EXCLUDED,
        F.col(id_field),
    )
    return mapped.withColumn(
        "_problems", F.filter(F.array_append("_problems", duplicate), lambda p: p.isNotNull())
    )


def mapped_records(mapped: DataFrame, contract: StructType) -> DataFrame:
    """The rows of ``map_source`` output that go on to the input table, in contract order."""
    return mapped.where(~_excluded()).select(*[f.name for f in contract.fields])


def mapped_quarantine(
    mapped: DataFrame, *, entity_type: str, id_field: str, run_id: str
) -> DataFrame:
    """QUARANTINE rows for every problem ``map_source`` found (record id null when missing)."""
    return (
        mapped.select(
            F.col(id_field).alias("record_id"),
            (F.col(LOCATION) if LOCATION in mapped.columns else F.lit(None)).alias("location"),
            F.explode("_problems").alias("p"),
        ).select(
            F.lit(entity_type).alias("entity_type"),
            "record_id",
            F.col("p.field").alias("field"),
            F.col("p.reason").alias("reason"),
            F.col("p.action").alias("action"),
            F.col("p.raw_value").alias("raw_value"),
            F.col("location").cast("string"),
            F.lit(run_id).alias("run_id"),
            F.current_timestamp().alias("quarantined_at"),
        )
    ).select(*[f.name for f in QUARANTINE.fields])


def _nulled_in(name: str) -> Callable[[Column], Column]:
    return lambda p: (p["field"] == name) & (p["action"] == VALUE_NULLED)


def mapped_counts(mapped: DataFrame, fields: Sequence[str]) -> DataFrame:
    """Per source: rows read, rows excluded, and per field values kept and values nulled.

    Columns: source, rows, excluded, ``<field>__kept``, ``<field>__nulled``. A
    field's present values are kept + nulled, so kept / (kept + nulled) is its
    parse rate.
    """
    aggs = [F.count(F.lit(1)).alias("rows"), F.count(F.when(_excluded(), 1)).alias("excluded")]
    if LINES in mapped.columns:  # physical lines of the records written and of those excluded
        aggs += [
            F.coalesce(F.sum(F.when(~_excluded(), F.col(LINES))), F.lit(0)).alias("lines_written"),
            F.coalesce(F.sum(F.when(_excluded(), F.col(LINES))), F.lit(0)).alias("lines_excluded"),
        ]
    for name in fields:
        aggs += [
            F.count(F.when(~_excluded(), F.col(name))).alias(f"{name}__kept"),
            F.count(F.when(F.exists("_problems", _nulled_in(name)), 1)).alias(f"{name}__nulled"),
        ]
    return mapped.groupBy("source").agg(*aggs)


# --- labelled pairs -------------------------------------------------------------------

# How label files spell a verdict; anything else is not a label.
LABEL_SPELLINGS: Mapping[str, int] = {
    "1": 1,
    "0": 0,
    "1.0": 1,
    "0.0": 0,
    "true": 1,
    "false": 0,
    "yes": 1,
    "no": 0,
    "match": 1,
    "non-match": 0,
    "nonmatch": 0,
}


def record_id(raw: Column, prefix: str = "") -> Column:
    """The record id ingest gives a source's id value: ``prefix`` + the trimmed value."""
    return F.concat(F.lit(prefix), blank_to_null(_stripped(raw.cast("string"))))


def parse_label(raw: Column) -> Column:
    """1 (match) or 0 from '1', '0', 'true', 'no', ...; null for anything else."""
    text = F.lower(_stripped(raw.cast("string")))
    expr = None
    for spelling, value in LABEL_SPELLINGS.items():
        cond = text == spelling
        expr = F.when(cond, F.lit(value)) if expr is None else expr.when(cond, F.lit(value))
    return expr.cast("int")


def map_labelled_pairs(
    raw: DataFrame,
    *,
    id_field: str,
    left_column: str,
    left_prefix: str,
    right_column: str,
    right_prefix: str,
    label_column: str | None,
    split: str | None = None,
    split_column: str | None = None,
) -> DataFrame:
    """Raw labelled-pair rows -> ``<id>_l``, ``<id>_r``, label, split and ``_problem``.

    Ids become record ids the way ``map_source`` makes them (prefix + trimmed
    value), so a label names the records ingest wrote. ``_problem`` is null
    for a usable row and says why otherwise (a missing id, an unreadable label).
    Without ``label_column`` every listed pair is a match (golden pairs of a
    closed world: the pairs not listed are the non-matches).
    """
    if split_column is not None:
        split_value = blank_to_null(_stripped(_col(split_column).cast("string")))
    else:
        split_value = F.lit(split).cast("string")
    mapped = raw.select(
        record_id(_col(left_column), left_prefix).alias(f"{id_field}_l"),
        record_id(_col(right_column), right_prefix).alias(f"{id_field}_r"),
        (parse_label(_col(label_column)) if label_column else F.lit(1)).alias("label"),
        split_value.alias("split"),
    )
    problem = (
        F.when(F.col(f"{id_field}_l").isNull(), F.lit(f"missing left id ({left_column})"))
        .when(F.col(f"{id_field}_r").isNull(), F.lit(f"missing right id ({right_column})"))
        .when(
            F.col("label").isNull(),
            F.lit(f"label is not 1/0, true/false or yes/no ({label_column})"),
        )
    )
    return mapped.withColumn("_problem", problem)
