"""Named SQL queries: one file per query in `queries/` (shared) or
`queries/<kind>/` (one dispute kind's), metadata in its header.

A query file starts with a header of `--` comment lines::

    -- name: failed_logins
    -- description: Failed logins of an account (panel and sshd) in a window.
    -- param account: the customer account id
    -- param since: TIMESTAMPTZ, start of the window (inclusive)
    -- param until: TIMESTAMPTZ, end of the window (exclusive)

The body uses DuckDB `$name` parameters only.  Values are bound, never
pasted; identifiers never come from input.  A finding is a query that returns
the evidence rows: an empty result means "not observed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from forensics.errors import ForensicsError
from forensics.resources import queries_dir

_HEADER = re.compile(r"^--\s*(name|description|param)\s*(\w+)?\s*:\s*(.*)$")


@dataclass
class NamedQuery:
    name: str
    description: str
    params: dict[str, str] = field(default_factory=dict)  # name -> description
    sql: str = ""
    path: Path | None = None


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    name = description = None
    params: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, pname, value = m.groups()
        if key == "name":
            name = value.strip()
        elif key == "description":
            description = value.strip()
        elif key == "param" and pname:
            params[pname] = value.strip()
    if not name or not description:
        raise ForensicsError(f"{path}: query header needs '-- name:' and '-- description:' lines")
    if name != path.stem:
        raise ForensicsError(f"{path}: header name {name!r} differs from the file name")
    used = set(re.findall(r"\$([A-Za-z_]\w*)", text))
    undeclared = used - set(params)
    if undeclared:
        raise ForensicsError(f"{path}: parameters used but not declared: {', '.join(sorted(undeclared))}")
    return NamedQuery(name=name, description=description, params=params, sql=text, path=path)


@lru_cache(maxsize=None)
def all_queries() -> dict[str, NamedQuery]:
    """Every packaged query, by name: the shared ones in `queries/`, each
    dispute kind's in `queries/<kind>/` (names are unique across kinds)."""
    out: dict[str, NamedQuery] = {}
    for p in sorted(queries_dir().rglob("*.sql")):
        if p.stem in out:
            raise ForensicsError(f"{p}: a query named {p.stem!r} exists already ({out[p.stem].path})")
        out[p.stem] = parse_query_file(p)
    return out


def get_query(name: str) -> NamedQuery:
    queries = all_queries()
    if name not in queries:
        raise ForensicsError(f"no query named {name!r}; known: {', '.join(sorted(queries)) or 'none'}")
    return queries[name]


def _checked(name: str, params: dict | None) -> tuple[NamedQuery, dict]:
    q = get_query(name)
    params = dict(params or {})
    unknown = set(params) - set(q.params)
    if unknown:
        raise ForensicsError(f"query {name!r} takes no parameter {', '.join(sorted(unknown))}; it takes: {', '.join(q.params) or 'none'}")
    missing = set(q.params) - set(params)
    if missing:
        raise ForensicsError(f"query {name!r} needs {'parameter' if len(missing) == 1 else 'parameters'}: {', '.join(sorted(missing))}")
    return q, params


def _execute(case, name: str, params: dict | None, cursor, exclude=()):
    q, params = _checked(name, params)
    con = cursor or case.con
    sql = q.sql
    if exclude:   # column names from the code, never from input
        sql = f"SELECT * EXCLUDE ({', '.join(exclude)}) FROM (\n{sql}\n)"
    import duckdb

    try:
        return con.execute(sql, params)
    except duckdb.Error as exc:
        raise ForensicsError(f"query {name!r} failed: {exc}") from None


def run_query(case, name: str, params: dict | None = None, *, cursor=None):
    """Run a named query on a case with bound parameters; return a pandas DataFrame
    (for analysts: `Case.query`, `forensics query`)."""
    result = _execute(case, name, params, cursor)
    import duckdb

    try:
        return result.df()
    except duckdb.Error as exc:
        raise ForensicsError(f"query {name!r} failed: {exc}") from None


def query_rows(case, name: str, params: dict | None = None, *, cursor=None, exclude=()) -> list[dict]:
    """Run a named query on a case with bound parameters; return its rows as
    dicts of Python values (NULL is None, times are aware datetimes).

    What the investigations work on: no pandas on the path of
    `forensics investigate` (its import alone costs more than the call).
    `exclude` leaves columns out that the caller does not read (the same
    query, projected: a ZSTD-stored text column costs its blocks' decompression).
    """
    result = _execute(case, name, params, cursor, exclude)
    import duckdb

    try:
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row)) for row in result.fetchall()]
    except duckdb.Error as exc:
        raise ForensicsError(f"query {name!r} failed: {exc}") from None
