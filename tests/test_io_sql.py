"""The ``sql`` source on a SQLite file, and on the PostgreSQL and MariaDB servers of 127.0.0.1.

The server tests need PostgreSQL on 127.0.0.1:5432 (user postgres, database test, trust or
password authentication) and MariaDB/MySQL on 127.0.0.1:3306 (user root without password,
database test); each is skipped, saying why, when its server does not answer. Other servers:
set AUTOML_TEST_POSTGRES_URL / AUTOML_TEST_MYSQL_URL to a SQLAlchemy URL (the tests create and
drop their own tables). Run them with ``pytest tests/test_io_sql.py -rs`` to see the skips.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from automl import DataError, PluginRegistry, RecipeError
from tests.source_helpers import load_source

PASSWORD = "pa55-w0rd-never-shown"
ROWS = [(1, 1.5, "a", "yes"), (2, 2.5, "b", "no"), (3, 3.5, "a", "no"), (4, 0.5, "c", "yes")]


def _load(
    registry: PluginRegistry, base_dir: Path, source: str, env: dict[str, str] | None = None
) -> pd.DataFrame:
    return load_source(registry, source, base_dir=base_dir, env=env)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# -- SQLite --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_dir(tmp_path: Path) -> Path:
    """A recipe folder with db/shop.sqlite: a table ``customers``, a view, an empty table."""
    (tmp_path / "db").mkdir()
    with sqlite3.connect(tmp_path / "db" / "shop.sqlite") as db:
        db.execute("CREATE TABLE customers (id INTEGER, x REAL, c TEXT, y TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", ROWS)
        db.execute("CREATE VIEW big AS SELECT * FROM customers WHERE x > 1")
        db.execute("CREATE TABLE orders (id INTEGER)")
    db.close()
    return tmp_path


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', table: customers}", (4, 4), id="table"
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', table: customers, schema: main}",
            (4, 4),
            id="table-schema",
        ),
        pytest.param("{type: sql, url: 'sqlite:///db/shop.sqlite', table: big}", (3, 4), id="view"),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', query: 'SELECT x, y FROM customers WHERE c = :c', params: {c: a}}",
            (2, 2),
            id="query-params",
        ),
        pytest.param(
            "{type: sql, url: '${DATABASE_URL}', query: 'SELECT * FROM customers'}",
            (4, 4),
            id="url-from-env",
        ),
    ],
)
def test_sqlite(
    sqlite_dir: Path, registry: PluginRegistry, source: str, shape: tuple[int, int]
) -> None:
    env = {"DATABASE_URL": "sqlite:///db/shop.sqlite"}
    frame = _load(registry, sqlite_dir, source, env)
    assert frame.shape == shape
    assert "y" in frame.columns


def test_sqlite_absolute_path(sqlite_dir: Path, registry: PluginRegistry, tmp_path: Path) -> None:
    url = f"sqlite:///{sqlite_dir / 'db' / 'shop.sqlite'}"
    frame = _load(
        registry, tmp_path / "elsewhere", f"{{type: sql, url: '{url}', table: customers}}"
    )
    assert frame["id"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "{type: sql, url: 'sqlite:///db/nope.sqlite', table: customers}",
            "SQLite database file not found: .*nope.sqlite .*resolve against",
            id="missing-file",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', table: customer}",
            "no table 'customer' in sqlite:///.*shop.sqlite. Did you mean 'customers'\\? "
            "Tables: big, customers, orders",
            id="missing-table",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', query: 'SELEKT * FROM customers'}",
            'the query \\(data.source.query\\) failed on sqlite:///.*: OperationalError: near "SELEKT"',
            id="bad-query",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', query: 'SELECT * FROM customers WHERE c = :c'}",
            "failed on .*sets every :name parameter",
            id="unset-parameter",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', table: orders}",
            "sql source: table 'orders' on sqlite:///.* holds no rows \\(columns: id\\)",
            id="empty-table",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///db/shop.sqlite', query: 'SELECT * FROM customers WHERE 0'}",
            "the query on .* holds no rows",
            id="empty-result",
        ),
        pytest.param(
            f"{{type: sql, url: 'mssql+pyodbc://sa:{PASSWORD}@127.0.0.1/db', table: t}}",
            "no database driver for 'mssql\\+pyodbc'",
            id="no-driver",
        ),
        pytest.param(
            f"{{type: sql, url: 'nosuchdb://u:{PASSWORD}@127.0.0.1/db', table: t}}",
            "no database driver for 'nosuchdb'",
            id="unknown-dialect",
        ),
    ],
)
def test_sqlite_errors(
    sqlite_dir: Path, registry: PluginRegistry, source: str, message: str
) -> None:
    with pytest.raises(DataError, match=message) as caught:
        _load(registry, sqlite_dir, source)
    assert caught.value.exit_code == 5
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("{type: sql, url: 'sqlite:///x.db'}", "exactly one of query", id="neither"),
        pytest.param(
            "{type: sql, url: 'sqlite:///x.db', table: t, query: 'SELECT 1'}",
            "exactly one of query",
            id="both",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///x.db', query: 'SELECT 1', schema: s}",
            "schema applies to table only",
            id="schema-with-query",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///x.db', table: t, params: {a: 1}}",
            "params are the bound values of a query",
            id="params-with-table",
        ),
        pytest.param(
            "{type: sql, url: '${DATABASE_URL}', table: t}",
            "url must be a SQLAlchemy URL",
            id="not-a-url",
        ),
        pytest.param(
            "{type: sql, url: 'sqlite:///x.db', tabel: t}",
            "unknown key 'tabel'. Did you mean 'table'",
            id="typo",
        ),
    ],
)
def test_parameter_errors(
    tmp_path: Path, registry: PluginRegistry, source: str, message: str
) -> None:
    env = {"DATABASE_URL": f"user:{PASSWORD}@host/db"}
    with pytest.raises(RecipeError, match=message) as caught:
        _load(registry, tmp_path, source, env)
    assert PASSWORD not in str(caught.value)


def test_cannot_connect_hides_the_password(registry: PluginRegistry, tmp_path: Path) -> None:
    port = _closed_port()
    env = {"DATABASE_URL": f"postgresql+psycopg2://analyst:{PASSWORD}@127.0.0.1:{port}/sales"}
    with pytest.raises(DataError) as caught:
        _load(registry, tmp_path, "{type: sql, url: '${DATABASE_URL}', table: t}", env)
    message = str(caught.value)
    assert message.startswith(
        f"sql source: cannot connect to postgresql+psycopg2://analyst:***@127.0.0.1:{port}/sales: "
    )
    assert "server is running and reachable" in message
    assert PASSWORD not in message


# -- PostgreSQL and MariaDB ------------------------------------------------------------------------


def _server_url(kind: str) -> str:
    if kind == "postgresql":
        url = os.environ.get("AUTOML_TEST_POSTGRES_URL")
        if url is None:
            if not _listening(5432):
                pytest.skip(
                    "PostgreSQL is not listening on 127.0.0.1:5432 (set AUTOML_TEST_POSTGRES_URL)"
                )
            url = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
        pytest.importorskip(
            "psycopg2", reason="psycopg2 is not installed (pip install psycopg2-binary)"
        )
        return url
    url = os.environ.get("AUTOML_TEST_MYSQL_URL")
    if url is None:
        if not _listening(3306):
            pytest.skip(
                "MariaDB/MySQL is not listening on 127.0.0.1:3306 (set AUTOML_TEST_MYSQL_URL)"
            )
        url = "mysql+pymysql://root@127.0.0.1:3306/test"
    pytest.importorskip("pymysql", reason="pymysql is not installed (pip install pymysql)")
    return url


@pytest.fixture(scope="module", params=["postgresql", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str | None]]:
    """(url, table, schema): a server with a fresh table of ROWS, dropped afterwards."""
    import sqlalchemy as sa

    url = _server_url(request.param)
    table = f"automl_io_{uuid.uuid4().hex[:10]}"
    schema = table if request.param == "postgresql" else None
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            if schema:
                connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
            qualified = f"{schema}.{table}" if schema else table
            connection.execute(
                sa.text(
                    f"CREATE TABLE {qualified} (id INTEGER, x FLOAT, c VARCHAR(10), y VARCHAR(10))"
                )
            )
            connection.execute(
                sa.text(f"INSERT INTO {qualified} VALUES (:id, :x, :c, :y)"),
                [dict(zip(["id", "x", "c", "y"], row, strict=True)) for row in ROWS],
            )
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"{request.param} at {url} does not accept connections: {exc.orig}")
    try:
        yield url, table, schema
    finally:
        with engine.begin() as connection:
            if schema:
                connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            else:
                connection.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()


def _with_password(url: str) -> str:
    """The URL with PASSWORD set (trust authentication ignores it)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_server_table_and_query(
    server: tuple[str, str, str | None], registry: PluginRegistry, tmp_path: Path
) -> None:
    url, table, schema = server
    env = {"DATABASE_URL": url}
    schema_part = f", schema: {schema}" if schema else ""
    frame = _load(
        registry,
        tmp_path,
        f"{{type: sql, url: '${{DATABASE_URL}}', table: {table}{schema_part}}}",
        env,
    )
    assert frame.shape == (4, 4)
    assert sorted(frame["id"]) == [1, 2, 3, 4]
    qualified = f"{schema}.{table}" if schema else table
    frame = _load(
        registry,
        tmp_path,
        f"{{type: sql, url: '${{DATABASE_URL}}', query: 'SELECT c, y FROM {qualified} WHERE x > :low ORDER BY id', params: {{low: 1.0}}}}",
        env,
    )
    assert frame.to_dict("list") == {"c": ["a", "b", "a"], "y": ["yes", "no", "no"]}


