"""Child process: DuckDB's bare read_csv + regexp_extract over an access log.

The baseline the ingest target was set against ("DuckDB's own regexp_extract
pass ... about 490,000 lines/s on 2 cores").  Two modes:

* ``parse``: read every line, extract the combined-log fields, count the
  matches (nothing stored);
* ``store``: the same, written with the raw line into a DuckDB file: the
  least any ingest that keeps raw lines has to do (no line numbers, no time
  conversion, no rejects, no chain of custody).

Usage: ``python -m benchmarks._duckdb_bare parse|store FILE [DB]``; prints
``lines matched`` on stdout.
"""

from __future__ import annotations

import sys

import duckdb

# Combined log format, escapes inside quoted fields allowed; trailing fields
# (X-Forwarded-For, request time) are ignored.
COMBINED_RE = (
    r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\S+)'
    r'(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?'
)
FIELDS = ["ip", "ident", "user", "ts", "request", "status", "bytes", "referrer", "user_agent"]


def _sql_literal(text: str) -> str:
    # A constant pattern lets DuckDB compile the regex once; the text is our
    # own constant, not input.
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    db = argv[2] if len(argv) > 2 else ":memory:"
    con = duckdb.connect(db)
    # One column per line: a delimiter that does not occur, no quoting.
    source = ("read_csv($path, columns={'line': 'VARCHAR'}, header=false, delim=E'\\x1f', "
              "quote='', escape='', auto_detect=false)")
    fields = "[" + ", ".join(_sql_literal(f) for f in FIELDS) + "]"
    extract = f"regexp_extract(line, {_sql_literal(COMBINED_RE)}, {fields})"
    if mode == "parse":
        lines, matched = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE f.ip <> '') FROM (SELECT {extract} AS f FROM {source})",
            {"path": path}).fetchone()
    elif mode == "store":
        con.execute("DROP TABLE IF EXISTS access")
        con.execute(f"CREATE TABLE access AS SELECT line, {extract} AS f FROM {source}", {"path": path})
        lines, matched = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE f.ip <> '') FROM access").fetchone()
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    print(lines, matched)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
