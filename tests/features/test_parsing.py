"""Raw-value parsers, table-driven: None, garbage, non-ASCII and real store rows."""

from __future__ import annotations

import datetime as dt

from features.parsing import (
    PARSERS,
    clean_artist_list,
    clean_text,
    date_problem,
    duration_problem,
    parse_artists,
    parse_date,
    parse_duration_ms,
    parse_timestamp,
    timestamp_problem,
)
from tests._helpers import check_column_function

DURATION = "value string, expected long"
DATE = "value string, expected date"
TIMESTAMP = "value string, expected timestamp"
ARTISTS = "value string, expected array<string>"
REASON = "value string, expected string"
UTC = dt.UTC


def test_parse_duration_every_shape(spark):
    check_column_function(
        spark,
        parse_duration_ms,
        [
            (None, None),
            ("", None),
            ("   ", None),
            ("215000", 215000),  # bare number: milliseconds by default
            ("215000.6", 215001),
            ("2.154e5", 215400),
            ("3:20", 200000),  # m:ss
            ("03:20", 200000),  # mm:ss
            ("12:05", 725000),
            ("75:00", 4500000),  # minutes may pass 59
            ("3:20.5", 200500),
            ("1:02:03", 3723000),  # h:mm:ss
            ("01:02:03", 3723000),
            ("PT3M20S", 200000),  # ISO-8601
            ("PT1H2M3S", 3723000),
            ("PT45.5S", 45500),
            ("pt3m20s", 200000),
            ("P0DT1H", 3600000),
            (" 3 : 20 ", 200000),  # whitespace tolerated
            ("\u00a03:20\u00a0", 200000),  # no-break spaces
            ("27:07:00", 97620000),  # without the knob: 27 hours (features null it later)
            # garbage
            ("3 min", None),
            ("abc", None),
            ("--", None),
            ("3:61", None),
            ("1:60:00", None),
            ("-5", None),
            ("PT", None),
            ("P", None),
            ("3:2", None),
            ("３:２０", None),  # full-width digits are not read as numbers
            ("99999999999999999999999", None),  # past a long
        ],
        DURATION,
    )


def test_parse_duration_in_seconds(spark):
    check_column_function(
        spark,
        lambda c: parse_duration_ms(c, unit="s"),
        [
            (None, None),
            ("215", 215000),
            ("215.4", 215400),
            ("0.5", 500),
            ("3:20", 200000),  # clock shapes do not depend on the unit
            ("PT3M20S", 200000),
            ("215 s", None),
        ],
        DURATION,
    )


def test_overflow_hours_are_minutes_only_when_asked_and_only_past_23(spark):
    # a spreadsheet read '27:07' (27 min 7 s) as a time of day and wrote '27:07:00'
    check_column_function(
        spark,
        lambda c: parse_duration_ms(c, unit="s", overflow_hours_as_minutes=True),
        [
            (None, None),
            ("27:07:00", 1627000),
            ("58:48:00", 3528000),
            ("2:09:26", 7766000),  # a real 2-hour concert stays 2 hours
            ("1:01:40", 3700000),
            ("24:48:01", 89281000),  # seconds not zero: a real h:mm:ss
            ("3:20", 200000),
        ],
        DURATION,
    )


def test_duration_problem_says_why_a_present_value_failed(spark):
    reason = "unparseable duration: not seconds, m:ss, h:mm:ss or ISO-8601"
    check_column_function(
        spark,
        lambda c: duration_problem(c, unit="s"),
        [
            (None, None),
            ("", None),
            ("  ", None),
            ("3:20", None),
            ("215.4", None),
            ("3 min", reason),
            ("langsam ! '' ( Hauptmann", reason),  # a shifted CSV row
            ("Solosopran", reason),
        ],
        REASON,
    )


