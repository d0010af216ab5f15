"""An account's timeline into the analyst's other tools (`forensics export`).

`export_account(case, account, fmt, out)` writes the merged timeline of one
account (the rows of `forensics timeline`: panel events, the web requests
joined to its sessions, the sshd lines attributed to it, each with its
`file:line` and raw line) as

* `timesketch`: Timesketch's import format, JSON Lines (or CSV when the file
  name ends in `.csv`) with its mandatory fields `message`, `datetime`
  (ISO 8601 with offset) and `timestamp_desc`, plus `timestamp` (epoch
  microseconds), a namespaced `data_type` (`forensics:panel:login`), every
  timeline column and `file_line`.  The fields are those of Timesketch's
  "Create timeline from JSONL or CSV file" guide
  (google/timesketch, docs/guides/user/import-from-json-csv.md);
* `jsonl`, `csv`: the timeline's columns as they are, times in ISO 8601;
* `parquet`: the same columns with `ts` as a UTC timestamp (DuckDB's writer).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from forensics.errors import ForensicsError

FORMATS = ("timesketch", "jsonl", "parquet", "csv")

# What kind of time each source's `ts` is (Timesketch's `timestamp_desc`).
TIMESTAMP_DESC = {
    "panel": "Panel audit log entry",
    "http": "Web request logged",
    "ssh": "sshd log entry",
    "syslog": "Syslog entry",
}


def timeline_rows(case, account: str, *, since=None, until=None):
    """The account's merged timeline (a DataFrame) with a `file_line` citation column."""
    from forensics.investigate import timeline

    frame = timeline(case, account, since=since, until=until)
    frame = frame.copy()
    frame["file_line"] = [f"{p}:{n}" for p, n in zip(frame["path"], frame["line_no"])]
    return frame


def message(row: dict) -> str:
    """One informative sentence for an event (Timesketch's `message`)."""
    kind = row.get("source_kind") or ""
    who = " ".join(part for part in (
        f"user={row['user']}" if row.get("user") else "",
        f"ip={row['ip']}" if row.get("ip") else "",
    ) if part)
    if kind == "http":
        what = " ".join(str(v) for v in (row.get("method"), row.get("http_path"), row.get("status"))
                        if v not in (None, ""))
        what = what or "request"
    else:
        what = row.get("event") or "event"
        if row.get("result"):
            what += f" {row['result']}"
        if row.get("target"):
            what += f" target={row['target']}"
    account = f" account={row['account']}" if row.get("account") else ""
    return f"[{kind}] {what}{account}" + (f" {who}" if who else "")


def timesketch_record(row: dict) -> dict:
    """A timeline row (plain values, `ts` an aware datetime) as a Timesketch event."""
    from forensics.timefmt import as_utc

    ts = as_utc(row["ts"])
    record = {
        "message": message(row),
        "datetime": ts.isoformat(timespec="microseconds" if ts.microsecond else "seconds"),
        "timestamp": int((ts - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)),
        "timestamp_desc": TIMESTAMP_DESC.get(row.get("source_kind") or "",
                                             f"{row.get('source_kind') or 'log'} entry"),
        "data_type": f"forensics:{row.get('source_kind') or 'log'}:{row.get('event') or 'entry'}",
    }
    for key, value in row.items():
        if key != "ts":
            record[key] = value
    return record


def export_account(case, account: str, fmt: str, out: str | Path | None, *, since=None, until=None,
                   stream=None) -> int:
    """Write an account's timeline in `fmt` to `out` (or `stream` for text formats).

    Args:
        case: an open `Case`.
        account: the customer account id.
        fmt: one of `FORMATS`.
        out: the file to write; None writes text formats to `stream`.
        since, until: the period (ISO date or date-time; a date `until` includes that day).
        stream: a text stream for `out=None` (the CLI passes stdout).

    Returns:
        The number of rows written.
    """
    from forensics.cli.output import plain_value, write_records

    if fmt not in FORMATS:
        raise ForensicsError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "parquet" and out is None:
        raise ForensicsError("--format parquet needs --out FILE.parquet (Parquet is not a terminal format)")
    frame = timeline_rows(case, account, since=since, until=until)
    if fmt == "parquet":
        _write_parquet(frame, Path(out))
        return len(frame)
    columns = [str(c) for c in frame.columns]
    rows = []
    for values in frame.itertuples(index=False, name=None):
        raw = dict(zip(columns, values))
        plain = {k: plain_value(v) for k, v in raw.items()}
        if fmt == "timesketch":
            plain["ts"] = raw["ts"]
            rows.append(timesketch_record(plain))
        else:
            rows.append(plain)
    as_csv = fmt == "csv" or (fmt == "timesketch" and out is not None and str(out).lower().endswith(".csv"))
    if fmt == "timesketch":
        header = list(rows[0]) if rows else ["message", "datetime", "timestamp", "timestamp_desc", "data_type",
                                             *[c for c in columns if c != "ts"]]
    else:
        header = columns
    handle = open(out, "w", encoding="utf-8", newline="") if out is not None else stream
    try:
        # The encoders of the shared output flags: CSV as `--csv`, JSON Lines as `--nl`.
        write_records(rows, header, "csv" if as_csv else "nl", handle)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise ForensicsError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        if out is not None:
            handle.close()
    return len(rows)


def _write_parquet(frame, out: Path) -> None:
    import duckdb

    if not out.parent.exists():
        raise ForensicsError(f"directory does not exist: {out.parent}")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("export_rows", frame)
        con.execute("COPY (SELECT * FROM export_rows) TO $out (FORMAT parquet)", {"out": str(out)})
    except duckdb.Error as exc:
        raise ForensicsError(f"cannot write {out}: {exc}") from None
    finally:
        con.close()
