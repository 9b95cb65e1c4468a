"""Score and cluster with Splink on DuckDB: the Spark resolve stage, in process.

The procedure is :mod:`splink_models.training`, :mod:`splink_models.scoring` and :mod:`splink_models.clustering`'s: the model's blocking rules and
comparisons score every candidate pair (Splink's ``predict``), connected
components at the clustering threshold make groups, and oversized components
are re-split at stricter thresholds (the same guard as
``clustering.guarded_clusters``). Group ids and representatives follow
``splink_models.groups``, so a group has the same id on either engine. The
inputs are Parquet or pandas and the outputs Parquet, not Delta: this is for
notebooks and for benchmarking DuckDB against Spark, not for publishing.

The model must be in DuckDB's dialect: convert a Spark-trained one with
``splink_models.dialect.to_dialect(model, "duckdb", module=...)``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from pyspark.sql import DataFrame
from splink import Linker
from splink.backends.duckdb import DuckDBAPI

from features.errors import ResolutionError
from splink_models.estimation import estimate_parameters
from splink_models.model import (
    TrainedModel,
    comparison_names,
    entity_settings,
    scoring_columns,
    scoring_settings,
    token_weight_spec,
)
from splink_models.scoring import predict_with_levels
from splink_models.token_weights import UNIFORM, TokenWeights, TokenWeightSpec

logger = logging.getLogger(__name__)

FeaturesInput = str | Path | pd.DataFrame
_names = itertools.count()


def quiet_duckdb_api() -> DuckDBAPI:
    """Splink's DuckDB API on a new in-memory database without DuckDB's progress bar.

    The bar redraws itself on stderr, which batch jobs send to their log.
    """
    db_api = DuckDBAPI()
    try:
        db_api.duckdb_con.execute("SET enable_progress_bar = false")
    except duckdb.InvalidInputException:
        pass  # in Jupyter DuckDB draws a widget instead, and refuses the setting without one
    return db_api


def _table_name(stem: str) -> str:
    return f"mr_{stem}_{next(_names)}"


def _quote(value: str | Path) -> str:
    """A DuckDB string literal: quoted, quotes doubled (paths, run ids, prefixes)."""
    return "'" + str(value).replace("'", "''") + "'"


def parquet_source(path: str | Path) -> str:
    """``read_parquet(...)`` of a file, or of every part file of a folder Spark wrote."""
    path = Path(path)
    glob = path / "**" / "*.parquet" if path.is_dir() else path
    return f"read_parquet({_quote(glob)})"


def register_features(
    db_api: DuckDBAPI, features: FeaturesInput, model: TrainedModel | None = None
):
    """Load the feature table into DuckDB once; return it as a Splink input table.

    With ``model``, only the columns it scores with (``model.scoring_columns``).
    """
    if isinstance(features, pd.DataFrame):
        if model is not None:
            features = features[scoring_columns(model.settings, list(features.columns))]
        return db_api.register(features)
    name = _table_name("features")
    source = parquet_source(features)
    columns = "*"
    if model is not None:
        available = [
            r[0] for r in db_api.duckdb_con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        ]
        columns = ", ".join(f'"{c}"' for c in scoring_columns(model.settings, available))
    db_api.duckdb_con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM {source}")
    return db_api.register(name)


def driver_linker(
    inputs: DataFrame | Sequence[DataFrame], settings: Any
) -> tuple[DuckDBAPI, Linker]:
    """A DuckDB linker over Spark frames collected to the driver: one (dedupe) or one per side.

    For training on a sample (``training.train(backend="duckdb")``): each frame
    comes over as Arrow, so array columns stay lists.
    """
    db_api = quiet_duckdb_api()
    if isinstance(inputs, DataFrame):
        return db_api, Linker(db_api.register(inputs.toArrow()), settings, log_level=None)
    return db_api, Linker([db_api.register(f.toArrow()) for f in inputs], settings, log_level=None)


def _check_dialect(model: TrainedModel) -> None:
    if model.dialect != "duckdb":
        raise ResolutionError(
            f"model {model.version} is written in {model.dialect} SQL: convert it with "
            "splink_models.dialect.to_dialect(model, 'duckdb', module=...) before scoring on DuckDB"
        )


def _predict(db_api: DuckDBAPI, table, model: TrainedModel):
    _check_dialect(model)
    return predict_with_levels(Linker(table, scoring_settings(model.settings), log_level=None))


def predict_duckdb(
    features: FeaturesInput, model: TrainedModel, *, db_api: DuckDBAPI | None = None
) -> duckdb.DuckDBPyRelation:
    """All candidate pairs from the model's blocking rules, scored (as ``spark_backend.predict``).

    Args:
        features: The entity's feature table: a Parquet file or folder, or pandas.
        model: A trained model in DuckDB's dialect.
        db_api: Splink's DuckDB API to run in; a new in-memory database by default.
    """
    db_api = db_api or quiet_duckdb_api()
    table = register_features(db_api, features, model)
    return _predict(db_api, table, model).as_duckdbpyrelation()


def fit_token_weights_duckdb(db_api: DuckDBAPI, table, spec: TokenWeightSpec) -> TokenWeights:
    """:func:`splink_models.token_weights.fit_token_weights` on a table DuckDB holds."""
    con, name, column = db_api.duckdb_con, table.physical_name, f'"{spec.column}"'
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()]
    if spec.column not in columns:
        return UNIFORM
    n_records = con.execute(f"SELECT count(*) FROM {name} WHERE {column} IS NOT NULL").fetchone()[0]
    counts = con.execute(
        f"SELECT token, count(*) FROM (SELECT unnest(list_distinct({column})) AS token "
        f"FROM {name} WHERE {column} IS NOT NULL) GROUP BY token HAVING count(*) >= {spec.min_count(n_records)}"
    ).fetchall()
    return TokenWeights.from_counts(n_records, dict(counts), spec)


def train_duckdb(
    features: FeaturesInput,
    *,
    entity: str,
    module: str,
    seed: int,
    max_pairs_for_u: int,
    em_blocking: Sequence[Sequence[str]],
    prior_rules: Sequence[str],
    prior_recall: float,
    db_api: DuckDBAPI | None = None,
) -> tuple[TrainedModel, Linker]:
    """``training.train`` on DuckDB: the same comparisons and procedure, a DuckDB-SQL model."""
    db_api = db_api or quiet_duckdb_api()
    table = register_features(db_api, features)
    spec = token_weight_spec(module)
    weights = None if spec is None else fit_token_weights_duckdb(db_api, table, spec)
    settings = entity_settings(module, token_weights=weights)
    linker = Linker(table, settings, log_level=None)
    estimate_parameters(
        linker,
        seed=seed,
        max_pairs_for_u=max_pairs_for_u,
        em_blocking=em_blocking,
        prior_rules=prior_rules,
        prior_recall=prior_recall,
    )
    return TrainedModel.from_settings(entity, linker.misc.save_model_to_json()), linker


def explain_levels_sql(model: TrainedModel, columns: list[str]) -> str:
    """``scoring.explain_levels`` in DuckDB SQL: list of (comparison, level, match_weight)."""

    def weight(name: str) -> str:
        base = f"CAST(mw_{name} AS DOUBLE)"
        tf = f"mw_tf_adj_{name}"
        return f"{base} + COALESCE(CAST({tf} AS DOUBLE), 0.0)" if tf in columns else base

    structs = [
        f"{{'comparison': '{name}', 'level': CAST(gamma_{name} AS INTEGER), "
        f"'match_weight': {weight(name)}}}"
        for name in comparison_names(model)
    ]
    return "[" + ", ".join(structs) + "]"


# --- clustering ---------------------------------------------------------------------


def connected_components_duckdb(con: duckdb.DuckDBPyConnection, edges: str, nodes: str) -> str:
    """Splink's solver on (node_l, node_r) edges and (node) nodes -> table of (node, component)."""
    from splink.internals.connected_components import solve_connected_components

    db_api = DuckDBAPI(connection=con)  # a fresh API: its own cache of intermediate tables
    node_ids = _table_name("node_ids")
    con.execute(f"CREATE VIEW {node_ids} AS SELECT node AS node_id FROM {nodes}")
    result = solve_connected_components(
        nodes_table=db_api.register(node_ids),
        edges_table=db_api.register(edges),
        node_id_column_name="node_id",
        edge_id_column_name_left="node_l",
        edge_id_column_name_right="node_r",
        db_api=db_api,
        threshold_match_probability=None,
    )
    name = _table_name("components")
    con.execute(
        f"CREATE TABLE {name} AS SELECT node_id AS node, cluster_id AS component "
        f"FROM {result.physical_name}"
    )
    result.drop_table_from_database_and_remove_from_cache()
    return name