def test_parse_date_every_default_shape(spark):
    d = dt.date
    check_column_function(
        spark,
        parse_date,
        [
            (None, None),
            ("", None),
            ("2015-03-31", d(2015, 3, 31)),
            ("2015-3-1", d(2015, 3, 1)),
            ("2015/03/31", d(2015, 3, 31)),
            ("2015.03.31", d(2015, 3, 31)),
            ("20150331", d(2015, 3, 31)),
            ("31-Mar-15", d(2015, 3, 31)),
            ("9-Jan-15", d(2015, 1, 9)),
            ("1-Jan-90", d(1990, 1, 1)),  # two-digit years after 2029 are 19xx
            ("31-Dec-29", d(2029, 12, 31)),
            ("  31-MAR-15 ", d(2015, 3, 31)),
            ("31-Mar-2015", d(2015, 3, 31)),
            ("March 31, 2015", d(2015, 3, 31)),
            ("September 16 , 2014", d(2014, 9, 16)),  # real store text
            ("September  16,2014", d(2014, 9, 16)),
            ("Sep 16, 2014", d(2014, 9, 16)),
            ("Sept. 16th, 2014", d(2014, 9, 16)),
            ("16 September 2014", d(2014, 9, 16)),
            ("16\u00a0Sep\u00a02014", d(2014, 9, 16)),  # no-break spaces
            ("March 2015", d(2015, 3, 1)),
            ("2015", d(2015, 1, 1)),
            ("2015-03", d(2015, 3, 1)),
            ("2015-03-31T10:00:00Z", d(2015, 3, 31)),
            ("2015-03-31 23:30:00-05:00", d(2015, 3, 31)),  # the date as written
            # garbage and ambiguous
            ("garbage", None),
            ("Wozzeck", None),
            ("2015-02-30", None),
            ("03/31/2015", None),  # month-first only when the mapping says so
            ("31 décembre 2014", None),  # month names are English
            ("15", None),
        ],
        DATE,
    )


def test_parse_date_numeric_orders(spark):
    d = dt.date
    check_column_function(
        spark,
        lambda c: parse_date(c, numeric_dates="month_first"),
        [
            (None, None),
            ("03/31/2015", d(2015, 3, 31)),
            ("3/1/2015", d(2015, 3, 1)),
            ("3/1/15", d(2015, 3, 1)),
            ("31/03/2015", None),
            ("2015-03-31", d(2015, 3, 31)),
        ],
        DATE,
    )
    check_column_function(
        spark,
        lambda c: parse_date(c, numeric_dates="day_first"),
        [
            (None, None),
            ("31/03/2015", d(2015, 3, 31)),
            ("03/04/2015", d(2015, 4, 3)),
            ("31.03.2015", d(2015, 3, 31)),
            ("03/31/2015", None),
        ],
        DATE,
    )


def test_parse_date_formats_replace_the_defaults(spark):
    check_column_function(
        spark,
        lambda c: parse_date(c, formats=["dd.MM.yyyy", "yyyy"]),
        [
            (None, None),
            ("31.03.2015", dt.date(2015, 3, 31)),
            ("2015", dt.date(2015, 1, 1)),
            ("2015-03-31", None),
        ],
        DATE,
    )


def test_placeholder_dates_are_null_with_their_own_reason(spark):
    placeholders = ["1990-01-01", "1900-01-01"]
    check_column_function(
        spark,
        lambda c: parse_date(c, placeholders=placeholders),
        [
            (None, None),
            ("1-Jan-90", None),
            ("January 1 , 1900", None),
            ("1-Jan-91", dt.date(1991, 1, 1)),
        ],
        DATE,
    )
    check_column_function(
        spark,
        lambda c: date_problem(c, placeholders=placeholders),
        [
            (None, None),
            ("", None),
            ("1-Jan-90", "placeholder date"),
            ("1-Jan-91", None),
            ("Alte Frau", "unparseable date: matches none of the formats"),
        ],
        REASON,
    )


def test_parse_timestamp(spark):
    check_column_function(
        spark,
        parse_timestamp,
        [
            (None, None),
            ("", None),
            ("2015-03-31T10:00:00Z", dt.datetime(2015, 3, 31, 10, tzinfo=UTC)),
            ("2015-03-31 10:00:00", dt.datetime(2015, 3, 31, 10, tzinfo=UTC)),
            ("2015-03-31T10:00:00+02:00", dt.datetime(2015, 3, 31, 8, tzinfo=UTC)),
            ("2015-03-31T10:00:00.5Z", dt.datetime(2015, 3, 31, 10, 0, 0, 500000, tzinfo=UTC)),
            ("March 31, 2015", dt.datetime(2015, 3, 31, tzinfo=UTC)),
            ("31-Mar-15", dt.datetime(2015, 3, 31, tzinfo=UTC)),
            ("yesterday", None),
            ("2015-13-01T00:00:00Z", None),
            ("٢٠١٥-٠٣-٣١", None),  # Arabic-Indic digits
        ],
        TIMESTAMP,
    )
    check_column_function(
        spark,
        lambda c: parse_timestamp(c, formats=["dd/MM/yyyy HH:mm"]),
        [("31/03/2015 10:30", dt.datetime(2015, 3, 31, 10, 30, tzinfo=UTC))],
        TIMESTAMP,
    )


