"""The ``sql`` source: a table or a query from any database SQLAlchemy can reach.

The URL usually comes from the environment (``url: ${DATABASE_URL}``) because it holds a
password: messages show it with the password and query values hidden. SQLAlchemy and pandas are
imported only when the source is read.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from automl import SECRET_PLACEHOLDER, DataError, Params, Scrubber, SourceContext
from automl_io.frames import require_rows

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import URL, Connection

logger = logging.getLogger(__name__)

_URL_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9+_.-]*://")
_URL_EXAMPLES = "postgresql+psycopg2://user:password@host:5432/db, mysql+pymysql://..., sqlite:///data/db.sqlite"
# Per-dialect name of the DBAPI's connect timeout (seconds); other drivers get none.
_CONNECT_TIMEOUT_ARG = {
    ("postgresql", "psycopg2"): "connect_timeout",
    ("postgresql", "psycopg"): "connect_timeout",
    ("mysql", "pymysql"): "connect_timeout",
    ("mysql", "mysqldb"): "connect_timeout",
    ("mariadb", "pymysql"): "connect_timeout",
    ("mariadb", "mysqldb"): "connect_timeout",
}


class SqlParams(Params):
    """Parameters of the ``sql`` source."""

    url: str = Field(
        min_length=1,
        repr=False,
        description=(
            "SQLAlchemy database URL, usually ${DATABASE_URL}; e.g. "
            "postgresql+psycopg2://user:pass@host/db. A relative sqlite:///path resolves "
            "against the recipe's folder."
        ),
    )
    query: str | None = Field(
        default=None,
        min_length=1,
        description="A SELECT to run; bind parameters are written :name and set in params.",
    )
    table: str | None = Field(
        default=None, min_length=1, description="A table (or view) to read whole."
    )
    db_schema: str | None = Field(
        default=None,
        alias="schema",
        min_length=1,
        description="The schema (PostgreSQL) or database (MySQL) holding table.",
    )
    params: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict,
        repr=False,
        description="Values of the query's bound parameters (:name), e.g. {since: 2024-01-01}.",
    )
    connect_timeout: int = Field(
        default=10, ge=1, description="Seconds to wait for the database server to answer."
    )

    @model_validator(mode="after")
    def _check(self) -> SqlParams:
        if not _URL_SHAPE.match(self.url):
            # The value is not echoed: it may hold a password.
            raise ValueError(f"url must be a SQLAlchemy URL such as {_URL_EXAMPLES}")
        if (self.query is None) == (self.table is None):
            raise ValueError("set exactly one of query (a SELECT) or table (a table name)")
        if self.db_schema is not None and self.table is None:
            raise ValueError("schema applies to table only; qualify names inside the query instead")
        if self.params and self.query is None:
            raise ValueError("params are the bound values of a query; they need query, not table")
        return self


def read_sql(params: SqlParams, context: SourceContext) -> pd.DataFrame:
    """Read a table, or the result of a query, into a DataFrame."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    url = _database_url(params, context)
    shown = shown_url(url)
    scrub = Scrubber([url.password, *(str(v) for v in params.params.values() if v is not None)])
    try:
        connect_args: dict[str, Any] = {}
        timeout_arg = _CONNECT_TIMEOUT_ARG.get((url.get_backend_name(), url.get_driver_name()))
        if timeout_arg:
            connect_args[timeout_arg] = params.connect_timeout
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise DataError(
            f"sql source: no database driver for {url.drivername!r} ({scrub.error(exc)}); install "
            "one and name it in the URL, e.g. postgresql+psycopg2:// (pip install "
            "psycopg2-binary) or mysql+pymysql:// (pip install pymysql)"
        ) from None
    except Exception as exc:
        raise DataError(f"sql source: cannot use the URL {shown}: {scrub.error(exc)}") from None
    try:
        try:
            connection = engine.connect()
        except Exception as exc:
            raise DataError(
                f"sql source: cannot connect to {shown}: {_db_error(exc, scrub)}. Check that the "
                "database server is running and reachable, and the URL (data.source.url): host, "
                "port, database name, user and password"
            ) from None
        with connection:
            logger.debug("sql source: reading from %s", shown)
            frame, what = _read(connection, params, shown, scrub)
    finally:
        engine.dispose()
    return require_rows(frame, "sql", f"{what} on {shown}")


