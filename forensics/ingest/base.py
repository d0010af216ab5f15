"""The contract between the ingest engine and the log formats.

A format turns a batch of decoded lines into canonical event rows; the
engine (`forensics.ingest.engine`) does everything else: reading (compressed
streams, invalid UTF-8, truncation), line numbering, blank lines, time-zone
application, year inference for year-less formats, the `sources` row, the
accounting identity (parsed + rejected + blank = lines read) and the
all-or-nothing write.

Formats are either Python classes (built-in fast paths: combined access log,
native panel log) or declarative definitions (TOML files loaded by
`forensics.ingest.declarative`); both implement `LogFormat`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# Canonical event columns a format may fill (see schema.py / README).
# The engine adds event_id, source_id, raw, raw_bytes and the final ts.
CANONICAL_COLUMNS = (
    "source_kind", "event", "result", "account", "actor", "user", "auth",
    "session", "ip", "port", "user_agent", "method", "path", "status", "bytes",
    "referrer", "target", "host", "detail",
)


def lone_surrogate(text: str, value: Any) -> bool:
    """Whether `value`, decoded from the JSON `text`, holds a lone UTF-16
    surrogate (a `\\ud800` escape without its pair): no text a case can store."""
    if "\\u" not in text:
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def used_params(sql: str, params: dict) -> dict:
    """The parameters the SQL names (DuckDB refuses unused ones)."""
    names = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    return {k: v for k, v in params.items() if k in names}


@dataclass
class IngestContext:
    """What the engine knows about the file being read."""

    path: str                     # as given
    tz: str | None                # --tz, if given
    year: int | None              # --year, if given
    host: str | None              # --host, if given
    mtime_utc: Any                # datetime of the file's modification time (UTC)


@dataclass
class ParsedBatch:
    """What a format returns for one batch of lines.

    `events` is a pandas DataFrame (or a pyarrow Table) with one row per
    parsed line and these columns:

    * `line_no`  (int, 1-based, from the engine's numbering)
    * `ts_raw`   (str, the timestamp text as written)
    * `ts`       (tz-aware UTC datetime) for rows whose text carried an offset
      or an epoch; null otherwise
    * `ts_local` (naive datetime) for rows whose text had no zone: wall-clock
      time in the file's zone, which the engine localises (DST-aware).  For
      year-less formats the year is a placeholder (2000, a leap year, so that
      "Feb 29" parses) and `yearless` is true; the engine infers the year.
    * any of CANONICAL_COLUMNS (missing ones are NULL)

    `rejects` are (line_no, reason) for lines the format could not parse;
    every non-blank line given to `parse` must be in exactly one of the two.
    """

    events: Any
    rejects: list[tuple[int, str]] = field(default_factory=list)
    yearless: bool = False


@runtime_checkable
class LogFormat(Protocol):
    name: str                      # e.g. "combined", "sshd-syslog", "cpanel-login-log"
    source_kind: str               # panel | http | ssh | syslog | ...
    description: str
    default_tz: str | None         # zone of naive timestamps, when the format knows it

    def sniff(self, lines: list[str]) -> bool:
        """True when these first non-blank lines look like this format."""

    def parse(self, lines: list[str], line_nos: list[int], ctx: IngestContext) -> ParsedBatch:
        """Parse non-blank lines (with their 1-based numbers)."""
