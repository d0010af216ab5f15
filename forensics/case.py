"""The case: one DuckDB file that every stage reads and writes.

`Case` is the library API the CLI and the notebooks share.  It owns the
connection, creates the schema, runs the named queries of `queries/`, and
hands out DataFrames.  Stage logic lives in the stage packages
(`forensics.ingest`, `forensics.enrich`, `forensics.investigate`,
`forensics.report`); the convenience methods here only delegate to them.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import duckdb

from forensics import __version__
from forensics.errors import ForensicsError
from forensics.schema import DDL, SCHEMA_VERSION


class Case:
    """An open case file.

    Args:
        path: the DuckDB file; created (with the schema) when missing and
            `create` is true.
        read_only: open without write access (notebooks exploring a case).
        create: allow creating a new file.

    Example:
        >>> case = Case.open("dispute-4711.duckdb")
        >>> case.sources()            # DataFrame of ingested files
        >>> case.timeline("K-10023")  # merged timeline of one account
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, create: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            if read_only or not create:
                raise ForensicsError(f"case file not found: {self.path}")
            if self.path.parent and not self.path.parent.exists():
                raise ForensicsError(f"directory does not exist: {self.path.parent}")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise ForensicsError(f"cannot open case file {self.path}: {exc}") from None
        # Times are stored as UTC instants; make the session agree so that
        # casts and displays in SQL never silently use the machine's zone.
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            self._create_schema()

    # -- construction -------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> "Case":
        """Open an existing case file (or create it when writable)."""
        return cls(path, read_only=read_only)

    def _create_schema(self) -> None:
        for statement in DDL:
            self.con.execute(statement)
        now = _dt.datetime.now(_dt.timezone.utc).isoformat()
        self.con.execute(
            "INSERT INTO case_meta VALUES ('schema_version', $v), ('created_at', $now), "
            "('created_by', $tool) ON CONFLICT DO NOTHING",
            {"v": str(SCHEMA_VERSION), "now": now, "tool": f"forensics {__version__}"},
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- SQL ---------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for each caller (DuckDB idiom)."""
        return self.con.cursor()

    def sql_df(self, sql: str, params: dict[str, Any] | None = None):
        """Run parameterised SQL and return a pandas DataFrame.

        Values always go through `params` (DuckDB `$name` binding); never
        paste log content or user input into `sql`.
        """
        try:
            return self.con.execute(sql, params or {}).df()
        except duckdb.Error as exc:
            raise ForensicsError(f"query failed: {exc}") from None

    def query(self, name: str, **params):
        """Run a named query from `queries/` and return a DataFrame."""
        from forensics.named_queries import run_query

        return run_query(self, name, params)

    # -- convenience accessors for notebooks --------------------------------
    def sources(self):
        """The chain of custody: one row per ingested file."""
        return self.sql_df("SELECT * FROM sources ORDER BY source_id")

    def events(self, account: str | None = None, since=None, until=None, limit: int | None = None):
        """Events as a DataFrame, optionally for one account and period."""
        sql = (
            "SELECT * FROM events WHERE ($account IS NULL OR account = $account) "
            "AND ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts < $until) "
            "ORDER BY ts, source_id, line_no"
        )
        if limit is not None:
            sql += " LIMIT $limit"
        params = {"account": account, "since": since, "until": until}
        if limit is not None:
            params["limit"] = int(limit)
        return self.sql_df(sql, params)

    def rejects(self):
        return self.sql_df("SELECT * FROM rejects ORDER BY source_id, line_no")

    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM case_meta").fetchall())
