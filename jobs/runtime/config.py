"""Configuration: conf/base.yaml overlaid by a profile and ``--set`` overrides, as typed dataclasses.

Every entity type is one section under ``entities:`` with its ``kind``:

- ``dedupe``: an input table -> features -> scored pairs -> clusters;
- ``link``: an input table linked to another entity's clusters, at most one
  cluster per record (``links_to`` names that entity);
- ``derived``: its input rows are built from another entity's output by a
  named builder (``derived_from``, ``builder``), then deduped like ``dedupe``.

One dataclass serves every kind; what only some kinds have (clustering, the
link section, the derived section) is None for the others. The stages read
an entity's kind, tables, columns and named functions from here and never
its name.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from features.errors import ConfigError

# Imported from a --py-files zip the package has no conf/ beside it: then the
# working directory is the project root (spark-submit from the project root).
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]
PROJECT_ROOT = _PACKAGE_PARENT if (_PACKAGE_PARENT / "conf").is_dir() else Path.cwd()
DEFAULT_CONF_DIR = PROJECT_ROOT / "conf"
DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
LINK_TYPES = ("dedupe_only", "link_only", "link_and_dedupe")
KINDS = ("dedupe", "link", "derived")
CLUSTERED_KINDS = ("dedupe", "derived")  # kinds whose records end in groups of their own
TRAINING_ENGINES = ("auto", "duckdb", "spark")


# --- the tree ----------------------------------------------------------------------


def _deep_merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _apply_override(tree: dict[str, Any], dotted: str) -> None:
    """Apply ``a.b.c=value`` (value parsed as YAML) onto a config tree."""
    if "=" not in dotted:
        raise ConfigError(f"override {dotted!r} must look like section.key=value")
    key, raw = dotted.split("=", 1)
    node = tree
    parts = key.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = yaml.safe_load(raw)


# --- dataclasses -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SparkConfig:
    master: str
    app_name: str
    driver_memory: str | None
    shuffle_partitions: int
    ivy_dir: str | None
    packages: tuple[str, ...]
    extra_conf: Mapping[str, str]
    log_level: str
    # tables created with deletion vectors (Delta's default table property)
    deletion_vectors: bool = False


@dataclass(frozen=True, kw_only=True)
class MlflowConfig:
    tracking_uri: str
    experiment: str
    artifact_location: str | None


@dataclass(frozen=True, kw_only=True)
class PathsConfig:
    warehouse: str
    checkpoint_dir: str
    models_dir: str
    reports_dir: str


@dataclass(frozen=True, kw_only=True)
class SampleConfig:
    n_tracks: int
    seed: int
    bad_row_rate: float
    video_rate: float  # share of the sample catalog's songs that get a music video
    # generated data set -> the entity whose input
    # and golden tables it fills
    entities: Mapping[str, str]
    # a day-2 delivery of the tracks data set (jobs.deliver): this share of the
    # catalog as new, changed and deleted tracks, written to delivery_table; 0: none
    delivery_rate: float = 0.0
    delivery_table: str | None = None


@dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    seed: int
    max_pairs_for_u: int
    em_blocking: tuple[tuple[str, ...], ...]
    prior_deterministic_rules: tuple[str, ...]
    prior_recall: float
    sample_fraction: float
    # sample whole blocks of this feature (features.sampling) so a sample keeps its
    # matching pairs; None: a uniform sample of records
    sample_block_key: str | None = None
    # m from labelled pairs (the entity's labelled_pairs table, rows of label_split
    # only) after EM: where labels exist they say what a match looks like
    m_from_labels: bool = False
    label_split: str = "train"
    # where EM runs (splink_models.training.train): duckdb collects the (sampled)
    # training rows to the driver; auto = duckdb up to driver_max_rows rows
    engine: str = "auto"
    driver_max_rows: int = 2_000_000

    def backend(self, n_rows: int) -> str:
        """The engine that trains on ``n_rows`` records: 'duckdb' or 'spark'."""
        if self.engine == "auto":
            return "duckdb" if n_rows <= self.driver_max_rows else "spark"
        return self.engine


@dataclass(frozen=True, kw_only=True)
class ClusteringConfig:
    threshold: float
    max_group_size: int
    strict_threshold_step: float


@dataclass(frozen=True, kw_only=True)
class GoldenConfig:
    """What an entity's golden table says: its truth column and, optionally, each record's kind."""

    truth_column: str  # same value = same cluster (link: the linked entity's truth value)
    kind_column: str | None  # studio, live, remix, ...: false merges and precision by kind
    base_kind: str | None  # the kind that is no hard negative (an original, not a version)
    # kind -> the relation a record of that kind has to its cluster's original
    # (products.evaluate of an entity with products; the base kind is the original)
    relations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class LinkConfig:
    """A ``link`` entity: each record is assigned to at most one cluster of ``links_to``."""

    links_to: str
    # "module:function" building each side of the linking model's input (one shape):
    # record_view(features, *, id_column), target_view(features, groups, *, id_column, group_column)
    record_view: str
    target_view: str
    side_column: str  # boolean column of the view, true on this entity's side
    kind_column: str | None  # the records' own kind (shown with each match, orders the primary)
    primary_order: tuple[str, ...]  # which kind represents a cluster first
    threshold: float
    ambiguity_margin: float  # bits of match weight between the best cluster and the next
    max_explanations: int


@dataclass(frozen=True, kw_only=True)
class DerivedConfig:
    """A ``derived`` entity: input rows built from ``derived_from``'s features and groups."""

    derived_from: str
    # "module:function": builder(features, groups, *, id_column, group_column, **inputs)
    # -> input rows; inputs: each role of ``inputs`` (tables.<role>) as a DataFrame, or
    # None when that table does not exist (an optional feed)
    builder: str
    inputs: tuple[str, ...] = ()
    # The truth of a derived record: by default what most of its source records
    # (the source entity's group members) are in the source's golden table. With
    # member_truth (a table role: member id, truth, kind) what most of the members
    # that its input rows list in members_column are in that table instead.
    members_column: str | None = None
    member_truth: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProductsConfig:
    """Tables a clustered entity builds from its clusters, besides its groups.

    ``build(groups, features, pairs, *, id_column, group_column, run_id,
    model_version)`` returns a frame per role: ``groups`` (replacing the
    plain groups, in the entity's groups contract) and each of ``roles``
    (tables.<role>, contracts' extra). ``evaluate(outputs, golden, features,
    *, id_column, group_column, truth_column, kind_column, base_kind,
    relations)`` gives more figures for the evaluation report.
    """

    build: str
    roles: tuple[str, ...]
    evaluate: str | None = None
    # show(outputs, features, *, id_column, group_column) -> lines: an example for the demo
    show: str | None = None


