"""`account_rows`: the events that carry an account, sorted by account.

On a provider's case one account's events lie in every block of the panel
log, so reading them decodes most of that table (issue 14: 92 MB read and
~0.25 CPU-s for one account on the 28.7 M-event case).  `rebuild` writes a
copy of those rows (every column of `events` but the text: `ts_raw`, `raw`,
`raw_bytes`) ordered by account, time, file and line, where one account's
rows lie in a few blocks; `forensics enrich` calls it.

The copy is never a source.  `rebuild` records in `case_meta` the state of
the case it was built from (`state`): each source's id, events parsed and
SHA-256, each account map's id and SHA-256, and the number of events.  Every
writer of events or of their account (ingest of a file, `ingest --accounts`,
`lake pull`) adds a source or an account map, so the recorded state differs
from the case's as soon as one has run: `is_current` is then false and the
investigations read `events` as before, until the next enrich.  No writer
needs to know about the copy.

This module imports nothing but the standard library (the investigations
check `is_current` on every call from the shell).
"""

from __future__ import annotations

import json

STATE_KEY = "account_rows_state"


def state(con) -> str:
    """The case's state as the copy depends on it, as one JSON text."""
    sources = con.execute("SELECT source_id, events_parsed, sha256 FROM sources ORDER BY source_id").fetchall()
    maps = con.execute("SELECT map_id, sha256 FROM account_maps ORDER BY map_id").fetchall()
    events = con.execute("SELECT (SELECT count(*) FROM event_rows) + (SELECT count(*) FROM http_events)").fetchone()[0]
    return json.dumps({"sources": [list(r) for r in sources], "account_maps": [list(r) for r in maps],
                       "events": events}, separators=(",", ":"))


def recorded_state(con) -> str | None:
    """The state the copy was built from; None when it was never built."""
    row = con.execute("SELECT value FROM case_meta WHERE key = $k", {"k": STATE_KEY}).fetchall()
    return row[0][0] if row else None


def is_current(con) -> bool:
    """Whether `account_rows` holds exactly the account-bearing events of the case now."""
    recorded = recorded_state(con)
    return recorded is not None and recorded == state(con)


def rebuild(con, memory_limit: str | None = None) -> int:
    """Write the copy and the state it was built from, in one transaction;
    returns its number of rows.  Call it outside any open transaction.

    `memory_limit` (`[enrich] account_rows_memory_limit`): DuckDB's memory
    ceiling for the sort, which spills beyond it; the database's own
    ceiling is set back afterwards (as DuckDB shows it: to 0.1 of its unit)."""
    from forensics.schema import ACCOUNT_ROWS_COLUMNS

    columns = ", ".join('"user"' if c == "user" else c for c in ACCOUNT_ROWS_COLUMNS)
    # the rows are stored in the order they are inserted only with this setting
    # (the ingest turns it off on its connection)
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    old_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    if memory_limit:
        con.execute("SET memory_limit = $limit", {"limit": str(memory_limit)})
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM account_rows")
            con.execute(f"INSERT INTO account_rows ({columns}) SELECT {columns} FROM events "
                        "WHERE account IS NOT NULL ORDER BY account, ts, source_id, line_no")
            rows = con.execute("SELECT count(*) FROM account_rows").fetchone()[0]
            con.execute("INSERT OR REPLACE INTO case_meta VALUES ($k, $v)", {"k": STATE_KEY, "v": state(con)})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        if not keep_order:
            con.execute("SET preserve_insertion_order = false")
        if memory_limit:
            con.execute("SET memory_limit = $limit", {"limit": old_limit})
    return rows