def cluster_duckdb(
    con: duckdb.DuckDBPyConnection,
    edges: str,
    nodes: str,
    *,
    threshold: float,
    max_group_size: int,
    step: float,
) -> tuple[str, list[dict[str, Any]]]:
    """``clustering.guarded_clusters`` on DuckDB tables; returns the (node, component) table.

    ``edges``: a table of (node_l, node_r, match_probability); ``nodes``: of (node).
    """
    current = _table_name("edges")
    con.execute(
        f"CREATE TABLE {current} AS SELECT node_l, node_r, match_probability FROM {edges} "
        f"WHERE match_probability >= {threshold!r}"
    )
    assignment = connected_components_duckdb(con, current, nodes)
    rounds: list[dict[str, Any]] = []
    level = threshold
    oversized_sql = "SELECT component FROM {a} GROUP BY component HAVING count(*) > " + str(
        max_group_size
    )
    while level < 0.9999:
        oversized = _table_name("oversized")
        con.execute(f"CREATE TABLE {oversized} AS {oversized_sql.format(a=assignment)}")
        n_oversized = con.execute(f"SELECT count(*) FROM {oversized}").fetchone()[0]
        if n_oversized == 0:
            break
        level = min(0.9999, level + step)
        big_nodes, big_edges = _table_name("big_nodes"), _table_name("big_edges")
        con.execute(
            f"CREATE TABLE {big_nodes} AS SELECT node FROM {assignment} "
            f"WHERE component IN (SELECT component FROM {oversized})"
        )
        con.execute(
            f"CREATE TABLE {big_edges} AS SELECT * FROM {current} "
            f"WHERE node_l IN (SELECT node FROM {big_nodes}) AND match_probability >= {level!r}"
        )
        resplit = connected_components_duckdb(con, big_edges, big_nodes)
        merged = _table_name("assignment")
        con.execute(
            f"CREATE TABLE {merged} AS SELECT * FROM {assignment} "
            f"WHERE node NOT IN (SELECT node FROM {big_nodes}) "
            f"UNION ALL SELECT node, component FROM {resplit}"
        )
        assignment = merged
        rounds.append({"threshold": round(level, 4), "oversized_components": n_oversized})
        logger.info(
            "clustering guard: %d components over %d tracks re-split at p >= %.4f",
            n_oversized,
            max_group_size,
            level,
        )
    else:
        leftover = con.execute(f"SELECT count(*) FROM ({oversized_sql.format(a=assignment)})")
        n_left = leftover.fetchone()[0]
        if n_left:
            logger.warning(
                "clustering guard: %d components still over %d records at p >= 0.9999",
                n_left,
                max_group_size,
            )
            rounds.append({"threshold": 0.9999, "oversized_components_left": n_left})
    return assignment, rounds