@dataclass(frozen=True, kw_only=True)
class GraphPartConfig:
    """What an entity adds to the knowledge graph (jobs.graph): its node and edge types.

    ``build(own, *, run_id, **uses) -> splink_models.graph.GraphPart``: ``own``
    reads this entity's tables by role, each of ``uses`` (an alias -> an entity
    name) another entity's. ``inputs``: roles of its own tables it reads that
    may be absent (a declared relations feed); ``roles``: tables it writes
    besides the graph's nodes and edges (tables.<role>, contracts' extra).
    ``evaluate(part_tables, own, **uses) -> {report: figures}``: its figures
    against truth, each report to reports/evaluation/<report>.json (none
    without truth).
    """

    build: str
    uses: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    evaluate: str | None = None


@dataclass(frozen=True, kw_only=True)
class GraphConfig:
    """The knowledge graph's tables (config ``graph``)."""

    nodes_table: str
    edges_table: str


@dataclass(frozen=True, kw_only=True)
class EntityConfig:
    """One entity type: a config section, a feature builder, quality rules, a model, contracts."""

    name: str
    kind: str  # dedupe | link | derived
    contracts: str  # key of features.schemas.CONTRACTS
    id_column: str
    feature_builder: str
    quality_rules: str
    model_module: str
    input_table: str
    features_table: str
    pairs_table: str
    training: TrainingConfig
    generic_values: Mapping[str, tuple[str, ...]]
    golden: GoldenConfig | None
    # keyword arguments of the feature builder beyond generic_values (the builder's
    # docstring lists them): what a catalog's shape asks of its features
    feature_options: Mapping[str, Any] = field(default_factory=dict)
    golden_table: str | None = None
    labelled_pairs_table: str | None = None  # golden as pairs: <id>_l, <id>_r, label, split
    # "module:function" giving a Column that shows a record to a person (error reports)
    record_summary: str | None = None
    # dedupe_only, or link_only / link_and_dedupe between the values of the source column
    link_type: str = "dedupe_only"
    # dedupe and derived
    group_column: str | None = None
    group_id_prefix: str | None = None
    groups_table: str | None = None
    id_history_table: str | None = None  # every id event of the groups (clustered kinds)
    clustering: ClusteringConfig | None = None
    # link
    link: LinkConfig | None = None
    matches_table: str | None = None
    unmatched_table: str | None = None
    # derived
    derived: DerivedConfig | None = None
    products: ProductsConfig | None = None
    graph: GraphPartConfig | None = None
    # every table by role (input, golden, features, pairs, groups, ..., and the roles of
    # derived inputs and products)
    tables: Mapping[str, str] = field(default_factory=dict)

    @property
    def clustered(self) -> bool:
        """Records end in groups of this entity's own (dedupe, derived)."""
        return self.kind in CLUSTERED_KINDS

    @property
    def threshold(self) -> float:
        """The match probability a pair (or an assignment) needs to be accepted."""
        if self.link is not None:
            return self.link.threshold
        assert self.clustering is not None
        return self.clustering.threshold

    @property
    def builds_on(self) -> str | None:
        """The entity whose output this one reads: link's links_to, derived's derived_from."""
        if self.link is not None:
            return self.link.links_to
        if self.derived is not None:
            return self.derived.derived_from
        return None


