"""The product's native panel audit log: JSON Lines, or CSV with the same header.

One record per panel action (schema in README "Ingest"): `ts`, `account` and
`event` are required; `result` defaults to `success`, `actor` to `customer`.
Event names outside the canonical vocabulary are kept as they are (a
provider's own actions are evidence too).  `detail` may be a string or a JSON
object; fields this schema does not name are kept under `detail.extra`.

A timestamp with an offset is an instant; a naive one is wall-clock time in
the zone given with `--tz` (else UTC, assumed and recorded by the engine).

CSV: the first line is the header (it is recorded as a reject with the reason
"CSV header", so that the line accounting stays exact); fields must not span
lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pandas as pd

from forensics.ingest.base import CANONICAL_COLUMNS, IngestContext, ParsedBatch

FIELDS = ("ts", "account", "event", "result", "actor", "user", "auth", "session",
          "ip", "user_agent", "target", "detail")
REQUIRED = ("ts", "account", "event")
RESULTS = ("success", "failure")
ACTORS = ("customer", "staff", "api", "system")

# The canonical panel vocabulary (README "The case file"); other names are kept.
PANEL_EVENTS = (
    "login", "logout", "password_change", "password_reset_request", "password_reset",
    "email_change", "mfa_enable", "mfa_disable", "api_key_create", "api_key_revoke",
    "impersonate_start", "impersonate_end", "rescue_enable", "rescue_disable", "reinstall",
    "reboot", "power_off", "power_on", "contact_update", "notification_sent",
)

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class RecordError(ValueError):
    """A record that cannot become an event; the message is the reject reason."""


def _parse_ts(text) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(aware UTC, None) for text with an offset, (None, naive) without."""
    if not isinstance(text, str) or not _ISO_START.match(text.strip()):
        raise RecordError(f"ts is not an ISO 8601 time: {text!r}")
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise RecordError(f"ts is not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        return None, value
    return value.astimezone(dt.timezone.utc), None


def record_to_row(record: dict) -> dict:
    """One panel record -> canonical columns (raises RecordError)."""
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    missing = [name for name in REQUIRED if record.get(name) in (None, "")]
    if missing:
        raise RecordError(f"missing required field(s): {', '.join(missing)}")
    ts, ts_local = _parse_ts(record["ts"])
    result = record.get("result") or "success"
    if result not in RESULTS:
        raise RecordError(f"result must be success or failure, not {result!r}")
    actor = record.get("actor") or "customer"
    if actor not in ACTORS:
        raise RecordError(f"actor must be one of {', '.join(ACTORS)}, not {actor!r}")
    detail = record.get("detail")
    extra = {k: v for k, v in record.items() if k not in FIELDS}
    if extra:
        detail = {**detail, "extra": extra} if isinstance(detail, dict) else (
            {"text": detail, "extra": extra} if detail is not None else {"extra": extra})
    row = {
        "ts_raw": str(record["ts"]), "ts": ts, "ts_local": ts_local,
        "source_kind": "panel", "event": str(record["event"]), "result": result,
        "account": str(record["account"]), "actor": actor,
        "detail": json.dumps(detail, ensure_ascii=False) if detail not in (None, "") else None,
    }
    for name in ("user", "auth", "session", "ip", "user_agent", "target"):
        value = record.get(name)
        row[name] = None if value in (None, "") else str(value)
    return row


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["line_no", "ts_raw", "ts", "ts_local", *CANONICAL_COLUMNS])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["ts_local"] = pd.to_datetime(frame["ts_local"])
    return frame


class PanelJsonLines:
    """Native panel audit log, one JSON object per line."""

    name = "panel-jsonl"
    source_kind = "panel"
    description = "native panel audit log, JSON Lines (ts, account, event, result, actor, ...)"
    default_tz = None

    def sniff(self, lines: list[str]) -> bool:
        hits = 0
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and all(k in record for k in REQUIRED):
                hits += 1
        return bool(lines) and hits * 2 >= len(lines)

    def parse(self, lines: list[str], line_nos: list[int], ctx: IngestContext) -> ParsedBatch:
        def records():
            for line_no, line in zip(line_nos, lines):
                try:
                    yield line_no, json.loads(line)
                except ValueError as exc:
                    yield line_no, RecordError(f"not valid JSON: {exc}")

        return _batch(records())


class PanelCsv:
    """Native panel audit log as CSV with a header line of the field names."""

    name = "panel-csv"
    source_kind = "panel"
    description = "native panel audit log, CSV with a header of the same field names"
    default_tz = None

    @staticmethod
    def _header(line: str) -> list[str] | None:
        names = [name.strip() for name in next(csv.reader([line]), [])]
        if all(k in names for k in REQUIRED) and set(names) <= set(FIELDS):
            return names
        return None

    def sniff(self, lines: list[str]) -> bool:
        return bool(lines) and self._header(lines[0]) is not None

    def sniff_score(self, lines: list[str]) -> int:
        """Lines recognised among the file's first non-blank ones, read as a whole.

        A data row means nothing without the header above it: with the header
        on the first line, the header and every row that makes a valid record
        count; without it, nothing does.
        """
        header = self._header(lines[0]) if lines else None
        if header is None:
            return 0
        score = 1
        for line in lines[1:]:
            values = next(csv.reader([line]), [])
            if len(values) != len(header):
                continue
            try:
                record_to_row({k: v for k, v in zip(header, values) if v != ""})
            except RecordError:
                continue
            score += 1
        return score

    def parse(self, lines: list[str], line_nos: list[int], ctx: IngestContext) -> ParsedBatch:
        def records():
            # The header is on the file's first non-blank line; later chunks of
            # the same file reuse it through the per-file context.
            header = getattr(ctx, "panel_csv_header", None)
            for line_no, line in zip(line_nos, lines):
                if header is None:
                    header = self._header(line)
                    if header is None:
                        yield line_no, RecordError("expected the CSV header line (ts,account,event,...)")
                        continue
                    if ctx is not None:
                        ctx.panel_csv_header = header
                    yield line_no, RecordError("CSV header (column names, not an event)")
                    continue
                values = next(csv.reader([line]), [])
                if len(values) != len(header):
                    yield line_no, RecordError(f"{len(values)} fields, the header has {len(header)}")
                    continue
                record = {k: v for k, v in zip(header, values) if v != ""}
                if isinstance(record.get("detail"), str) and record["detail"].lstrip().startswith("{"):
                    try:
                        record["detail"] = json.loads(record["detail"])
                    except ValueError:
                        pass  # a string that happens to start with "{": kept as text
                yield line_no, record

        return _batch(records())


def _batch(records) -> ParsedBatch:
    """(line_no, record or RecordError) pairs -> the events and the rejects."""
    rows, rejects = [], []
    for line_no, record in records:
        try:
            if isinstance(record, RecordError):
                raise record
            row = record_to_row(record)
        except RecordError as exc:
            rejects.append((line_no, str(exc)))
            continue
        row["line_no"] = line_no
        rows.append(row)
    return ParsedBatch(events=_frame(rows), rejects=rejects)


FORMATS = [PanelJsonLines(), PanelCsv()]