def test_server_errors_hide_the_password(
    server: tuple[str, str, str | None], registry: PluginRegistry, tmp_path: Path
) -> None:
    url, table, schema = server
    secret_url = _with_password(url)
    env = {"DATABASE_URL": secret_url}
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    shown = (
        f"{parsed.drivername}://{parsed.username}:***@{parsed.host}:{parsed.port}/{parsed.database}"
    )
    if parsed.get_backend_name() == "mysql" and not parsed.password:
        # MariaDB's root has no password here: giving one is refused at connection time.
        with pytest.raises(DataError, match=r"cannot connect to .*Access denied") as caught:
            _load(
                registry, tmp_path, f"{{type: sql, url: '${{DATABASE_URL}}', table: {table}}}", env
            )
        assert shown in str(caught.value)
        assert PASSWORD not in str(caught.value)
        return
    cases = [
        (f"table: nope_{table}" + (f", schema: {schema}" if schema else ""), "no table 'nope_"),
        ("query: 'SELECT no_such_column FROM nowhere'", "the query \\(data.source.query\\) failed"),
    ]
    for params, message in cases:
        with pytest.raises(DataError, match=message) as caught:
            _load(registry, tmp_path, f"{{type: sql, url: '${{DATABASE_URL}}', {params}}}", env)
        assert shown in str(caught.value)
        assert PASSWORD not in str(caught.value)


def test_server_unknown_database(
    server: tuple[str, str, str | None], registry: PluginRegistry, tmp_path: Path
) -> None:
    from sqlalchemy.engine import make_url

    url = (
        make_url(server[0]).set(database="automl_no_such_db").render_as_string(hide_password=False)
    )
    with pytest.raises(
        DataError, match=r"cannot connect to .*automl_no_such_db.*: .*automl_no_such_db"
    ):
        _load(
            registry,
            tmp_path,
            "{type: sql, url: '${DATABASE_URL}', query: 'SELECT 1'}",
            {"DATABASE_URL": url},
        )