@dataclass(frozen=True, kw_only=True)
class GateConfig:
    """What a challenger must show on the golden data to replace the champion."""

    max_precision_drop: float  # pairwise precision may fall at most this much
    min_f1_gain: float  # pairwise F1 must rise at least this much (0: not fall)


@dataclass(frozen=True, kw_only=True)
class LifecycleConfig:
    """MLflow model registry: one registered model per entity type, champion/challenger."""

    registered_model_prefix: str  # registered model of an entity: <prefix><entity>
    gate: GateConfig
    comparison_table: str  # jobs.compare's report
    models: Mapping[str, str]  # entity -> model ref the scoring jobs use instead of @champion

    def registered_model(self, entity: str) -> str:
        return f"{self.registered_model_prefix}{entity}"


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    profile: str
    spark: SparkConfig
    mlflow: MlflowConfig
    paths: PathsConfig
    sample: SampleConfig
    quarantine_table: str
    evaluation_table: str
    entities: Mapping[str, EntityConfig]
    error_analysis_table: str | None = None  # jobs.evaluate: top false positives/negatives
    error_top_n: int = 25  # how many errors of each type it keeps
    lifecycle: LifecycleConfig | None = None
    # an input whose records are quarantined above this share fails its stage
    max_quarantined_share: float = 0.2
    # the release manifest: one row per table a publishing run committed (jobs.runtime.release)
    published_runs_table: str = "published_runs"
    graph: GraphConfig | None = None  # the knowledge graph's tables (None: no graph)

    def table_path(self, table: str) -> str:
        """Where a logical table lives: the warehouse plus its name."""
        return _join(self.paths.warehouse, table)

    def entity(self, name: str) -> EntityConfig:
        try:
            return self.entities[name]
        except KeyError:
            known = ", ".join(sorted(self.entities)) or "none"
            raise ConfigError(
                f"unknown entity {name!r} (configured: {known}); add entities.{name}"
            ) from None

    def in_dependency_order(self) -> list[EntityConfig]:
        """Every entity after the one it builds on (config order otherwise)."""
        done: list[EntityConfig] = []
        pending = list(self.entities.values())
        while pending:
            ready = [e for e in pending if e.builds_on in (None, *(d.name for d in done))]
            if not ready:
                raise ConfigError(
                    "entities build on each other in a circle: "
                    + ", ".join(f"{e.name} -> {e.builds_on}" for e in pending)
                )
            done += ready
            pending = [e for e in pending if e not in ready]
        return done