def test_timestamp_problem(spark):
    check_column_function(
        spark,
        lambda c: timestamp_problem(c, placeholders=["1970-01-01T00:00:00"]),
        [
            (None, None),
            ("2015-03-31T10:00:00Z", None),
            ("1970-01-01T00:00:00Z", "placeholder timestamp"),
            ("soon", "unparseable timestamp: not ISO-8601, a listed format or a date"),
        ],
        REASON,
    )


def test_clean_text(spark):
    check_column_function(
        spark,
        clean_text,
        [
            (None, None),
            ("", None),
            ("   ", None),
            ("  Hey Jude ", "Hey Jude"),
            ("\u00a0Björk\u3000", "Björk"),
            ("Земфира", "Земфира"),
            ("I Wan na Mingle [ feat . Pusher ]", "I Wan na Mingle [ feat . Pusher ]"),
        ],
    )


def test_clean_text_removes_a_pattern(spark):
    copyright_mark = r"^(?:\(\s*[CcPp]\s*\)|[©℗])?\s*\d{4}(?:\s*,\s*\d{4})*\s+"
    check_column_function(
        spark,
        lambda c: clean_text(c, remove=copyright_mark),
        [
            (None, None),
            ("( C ) 2014 FMLY", "FMLY"),
            ("2014 , 2015 Epic Records", "Epic Records"),
            ("℗ 2015 Sony Music", "Sony Music"),
            ("Sony Music", "Sony Music"),
            ("( C ) 2014", "( C ) 2014"),  # nothing after the year: nothing matches
        ],
    )


def test_parse_artists_default_delimiters(spark):
    check_column_function(
        spark,
        parse_artists,
        [
            (None, None),
            ("", None),
            (" , ", None),
            ("Rusko", ["Rusko"]),
            ("Skrillex & Diplo", ["Skrillex", "Diplo"]),
            (
                "Disclosure , Sam Smith , Nile Rodgers & James Napier",
                ["Disclosure", "Sam Smith", "Nile Rodgers", "James Napier"],
            ),
            ("P!nk featuring James T. Moore", ["P!nk", "James T. Moore"]),
            ("Beyoncé feat. Jay-Z", ["Beyoncé", "Jay-Z"]),
            ("Земфира; Мумий Тролль", ["Земфира", "Мумий Тролль"]),
            ("AC/DC", ["AC/DC"]),  # no spaces: one name
            ("Tony Bennett and Lady Gaga", ["Tony Bennett and Lady Gaga"]),  # features split it
        ],
        ARTISTS,
    )


def test_parse_artists_custom_delimiter(spark):
    check_column_function(
        spark,
        lambda c: parse_artists(c, delimiter=r"\s*\|\s*"),
        [(None, None), ("A | B", ["A", "B"]), ("Simon & Garfunkel", ["Simon & Garfunkel"])],
        ARTISTS,
    )


def test_clean_artist_list(spark):
    check_column_function(
        spark,
        clean_artist_list,
        [
            (None, None),
            ([], None),
            ([" ", None], None),
            ([" Björk ", "", None, "Sigur Rós"], ["Björk", "Sigur Rós"]),
        ],
        "value array<string>, expected array<string>",
    )


def test_parser_knobs_are_checked():
    assert PARSERS["duration"].option_problems({"unit": "s"}) == []
    problems = PARSERS["duration"].option_problems({"unit": "minutes", "formats": ["yyyy"]})
    assert problems == [
        "unit: must be one of ms, s, got 'minutes'",
        "formats: not a knob of this parser (knobs: ('unit', 'overflow_hours_as_minutes'))",
    ]
    assert PARSERS["date"].option_problems({"placeholders": ["1900-01-01"]}) == []
    assert PARSERS["date"].option_problems({"placeholders": ["someday"]})
    assert PARSERS["artists"].option_problems({"delimiter": "(["})
