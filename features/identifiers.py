"""Identifiers of works: the ISWC (International Standard Musical Work Code).

T-DDD.DDD.DDD-C: nine work digits and a check digit C = (10 - (1 + sum of
i * d_i over the nine digits, i = 1..9) mod 10) mod 10. Column helpers for
the features and quality rules, plain-Python ones for generators and tests.
"""

from __future__ import annotations

import re

from pyspark.sql import Column
from pyspark.sql import functions as F

from features.errors import ResolutionError
from features.text import blank_to_null

ISWC_PATTERN = r"^T[0-9]{10}$"
_ISWC_SEPARATORS = r"[\s.\-]"


class InvalidIswcError(ResolutionError, ValueError):
    """A value handed to the pure-Python ISWC helpers is not of the ISWC shape."""


def normalize_iswc(raw: Column) -> Column:
    """'T-034.524.680-1' / 't 034524680 1' -> 'T0345246801'; anything else -> null.

    Only the shape is checked; ``iswc_check_digit_ok`` says whether the digits add up.
    """
    cleaned = F.upper(F.regexp_replace(raw, _ISWC_SEPARATORS, ""))
    return F.when(cleaned.rlike(ISWC_PATTERN), cleaned)


def iswc_shape_ok(raw: Column) -> Column:
    """True when ``raw`` is present, not blank and of the ISWC shape; false otherwise (also for null)."""
    return F.coalesce(
        blank_to_null(raw).isNotNull() & normalize_iswc(raw).isNotNull(), F.lit(False)
    )


def iswc_check_digit_ok(normalized: Column) -> Column:
    """Whether a normalised ISWC's check digit is right; null for null or a malformed value.

    C = (10 - (1 + sum(i * d_i, i = 1..9)) mod 10) mod 10 over the nine work digits.
    """
    weighted = sum(
        (F.lit(i) * F.substring(normalized, i + 1, 1).cast("int") for i in range(1, 10)),
        F.lit(0),
    )
    expected = (F.lit(10) - (weighted + 1) % 10) % 10
    return F.when(
        normalized.rlike(ISWC_PATTERN), expected == F.substring(normalized, 11, 1).cast("int")
    )


def iswc_check_digit(nine_digits: str) -> int:
    """The check digit of a work identifier ("034524680" -> 1), for generators and tests."""
    if not re.fullmatch(r"[0-9]{9}", nine_digits):
        raise InvalidIswcError(
            f"an ISWC work identifier is nine digits, got {nine_digits!r}; "
            "pass the digits between 'T-' and the check digit"
        )
    total = 1 + sum(i * int(d) for i, d in enumerate(nine_digits, start=1))
    return (10 - total % 10) % 10


def format_iswc(normalized: str) -> str:
    """'T0345246801' -> 'T-034.524.680-1', the printed form; separators in the input are fine."""
    cleaned = re.sub(_ISWC_SEPARATORS, "", normalized).upper()
    if not re.fullmatch(ISWC_PATTERN, cleaned):
        raise InvalidIswcError(
            f"not an ISWC: {normalized!r}; expected 'T' and ten digits, e.g. 'T-034.524.680-1'"
        )
    d = cleaned[1:]
    return f"T-{d[0:3]}.{d[3:6]}.{d[6:9]}-{d[9]}"