def _join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def resolve_local_path(value: str) -> str:
    """Relative local paths are taken from the project root, URIs are left alone."""
    if "://" in value or value.startswith("/"):
        return value
    return str(PROJECT_ROOT / value)


# --- reading -----------------------------------------------------------------------


class _Reader:
    """Reads typed values out of a config tree and collects every problem.

    It remembers every key it was asked for, so that :meth:`unknown_keys` can
    name each key of the tree nobody reads (a typo, or a section that moved),
    with the nearest known key.
    """

    def __init__(self, tree: Mapping[str, Any]):
        self.tree = tree
        self.problems: list[str] = []
        self.asked: set[str] = set()
        self.open: set[str] = set()  # free-form maps: any key below them is the user's own

    def has(self, dotted: str) -> bool:
        self.asked.add(dotted)
        node: Any = self.tree
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return node is not None

    def get(
        self,
        dotted: str,
        kind: type | tuple[type, ...],
        *,
        default: Any = ...,
        free_form: bool = False,
    ) -> Any:
        self.asked.add(dotted)
        if free_form:
            self.open.add(dotted)
        node: Any = self.tree
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not ...:
                    return default
                self.problems.append(f"{dotted}: missing")
                return None
            node = node[part]
        if node is None and default is not ...:
            return default
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            self.problems.append(f"{dotted}: expected {kind}, got {node!r}")
            return None
        return node

    def unknown_keys(self) -> None:
        """A problem for every key of the tree that no reader asked for, with a suggestion."""
        known = sorted(self.asked)

        def walk(node: Mapping[str, Any], prefix: str) -> None:
            for key, value in node.items():
                path = f"{prefix}{key}"
                if path in self.open or any(path.startswith(o + ".") for o in self.open):
                    continue
                if isinstance(value, Mapping) and any(a.startswith(path + ".") for a in known):
                    walk(value, path + ".")
                elif path not in self.asked:
                    self.problems.append(f"{path}: unknown key{suggestion(path, known)}")

        walk(self.tree, "")

    def probability(self, key: str) -> float:
        value = self.get(key, (int, float))
        if isinstance(value, (int, float)) and not 0.0 < value < 1.0:
            self.problems.append(f"{key}: must be in (0, 1), got {value}")
        return value


def suggestion(path: str, known: Sequence[str]) -> str:
    """ (did you mean <nearest known key>?), or nothing when no key is close."""
    import difflib

    close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    if not close:
        # the key under another section (a section that moved, e.g. under entities)
        for key in known:
            at = f".{key}.".find(f".{path}.")
            if at > 0:
                close = [key[: at + len(path)]]
                break
    if not close:
        # the same last part elsewhere: a key in the wrong section
        leaf = path.rsplit(".", 1)[-1]
        close = [k for k in known if k.rsplit(".", 1)[-1] == leaf][:1]
    return f" (did you mean {close[0]}?)" if close else ""


def _training(r: _Reader, p: str) -> TrainingConfig:
    em = r.get(f"{p}.training.em_blocking", list, default=[]) or []
    if len(em) < 2:
        r.problems.append(f"{p}.training.em_blocking: give at least two EM blocking sessions")
    engine = r.get(f"{p}.training.engine", str, default="auto")
    if engine not in TRAINING_ENGINES:
        r.problems.append(
            f"{p}.training.engine: expected one of {', '.join(TRAINING_ENGINES)}, got {engine!r}"
        )
    driver_max_rows = r.get(f"{p}.training.driver_max_rows", int, default=2_000_000)
    if isinstance(driver_max_rows, int) and driver_max_rows < 1:
        r.problems.append(
            f"{p}.training.driver_max_rows: must be at least 1, got {driver_max_rows}"
        )
    return TrainingConfig(
        seed=r.get(f"{p}.training.seed", int),
        max_pairs_for_u=int(r.get(f"{p}.training.max_pairs_for_u", (int, float)) or 0),
        em_blocking=tuple(tuple(s) for s in em),
        prior_deterministic_rules=tuple(
            r.get(f"{p}.training.prior_deterministic_rules", list) or []
        ),
        prior_recall=r.get(f"{p}.training.prior_recall", (int, float)),
        sample_fraction=r.get(f"{p}.training.sample_fraction", (int, float), default=1.0),
        sample_block_key=r.get(f"{p}.training.sample_block_key", str, default=None),
        m_from_labels=r.get(f"{p}.training.m_from_labels", bool, default=False),
        label_split=r.get(f"{p}.training.label_split", str, default="train"),
        engine=engine,
        driver_max_rows=driver_max_rows,
    )


