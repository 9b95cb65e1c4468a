"""Output contracts as files for other languages: BigQuery, Avro schemas, Scala case classes.

``conf/contracts/`` holds, for every output table, ``<table>.bigquery.json`` (what
``bq mk --schema`` takes) and ``<table>.avsc`` (an Avro record schema), generated
from the StructType constants of ``features.schemas``, and ``VERSION`` (its
``CONTRACT_VERSION``), and ``OutputTables.scala``: one Scala case class per output
table (and per distinct struct column type), each field with its description,
and an object ``OutputTables`` that reads any table, by name, as its case class
(``scala_case_classes``). Readers in Scala or BigQuery build on these files, so a
breaking change to them (a column removed, renamed or retyped, nullable made
required, a required column added, a table removed) is allowed only together
with a new ``CONTRACT_VERSION``: ``contract_problems`` says what breaks.

Output tables are the ones the jobs publish: each entity's features, pairs,
groups, id_history, matches, unmatched and product tables (``OUTPUT_ROLES``,
``products.roles``), the knowledge graph's (kg_nodes, kg_edges, ``graph.roles``), and the shared quarantine, evaluation, error_analysis,
model_comparison and published_runs tables. Inputs, derived inputs, golden and
labelled pairs are read, not published.

Descriptions come from the comments of ``features/schemas.py`` (the StructFields
carry no metadata): a column's description is the comment on the lines of its
``_f(...)`` call, else the comment lines just above it. The call is looked for in
the source that builds the contract first (its constant's assignment; for a
contract that is no module constant, a constant equal to it, else a top-level
call of a schema function returning an equal one), then in what that names:
the constants it nests, and the schema functions it calls, their parameters
bound to the call's literal arguments (``pairs_schema("track_id")``: both
``_f(id_column, ...)`` and ``_f(f"{id_column}_l", ...)`` name a column exactly);
an exact name wins over an f-string of unknown parts taken as a pattern. A
nested struct's field (``comparison_levels.level``) is described from what its
parent column's type names. A column no comment describes gets none.
``column_comments`` gives a contract's top-level descriptions, cached, for
writers of table metadata (Delta column comments).
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import json
import re
import textwrap
import tokenize
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructType,
    TimestampType,
)

from features import schemas
from features.errors import SchemaMismatchError
from jobs.runtime.config import AppConfig
from jobs.runtime.output import write_text_atomic

# an entity's tables by role that the jobs publish (besides its products' roles)
OUTPUT_ROLES = ("features", "pairs", "groups", "id_history", "matches", "unmatched")
BIGQUERY_SUFFIX, AVRO_SUFFIX, VERSION_FILE = ".bigquery.json", ".avsc", "VERSION"
AVRO_NAMESPACE = "music_resolution"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Spark type -> (BigQuery type, Avro type): the plain types JVM readers get
PLAIN_TYPES: dict[type[DataType], tuple[str, Any]] = {
    StringType: ("STRING", "string"),
    LongType: ("INT64", "long"),
    IntegerType: ("INT64", "int"),
    DoubleType: ("FLOAT64", "double"),
    BooleanType: ("BOOL", "boolean"),
    TimestampType: ("TIMESTAMP", {"type": "long", "logicalType": "timestamp-micros"}),
    DateType: ("DATE", {"type": "int", "logicalType": "date"}),
}


class ContractError(SchemaMismatchError):
    """An output contract cannot be written as a file, or changes without a version bump."""


# --- which tables ---------------------------------------------------------------------


def output_tables(cfg: AppConfig) -> dict[str, StructType]:
    """Every output table of the configured entities and the shared ones, by table name."""
    tables: dict[str, StructType] = {}

    def add(name: str | None, contract: StructType | None, where: str) -> None:
        if name is None:
            return
        if contract is None:
            raise ContractError(f"{where}: table {name!r} has no contract in features.schemas")
        if tables.setdefault(name, contract) is not contract:
            raise ContractError(f"{where}: table {name!r} is named twice with two contracts")

    for entity in cfg.entities.values():
        contracts = schemas.CONTRACTS.get(entity.contracts)
        if contracts is None:
            raise ContractError(f"entities.{entity.name}.contracts: unknown {entity.contracts!r}")
        for role in OUTPUT_ROLES:
            add(entity.tables.get(role), getattr(contracts, role), f"entities.{entity.name}")
        for role in entity.products.roles if entity.products else ():
            add(entity.tables.get(role), contracts.extra.get(role), f"entities.{entity.name}")
        for role in entity.graph.roles if entity.graph else ():
            add(entity.tables.get(role), contracts.extra.get(role), f"entities.{entity.name}")
    add(cfg.quarantine_table, schemas.QUARANTINE, "tables.quarantine")
    add(cfg.evaluation_table, schemas.EVALUATION, "tables.evaluation")
    add(cfg.error_analysis_table, schemas.ERROR_ANALYSIS, "tables.error_analysis")
    add(cfg.published_runs_table, schemas.PUBLISHED_RUNS, "tables.published_runs")
    if cfg.graph is not None:
        add(cfg.graph.nodes_table, schemas.KG_NODES, "graph.tables.nodes")
        add(cfg.graph.edges_table, schemas.KG_EDGES, "graph.tables.edges")
    if cfg.lifecycle is not None:
        add(cfg.lifecycle.comparison_table, schemas.MODEL_COMPARISON, "tables.model_comparison")
    return tables


# --- descriptions from the comments of features/schemas.py -----------------------------

FIELD_CALLS = ("_f", "StructField")  # what declares a column: its first argument is the name

# a scope of the source: a node, and the literal arguments its function was called with
_Scope = tuple[ast.AST, dict[str, str]]


@dataclass(frozen=True)
class _Field:
    """A column's declaring call, its description, and its scope's bound arguments."""

    call: ast.Call
    text: str
    bound: dict[str, str]


class SchemaComments:
    """The comments of a schemas module's source, looked up by constant and column."""

    def __init__(self, source: str, module: Any = None) -> None:
        self.module = module
        self.tree = ast.parse(source)
        self.defs: dict[str, ast.stmt] = {}
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef):
                self.defs[node.name] = node
            elif isinstance(node, ast.Assign):
                self.defs.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
        self.comments: dict[int, str] = {}
        self.code_lines: set[int] = set()
        skip = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                self.comments[tok.start[0]] = tok.string.lstrip("#").strip()
            elif tok.type not in skip:
                self.code_lines.add(tok.start[0])
        self._builds: list[tuple[ast.AST, StructType]] | None = None

    @classmethod
    def of_module(cls, module: Any = schemas) -> SchemaComments:
        try:
            return cls(inspect.getsource(module), module)
        except (OSError, TypeError):  # no source (a frozen build): no descriptions
            return cls("", module)

    def constant_name(self, contract: StructType) -> str | None:
        """The module constant that is ``contract`` (a modified copy has none)."""
        names = vars(self.module) if self.module is not None else {}
        return next((n for n, v in names.items() if v is contract and n in self.defs), None)

    def origin(self, contract: StructType) -> ast.AST | None:
        """The source that builds ``contract``: its constant's assignment, else one building it.

        A contract that is no module constant (a schema function called again,
        an EntityContracts field built in place) is found by value: a constant
        equal to it, else a call of a schema function with literal arguments at
        the module's top level (``pairs=pairs_schema("x_id")``) that returns an
        equal contract. None for a contract the module does not build.
        """
        name = self.constant_name(contract)
        if name is not None:
            return self.defs[name]
        return next((node for node, built in self._built() if built == contract), None)

    def _built(self) -> list[tuple[ast.AST, StructType]]:
        """(source, value) of every contract the module builds at its top level, in order."""
        if self._builds is None:
            names = vars(self.module) if self.module is not None else {}
            self._builds = [
                (self.defs[n], v)
                for n, v in names.items()
                if isinstance(v, StructType) and n in self.defs
            ]
            for stmt in self.tree.body:
                if isinstance(stmt, ast.FunctionDef | ast.ClassDef):
                    continue
                for call in ast.walk(stmt):
                    if (built := self._call_result(call)) is not None:
                        self._builds.append((call, built))
        return self._builds

    def _call_result(self, node: ast.AST) -> StructType | None:
        """What a top-level call of a schema function with literal arguments returns."""
        if not (isinstance(node, ast.Call) and self._builder(node) is not None):
            return None
        try:
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            if len(kwargs) < len(node.keywords):
                return None
            built = getattr(self.module, node.func.id)(*args, **kwargs)
        except Exception:  # not literal, or not a schema function: builds no contract
            return None
        return built if isinstance(built, StructType) else None

    def _builder(self, call: ast.Call) -> ast.FunctionDef | None:
        """The module function ``call`` calls (not a column's ``_f``)."""
        if not isinstance(call.func, ast.Name) or call.func.id in FIELD_CALLS:
            return None
        node = self.defs.get(call.func.id)
        return node if isinstance(node, ast.FunctionDef) else None

    def _above(self, line: int) -> str:
        lines = []
        while line - 1 in self.comments and line - 1 not in self.code_lines:
            line -= 1
            lines.insert(0, self.comments[line])
        return " ".join(lines)

    def table_doc(self, contract: StructType) -> str:
        """The comment above the constant, else the docstring of the function building it."""
        node = self.origin(contract)
        if node is None:
            return ""
        if isinstance(node, ast.stmt) and (doc := self._above(node.lineno)):
            return doc
        for n in ast.walk(node):
            if isinstance(n, ast.Call) and (builder := self._builder(n)) is not None:
                if text := ast.get_docstring(builder):
                    return " ".join(text.split())
        return ""

    def describer(self, contract: StructType) -> Callable[[str], str]:
        """A column name -> its description, for the columns of ``contract``.

        A nested struct's field is named by its path (``comparison_levels.level``)
        and described from the source of its parent column's type.
        """
        node = self.origin(contract)
        return self._describer([(node, {})] if node is not None else [])

    def _scopes(self, roots: list[_Scope]) -> list[_Scope]:
        """``roots``, then what each scope names, breadth first.

        A schema function called with literal arguments is a scope with its
        parameters bound to them (``pairs_schema("track_id")``: id_column is
        track_id), so its columns' names are known exactly. What a column's
        type names is left to the describer of its nested fields.
        """
        scopes, seen = list(roots), {(id(n), tuple(sorted(b.items()))) for n, b in roots}

        def add(node: ast.AST, bound: dict[str, str]) -> None:
            key = (id(node), tuple(sorted(bound.items())))
            if key not in seen:
                seen.add(key)
                scopes.append((node, bound))

        for scope, bound in scopes:  # grows
            called = set()
            for n in _walk(scope):
                if isinstance(n, ast.Call) and (builder := self._builder(n)) is not None:
                    called.add(id(n.func))
                    add(builder, _bind(builder, n, bound))
                elif (
                    isinstance(n, ast.Name)
                    and n.id in self.defs
                    and n.id not in FIELD_CALLS
                    and id(n) not in called
                ):
                    add(self.defs[n.id], {})
        return scopes

    def _describer(self, roots: list[_Scope]) -> Callable[[str], str]:
        exact: dict[str, _Field] = {}
        patterns: list[tuple[re.Pattern[str], _Field]] = []
        for scope, bound in self._scopes(roots):
            calls = sorted((n for n in _walk(scope) if _is_field_call(n)), key=lambda c: c.lineno)
            for call in calls:
                name = _name(call.args[0], bound)
                if name is None:
                    continue
                field = _Field(call, self._text(call), bound)
                if isinstance(name, str):
                    exact.setdefault(name, field)
                else:
                    patterns.append((name, field))

        def describe(column: str) -> str:
            head, _, rest = column.partition(".")
            field = exact.get(head) or next((f for p, f in patterns if p.fullmatch(head)), None)
            if field is None:
                return ""
            if not rest:
                return field.text
            types = [*field.call.args[1:], *(k.value for k in field.call.keywords)]
            return self._describer([(t, field.bound) for t in types])(rest)

        return describe

    def _text(self, call: ast.Call) -> str:
        """The comments on the lines of a column's call (not its nested columns'), else above."""
        lines = set(range(call.lineno, (call.end_lineno or call.lineno) + 1))
        for n in ast.walk(call):
            if n is not call and _is_field_call(n):
                lines -= set(range(n.lineno, (n.end_lineno or n.lineno) + 1))
        inline = [self.comments[i] for i in sorted(lines) if i in self.comments]
        return " ".join(inline) or self._above(call.lineno)


