"""Identifiers of works and of the people credited on them: ISWC, IPI name number, ISNI.

- ISWC (International Standard Musical Work Code), T-DDD.DDD.DDD-C: nine
  work digits and a check digit C = (10 - (1 + sum of i * d_i over the nine
  digits, i = 1..9) mod 10) mod 10.
- IPI name number (CISAC's Interested Parties Information), eleven digits:
  nine and a two-digit check, mod 101 over the nine weighted 10, 9, ..., 2:
  r = sum mod 101, check = (101 - r) mod 100 (00 when r is 0). Often written
  without its leading zeros: those are put back.
- ISNI (ISO 27729, International Standard Name Identifier), sixteen
  characters, usually in groups of four: fifteen digits and an ISO 7064
  MOD 11-2 check character (X for 10), as ORCID iDs.

Column helpers for the features and quality rules, plain-Python ones for
generators and tests.
"""

from __future__ import annotations

import re

from pyspark.sql import Column
from pyspark.sql import functions as F

from features.errors import ResolutionError
from features.text import blank_to_null

ISWC_PATTERN = r"^T[0-9]{10}$"
_SEPARATORS = r"[\s.\-]"


class InvalidIswcError(ResolutionError, ValueError):
    """A value handed to the pure-Python ISWC helpers is not of the ISWC shape."""


def normalize_iswc(raw: Column) -> Column:
    """'T-034.524.680-1' / 't 034524680 1' -> 'T0345246801'; anything else -> null.

    Only the shape is checked; ``iswc_check_digit_ok`` says whether the digits add up.
    """
    cleaned = F.upper(F.regexp_replace(raw, _SEPARATORS, ""))
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
    cleaned = re.sub(_SEPARATORS, "", normalized).upper()
    if not re.fullmatch(ISWC_PATTERN, cleaned):
        raise InvalidIswcError(
            f"not an ISWC: {normalized!r}; expected 'T' and ten digits, e.g. 'T-034.524.680-1'"
        )
    d = cleaned[1:]
    return f"T-{d[0:3]}.{d[3:6]}.{d[6:9]}-{d[9]}"


IPI_PATTERN = r"^[0-9]{11}$"
ISNI_PATTERN = r"^[0-9]{15}[0-9X]$"


class InvalidPartyIdError(ResolutionError, ValueError):
    """A value handed to the pure-Python IPI or ISNI helpers is not of the shape they take."""


def normalize_ipi(raw: Column) -> Column:
    """'00052210040' / '522 100 40' / '52210040' -> '00052210040'; anything else -> null.

    One to eleven digits once separators are gone, zero-padded to eleven; only
    the shape is checked (``ipi_check_ok`` says whether the check digits add up).
    """
    cleaned = F.regexp_replace(raw, _SEPARATORS, "")
    return F.when(cleaned.rlike(r"^[0-9]{1,11}$"), F.lpad(cleaned, 11, "0"))


def ipi_check_ok(normalized: Column) -> Column:
    """Whether a normalised IPI name number's last two digits are its check; null if malformed."""
    weighted = sum(
        (F.lit(10 - i) * F.substring(normalized, i + 1, 1).cast("int") for i in range(9)),
        F.lit(0),
    )
    remainder = weighted % 101
    expected = F.when(remainder == 0, F.lit(0)).otherwise((F.lit(101) - remainder) % 100)
    return F.when(
        normalized.rlike(IPI_PATTERN), expected == F.substring(normalized, 10, 2).cast("int")
    )


def ipi_check(nine_digits: str) -> str:
    """The two check digits of an IPI name number's first nine ("000522100" -> "40")."""
    if not re.fullmatch(r"[0-9]{9}", nine_digits):
        raise InvalidPartyIdError(
            f"an IPI name number starts with nine digits, got {nine_digits!r}; "
            "pass the eleven-digit number without its last two"
        )
    remainder = sum((10 - i) * int(d) for i, d in enumerate(nine_digits)) % 101
    return f"{(101 - remainder) % 100 if remainder else 0:02d}"


def normalize_isni(raw: Column) -> Column:
    """'0000 0001 2281 955X' / 'ISNI 000000012281955x' -> '000000012281955X'; else null."""
    cleaned = F.regexp_replace(F.upper(F.regexp_replace(raw, _SEPARATORS, "")), r"^ISNI", "")
    return F.when(cleaned.rlike(ISNI_PATTERN), cleaned)


def isni_check_ok(normalized: Column) -> Column:
    """Whether a normalised ISNI's last character is its MOD 11-2 check; null if malformed."""
    total = F.lit(0)
    for i in range(15):  # ISO 7064 MOD 11-2: t = (t + d) * 2 over the digits, left to right
        total = ((total + F.substring(normalized, i + 1, 1).cast("int")) * 2) % 11
    value = (F.lit(12) - total) % 11
    expected = F.when(value == 10, F.lit("X")).otherwise(value.cast("string"))
    return F.when(normalized.rlike(ISNI_PATTERN), expected == F.substring(normalized, 16, 1))


def isni_check(fifteen_digits: str) -> str:
    """The check character of an ISNI's first fifteen digits ("000000012281955" -> "X")."""
    if not re.fullmatch(r"[0-9]{15}", fifteen_digits):
        raise InvalidPartyIdError(
            f"an ISNI starts with fifteen digits, got {fifteen_digits!r}; "
            "pass the sixteen characters without the last"
        )
    total = 0
    for d in fifteen_digits:
        total = (total + int(d)) * 2 % 11
    value = (12 - total) % 11
    return "X" if value == 10 else str(value)