def _golden(r: _Reader, p: str) -> GoldenConfig | None:
    if not r.has(f"{p}.golden"):
        return None
    return GoldenConfig(
        truth_column=r.get(f"{p}.golden.truth_column", str),
        kind_column=r.get(f"{p}.golden.kind_column", str, default=None),
        base_kind=r.get(f"{p}.golden.base_kind", str, default=None),
        relations=dict(
            r.get(f"{p}.golden.relations", dict, default={}, free_form=True) or {}
        ),
    )


def _products(r: _Reader, p: str) -> ProductsConfig | None:
    if not r.has(f"{p}.products"):
        return None
    return ProductsConfig(
        build=r.get(f"{p}.products.build", str),
        roles=tuple(r.get(f"{p}.products.roles", list, default=[]) or []),
        evaluate=r.get(f"{p}.products.evaluate", str, default=None),
        show=r.get(f"{p}.products.show", str, default=None),
    )


def _graph_part(r: _Reader, p: str) -> GraphPartConfig | None:
    if not r.has(f"{p}.graph"):
        return None
    uses = r.get(f"{p}.graph.uses", dict, default={}, free_form=True) or {}
    return GraphPartConfig(
        build=r.get(f"{p}.graph.build", str),
        uses={str(k): str(v) for k, v in uses.items()},
        inputs=tuple(r.get(f"{p}.graph.inputs", list, default=[]) or []),
        roles=tuple(r.get(f"{p}.graph.roles", list, default=[]) or []),
        evaluate=r.get(f"{p}.graph.evaluate", str, default=None),
    )


# roles every entity may name under tables (more come from derived inputs and products)
STANDARD_TABLES = (
    "input", "golden", "features", "pairs", "labelled_pairs", "groups", "id_history", "matches",
    "unmatched",
)


def _tables(r: _Reader, p: str, extra_roles: Sequence[str]) -> dict[str, str]:
    tables = {}
    for role in (*STANDARD_TABLES, *extra_roles):
        name = r.get(f"{p}.tables.{role}", str, default=None)
        if name:
            tables[role] = name
    return tables


def _clustering(r: _Reader, p: str) -> ClusteringConfig:
    size = r.get(f"{p}.clustering.max_group_size", int)
    if isinstance(size, int) and size < 2:
        r.problems.append(f"{p}.clustering.max_group_size: must be at least 2, got {size}")
    return ClusteringConfig(
        threshold=r.probability(f"{p}.clustering.threshold"),
        max_group_size=size,
        strict_threshold_step=r.get(f"{p}.clustering.strict_threshold_step", (int, float)),
    )


def _link(r: _Reader, p: str) -> LinkConfig:
    return LinkConfig(
        links_to=r.get(f"{p}.links_to", str),
        record_view=r.get(f"{p}.link.record_view", str),
        target_view=r.get(f"{p}.link.target_view", str),
        side_column=r.get(f"{p}.link.side_column", str),
        kind_column=r.get(f"{p}.link.kind_column", str, default=None),
        primary_order=tuple(r.get(f"{p}.link.primary_order", list, default=[]) or []),
        threshold=r.probability(f"{p}.link.threshold"),
        ambiguity_margin=r.get(f"{p}.link.ambiguity_margin", (int, float)),
        max_explanations=r.get(f"{p}.link.max_explanations", int, default=3),
    )