def shown_url(url: URL) -> str:
    """The URL as messages show it: no password, query values hidden."""
    text = url.set(query={}).render_as_string(hide_password=True)
    if url.query:
        text += "?" + "&".join(f"{key}={SECRET_PLACEHOLDER}" for key in url.query)
    return text


def _database_url(params: SqlParams, context: SourceContext) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(params.url)
    except (ArgumentError, ValueError):
        raise DataError(
            f"sql source: data.source.url is not a valid SQLAlchemy URL (it is not shown: it may "
            f"hold a password); write it like {_URL_EXAMPLES}"
        ) from None
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        if database.startswith("file:"):
            return url  # a SQLite URI filename (?uri=true): passed through as written
        path = context.resolve_path(database)
        if not path.is_file():
            raise DataError(
                f"sql source: SQLite database file not found: {path} (relative paths in "
                f"sqlite:///path resolve against {context.base_dir}; an absolute path is "
                "written sqlite:////absolute/path)"
            )
        url = url.set(database=str(path))
    return url


def _read(
    connection: Connection, params: SqlParams, shown: str, scrub: Scrubber
) -> tuple[pd.DataFrame, str]:
    import pandas as pd
    import sqlalchemy as sa

    if params.table is not None:
        qualified = f"{params.db_schema}.{params.table}" if params.db_schema else params.table
        what = f"table {qualified!r}"
        _require_table(connection, params.table, params.db_schema, shown, scrub)
        try:
            return pd.read_sql_table(params.table, connection, schema=params.db_schema), what
        except Exception as exc:
            raise DataError(
                f"sql source: cannot read {what} on {shown}: {_db_error(exc, scrub)}"
            ) from None
    what = "the query"
    try:
        frame = pd.read_sql_query(sa.text(params.query or ""), connection, params=params.params)
    except Exception as exc:
        raise DataError(
            f"sql source: the query (data.source.query) failed on {shown}: "
            f"{_db_error(exc, scrub)}. Check the SQL, and that data.source.params sets every "
            ":name parameter it uses"
        ) from None
    return frame, what


def _require_table(
    connection: Connection, table: str, schema: str | None, shown: str, scrub: Scrubber
) -> None:
    import sqlalchemy as sa

    from automl import did_you_mean

    try:
        inspector = sa.inspect(connection)
        if inspector.has_table(table, schema=schema):
            return
        names = sorted(
            [*inspector.get_table_names(schema=schema), *inspector.get_view_names(schema=schema)]
        )
    except Exception as exc:
        raise DataError(
            f"sql source: cannot list the tables of {shown}"
            f"{f' (schema {schema!r})' if schema else ''}: {_db_error(exc, scrub)}"
        ) from None
    where = f"schema {schema!r} of {shown}" if schema else shown
    listed = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "") if names else "none"
    raise DataError(
        f"sql source: no table {table!r} in {where}.{did_you_mean(table, names)} "
        f"Tables: {listed}. Check data.source.table"
        + ("" if schema else " (and data.source.schema, if it lives in another schema)")
    )


def _db_error(exc: BaseException, scrub: Scrubber) -> str:
    """The database driver's own message.

    pandas wraps SQLAlchemy's error, which wraps the driver's and adds the SQL and the bound
    values: the driver's message says what is wrong without echoing them.
    """
    for _ in range(5):
        original = getattr(exc, "orig", None)
        if isinstance(original, BaseException):
            exc = original
        elif exc.__cause__ is not None and type(exc).__module__.startswith(
            ("pandas", "sqlalchemy")
        ):
            exc = exc.__cause__
        else:
            break
    return scrub.error(exc)
