"""IPI name numbers and ISNIs: shapes, check digits, and the quality rules that null bad ones."""

from __future__ import annotations

import pytest

from features.identifiers import (
    InvalidPartyIdError,
    ipi_check,
    ipi_check_ok,
    isni_check,
    isni_check_ok,
    normalize_ipi,
    normalize_isni,
)
from features.quality import VALUE_NULLED, ipi_rules, isni_rules, split_bad_input
from tests._helpers import check_column_function

# An IPI name number as publisher feeds print it (Freddie Mercury's).
REAL_IPI = "00052210040"
# ISO 7064 MOD 11-2 is ORCID's check too: ORCID's documented example iDs (check 7, X
# and 0), and a valid ISNI in print form whose check is X.
REAL_ISNIS = (
    "0000 0002 1825 0097",
    "0000-0002-1694-233X",
    "0000-0001-5109-3700",
    "0000 0001 2281 955X",
)


def test_ipi_check_of_a_real_number():
    assert ipi_check(REAL_IPI[:9]) == REAL_IPI[9:]
    # a remainder of 0 gives check 00, not (101 - 0) mod 100 = 01 (nine zeros)
    assert ipi_check("000000000") == "00"


@pytest.mark.parametrize("code", REAL_ISNIS)
def test_isni_check_of_real_codes(code):
    digits = code.replace(" ", "").replace("-", "")
    assert isni_check(digits[:15]) == digits[15]


@pytest.mark.parametrize(
    ("fn", "value"),
    [(ipi_check, "5221004"), (ipi_check, "00052210O"), (isni_check, "00000002182500X")],
)
def test_check_helpers_name_what_they_take(fn, value):
    with pytest.raises(InvalidPartyIdError, match="digits"):
        fn(value)


def test_normalize_ipi(spark):
    check_column_function(
        spark,
        normalize_ipi,
        [
            (None, None),
            ("", None),
            (REAL_IPI, REAL_IPI),
            ("52210040", REAL_IPI),  # leading zeros left off
            ("522 100 40", REAL_IPI),
            ("000.522.100-40", REAL_IPI),
            ("000522100400", None),  # twelve digits
            ("I-000522100-4", None),  # an IPI base number is another identifier
            ("0005221OO40", None),  # letter O for zero
            ("٠٠٠٥٢٢١٠٠٤٠", None),  # Arabic-Indic digits
        ],
    )


def test_ipi_check_ok(spark):
    check_column_function(
        spark,
        lambda raw: ipi_check_ok(normalize_ipi(raw)),
        [
            (REAL_IPI, True),
            ("52210040", True),
            ("00052210041", False),  # check off by one
            ("00052120040", False),  # two digits transposed
            ("00025210040", False),
            ("00000000000", True),
            ("not an ipi", None),
            (None, None),
        ],
        "value string, expected boolean",
    )


def test_normalize_isni(spark):
    check_column_function(
        spark,
        normalize_isni,
        [
            (None, None),
            ("", None),
            ("0000 0002 1694 233X", "000000021694233X"),
            ("0000-0002-1694-233x", "000000021694233X"),
            ("ISNI 0000 0002 1694 233X", "000000021694233X"),
            ("000000021694233", None),  # fifteen characters
            ("00000002169423XX", None),  # X only last
            ("https://isni.org/isni/000000021694233X", None),  # a URL is not an ISNI
        ],
    )


def test_isni_check_ok(spark):
    rows = [(code, True) for code in REAL_ISNIS]
    rows += [
        ("0000 0002 1825 0098", False),  # check digit changed
        ("0000 0002 1825 0079", False),  # last two transposed
        ("0000 0002 1694 2330", False),  # X written as 0
        ("nonsense", None),
        (None, None),
    ]
    check_column_function(
        spark,
        lambda raw: isni_check_ok(normalize_isni(raw)),
        rows,
        "value string, expected boolean",
    )


def test_bad_ipis_and_isnis_are_nulled_with_their_reason_and_the_record_kept(spark):
    rows = [
        ("ok", REAL_IPI, REAL_ISNIS[0]),
        ("unpadded", "52210040", None),
        ("none", None, "  "),
        ("ipi_shape", "IPI 522", None),
        ("ipi_check", "00052210041", None),
        ("isni_shape", None, "0000 0002 1825"),
        ("isni_check", None, "0000 0002 1825 0098"),
    ]
    df = spark.createDataFrame(rows, "credit_id string, ipi string, isni string")
    usable, quarantine = split_bad_input(
        df,
        entity_type="credits",
        id_column="credit_id",
        run_id="t",
        record_rules=[],
        field_rules=[*ipi_rules(), *isni_rules()],
    )
    kept = {r["credit_id"]: (r["ipi"], r["isni"]) for r in usable.collect()}
    assert set(kept) == {r[0] for r in rows}  # nulled values, never dropped records
    assert kept["ok"] == (REAL_IPI, REAL_ISNIS[0])
    assert kept["unpadded"] == ("52210040", None)  # valid as written: kept as written
    for bad in ("ipi_shape", "ipi_check", "isni_shape", "isni_check"):
        assert kept[bad] == (None, None), bad
    got = {(r["record_id"], r["field"], r["action"], r["reason"]) for r in quarantine.collect()}
    reasons = {record: reason for record, _, _, reason in got}
    assert {(record, field, action) for record, field, action, _ in got} == {
        ("ipi_shape", "ipi", VALUE_NULLED),
        ("ipi_check", "ipi", VALUE_NULLED),
        ("isni_shape", "isni", VALUE_NULLED),
        ("isni_check", "isni", VALUE_NULLED),
    }
    assert "expected up to 11 digits" in reasons["ipi_shape"]
    assert "mod-101" in reasons["ipi_check"]
    assert "16 characters" in reasons["isni_shape"]
    assert "MOD 11-2" in reasons["isni_check"]