def _entity(r: _Reader, name: str) -> EntityConfig:
    p = f"entities.{name}"
    kind = r.get(f"{p}.kind", str)
    if kind is not None and kind not in KINDS:
        r.problems.append(f"{p}.kind: must be one of {', '.join(KINDS)}, got {kind!r}")
    generic = r.get(f"{p}.generic_values", dict, default={}, free_form=True) or {}
    link_type = r.get(f"{p}.link_type", str, default="dedupe_only")
    if link_type not in LINK_TYPES:
        r.problems.append(f"{p}.link_type: must be one of {LINK_TYPES}, got {link_type!r}")
    labelled_pairs = r.get(f"{p}.tables.labelled_pairs", str, default=None)
    if r.get(f"{p}.training.m_from_labels", bool, default=False) and not labelled_pairs:
        r.problems.append(
            f"{p}.training.m_from_labels: needs {p}.tables.labelled_pairs (the labelled pairs)"
        )
    clustered = kind in CLUSTERED_KINDS
    is_link = kind == "link"
    derived = (
        DerivedConfig(
            derived_from=r.get(f"{p}.derived_from", str),
            builder=r.get(f"{p}.builder", str),
            inputs=tuple(r.get(f"{p}.inputs", list, default=[]) or []),
            members_column=r.get(f"{p}.members_column", str, default=None),
            member_truth=r.get(f"{p}.member_truth", str, default=None),
        )
        if kind == "derived"
        else None
    )
    products = _products(r, p) if clustered else None
    graph = _graph_part(r, p)
    extra_roles = (
        *(graph.inputs + graph.roles if graph else ()),
        *(derived.inputs if derived else ()),
        *((derived.member_truth,) if derived and derived.member_truth else ()),
        *(products.roles if products else ()),
    )
    return EntityConfig(
        name=name,
        kind=kind,
        contracts=r.get(f"{p}.contracts", str, default=name),
        id_column=r.get(f"{p}.id_column", str),
        feature_builder=r.get(f"{p}.feature_builder", str),
        quality_rules=r.get(f"{p}.quality_rules", str),
        model_module=r.get(f"{p}.model_module", str),
        record_summary=r.get(f"{p}.record_summary", str, default=None),
        input_table=r.get(f"{p}.tables.input", str),
        golden_table=r.get(f"{p}.tables.golden", str, default=None),
        features_table=r.get(f"{p}.tables.features", str),
        pairs_table=r.get(f"{p}.tables.pairs", str),
        labelled_pairs_table=labelled_pairs,
        training=_training(r, p),
        generic_values={k: tuple(v) for k, v in generic.items()},
        feature_options=dict(r.get(f"{p}.feature_options", dict, default={}, free_form=True) or {}),
        golden=_golden(r, p),
        link_type=link_type,
        group_column=r.get(f"{p}.group_column", str) if clustered else None,
        group_id_prefix=r.get(f"{p}.group_id_prefix", str) if clustered else None,
        groups_table=r.get(f"{p}.tables.groups", str) if clustered else None,
        id_history_table=r.get(f"{p}.tables.id_history", str) if clustered else None,
        clustering=_clustering(r, p) if clustered else None,
        link=_link(r, p) if is_link else None,
        matches_table=r.get(f"{p}.tables.matches", str) if is_link else None,
        unmatched_table=r.get(f"{p}.tables.unmatched", str) if is_link else None,
        derived=derived,
        products=products,
        graph=graph,
        tables=_tables(r, p, extra_roles),
    )


def _check_references(r: _Reader, entities: Mapping[str, EntityConfig]) -> None:
    """A link or derived entity builds on a clustered entity that is configured."""
    for e in entities.values():
        target = e.builds_on
        if target is None:
            continue
        key = f"entities.{e.name}.{'links_to' if e.kind == 'link' else 'derived_from'}"
        if target not in entities:
            r.problems.append(f"{key}: unknown entity {target!r} (configured: {sorted(entities)})")
        elif not entities[target].clustered:
            r.problems.append(f"{key}: {target!r} is a {entities[target].kind} entity, not clustered")
    for e in entities.values():
        for alias, name in (e.graph.uses if e.graph else {}).items():
            if name not in entities:
                r.problems.append(
                    f"entities.{e.name}.graph.uses.{alias}: unknown entity {name!r} "
                    f"(configured: {sorted(entities)})"
                )


