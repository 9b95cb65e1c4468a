"""The output contracts as files (conf/contracts/): up to date, valid, and versioned.

Pure Python: the StructTypes and the config, no SparkSession.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

import jobs.contracts as contracts_job
from features import schemas
from features.schemas import CONTRACT_VERSION
from jobs.runtime.config import DEFAULT_CONF_DIR, load_config
from jobs.runtime.contracts import (
    AVRO_SUFFIX,
    BIGQUERY_SUFFIX,
    SCALA_FILE,
    ContractError,
    SchemaComments,
    avro_schema,
    bigquery_schema,
    breaking_changes,
    column_comments,
    contract_problems,
    output_tables,
    render_contracts,
    scala_case_classes,
    stale_files,
    write_contracts,
)

CONTRACT_DIR = DEFAULT_CONF_DIR / "contracts"
BUMPED = str(int(CONTRACT_VERSION) + 1)


def _no_doc(_: str) -> str:
    return ""


@pytest.fixture(scope="module")
def cfg():
    return load_config("local")


@pytest.fixture(scope="module")
def tables(cfg) -> dict[str, StructType]:
    return output_tables(cfg)


# --- the committed files ------------------------------------------------------------


def test_committed_contracts_are_up_to_date(tables):
    """A contract changed in features/schemas.py without `make contracts` fails here."""
    stale = stale_files(CONTRACT_DIR, render_contracts(tables, CONTRACT_VERSION))
    assert not stale, "conf/contracts/ is out of date, run `make contracts`: " + ", ".join(stale)


def test_no_breaking_change_without_a_version_bump(tables):
    problems = contract_problems(CONTRACT_DIR, tables, CONTRACT_VERSION)
    assert not problems, "\n".join(problems)


def test_output_tables_are_the_published_ones(cfg, tables):
    for entity in cfg.entities.values():
        published = [r for r in ("features", "pairs", "groups", "id_history") if r in entity.tables]
        published += ["matches", "unmatched"] if entity.kind == "link" else []
        published += list(entity.products.roles) if entity.products else []
        read = ["input", "golden", "labelled_pairs"]
        read += list(entity.derived.inputs) if entity.derived else []
        assert {entity.tables[r] for r in published} <= set(tables), entity.name
        assert not {entity.tables[r] for r in read if r in entity.tables} & set(tables)
    shared = {"quarantine", "evaluation", "error_analysis", "model_comparison"}
    assert shared <= set(tables)
    assert {"works", "version_relations", "video_matches", "unmatched_videos"} <= set(tables)
    assert tables["recording_groups"] is schemas.RECORDING_GROUPS


def test_every_output_table_has_both_files(tables):
    missing = [
        f"{table}{suffix}"
        for table in tables
        for suffix in (BIGQUERY_SUFFIX, AVRO_SUFFIX)
        if not (CONTRACT_DIR / f"{table}{suffix}").is_file()
    ]
    assert not missing, f"missing in conf/contracts/: {missing}"
    assert (CONTRACT_DIR / "VERSION").read_text() == f"{CONTRACT_VERSION}\n"
    assert (CONTRACT_DIR / "README.md").is_file()


# --- the files are valid -----------------------------------------------------------

BQ_TYPES = {"STRING", "INT64", "FLOAT64", "BOOL", "TIMESTAMP", "DATE", "RECORD"}
BQ_MODES = {"NULLABLE", "REQUIRED", "REPEATED"}
BQ_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")


def bigquery_problems(fields: Any, where: str) -> list[str]:
    if not isinstance(fields, list) or not fields:
        return [f"{where}: not a non-empty list of fields"]
    problems, seen = [], set()
    for field in fields:
        name = field.get("name", "")
        at = f"{where}.{name}"
        if not BQ_NAME.fullmatch(name) or name.lower() in seen:
            problems.append(f"{at}: bad or repeated name")
        seen.add(name.lower())
        if field.get("type") not in BQ_TYPES or field.get("mode") not in BQ_MODES:
            problems.append(f"{at}: type {field.get('type')} mode {field.get('mode')}")
        if (field.get("type") == "RECORD") != ("fields" in field):
            problems.append(f"{at}: fields belong to RECORD columns only")
        if "fields" in field:
            problems += bigquery_problems(field["fields"], at)
        if set(field) - {"name", "type", "mode", "description", "fields"}:
            problems.append(f"{at}: unknown keys {set(field)}")
    return problems


AVRO_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
AVRO_LOGICAL = {"date": "int", "timestamp-micros": "long", "timestamp-millis": "long"}
AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def avro_problems(schema: Any, where: str, names: set[str]) -> list[str]:
    """What makes ``schema`` no valid Avro schema (the spec's rules that apply here)."""
    if isinstance(schema, str):
        return [] if schema in AVRO_PRIMITIVES or schema in names else [f"{where}: {schema}?"]
    if isinstance(schema, list):
        kinds = [
            b
            if isinstance(b, str)
            else "union"
            if isinstance(b, list)
            else b.get("name", b["type"])
            for b in schema
        ]
        problems = [f"{where}: union repeats a type"] if len(set(kinds)) < len(kinds) else []
        problems += [f"{where}: union in a union" for b in schema if isinstance(b, list)]
        return problems + [p for b in schema for p in avro_problems(b, where, names)]
    kind = schema.get("type")
    if kind == "array":
        return avro_problems(schema.get("items"), f"{where}[]", names)
    if kind in AVRO_LOGICAL.values() and "logicalType" in schema:
        ok = AVRO_LOGICAL.get(schema["logicalType"]) == kind
        return [] if ok else [f"{where}: {schema['logicalType']} on {kind}"]
    if kind != "record":
        return [f"{where}: unknown type {kind!r}"]
    name = schema.get("name", "")
    if not AVRO_NAME.fullmatch(name) or name in names:
        return [f"{where}: bad or repeated record name {name!r}"]
    names.add(name)
    problems, seen = [], set()
    for field in schema.get("fields", []):
        at = f"{where}.{field.get('name')}"
        if not AVRO_NAME.fullmatch(field.get("name", "")) or field["name"] in seen:
            problems.append(f"{at}: bad or repeated field name")
        seen.add(field.get("name"))
        if "default" in field and not (
            field["default"] is None
            and isinstance(field["type"], list)
            and field["type"][0] == "null"
        ):
            problems.append(f"{at}: a default must match the union's first branch")
        problems += avro_problems(field.get("type"), at, names)
    return problems


def test_bigquery_schemas_are_valid(tables):
    problems = [
        p
        for table in tables
        for p in bigquery_problems(
            json.loads((CONTRACT_DIR / f"{table}{BIGQUERY_SUFFIX}").read_text()), table
        )
    ]
    assert not problems, "\n".join(problems)


def test_avro_schemas_parse(tables):
    problems = []
    for table in tables:
        schema = json.loads((CONTRACT_DIR / f"{table}{AVRO_SUFFIX}").read_text())
        assert schema["name"] == table and schema["namespace"] == "music_resolution"
        problems += avro_problems(schema, table, set())
    assert not problems, "\n".join(problems)


def test_the_bigquery_check_can_fail():
    bad = [
        {"name": "a", "type": "VARCHAR", "mode": "NULLABLE"},
        {"name": "A", "type": "STRING", "mode": "NULLABLE"},
        {"name": "r", "type": "RECORD", "mode": "REPEATED"},
    ]
    assert len(bigquery_problems(bad, "t")) == 3


def test_the_avro_check_can_fail():
    bad = {"type": "record", "name": "t", "fields": [
        {"name": "a", "type": "string", "default": None},
        {"name": "b", "type": ["null", ["null", "long"]]},
        {"name": "c", "type": {"type": "long", "logicalType": "date"}},
        {"name": "c", "type": "varchar"},
    ]}  # fmt: skip
    assert len(avro_problems(bad, "t", set())) == 5


# --- types, table-driven ---------------------------------------------------------------

NESTED = StructType([StructField("x", LongType(), False)])
TYPE_CASES = [
    # spark type, nullable, BigQuery type, BigQuery mode, Avro type
    (StringType(), True, "STRING", "NULLABLE", ["null", "string"]),
    (StringType(), False, "STRING", "REQUIRED", "string"),
    (LongType(), False, "INT64", "REQUIRED", "long"),
    (IntegerType(), True, "INT64", "NULLABLE", ["null", "int"]),
    (DoubleType(), False, "FLOAT64", "REQUIRED", "double"),
    (BooleanType(), False, "BOOL", "REQUIRED", "boolean"),
    (TimestampType(), False, "TIMESTAMP", "REQUIRED", {"type": "long", "logicalType": "timestamp-micros"}),
    (DateType(), True, "DATE", "NULLABLE", ["null", {"type": "int", "logicalType": "date"}]),
    (ArrayType(StringType(), True), True, "STRING", "REPEATED", ["null", {"type": "array", "items": ["null", "string"]}]),
    (ArrayType(StringType(), False), False, "STRING", "REPEATED", {"type": "array", "items": "string"}),
    (NESTED, True, "RECORD", "NULLABLE", ["null", {"type": "record", "name": "t_c", "fields": [{"name": "x", "type": "long"}]}]),
    (ArrayType(NESTED, False), False, "RECORD", "REPEATED", {"type": "array", "items": {"type": "record", "name": "t_c", "fields": [{"name": "x", "type": "long"}]}}),
]  # fmt: skip


@pytest.mark.parametrize(("dtype", "nullable", "bq_type", "bq_mode", "avro"), TYPE_CASES)
def test_types_map_to_bigquery_and_avro(dtype, nullable, bq_type, bq_mode, avro):
    contract = StructType([StructField("c", dtype, nullable)])
    (column,) = bigquery_schema(contract, _no_doc, "t")
    assert (column["type"], column["mode"]) == (bq_type, bq_mode)
    assert ("fields" in column) == (bq_type == "RECORD")
    (field,) = avro_schema(contract, _no_doc, "t")["fields"]
    assert field["type"] == avro
    assert ("default" in field) == nullable


@pytest.mark.parametrize(
    ("dtype", "why"),
    [
        (MapType(StringType(), StringType()), "not a plain type"),
        (DecimalType(10, 2), "not a plain type"),
        (ArrayType(ArrayType(StringType())), "no array of arrays"),
    ],
)
def test_a_type_no_reader_can_take_is_refused(dtype, why):
    with pytest.raises(ContractError, match=rf"t\.c: .*{why}"):
        bigquery_schema(StructType([StructField("c", dtype)]), _no_doc, "t")


# --- descriptions from comments ------------------------------------------------------------

SOURCE = '''
def pairs(id_column):
    """Scored pairs."""
    return StructType([
        _f(f"{id_column}_l", _S, False),  # left id
        _f("weight", _D),
    ])


# one row per thing
THINGS = StructType(
    [
        _f("thing_id", _S, False),  # the thing
        # what it is called,
        # as a person writes it
        _f("name", _S),
        _f("size", _L),
    ]
)
THING_PAIRS = pairs("thing_id")
'''


def test_descriptions_come_from_the_comments():
    module = type("Module", (), {})()
    module.THINGS = StructType([StructField(n, StringType()) for n in ("thing_id", "name", "size")])
    module.THING_PAIRS = StructType([StructField("thing_id_l", StringType())])
    comments = SchemaComments(SOURCE, module)
    things = comments.describer(module.THINGS)
    assert things("thing_id") == "the thing"
    assert things("name") == "what it is called, as a person writes it"
    assert things("size") == ""
    assert comments.describer(module.THING_PAIRS)("thing_id_l") == "left id"
    assert comments.table_doc(module.THINGS) == "one row per thing"
    assert comments.table_doc(module.THING_PAIRS) == "Scored pairs."
    assert comments.describer(StructType([StructField("name", StringType())]))("name") == ""


def test_the_schemas_comments_reach_the_files():
    comments = SchemaComments.of_module(schemas)
    assert comments.describer(schemas.ERROR_ANALYSIS)("rank")
    assert comments.describer(schemas.VIDEO_MATCHES)("matched_track_id")  # f-string name
    assert comments.describer(schemas.VERSION_RELATIONS)("confidence")
    assert comments.table_doc(schemas.ID_HISTORY)


def _undescribed_bigquery(fields: list[dict[str, Any]], where: str) -> list[str]:
    missing = []
    for field in fields:
        at = f"{where}.{field['name']}"
        missing += [at] if not str(field.get("description", "")).strip() else []
        missing += _undescribed_bigquery(field.get("fields", []), at)
    return missing


def _undescribed_avro(schema: Any, where: str) -> list[str]:
    """Fields of the records in an Avro type (unions, arrays, records) that have no doc."""
    if isinstance(schema, list):
        return [m for branch in schema for m in _undescribed_avro(branch, where)]
    if not isinstance(schema, dict):
        return []
    if schema.get("type") == "array":
        return _undescribed_avro(schema["items"], where)
    missing = []
    for field in schema.get("fields", []):
        at = f"{where}.{field['name']}"
        missing += [at] if not str(field.get("doc", "")).strip() else []
        missing += _undescribed_avro(field["type"], at)
    return missing


def test_every_output_column_is_described(tables):
    """Every column of every output table, and every field of its nested structs, has a
    description in both files: write a comment beside its ``_f(...)`` in features/schemas.py."""
    rendered = render_contracts(tables, CONTRACT_VERSION)
    missing = []
    for table in sorted(tables):
        missing += _undescribed_bigquery(json.loads(rendered[table + BIGQUERY_SUFFIX]), table)
        missing += _undescribed_avro(json.loads(rendered[table + AVRO_SUFFIX]), table)
    assert not missing, "no description (comment it in features/schemas.py):\n" + "\n".join(
        sorted(set(missing))
    )


def test_the_description_check_can_fail():
    contract = StructType(
        [
            StructField("a", StringType()),
            StructField(
                "s", StructType([StructField("x", LongType()), StructField("y", LongType())])
            ),
        ]
    )
    described = {"a": "an a", "s": "an s", "s.x": "an x"}.get
    bq = bigquery_schema(contract, lambda c: described(c, ""), "t")
    avro = avro_schema(contract, lambda c: described(c, ""), "t")
    assert _undescribed_bigquery(bq, "t") == ["t.s.y"]
    assert _undescribed_avro(avro, "t") == ["t.s.y"]


def test_a_nested_field_is_described_by_its_own_struct():
    comments = SchemaComments.of_module(schemas)
    pairs = comments.describer(schemas.RECORDING_PAIRS)
    level = comments.describer(schemas.COMPARISON_LEVEL)
    assert pairs("comparison_levels.match_weight") == level("match_weight")
    assert pairs("comparison_levels.match_weight") != pairs("match_weight")
    errors = comments.describer(schemas.ERROR_ANALYSIS)  # a copy of COMPARISON_LEVEL's fields
    assert errors("comparison_levels.level") == level("level")
    assert pairs("comparison_levels.nothing") == pairs("nothing.level") == ""


BUILT_SOURCE = '''
def groups(id_column, group_column="group_id"):
    """One row per thing."""
    return StructType([
        _f(id_column, _S, False),  # the thing
        _f(group_column, _S, False),  # its group
        _f(f"best_{id_column}", _S),  # the best one
    ])


CONTRACTS = {"things": Entity(groups=groups("thing_id", group_column="thing_group"))}
'''


def _groups(id_column: str, group_column: str = "group_id") -> StructType:
    names = (id_column, group_column, f"best_{id_column}")
    return StructType([StructField(n, StringType()) for n in names])


def test_a_contract_a_function_builds_in_place_is_described():
    """No constant holds it: the top-level call that builds an equal contract is its source."""
    module = type("Module", (), {})()
    module.groups = _groups
    comments = SchemaComments(BUILT_SOURCE, module)
    built = _groups("thing_id", "thing_group")  # a new object, as a job would build it
    describe = comments.describer(built)
    assert [describe(f.name) for f in built.fields] == ["the thing", "its group", "the best one"]
    assert comments.table_doc(built) == "One row per thing."
    assert comments.describer(_groups("other_id"))("other_id") == ""  # built nowhere


def test_schema_functions_describe_their_columns_by_argument():
    comments = SchemaComments.of_module(schemas)
    groups = comments.describer(schemas.RELEASE_GROUPS)
    assert groups("release_id") and groups("release_group_id")  # _f(id_column), _f(group_column)
    assert groups("representative_release_id")
    copy = schemas.pairs_schema("track_id")  # equal to RECORDING_PAIRS, not the constant
    assert copy is not schemas.RECORDING_PAIRS
    described = comments.describer(copy)("track_id_l")
    assert described and described == comments.describer(schemas.RECORDING_PAIRS)("track_id_l")
    matches = comments.describer(schemas.VIDEO_MATCHES)
    assert matches("video_kind") and matches("recording_group_id")  # kind and group parameters


# --- column comments for table writers ----------------------------------------------------


def test_column_comments_are_the_top_level_descriptions():
    comments = column_comments(schemas.RECORDING_PAIRS)
    describe = SchemaComments.of_module(schemas).describer(schemas.RECORDING_PAIRS)
    assert comments == {f.name: describe(f.name) for f in schemas.RECORDING_PAIRS.fields}
    assert "comparison_levels.level" not in comments
    undescribed = StructType([StructField("no_such_column", StringType())])
    assert column_comments(undescribed) == {}  # empty descriptions are left out


def test_column_comments_parse_once_and_describe_each_contract_once(monkeypatch):
    from jobs.runtime import contracts as runtime

    assert runtime.schema_comments() is runtime.schema_comments()  # parsed once per process
    first = column_comments(schemas.WORKS)
    first["work_id"] = "changed by a caller"  # a copy: the cache keeps its own

    def described_again(contract: StructType) -> Callable[[str], str]:
        raise AssertionError("described again")

    monkeypatch.setattr(runtime.schema_comments(), "describer", described_again)
    again = column_comments(schemas.WORKS)
    assert again["work_id"] != "changed by a caller" and set(again) == set(first)


# --- breaking changes need a new version ----------------------------------------------------


def _change(contract: StructType, column: str, field: StructField | None) -> StructType:
    """``contract`` with ``column`` replaced by ``field`` (None: dropped; new: appended)."""
    fields = [field if f.name == column else f for f in contract.fields]
    if column not in contract.fieldNames():
        fields.append(field)
    return StructType([f for f in fields if f is not None])


def _nested_level_as_string(pairs: StructType) -> StructType:
    levels = _change(schemas.COMPARISON_LEVEL, "level", StructField("level", StringType(), False))
    field = StructField("comparison_levels", ArrayType(levels, False), False)
    return _change(pairs, "comparison_levels", field)


Edit = Callable[[dict[str, StructType]], None]


def _edit(table: str, change: Callable[[StructType], StructType]) -> Edit:
    def apply(tables: dict[str, StructType]) -> None:
        tables[table] = change(tables[table])

    return apply


BREAKING: dict[str, tuple[Edit, str]] = {
    "drop": (
        _edit("recording_groups", lambda s: _change(s, "group_size", None)),
        "recording_groups.group_size: column removed",
    ),
    "rename": (
        _edit(
            "recording_groups",
            lambda s: _change(s, "recording_group_id", StructField("group_id", StringType(), False)),
        ),
        "recording_groups.recording_group_id: column removed",
    ),
    "retype": (
        _edit("recording_groups", lambda s: _change(s, "group_size", StructField("group_size", DoubleType(), False))),
        "recording_groups.group_size: type INT64 -> FLOAT64",
    ),
    "array to scalar": (
        _edit("version_relations", lambda s: _change(s, "evidence", StructField("evidence", StringType(), False))),
        "version_relations.evidence: type ARRAY<STRING> -> STRING",
    ),
    "nested retype": (
        _edit("recording_pairs", _nested_level_as_string),
        "recording_pairs.comparison_levels.level: type INT64 -> STRING",
    ),
    "nullable to required": (
        _edit("quarantine", lambda s: _change(s, "record_id", StructField("record_id", StringType(), False))),
        "quarantine.record_id: NULLABLE -> REQUIRED",
    ),
    "required column added": (
        _edit("recording_groups", lambda s: _change(s, "score", StructField("score", DoubleType(), False))),
        "recording_groups.score: REQUIRED column added",
    ),
    "table removed": (lambda tables: tables.pop("works"), "works: table removed"),
}  # fmt: skip

COMPATIBLE: dict[str, Edit] = {
    "nullable column added": _edit(
        "recording_groups", lambda s: _change(s, "score", StructField("score", DoubleType()))
    ),
    "array column added": _edit(
        "works", lambda s: _change(s, "aliases", StructField("aliases", ArrayType(StringType())))
    ),
    "required to nullable": _edit(
        "quarantine", lambda s: _change(s, "field", StructField("field", StringType()))
    ),
    "columns reordered": _edit("recording_groups", lambda s: StructType(s.fields[::-1])),
    "table added": lambda tables: tables.update(new_table=schemas.EVALUATION),
}


@pytest.fixture
def committed(tmp_path, tables) -> Path:
    """The current contracts, committed at CONTRACT_VERSION in a folder of their own."""
    write_contracts(tmp_path, render_contracts(tables, CONTRACT_VERSION))
    return tmp_path


@pytest.mark.parametrize("case", sorted(BREAKING))
def test_a_breaking_change_needs_a_version_bump(case, committed, tables):
    edit, expected = BREAKING[case]
    changed = dict(tables)
    edit(changed)
    problems = contract_problems(committed, changed, CONTRACT_VERSION)
    assert any(p.startswith(expected) for p in problems), problems
    assert all("bump features.schemas.CONTRACT_VERSION" in p for p in problems)
    assert contract_problems(committed, changed, BUMPED) == []


@pytest.mark.parametrize("case", sorted(COMPATIBLE))
def test_a_compatible_change_keeps_the_version(case, committed, tables):
    changed = dict(tables)
    COMPATIBLE[case](changed)
    assert contract_problems(committed, changed, CONTRACT_VERSION) == []


def test_breaking_changes_ignore_descriptions():
    old = [{"name": "a", "type": "STRING", "mode": "NULLABLE", "description": "x"}]
    assert breaking_changes({"t": old}, {"t": [{**old[0], "description": "y"}]}) == []


def test_the_job_refuses_a_breaking_change_until_the_version_is_bumped(
    tmp_path, tables, monkeypatch
):
    for name in ("base.yaml", "local.yaml"):
        shutil.copy(DEFAULT_CONF_DIR / name, tmp_path / name)
    args = ["--config-dir", str(tmp_path)]
    assert contracts_job.main(args) == 0
    assert contracts_job.main([*args, "--check"]) == 0
    changed = dict(tables)
    BREAKING["drop"][0](changed)
    monkeypatch.setattr(contracts_job, "output_tables", lambda cfg: changed)
    with pytest.raises(ContractError, match="recording_groups.group_size"):
        contracts_job.main(args)
    assert contracts_job.main([*args, "--check"]) == 1
    monkeypatch.setattr(contracts_job, "CONTRACT_VERSION", BUMPED)
    assert contracts_job.main(args) == 0
    assert (tmp_path / "contracts" / "VERSION").read_text() == f"{BUMPED}\n"
    written = json.loads(
        (tmp_path / "contracts" / f"recording_groups{BIGQUERY_SUFFIX}").read_text()
    )
    assert "group_size" not in {f["name"] for f in written}
    assert contracts_job.main([*args, "--check"]) == 0


def test_check_lists_a_stale_file(tmp_path, tables):
    rendered = render_contracts(tables, CONTRACT_VERSION)
    write_contracts(tmp_path, rendered)
    (tmp_path / f"works{AVRO_SUFFIX}").write_text("{}\n")
    (tmp_path / f"gone{AVRO_SUFFIX}").write_text("{}\n")
    assert stale_files(tmp_path, rendered) == [
        f"works{AVRO_SUFFIX} (differs)",
        f"gone{AVRO_SUFFIX} (no such output table)",
    ]
    write_contracts(tmp_path, rendered)
    assert stale_files(tmp_path, rendered) == []


# --- Scala case classes ----------------------------------------------------------------------

SCALA_CASES = [
    # spark type, nullable, Scala type of the field
    (StringType(), False, "String"),
    (StringType(), True, "Option[String]"),
    (LongType(), False, "Long"),
    (IntegerType(), True, "Option[Int]"),
    (DoubleType(), False, "Double"),
    (BooleanType(), False, "Boolean"),
    (TimestampType(), False, "java.sql.Timestamp"),
    (DateType(), True, "Option[java.sql.Date]"),
    (ArrayType(StringType(), False), False, "Seq[String]"),
    (ArrayType(StringType(), True), True, "Option[Seq[Option[String]]]"),
    (NESTED, True, "Option[TC]"),
    (ArrayType(NESTED, False), False, "Seq[TC]"),
]


def _scala(tables: dict[str, StructType]) -> str:
    """The Scala source of ``tables``, with no schemas module: no descriptions, no constants."""
    return scala_case_classes(tables, "1", SchemaComments(""))


@pytest.mark.parametrize(("dtype", "nullable", "scala"), SCALA_CASES)
def test_types_map_to_scala(dtype, nullable, scala):
    source = _scala({"t": StructType([StructField("c", dtype, nullable)])})
    assert f"final case class T(\n    c: {scala}\n)" in source
    assert 'val t: Table[T] =\n    Table("t", Encoders.product[T])' in source
    if "TC" in scala:  # a struct is a case class of its own, named after where it is used
        assert "final case class TC(\n    x: Long\n)" in source


def test_every_output_table_has_a_scala_case_class(tables):
    """The committed file: one case class per table, read through OutputTables.tables."""
    source = (CONTRACT_DIR / SCALA_FILE).read_text()
    assert SCALA_FILE in render_contracts(tables, CONTRACT_VERSION)  # so --check covers it
    for table in tables:
        cls = "".join(part.capitalize() for part in table.split("_"))
        assert f"final case class {cls}(" in source, table
        assert f'Table("{table}", Encoders.product[{cls}])' in source, table
        member = cls[0].lower() + cls[1:]
        assert f"    {member}.name -> {member}" in source, table
    assert f'val ContractVersion: String = "{CONTRACT_VERSION}"' in source
    assert "package music_resolution.contracts" in source


def test_scala_fields_carry_their_descriptions(tables):
    """Every field of every case class has its column's description as a comment above it."""
    lines = scala_case_classes(tables, CONTRACT_VERSION).splitlines()
    fields = [i for i, line in enumerate(lines) if re.fullmatch(r"    `?\w+`?: \S.*", line)]
    assert len(fields) > sum(len(c.fields) for c in tables.values())  # nested ones too
    undescribed = [lines[i] for i in fields if not lines[i - 1].startswith("    // ")]
    assert not undescribed, undescribed
    assert "    // the level the pair reached (Splink gamma; -1 = null)\n    level: Int," in (
        "\n".join(lines)
    )


def test_a_scala_struct_is_one_class_named_after_its_constant(tables):
    source = scala_case_classes(tables, CONTRACT_VERSION)
    assert source.count("final case class ComparisonLevel(") == 1  # COMPARISON_LEVEL
    assert source.count("    comparison_levels: Seq[ComparisonLevel],") == 5  # the pairs tables
    assert "    explanation: Seq[ComparisonLevel]," in source  # video_matches
    # error_analysis' copy has nullable fields: no equal constant, a class of its own
    assert "    comparison_levels: Option[Seq[Option[ErrorAnalysisComparisonLevels]]]," in source
    assert "    level: Option[Int]," in source


def test_scala_names_take_keywords_and_refuse_a_clash():
    one = StructType([StructField("type", StringType(), False)])
    assert "    `type`: String\n" in _scala({"t": one})
    assert "  val `match`: Table[Match] =" in _scala({"match": one})
    with pytest.raises(ContractError, match="AB would also be table a__b"):
        _scala({"a_b": one, "a__b": one})
    with pytest.raises(ContractError, match="cannot name a Scala case class"):
        _scala({"string": one})  # String would shadow scala.String
    with pytest.raises(ContractError, match="would also be"):  # a table named like a struct
        _scala({"t": StructType([StructField("c", NESTED)]), "t_c": one})
    with pytest.raises(ContractError, match=r"t\.c: .*not a plain type"):
        _scala({"t": StructType([StructField("c", MapType(StringType(), StringType()))])})


def test_check_lists_a_hand_edited_scala_file(tmp_path, tables):
    rendered = render_contracts(tables, CONTRACT_VERSION)
    write_contracts(tmp_path, rendered)
    path = tmp_path / SCALA_FILE
    path.write_text(path.read_text().replace("group_size: Long", "group_size: Int"))
    assert stale_files(tmp_path, rendered) == [f"{SCALA_FILE} (differs)"]
    write_contracts(tmp_path, rendered)
    assert stale_files(tmp_path, rendered) == []
    path.unlink()
    assert stale_files(tmp_path, rendered) == [f"{SCALA_FILE} (missing)"]