@functools.cache
def schema_comments() -> SchemaComments:
    """The comments of ``features.schemas``, its source parsed once per process."""
    return SchemaComments.of_module(schemas)


# contract id -> (the contract, its column comments): a contract is described once
_COLUMN_COMMENTS: dict[int, tuple[StructType, dict[str, str]]] = {}
_COLUMN_COMMENTS_MAX = 1024


def column_comments(contract: StructType) -> dict[str, str]:
    """Top-level column -> its description (the comments of features/schemas.py).

    Columns without a description are left out. Cheap on every table write: the
    source is parsed once per process and each contract described once.
    """
    cached = _COLUMN_COMMENTS.get(id(contract))
    if cached is None or cached[0] is not contract:
        describe = schema_comments().describer(contract)
        described = {f.name: text for f in contract.fields if (text := describe(f.name))}
        if len(_COLUMN_COMMENTS) >= _COLUMN_COMMENTS_MAX:
            _COLUMN_COMMENTS.clear()
        cached = _COLUMN_COMMENTS[id(contract)] = (contract, described)
    return dict(cached[1])


def _is_field_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FIELD_CALLS
        and bool(node.args)
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` that yields a column's call but not what its type is made of."""
    todo = deque([node])
    while todo:
        n = todo.popleft()
        yield n
        if not _is_field_call(n):
            todo.extend(ast.iter_child_nodes(n))


def _bind(function: ast.FunctionDef, call: ast.Call, bound: dict[str, str]) -> dict[str, str]:
    """The parameters of ``function`` that ``call`` passes a known string."""
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    passed = dict(zip(params, call.args, strict=False))
    passed |= {k.arg: k.value for k in call.keywords if k.arg}
    values = {p: _literal(v, bound) for p, v in passed.items()}
    return {p: v for p, v in values.items() if v is not None}


def _literal(node: ast.AST, bound: dict[str, str]) -> str | None:
    """The string ``node`` is, given the bound names; None when it is not known."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if isinstance(node, ast.FormattedValue) and node.conversion == -1 and not node.format_spec:
        return _literal(node.value, bound)
    if isinstance(node, ast.JoinedStr):
        parts = [_literal(v, bound) for v in node.values]
        return "".join(p for p in parts if p is not None) if None not in parts else None
    return None


def _name(node: ast.AST, bound: dict[str, str]) -> str | re.Pattern[str] | None:
    """A column's name: known, else a pattern (f-string of unknown parts), else None."""
    if (name := _literal(node, bound)) is not None:
        return name
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = [_literal(v, bound) for v in node.values]
    return re.compile("".join(".+" if p is None else re.escape(p) for p in parts))


# --- the two file formats --------------------------------------------------------------


def _plain(dtype: DataType, where: str, fmt: int) -> Any:
    try:
        return PLAIN_TYPES[type(dtype)][fmt]
    except KeyError:
        raise ContractError(
            f"{where}: {dtype.simpleString()} is not a plain type for JVM readers "
            f"(use one of {', '.join(sorted(t().simpleString() for t in PLAIN_TYPES))}, "
            "array or struct)"
        ) from None


def bigquery_schema(
    contract: StructType, describe: Callable[[str], str], where: str = "table"
) -> list[dict[str, Any]]:
    """A contract as a BigQuery JSON schema: arrays are REPEATED, structs RECORD.

    ``describe`` takes a column's name, or a nested field's path (``column.field``).
    """
    fields = []
    for f in contract.fields:
        column = f"{where}.{f.name}"
        dtype, mode = f.dataType, "NULLABLE" if f.nullable else "REQUIRED"
        if isinstance(dtype, ArrayType):  # BigQuery keeps no null element: REPEATED says all
            dtype, mode = dtype.elementType, "REPEATED"
            if isinstance(dtype, ArrayType):
                raise ContractError(f"{column}: BigQuery has no array of arrays")
        field: dict[str, Any] = {"name": f.name, "mode": mode}
        if isinstance(dtype, StructType):
            nested = bigquery_schema(dtype, _within(describe, f.name), column)
            field |= {"type": "RECORD", "fields": nested}
        else:
            field["type"] = _plain(dtype, column, 0)
        if describe(f.name):
            field["description"] = describe(f.name)
        fields.append(field)
    return fields


def _within(describe: Callable[[str], str], column: str) -> Callable[[str], str]:
    """The describer of a struct column's fields: ``describe`` of their paths."""
    return lambda field: describe(f"{column}.{field}")


def _avro_type(dtype: DataType, nullable: bool, name: str, describe: Callable[[str], str]) -> Any:
    """``describe``: of the fields of ``dtype`` (or of its elements'), by name."""
    if isinstance(dtype, ArrayType):
        items = _avro_type(dtype.elementType, dtype.containsNull, name, describe)
        avro: Any = {"type": "array", "items": items}
    elif isinstance(dtype, StructType):
        avro = avro_schema(dtype, describe, name, namespace=None)
    else:
        avro = _plain(dtype, name, 1)
    return ["null", avro] if nullable else avro


def avro_schema(
    contract: StructType,
    describe: Callable[[str], str],
    name: str,
    doc: str = "",
    namespace: str | None = AVRO_NAMESPACE,
) -> dict[str, Any]:
    """A contract as an Avro record: nullable is a union with null (default null).

    A nested struct is a record named ``<parent>_<column>`` in the parent's namespace.
    """
    if not _NAME.fullmatch(name):
        raise ContractError(f"{name!r} is not an Avro name: use letters, digits and _")
    fields = []
    for f in contract.fields:
        field = {
            "name": f.name,
            "type": _avro_type(
                f.dataType, f.nullable, f"{name}_{f.name}", _within(describe, f.name)
            ),
        }
        if f.nullable:
            field["default"] = None
        if describe(f.name):
            field["doc"] = describe(f.name)
        fields.append(field)
    record = {"type": "record", "name": name, "fields": fields}
    return record | ({"namespace": namespace} if namespace else {}) | ({"doc": doc} if doc else {})


# --- Scala case classes --------------------------------------------------------------------

SCALA_FILE = "OutputTables.scala"
SCALA_PACKAGE = "music_resolution.contracts"
SCALA_OBJECT = "OutputTables"
# Spark type -> the Scala type of a case class field that Spark's encoders map back to it
SCALA_TYPES: dict[type[DataType], str] = {
    StringType: "String",
    LongType: "Long",
    IntegerType: "Int",
    DoubleType: "Double",
    BooleanType: "Boolean",
    TimestampType: "java.sql.Timestamp",
    DateType: "java.sql.Date",
}
SCALA_KEYWORDS = frozenset(
    "abstract case catch class def do else enum export extends false final finally for "
    "forSome given if implicit import lazy macro match new null object override package "
    "private protected return sealed super then this throw trait true try type val var "
    "while with yield".split()
)
# names the generated file refers to (its imports, the types it uses, its object's
# members): a case class of that name would shadow them
_SCALA_TAKEN = frozenset(
    {*SCALA_TYPES.values(), "Option", "Seq", "Product", "ListMap", "DataFrame", "Dataset"}
    | {"Encoder", "Encoders", "SparkSession", "StructType", "Table", SCALA_OBJECT}
)
_SCALA_MEMBERS = frozenset({"tables", "ContractVersion", "Table"})
_SCALA_WIDTH = 100


def _camel(name: str) -> str:
    """``recording_groups`` -> ``RecordingGroups``: a table's (or struct's) case class."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _scala_id(name: str) -> str:
    """A field's or value's name as Scala source: a keyword in backticks."""
    return f"`{name}`" if name in SCALA_KEYWORDS else name


def _scala_text(text: str) -> str:
    """Text safe in a Scala comment: no unicode escape, no end of a block comment."""
    return " ".join(text.split()).replace("\\u", "\\\\u").replace("*/", "* /")


def _line_comment(text: str, indent: str) -> list[str]:
    width = _SCALA_WIDTH - len(indent) - 3
    return [f"{indent}// {line}" for line in textwrap.wrap(_scala_text(text), width)]


def _scaladoc(paragraphs: list[str], indent: str = "") -> list[str]:
    """``/** ... */`` of the non-empty ``paragraphs``, a blank line between them."""
    body: list[str] = []
    for text in filter(None, paragraphs):
        body += [""] if body else []
        body += textwrap.wrap(_scala_text(text), _SCALA_WIDTH - len(indent) - 4)
    if not body:
        return []
    lines = [f"{indent}/** {body[0]}"] + [f"{indent}  * {b}".rstrip() for b in body[1:]]
    return lines[:-1] + [lines[-1] + " */"] if len(lines) == 1 else [*lines, f"{indent}  */"]


@dataclass
class _ScalaClass:
    """A case class: its name, scaladoc paragraphs and fields (name, Scala type, description)."""

    name: str
    doc: list[str]
    fields: list[tuple[str, str, str]]

    def source(self) -> list[str]:
        lines = [*_scaladoc(self.doc), f"final case class {self.name}("]
        for i, (name, scala, text) in enumerate(self.fields):
            comma = "," if i < len(self.fields) - 1 else ""
            lines += [*_line_comment(text, "    "), f"    {_scala_id(name)}: {scala}{comma}"]
        return [*lines, ")"]


class _ScalaClasses:
    """The case classes of some contracts: one per table, one per distinct nested struct.

    A struct is one class wherever it is used (equal StructTypes, nullability
    and all), named after the features.schemas constant equal to it
    (COMPARISON_LEVEL: ``ComparisonLevel``), else after where it is first used
    (``error_analysis.comparison_levels``: ``ErrorAnalysisComparisonLevels``).
    """

    def __init__(self, comments: SchemaComments) -> None:
        self.comments = comments
        self.nested: dict[str, _ScalaClass] = {}  # the struct's JSON -> its class
        self.used_by: dict[str, list[str]] = {}  # the struct's JSON -> the columns of that type
        self.names: dict[str, str] = {}  # class name -> what it is for, to refuse a clash

    def claim(self, name: str, what: str) -> str:
        if not _NAME.fullmatch(name) or name in _SCALA_TAKEN or name in SCALA_KEYWORDS:
            raise ContractError(f"{what}: {name!r} cannot name a Scala case class here")
        if name in self.names:
            raise ContractError(f"{what}: Scala case class {name} would also be {self.names[name]}")
        self.names[name] = what
        return name

    def case_class(
        self, name: str, struct: StructType, describe: Callable[[str], str], where: str, doc: str
    ) -> _ScalaClass:
        fields = []
        for f in struct.fields:
            if not _NAME.fullmatch(f.name):
                raise ContractError(f"{where}.{f.name}: not a Scala field name")
            scala = self.field_type(
                f.dataType, f.nullable, f"{where}.{f.name}", _within(describe, f.name)
            )
            fields.append((f.name, scala, describe(f.name)))
        return _ScalaClass(name, [doc], fields)

    def field_type(
        self, dtype: DataType, nullable: bool, where: str, describe: Callable[[str], str]
    ) -> str:
        """``describe``: of the fields of ``dtype`` (or of its elements'), by name."""
        if isinstance(dtype, ArrayType):
            scala = (
                f"Seq[{self.field_type(dtype.elementType, dtype.containsNull, where, describe)}]"
            )
        elif isinstance(dtype, StructType):
            scala = self.struct_class(dtype, where, describe)
        elif type(dtype) in SCALA_TYPES:
            scala = SCALA_TYPES[type(dtype)]
        else:
            _plain(dtype, where, 0)  # raises: no plain type
            raise ContractError(f"{where}: {dtype.simpleString()} has no Scala type")
        return f"Option[{scala}]" if nullable else scala

    def struct_class(self, struct: StructType, where: str, describe: Callable[[str], str]) -> str:
        key = struct.json()
        self.used_by.setdefault(key, []).append(f"`{where}`")
        if key not in self.nested:
            names = vars(self.comments.module) if self.comments.module is not None else {}
            constant = next(
                (n for n, v in names.items() if isinstance(v, StructType) and v == struct), None
            )
            name = _camel(constant.lower() if constant else where.replace(".", "_"))
            doc = self.comments.table_doc(struct) if constant else ""
            self.claim(name, f"the struct of {where}")
            self.nested[key] = self.case_class(name, struct, describe, where, doc)
        return self.nested[key].name

    def source(self, tables: Mapping[str, StructType], version: str) -> str:
        table_classes = []
        for table, contract in sorted(tables.items()):
            name = self.claim(_camel(table), f"table {table}")
            if name[:1].lower() + name[1:] in _SCALA_MEMBERS:
                raise ContractError(f"table {table}: {SCALA_OBJECT} has a member of that name")
            doc = self.comments.table_doc(contract)
            cls = self.case_class(name, contract, self.comments.describer(contract), table, doc)
            cls.doc.append(f"A row of the output table `{table}`.")
            table_classes.append((table, cls))
        for key, cls in self.nested.items():
            cls.doc.append("The type of " + ", ".join(self.used_by[key]) + ".")
        out = [
            "// Generated by `python -m jobs.contracts` (make contracts) from features/schemas.py,",
            f"// contract version {version}: do not edit. One case class per output table (and one",
            "// per distinct struct column); a nullable column is an Option. conf/contracts/README.md",
            "",
            f"package {SCALA_PACKAGE}",
            "",
            "import scala.collection.immutable.ListMap",
            "",
            "import org.apache.spark.sql.{DataFrame, Dataset, Encoder, Encoders, SparkSession}",
            "import org.apache.spark.sql.types.StructType",
        ]
        nested = sorted(self.nested.values(), key=lambda c: c.name)
        for cls in [*nested, *(c for _, c in table_classes)]:
            out += ["", *cls.source()]
        out += ["", *_scala_object(table_classes, version)]
        return "\n".join(out) + "\n"


def _scala_object(table_classes: list[tuple[str, _ScalaClass]], version: str) -> list[str]:
    """The object that reads each output table, by name, as its case class."""
    members = [
        (table, _scala_id(cls.name[:1].lower() + cls.name[1:]), cls.name)
        for table, cls in table_classes
    ]
    lines = [
        "/** Every output table with the encoder of its case class: read any of them as its class.",
        "  *",
        "  * {{{",
        "  * val groups: Dataset[RecordingGroups] = OutputTables.recordingGroups.read(spark, path)",
        "  * OutputTables.tables(tableName).read(spark, path).count()",
        "  * }}}",
        "  */",
        f"object {SCALA_OBJECT} {{",
        "",
        "  /** features.schemas.CONTRACT_VERSION of these classes (conf/contracts/VERSION). */",
        f'  val ContractVersion: String = "{version}"',
        "",
        "  /** An output table: its name and the encoder of its case class. */",
        "  final case class Table[T <: Product](name: String, encoder: Encoder[T]) {",
        "",
        "    /** The case class's columns: names and types (a Delta table reads them all nullable). */",
        "    def schema: StructType = encoder.schema",
        "",
        "    /** The rows of `df` as the case class (columns matched by name). */",
        "    def as(df: DataFrame): Dataset[T] = df.as[T](encoder)",
        "",
        "    /** The Delta table at `path` as the case class. */",
        "    def read(spark: SparkSession, path: String): Dataset[T] =",
        '      as(spark.read.format("delta").load(path))',
        "  }",
    ]
    for table, member, cls in members:
        lines += [
            "",
            f"  val {member}: Table[{cls}] =",
            f'    Table("{table}", Encoders.product[{cls}])',
        ]
    lines += [
        "",
        "  /** Every output table by its name. */",
        "  val tables: ListMap[String, Table[_ <: Product]] = ListMap(",
    ]
    lines += [
        f"    {member}.name -> {member}" + ("," if i < len(members) - 1 else "")
        for i, (_, member, _) in enumerate(members)
    ]
    return [*lines, "  )", "}"]


def scala_case_classes(
    tables: Mapping[str, StructType], version: str, comments: SchemaComments | None = None
) -> str:
    """The Scala source of the output tables' case classes and of the object reading them.

    One case class per table (``recording_groups``: ``RecordingGroups``), one per
    distinct struct column type; string, bigint, int, double, boolean,
    timestamp, date are String, Long, Int, Double, Boolean, java.sql.Timestamp,
    java.sql.Date, an array a Seq, a nullable column (or element) an Option.
    Each field has its description as a comment.
    """
    return _ScalaClasses(comments or SchemaComments.of_module()).source(tables, version)


def _json(payload: Any) -> str:
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_contracts(
    tables: Mapping[str, StructType], version: str, comments: SchemaComments | None = None
) -> dict[str, str]:
    """File name -> text of every contract file, VERSION included (deterministic)."""
    comments = comments or SchemaComments.of_module()
    files = {VERSION_FILE: f"{version}\n"}
    for table, contract in sorted(tables.items()):
        describe = comments.describer(contract)
        files[table + BIGQUERY_SUFFIX] = _json(bigquery_schema(contract, describe, table))
        avro = avro_schema(contract, describe, table, comments.table_doc(contract))
        files[table + AVRO_SUFFIX] = _json(avro)
    files[SCALA_FILE] = scala_case_classes(tables, version, comments)
    return files


# --- what differs, what breaks -----------------------------------------------------------


def _generated_files(contract_dir: Path) -> list[Path]:
    found = [*contract_dir.glob(f"*{BIGQUERY_SUFFIX}"), *contract_dir.glob(f"*{AVRO_SUFFIX}")]
    named = [contract_dir / VERSION_FILE, contract_dir / SCALA_FILE]
    return sorted(found + [p for p in named if p.exists()])


def stale_files(contract_dir: Path, rendered: Mapping[str, str]) -> list[str]:
    """Contract files that are missing, differ from ``rendered`` or are left over."""
    stale = [
        f"{name} ({'differs' if (contract_dir / name).exists() else 'missing'})"
        for name, text in sorted(rendered.items())
        if not (contract_dir / name).exists() or (contract_dir / name).read_text() != text
    ]
    extra = [
        f"{p.name} (no such output table)"
        for p in _generated_files(contract_dir)
        if p.name not in rendered
    ]
    return stale + extra


def write_contracts(contract_dir: Path, rendered: Mapping[str, str]) -> list[str]:
    """Write the files that changed, remove the left-over ones; their names."""
    changed = stale_files(contract_dir, rendered)
    contract_dir.mkdir(parents=True, exist_ok=True)
    for path in _generated_files(contract_dir):
        if path.name not in rendered:
            path.unlink()
    for name, text in rendered.items():
        if not (contract_dir / name).exists() or (contract_dir / name).read_text() != text:
            write_text_atomic(contract_dir / name, text)
    return changed


def _shape(field: Mapping[str, Any]) -> str:
    kind = field["type"]
    return f"ARRAY<{kind}>" if field.get("mode") == "REPEATED" else kind


def breaking_changes(
    committed: Mapping[str, list[dict[str, Any]]], current: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """What ``current`` (BigQuery schemas by table) breaks of ``committed``, one line each.

    Breaking: a table or column removed (a rename is a removal), a type changed
    (arrays included), NULLABLE made REQUIRED, a REQUIRED column added.
    Compatible: a NULLABLE or REPEATED column added, REQUIRED made NULLABLE
    (BigQuery relaxes a column in place), descriptions, column order.
    """
    changes = [f"{table}: table removed" for table in sorted(committed) if table not in current]
    for table in sorted(set(committed) & set(current)):
        changes += _field_changes(table, committed[table], current[table])
    return changes


def _field_changes(where: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    now = {f["name"]: f for f in new}
    changes = []
    for before in old:
        column, after = f"{where}.{before['name']}", now.get(before["name"])
        if after is None:
            changes.append(f"{column}: column removed (or renamed)")
        elif _shape(before) != _shape(after):
            changes.append(f"{column}: type {_shape(before)} -> {_shape(after)}")
        elif before.get("mode") == "NULLABLE" and after.get("mode") == "REQUIRED":
            changes.append(f"{column}: NULLABLE -> REQUIRED")
        elif before["type"] == "RECORD":
            changes += _field_changes(column, before["fields"], after["fields"])
    known = {f["name"] for f in old}
    changes += [
        f"{where}.{f['name']}: REQUIRED column added"
        for f in new
        if f["name"] not in known and f.get("mode") == "REQUIRED"
    ]
    return changes


def contract_problems(
    contract_dir: Path, tables: Mapping[str, StructType], version: str
) -> list[str]:
    """Breaking changes of ``tables`` against the committed BigQuery schemas at one version.

    None when ``version`` differs from the committed VERSION (the bump is the
    documented event) or nothing is committed yet.
    """
    version_file = contract_dir / VERSION_FILE
    if not version_file.exists() or version_file.read_text().strip() != version:
        return []
    committed = {
        p.name.removesuffix(BIGQUERY_SUFFIX): json.loads(p.read_text())
        for p in contract_dir.glob(f"*{BIGQUERY_SUFFIX}")
    }
    current = {t: bigquery_schema(c, lambda _: "", t) for t, c in tables.items()}
    return [
        f"{change} (breaks contract version {version}: bump features.schemas.CONTRACT_VERSION)"
        for change in breaking_changes(committed, current)
    ]