def groups_sql(
    assignment: str,
    accepted: str,
    *,
    id_column: str,
    group_column: str,
    group_id_prefix: str,
    run_id: str,
    model_version: str,
) -> str:
    """``splink_models.groups.build_groups`` in DuckDB SQL: the same ids and representatives.

    ``accepted``: the accepted (node_l, node_r) edges.
    """
    return f"""
    WITH same_component AS (
        SELECT e.node_l, e.node_r FROM {accepted} e
        JOIN {assignment} l ON l.node = e.node_l
        JOIN {assignment} r ON r.node = e.node_r
        WHERE l.component = r.component
    ), degree AS (
        SELECT node, count(*) AS degree FROM (
            SELECT node_l AS node FROM same_component
            UNION ALL SELECT node_r AS node FROM same_component
        ) GROUP BY node
    ), members AS (
        SELECT a.node, a.component, coalesce(d.degree, 0) AS degree
        FROM {assignment} a LEFT JOIN degree d USING (node)
    )
    SELECT
        node AS {id_column},
        {_quote(group_id_prefix)} || substr(sha256(min(node) OVER w), 1, 20) AS {group_column},
        CAST(count(*) OVER w AS BIGINT) AS group_size,
        first_value(node) OVER (
            PARTITION BY component ORDER BY degree DESC, node ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS representative_{id_column},
        {_quote(run_id)} AS run_id,
        {_quote(model_version)} AS model_version
    FROM members
    WINDOW w AS (PARTITION BY component)
    """


