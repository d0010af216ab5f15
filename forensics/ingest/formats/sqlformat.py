"""Line formats parsed inside DuckDB, vectorised, one chunk of lines at a time.

A per-line Python loop parses some 100,000 lines/s; DuckDB applies a regular
expression (RE2) to a column of lines on all cores.  A `SqlLineFormat` is a
`LogFormat` whose work is one SELECT over a table `(line_no, line)` of
non-blank lines.  The engine runs that SELECT on the case connection (no
round trip through Python objects); `parse()` runs the same SELECT on a
private in-memory connection, so the format also honours the plain
`LogFormat` contract (used by `forensics formats check` and the tests).

The SELECT returns, per input line, `line_no`, `reject_reason` (NULL when the
line parsed), `ts` (TIMESTAMPTZ), `ts_raw`, every canonical column and `raw`
(the line itself).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from forensics.ingest.base import CANONICAL_COLUMNS, IngestContext, ParsedBatch
from forensics.ingest.normalize import normalize_ip

if TYPE_CHECKING:   # pandas is loaded where a frame is built (not on the SQL paths)
    import pandas as pd

# A double-quoted field of Apache/nginx: backslash escapes (\" \\ \xHH) allowed.
QUOTED = r'(?:[^"\\]|\\.)*'

_ESCAPE = re.compile(r'\\(x[0-9A-Fa-f]{2}|.)', re.S)


def unescape_log_field(text: str | None) -> str | None:
    r"""Undo Apache/nginx log escaping: `\"`, `\\`, `\n`, `\t`, `\xHH`.

    Runs of `\xHH` are bytes of one (usually UTF-8) string, so they are
    collected and decoded together; bytes that are not UTF-8 become U+FFFD.
    """
    if text is None or "\\" not in text:
        return text
    out: list[str] = []
    pending = bytearray()
    pos = 0
    for match in _ESCAPE.finditer(text):
        if match.start() > pos:
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending.clear()
            out.append(text[pos:match.start()])
        code = match.group(1)
        if code[0] == "x" and len(code) == 3:
            pending.append(int(code[1:], 16))
        else:
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending.clear()
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(code, code))
        pos = match.end()
    if pending:
        out.append(pending.decode("utf-8", errors="replace"))
    out.append(text[pos:])
    return "".join(out)


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Python helpers the format SELECTs call (only on the rare rows that need them)."""
    for name, func in (("forensics_unescape", unescape_log_field),
                       ("forensics_normalize_ip", normalize_ip)):
        try:
            con.create_function(name, func, ["VARCHAR"], "VARCHAR",
                                null_handling="special", side_effects=False)
        except duckdb.Error:
            pass  # already registered on this connection
    from forensics.ingest.declarative_sql import register_udfs

    register_udfs(con)   # the compiled declarative definitions' helpers
    from forensics.ingest.formats.panel import register_udfs as register_panel_udfs

    register_panel_udfs(con)   # the panel log's SELECTs' helpers


def unescaped(column: str) -> str:
    """SQL: the column, unescaped where it holds a backslash."""
    return f"(CASE WHEN contains({column}, '\\') THEN forensics_unescape({column}) ELSE {column} END)"


def dash_null(column: str) -> str:
    """SQL: '' and '-' (nothing logged) become NULL."""
    return f"(CASE WHEN {column} IN ('', '-') THEN NULL ELSE {column} END)"


class SqlLineFormat:
    """Base of the vectorised formats; subclasses give `select_sql`."""

    name = ""
    source_kind = ""
    description = ""
    default_tz: str | None = None
    sniff_pattern: re.Pattern

    def sniff(self, lines: list[str]) -> bool:
        """At least half of the given non-blank lines match the line pattern."""
        candidates = [line for line in lines if line.strip()]
        if not candidates:
            return False
        hits = sum(1 for line in candidates if self.sniff_pattern.match(line))
        return hits * 2 >= len(candidates)

    def select_sql(self, table: str) -> tuple[str, dict]:
        """(SQL, parameters) selecting parsed rows from `table(line_no, line)`."""
        raise NotImplementedError

    def parse(self, lines: list[str], line_nos: list[int], ctx: IngestContext) -> ParsedBatch:
        parsed, rejects = parse_with_select(self.select_sql, lines, line_nos)
        return ParsedBatch(events=parsed[["line_no", "ts_raw", "ts", *CANONICAL_COLUMNS]].reset_index(drop=True),
                           rejects=rejects)


def parse_with_select(select_sql, lines: list[str], line_nos: list[int]) -> tuple[pd.DataFrame, list]:
    """A format's SELECT (`select_sql(table) -> (sql, params)`) over the given
    lines on a private in-memory connection: the parsed rows (`ts` as UTC
    timestamps, in line order) and the rejected lines as (line_no, reason)."""
    import pandas as pd
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # the DuckDB settings the engine runs this SELECT with (a compiled definition's)
        for name, value in getattr(getattr(select_sql, "__self__", None), "select_settings", {}).items():
            con.execute(f"SET {name} = $v", {"v": value})
        register_functions(con)
        frame = pd.DataFrame({"line_no": np.asarray(line_nos, dtype=np.int64),  # noqa: F841 (registered)
                              "line": np.asarray(lines, dtype=object)})
        con.register("parse_input", frame)
        sql, params = select_sql("parse_input")
        result = con.execute(
            f"SELECT * EXCLUDE (ts, raw), ts::VARCHAR AS ts_text FROM ({sql}) ORDER BY line_no", params
        ).df()
    finally:
        con.close()
    rejected = result[result["reject_reason"].notna()]
    parsed = result[result["reject_reason"].isna()].drop(columns=["reject_reason"])
    parsed = parsed.assign(ts=pd.to_datetime(parsed.pop("ts_text"), utc=True, format="ISO8601"))
    return parsed, list(zip(rejected["line_no"].astype(int), rejected["reject_reason"]))
