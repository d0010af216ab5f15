"""Ad-hoc SQL on a case, read-only (`forensics sql`).

The case file is evidence: an analyst's query may read it in any way but
never change it, nor reach outside it.  Three locks, each enough alone for
its part:

* only SELECT (with WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE) and
  EXPLAIN statements run (an EXPLAIN is judged by the statement it explains:
  EXPLAIN ANALYZE runs it); anything else, in any statement of a
  multi-statement text, is refused by its statement type before any runs,
  with one sentence;
* the connection is read-only, so no statement can write the case file;
* `enable_external_access` is off and the configuration locked, so no query
  reads or writes other files (COPY TO, ATTACH, read_csv), installs or loads
  an extension, or switches the locks back on.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from forensics.errors import ForensicsError

_ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


# EXPLAIN [ANALYZE] [(options)] before the statement it explains.
_EXPLAIN = re.compile(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?(\s*\([^)]*\))?\s*", re.IGNORECASE)


def _keyword(statement) -> str:
    text = _strip_comments(getattr(statement, "query", "") or "").strip()
    word = text.split(None, 1)[0].upper() if text else ""
    return word if word.isalpha() else statement.type.name


def _strip_comments(text: str) -> str:
    return re.sub(r"^(\s*(--[^\n]*\n|/\*.*?\*/))*", "", text, flags=re.DOTALL)


def _refused(con, statement):
    """The statement that makes `statement` refused (itself, or what an EXPLAIN
    explains: EXPLAIN ANALYZE runs it), or None."""
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", _strip_comments(statement.query or ""), count=1)
        try:
            explained_statements = con.extract_statements(inner) if inner.strip() else []
        except duckdb.Error:
            return statement   # what it explains cannot be told: refused
        for explained in explained_statements:
            found = _refused(con, explained)
            if found is not None:
                return found
        return None
    return None if statement.type in _ALLOWED else statement


def open_read_only(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a case file that cannot reach outside it."""
    path = Path(path)
    if not path.is_file():
        raise ForensicsError(f"case file not found: {path}")
    try:
        con = duckdb.connect(str(path), read_only=True,
                             config={"enable_external_access": False})
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        raise ForensicsError(f"cannot open case file {path}: {exc}") from None
    return con


def run_sql(path: str | Path, sql: str):
    """Run one or more read-only statements on a case; the last one's rows as a DataFrame.

    Args:
        path: the case file.
        sql: SQL text; every statement must be a query (SELECT, WITH, VALUES,
            DESCRIBE, SHOW, SUMMARIZE, EXPLAIN).

    Returns:
        A pandas DataFrame of the last statement's rows.

    Raises:
        ForensicsError: a statement would write or reach outside the case
            (refused before anything runs), or the SQL fails.
    """
    con = open_read_only(path)
    try:
        return run_read_only(con, sql)
    finally:
        con.close()


def run_read_only(con, sql: str, *, what: str = "the case file is evidence"):
    """Run `sql` on a locked connection once every statement has been judged a query.

    Args:
        con: a DuckDB connection that cannot write what it reads (read-only,
            external access off or limited, configuration locked).
        sql: one or more statements.
        what: why writing is refused, for the sentence.

    Returns:
        A pandas DataFrame of the last statement's rows.
    """
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ForensicsError(f"the SQL does not parse: {_first_line(exc)}") from None
    if not statements:
        raise ForensicsError("no SQL statement given")
    for statement in statements:
        refused = _refused(con, statement)
        if refused is not None:
            raise ForensicsError(
                f"forensics sql only reads: the {_keyword(refused)} statement is refused "
                f"({what}; use `forensics export` to write rows to a file)")
    try:
        for statement in statements[:-1]:
            con.execute(statement)
        return con.execute(statements[-1]).df()
    except duckdb.Error as exc:
        raise ForensicsError(f"query failed: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