# --- the resolve stage --------------------------------------------------------------


@dataclass(frozen=True)
class DuckDBResolveResult:
    model_version: str
    n_pairs: int
    n_accepted: int
    n_groups: int
    pairs_path: Path
    groups_path: Path
    guard_rounds: list[dict[str, Any]]


def resolve_duckdb(
    features: FeaturesInput,
    model: TrainedModel,
    *,
    out_dir: str | Path,
    id_column: str,
    group_column: str,
    group_id_prefix: str,
    threshold: float,
    max_group_size: int,
    step: float,
    run_id: str,
    db_api: DuckDBAPI | None = None,
) -> DuckDBResolveResult:
    """Score, cluster and write ``<out_dir>/pairs.parquet`` and ``groups.parquet``.

    The Parquet files have the columns of the entity's pairs and groups Delta tables.
    """
    db_api = db_api or quiet_duckdb_api()
    con = db_api.duckdb_con
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = register_features(db_api, features, model)
    scored = _predict(db_api, table, model)
    columns = scored.as_duckdbpyrelation().columns
    pairs = _table_name("pairs")
    con.execute(
        f"""CREATE TABLE {pairs} AS SELECT
            {id_column}_l, {id_column}_r,
            CAST(match_weight AS DOUBLE) AS match_weight,
            CAST(match_probability AS DOUBLE) AS match_probability,
            {explain_levels_sql(model, columns)} AS comparison_levels,
            match_probability >= {threshold!r} AS above_threshold,
            {_quote(run_id)} AS run_id,
            {_quote(model.version)} AS model_version
        FROM {scored.physical_name}"""
    )
    scored.drop_table_from_database_and_remove_from_cache()
    pairs_path = out / "pairs.parquet"
    con.execute(f"COPY {pairs} TO {_quote(pairs_path)} (FORMAT PARQUET)")

    edges, nodes = _table_name("edges"), _table_name("nodes")
    con.execute(
        f"CREATE VIEW {edges} AS SELECT {id_column}_l AS node_l, {id_column}_r AS node_r, "
        f"match_probability FROM {pairs}"
    )
    con.execute(f"CREATE VIEW {nodes} AS SELECT {id_column} AS node FROM {table.physical_name}")
    assignment, rounds = cluster_duckdb(
        con, edges, nodes, threshold=threshold, max_group_size=max_group_size, step=step
    )
    accepted = _table_name("accepted")
    con.execute(
        f"CREATE VIEW {accepted} AS SELECT * FROM {edges} WHERE match_probability >= {threshold!r}"
    )
    groups_path = out / "groups.parquet"
    groups = groups_sql(
        assignment,
        accepted,
        id_column=id_column,
        group_column=group_column,
        group_id_prefix=group_id_prefix,
        run_id=run_id,
        model_version=model.version,
    )
    con.execute(f"COPY ({groups}) TO {_quote(groups_path)} (FORMAT PARQUET)")
    n_pairs, n_accepted = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE above_threshold) FROM {pairs}"
    ).fetchone()
    n_groups = con.execute(
        f"SELECT count(DISTINCT {group_column}) FROM {parquet_source(groups_path)}"
    ).fetchone()[0]
    return DuckDBResolveResult(
        model_version=model.version,
        n_pairs=int(n_pairs),
        n_accepted=int(n_accepted),
        n_groups=int(n_groups),
        pairs_path=pairs_path,
        groups_path=groups_path,
        guard_rounds=rounds,
    )