def _lifecycle(r: _Reader) -> LifecycleConfig:
    p = "lifecycle"
    models = r.get(f"{p}.models", dict, default={}, free_form=True) or {}
    return LifecycleConfig(
        registered_model_prefix=r.get(f"{p}.registered_model_prefix", str),
        gate=GateConfig(
            max_precision_drop=r.get(f"{p}.gate.max_precision_drop", (int, float)),
            min_f1_gain=r.get(f"{p}.gate.min_f1_gain", (int, float)),
        ),
        comparison_table=r.get("tables.model_comparison", str),
        models={k: str(v) for k, v in models.items() if v not in (None, "")},
    )


def config_tree(
    profile: str = "local",
    *,
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    """conf/base.yaml overlaid by conf/<profile>.yaml and ``key=value`` overrides, as a dict."""
    conf_dir = Path(conf_dir) if conf_dir else DEFAULT_CONF_DIR
    base_file, profile_file = conf_dir / "base.yaml", conf_dir / f"{profile}.yaml"
    for f in (base_file, profile_file):
        if not f.exists():
            raise ConfigError(f"config file {f} not found (profiles live in {conf_dir})")
    tree = _deep_merge(
        yaml.safe_load(base_file.read_text()) or {},
        yaml.safe_load(profile_file.read_text()) or {},
    )
    for item in overrides:
        _apply_override(tree, item)
    return tree


def load_config(
    profile: str = "local",
    *,
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> AppConfig:
    """Load conf/base.yaml overlaid by conf/<profile>.yaml and ``key=value`` overrides.

    Every problem is collected and raised at once, each naming its key, so a
    broken profile is fixed in one pass rather than one error per run.
    """
    tree = config_tree(profile, conf_dir=conf_dir, overrides=overrides)
    return config_from_tree(tree, profile=profile, source=f"{profile} profile")


def config_from_tree(tree: Mapping[str, Any], *, profile: str, source: str) -> AppConfig:
    """The typed config of a merged tree (``config_tree``), every problem raised at once."""
    r = _Reader(tree)
    shuffle = r.get("spark.shuffle_partitions", (int, str))
    if shuffle == "auto":
        shuffle = 5 * (os.cpu_count() or 2)
    elif not isinstance(shuffle, int) or shuffle < 1:
        r.problems.append(
            f"spark.shuffle_partitions: expected a positive int or 'auto', got {shuffle!r}"
        )
    spark = SparkConfig(
        master=r.get("spark.master", str),
        app_name=r.get("spark.app_name", str),
        driver_memory=r.get("spark.driver_memory", str, default=None),
        shuffle_partitions=shuffle if isinstance(shuffle, int) and shuffle > 0 else 10,
        ivy_dir=r.get("spark.ivy_dir", str, default=None),
        packages=tuple(r.get("spark.packages", list, default=[DELTA_PACKAGE])),
        extra_conf={
            k: str(v)
            for k, v in (r.get("spark.conf", dict, default={}, free_form=True) or {}).items()
        },
        log_level=r.get("spark.log_level", str, default="WARN"),
        deletion_vectors=r.get("spark.deletion_vectors", bool, default=False),
    )
    paths = PathsConfig(
        warehouse=r.get("paths.warehouse", str),
        checkpoint_dir=r.get("paths.checkpoint_dir", str),
        models_dir=r.get("paths.models_dir", str),
        reports_dir=r.get("paths.reports_dir", str),
    )
    mlflow_cfg = MlflowConfig(
        tracking_uri=r.get("mlflow.tracking_uri", str),
        experiment=r.get("mlflow.experiment", str),
        artifact_location=r.get("mlflow.artifact_location", str, default=None),
    )
    sample = SampleConfig(
        n_tracks=r.get("sample.n_tracks", int),
        seed=r.get("sample.seed", int),
        bad_row_rate=r.get("sample.bad_row_rate", (int, float), default=0.0),
        video_rate=r.get("sample.video_rate", (int, float), default=0.3),
        delivery_rate=r.get("sample.delivery_rate", (int, float), default=0.0),
        delivery_table=r.get("sample.delivery_table", str, default=None),
        entities={
            str(k): str(v)
            for k, v in (r.get("sample.entities", dict, default={}, free_form=True) or {}).items()
            if v not in (None, "")
        },
    )
    if sample.delivery_rate and not sample.delivery_table:
        raise ConfigError("sample.delivery_rate is set: sample.delivery_table must name its table")
    entities = {name: _entity(r, name) for name in (r.get("entities", dict, default={}) or {})}
    _check_references(r, entities)
    for dataset, target in sample.entities.items():
        name, _, role = target.partition(".")
        if name not in entities:
            r.problems.append(f"sample.entities.{dataset}: unknown entity {name!r}")
        elif role and role not in entities[name].tables:
            r.problems.append(
                f"sample.entities.{dataset}: entity {name!r} has no table {role!r} "
                f"(its tables: {', '.join(sorted(entities[name].tables))})"
            )
    quarantine = r.get("tables.quarantine", str)
    evaluation = r.get("tables.evaluation", str)
    error_analysis = r.get("tables.error_analysis", str)
    published_runs = r.get("tables.published_runs", str, default="published_runs")
    error_top_n = r.get("evaluation.top_errors", int, default=25)
    max_share = r.get("quality.max_quarantined_share", (int, float), default=0.2)
    if isinstance(max_share, (int, float)) and not 0.0 < max_share <= 1.0:
        r.problems.append(f"quality.max_quarantined_share: must be in (0, 1], got {max_share}")
    lifecycle = _lifecycle(r)
    graph = (
        GraphConfig(
            nodes_table=r.get("graph.tables.nodes", str),
            edges_table=r.get("graph.tables.edges", str),
        )
        if r.has("graph")
        else None
    )
    r.unknown_keys()
    if r.problems:
        raise ConfigError(f"config ({source}) has problems:\n  - " + "\n  - ".join(r.problems))
    if paths.warehouse and "://" not in paths.warehouse:
        paths = PathsConfig(**{k: resolve_local_path(v) for k, v in vars(paths).items()})
    if mlflow_cfg.tracking_uri.startswith("sqlite:///") and not mlflow_cfg.tracking_uri.startswith(
        "sqlite:////"
    ):
        db = resolve_local_path(mlflow_cfg.tracking_uri[len("sqlite:///") :])
        mlflow_cfg = MlflowConfig(
            tracking_uri="sqlite:///" + db,
            experiment=mlflow_cfg.experiment,
            artifact_location=(
                resolve_local_path(mlflow_cfg.artifact_location)
                if mlflow_cfg.artifact_location
                else None
            ),
        )
    return AppConfig(
        profile=profile,
        spark=spark,
        mlflow=mlflow_cfg,
        paths=paths,
        sample=sample,
        quarantine_table=quarantine,
        evaluation_table=evaluation,
        entities=entities,
        error_analysis_table=error_analysis,
        error_top_n=error_top_n,
        lifecycle=lifecycle,
        max_quarantined_share=float(max_share),
        published_runs_table=published_runs,
        graph=graph,
    )


def scratch_overrides(scratch_dir: str, name: str) -> list[str]:
    """Every path a run writes, moved under ``<scratch_dir>/<name>`` (MLflow included).

    Benchmarks run whole chains on their own data: with these overrides they
    never write into the demo's warehouse, models or MLflow store. Reports stay
    where the profile puts them (a benchmark's report is the point of running it).
    """
    root = f"{scratch_dir.rstrip('/')}/{name}"
    return [
        f"paths.warehouse={root}/delta",
        f"paths.checkpoint_dir={root}/checkpoints",
        f"paths.models_dir={root}/models",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db",
        f"mlflow.artifact_location={root}/mlflow-artifacts",
    ]
