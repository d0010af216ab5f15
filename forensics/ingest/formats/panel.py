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
from typing import TYPE_CHECKING

from forensics.ingest.base import CANONICAL_COLUMNS, IngestContext, ParsedBatch, lone_surrogate, used_params

if TYPE_CHECKING:   # pandas is loaded where a frame is built (not on the SQL paths)
    import pandas as pd

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


def _loads(line: str):
    """The line's JSON value, or a RecordError saying why it has none."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        return RecordError(f"not valid JSON: {exc}")
    if lone_surrogate(line, record):
        return RecordError("not valid JSON text: a \\u escape of a lone UTF-16 surrogate (D800-DFFF)")
    return record


def _frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd
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
                yield line_no, _loads(line)

        return _batch(records())

    # -- the vectorised path (see "The vectorised path" below) --------------
    sql_enabled = True   # False: every line through `parse` (the oracle tests switch it)

    @property
    def select_sql(self):
        """The engine's vectorised path; absent (AttributeError) when switched off."""
        if not (self.sql_enabled and _sql_enabled()):
            raise AttributeError("select_sql")
        return jsonl_select_sql

    @property
    def sql_plan(self):
        """Set (the SELECT's builder): like a compiled definition, a file whose first chunk has
        fewer than `[ingest] compiled_min_lines` lines is parsed in Python (planning costs more)."""
        return jsonl_select_sql

    # The SELECT gives `ts_local` for a time without a zone: the engine's INSERT carries it.
    select_gives_ts_local = True

    def parse_sql(self, lines: list[str], line_nos: list[int], ctx: IngestContext | None = None) -> ParsedBatch:
        """`parse` through the SELECT (on a private in-memory connection)."""
        return _parse_sql(jsonl_select_sql, lines, line_nos)


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
                yield line_no, _csv_record(header, line)

        return _batch(records())

    # -- the vectorised path -------------------------------------------------
    sql_enabled = True

    def for_file(self, ctx: IngestContext) -> "PanelCsv":
        """The format for one file (the engine asks once per file): with the
        SQL path when the file's first non-blank line is the header."""
        if not (self.sql_enabled and _sql_enabled()):
            return self
        from forensics.ingest.reader import head_lines

        head = head_lines(ctx.path, max_lines=50)
        for i, line in enumerate(head[:-1]):   # the last one may be cut short
            if line.strip(" \t\r\f\v"):
                header = self._header(line)
                if header is None or len(set(header)) != len(header):
                    return self
                return PanelCsvFile(header, i + 1)
        return self


class PanelCsvFile(PanelCsv):
    """`panel-csv` for one file whose header is known: its SELECT (the Python path stays)."""

    def __init__(self, header: list[str], header_line_no: int):
        self.header, self.header_line_no = header, header_line_no
        self._select = csv_select_sql_for(header, header_line_no)

    def for_file(self, ctx: IngestContext) -> "PanelCsv":
        return self

    @property
    def select_sql(self):
        if not (self.sql_enabled and _sql_enabled()):
            raise AttributeError("select_sql")
        return self._select

    @property
    def sql_plan(self):
        """Set: small files are parsed in Python, as for `PanelJsonLines.sql_plan`."""
        return self._select

    # The SELECT gives `ts_local` for a time without a zone: the engine's INSERT carries it.
    select_gives_ts_local = True

    def parse_sql(self, lines: list[str], line_nos: list[int], ctx: IngestContext | None = None) -> ParsedBatch:
        """`parse` through the SELECT (on a private in-memory connection)."""
        return _parse_sql(self._select, lines, line_nos)


def _csv_record(header: list[str], line: str):
    """A data line of the CSV -> its record, or a RecordError (csv.Error raises)."""
    values = next(csv.reader([line]), [])
    if len(values) != len(header):
        return RecordError(f"{len(values)} fields, the header has {len(header)}")
    record = {k: v for k, v in zip(header, values) if v != ""}
    if isinstance(record.get("detail"), str) and record["detail"].lstrip().startswith("{"):
        text = record["detail"]
        try:
            detail = json.loads(text)
        except ValueError:
            detail = text  # a string that happens to start with "{": kept as text
        # a lone surrogate escape (`\ud800`) is no text a case can store: kept as the text
        record["detail"] = text if lone_surrogate(text, detail) else detail
    return record


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


# --------------------------------------------------------------------------
# The vectorised path (issue 14, item 3): JSON Lines parsed inside DuckDB
#
# One SELECT over the engine's `(line_no, line)` table answers, row for row,
# what `PanelJsonLines.parse` answers (kept as the fallback and as the oracle,
# tests/test_panel_sql.py).  DuckDB's JSON reader (yyjson) and Python's `json`
# differ at the edges: yyjson takes NaN/Infinity in any case and trailing
# commas, keeps both values of a duplicate key (Python keeps the last), and
# refuses lone surrogates (Python takes them).  So SQL answers a line only
# when it is an ordinary record:
#
# * valid for yyjson, a JSON object, no `,` before `}` or `]`, every key one of
#   FIELDS and none twice (no `detail.extra` to build);
# * every field a string or null, except `detail`: a string, or a flat object
#   of strings, integers (up to 15 digits), booleans and nulls with distinct
#   keys, written by yyjson without a backslash (then Python's `json.dumps`
#   text is yyjson's with a space after each `:` and `,`);
# * `ts` in the common ISO 8601 shape (`YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}]` and
#   `Z` or `±HH:MM` or nothing), a real date and time, year 1000-9998;
# * `result` and `actor` valid values (their rejects quote the value as
#   Python's repr does: left to Python).
#
# Every other line (invalid JSON and its decoder message, numbers in fields,
# extra keys, odd times) is parsed by the Python path inside the same SELECT,
# one UDF call per such line.  A line without a required field is rejected in
# SQL with Python's wording.

_TS_SHAPE = (r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
             r"(?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$")
# A flat JSON object as yyjson writes it (no backslash: a `"` only opens or closes a string):
# string keys, values strings, integers of up to 15 digits, booleans or null.
_FLAT_VALUE = r'(?:"[^"]*"|true|false|null|-?[1-9][0-9]{0,14}|0)'
_FLAT_OBJECT = rf'^\{{(?:"[^"]*":{_FLAT_VALUE}(?:,"[^"]*":{_FLAT_VALUE})*)?\}}$'
_TRAILING_COMMA = r",[ \t\n\r]*[}\]]"
# yyjson's minified JSON -> json.dumps' separators (", " and ": "): whole
# strings (no backslash) and other characters up to each separator, a space
# after it.  The pattern matches at every position (so the search never
# starts inside a string); the space it adds at the end is trimmed.
_SEPARATOR = r'((?:"[^"]*"|[^",:])*)([,:]?)'
_OPTIONAL = ("user", "auth", "session", "ip", "user_agent", "target")


def _sql_enabled() -> bool:
    """`FORENSICS_DECLARATIVE_SQL=0` turns every compiled path off (as for the definitions)."""
    import os

    return os.environ.get("FORENSICS_DECLARATIVE_SQL", "1") != "0"


def _string_sql(frag: str) -> str:
    """SQL: a JSON string fragment's text (the fragment is known to be a string)."""
    return (f"CASE WHEN contains({frag}, '\\') THEN json_extract_string({frag}, '$') "
            f"ELSE substr({frag}, 2, length({frag}) - 2) END")


def _is_text_or_null(frag: str) -> str:
    return f"({frag} IS NULL OR {frag} = 'null' OR starts_with({frag}, '\"'))"


def _is_missing(frag: str) -> str:
    """SQL: Python's `record.get(name) in (None, "")` for a fragment."""
    return f"({frag} IS NULL OR {frag} = 'null' OR {frag} = '\"\"')"


def _ts_sql(text: str) -> tuple[str, str]:
    """SQL over a ts text: (aware UTC value, naive value); at most one is not NULL.

    In the fast shape (`$ts_shape`) the sixth character from the end is `+` or
    `-` only in an offset (else a `:` of the time or a digit of the fraction).
    """
    zoned = f"(ends_with({text}, 'Z') OR substr({text}, -6, 1) IN ('+', '-'))"
    aware = f"CASE WHEN {zoned} THEN TRY_CAST({text} AS TIMESTAMPTZ) END"
    naive = f"CASE WHEN NOT {zoned} THEN TRY_CAST({text} AS TIMESTAMP) END"
    return aware, naive


def _json_field(name: str) -> tuple[str, str]:
    """(SQL: the field is missing, SQL: its text where it is a string) of a JSON fragment `f_<name>`."""
    frag = f"f_{name}"
    return _is_missing(frag), f"CASE WHEN starts_with({frag}, '\"') THEN {_string_sql(frag)} END"


def _record_select(table: str, fields_sql: str, ok_sql: str, udf_call: str, field=_json_field) -> str:
    """The shared tail: `fields_sql` gives per line `line_no, line, _ok` (SQL may
    answer), the fields (`field(name)` -> SQL (missing, text)) and `f_detail`
    (the detail as JSON text, NULL when absent); lines where `_ok` is false
    are answered by `udf_call` (JSON of the row)."""
    ts_aware, ts_naive = _ts_sql("_ts")
    # the fast shape holds and the time's cast, `_tsa0` (zoned) or `_tsn0` (naive), made once
    # in `w`, gives a value (at most one is cast; neither for a NULL text)
    ts_fast_cast = ("coalesce(regexp_matches(_ts, $ts_shape) AND NOT starts_with(_ts, '9999') "
                    "AND (_tsa0 IS NOT NULL OR _tsn0 IS NOT NULL), false)")
    missing = ", ".join(f"CASE WHEN {field(name)[0]} THEN '{name}' END" for name in REQUIRED)
    optional = ",\n".join(f"CASE WHEN {field(n)[0]} THEN NULL ELSE {field(n)[1]} END AS v_{n}"
                          for n in _OPTIONAL)
    # `_dkeys`: the keys of a flat detail object (NULL for any other detail), read once
    detail_obj = "(CASE WHEN _dkeys IS NOT NULL THEN len(list_distinct(_dkeys)) = len(_dkeys) END)"
    detail_ok = (f"(f_detail IS NULL OR f_detail = 'null' OR (starts_with(f_detail, '\"') "
                 f"AND NOT contains(f_detail, '\\')) OR coalesce({detail_obj}, false))")
    columns = ["source_kind", "event", "result", "account", "actor", "user", "auth", "session", "ip", "port",
               "user_agent", "method", "path", "status", "bytes", "referrer", "target", "host", "detail"]
    out = []
    for col in columns:
        if col in ("method", "path", "referrer", "host"):
            out.append(f"NULL::VARCHAR AS {col}")
        elif col in ("port", "status", "bytes"):
            out.append(f"NULL::BIGINT AS {col}")
        elif col == "source_kind":
            out.append("'panel' AS source_kind")
        else:
            out.append(f'CASE WHEN _py THEN json_extract_string(_pj, $p_{col}) ELSE v_{col} END AS "{col}"')
    return f"""
    WITH f AS ({fields_sql.replace('__TABLE__', table)}
    ), v AS (
        SELECT *,
               concat_ws(', ', {missing}) AS _missing,
               CASE WHEN starts_with(f_detail, '{{') AND NOT contains(f_detail, '\\') AND regexp_matches(f_detail, $flat) THEN json_keys(f_detail) END AS _dkeys,
               {field('ts')[1]} AS _ts,
               CASE WHEN {field('result')[0]} THEN 'success' ELSE {field('result')[1]} END AS v_result,
               CASE WHEN {field('actor')[0]} THEN 'customer' ELSE {field('actor')[1]} END AS v_actor,
               {field('event')[1]} AS v_event,
               {field('account')[1]} AS v_account,
               {optional}
        FROM f
    ), w AS (
        SELECT *, coalesce({ok_sql} AND {detail_ok}, false) AS _sqlok, len(_dkeys) AS _dk,
               -- the time, cast once (the fast check and the row read the same values)
               {ts_aware} AS _tsa0, {ts_naive} AS _tsn0
        FROM v
    ), x AS (
        SELECT *,
               -- what SQL answers: a missing field, else an ordinary record
               CASE WHEN _rej0 IS NOT NULL THEN false
                    WHEN NOT _sqlok THEN true
                    WHEN _missing <> '' THEN false
                    ELSE NOT ({ts_fast_cast} AND v_result IN ('success', 'failure')
                              AND v_actor IN ('customer', 'staff', 'api', 'system')) END AS _py
        FROM w
    ), y AS (
        SELECT *, CASE WHEN _py THEN {udf_call} END AS _pj,
               CASE WHEN NOT _py AND _rej0 IS NULL AND _missing = '' THEN _tsa0 END AS _tsa,
               CASE WHEN NOT _py AND _rej0 IS NULL AND _missing = '' THEN _tsn0 END AS _tsn,
               CASE WHEN NOT _py AND _rej0 IS NULL AND _missing = '' AND f_detail IS NOT NULL AND f_detail NOT IN ('null', '""')
                    THEN CASE WHEN NOT starts_with(f_detail, '{{') THEN f_detail
                              -- every `":` and `,"` a separator (as many as keys): a space after each
                              -- (counted in bytes: each one removed takes two bytes and two characters)
                              WHEN _dk = (strlen(f_detail) - strlen(replace(f_detail, '":', ''))) // 2
                                   AND greatest(_dk - 1, 0) = (strlen(f_detail) - strlen(replace(f_detail, ',"', ''))) // 2
                              THEN replace(replace(f_detail, '":', '": '), ',"', ', "')
                              ELSE rtrim(regexp_replace(f_detail, $separator, '\\1\\2 ', 'g'), ' ') END END AS v_detail
        FROM x
    )
    SELECT line_no,
           CASE WHEN _py THEN json_extract_string(_pj, '$.reject') WHEN _rej0 IS NOT NULL THEN _rej0
                WHEN _missing <> '' THEN 'missing required field(s): ' || _missing END AS reject_reason,
           CASE WHEN _py THEN TRY_CAST(json_extract_string(_pj, '$.ts') AS TIMESTAMPTZ) ELSE _tsa END AS ts,
           CASE WHEN _py THEN TRY_CAST(json_extract_string(_pj, '$.ts_local') AS TIMESTAMP) ELSE _tsn END AS ts_local,
           CASE WHEN _py THEN json_extract_string(_pj, '$.ts_raw') WHEN _rej0 IS NULL THEN _ts END AS ts_raw,
           {', '.join(out)},
           line AS raw
    FROM y
    """


_JSON_PATHS = [f"$.{name}" for name in FIELDS]

# No key but FIELDS and none twice: as many keys as FIELDS found.  Without reading the
# keys again: a line without a backslash whose length is exactly that of its found
# fields written minified (`{"k":fragment,...}`) has no other member.  Each member
# takes at least 5 bytes, and without a backslash a fragment is never longer than its
# text in the line (yyjson escapes no character it read unescaped: controls are
# invalid JSON, non-ASCII and `/` are written as read; strings, integers, true, false
# and null are written as read, whitespace dropped).  Only a number written longer
# (`1e2` -> `100.0`) breaks this, and a line with one is left to Python in any case
# (a field that is not text, or a detail that is not a flat object of integers).
# Every other line counts its keys with `json_keys`.
_MINIFIED_LENGTH = "1 + " + " + ".join(
    f"CASE WHEN f_{name} IS NULL THEN 0 ELSE {len(name) + 4} + strlen(f_{name}) END" for name in FIELDS)

_JSONL_FIELDS = (
    "SELECT *, NULL::VARCHAR AS _rej0, coalesce(CASE WHEN _obj THEN CASE WHEN NOT contains(line, '\\') "
    f"AND strlen(line) = {_MINIFIED_LENGTH} THEN true ELSE len(json_keys(line)) = "
    + " + ".join(f"(f_{name} IS NOT NULL)::INTEGER" for name in FIELDS) + " END END, false) AS _ok FROM (SELECT line_no, line, _obj, "
    + ", ".join(f"_j[{i}]::VARCHAR AS f_{name}" for i, name in enumerate(FIELDS, 1))
    + " FROM (SELECT *, CASE WHEN _obj THEN json_extract(line, $paths) END AS _j FROM ("
    # valid for yyjson, starting with `{` (an object) and no `,` before `}` or `]`
    "SELECT line_no, line, CASE WHEN json_valid(line) THEN (starts_with(line, '{') "
    "OR starts_with(ltrim(line, $json_space), '{')) AND NOT regexp_matches(line, $trailing_comma) "
    "ELSE false END AS _obj FROM __TABLE__)))"
)


# A CSV line as `csv.reader` reads it without surprises: fields unquoted
# (no `"`) or quoted whole (`""` for a quote inside); `_CSV_FIELD` cuts
# `',' || line` into its fields (each match starts at its comma, so none is empty).
_CSV_QUOTED = r'"(?:[^"]|"")*"'
_CSV_LINE = rf'^(?:{_CSV_QUOTED}|[^",]*)(?:,(?:{_CSV_QUOTED}|[^",]*))*$'
_CSV_FIELD = rf',({_CSV_QUOTED}|[^",]*)'
_CSV_FIELD_LIMIT = 131072   # csv.field_size_limit(): a longer line may hold a longer field


def csv_select_sql_for(header: list[str], header_line_no: int):
    """The panel CSV SELECT for a file whose header (on line `header_line_no`) is `header`."""
    from forensics.ingest.declarative_sql_records import _UNQUOTE, quoted_cells_sql

    index = {name: i for i, name in enumerate(header, 1)}

    def cell(name: str) -> str:
        if name not in index:
            return "NULL::VARCHAR"
        return f"_c[{index[name]}]"   # cut and unquoted

    columns = ", ".join(f"{cell(name)} AS c_{name}" for name in FIELDS)
    d = "c_detail"
    fields_sql = f"""
        SELECT *, CASE WHEN {d} IS NULL OR {d} = '' THEN NULL
                       WHEN starts_with({d}, '{{') AND json_valid({d}) AND NOT regexp_matches({d}, $trailing_comma)
                       THEN json({d})::VARCHAR
                       -- JSON Python may read as an object, or text json.dumps escapes: Python answers
                       WHEN regexp_matches({d}, $detail_py) THEN 'python'
                       ELSE '"' || {d} || '"' END AS f_detail
        FROM (SELECT line_no, line, _c, _ok,
                     CASE WHEN line_no = $header_line THEN 'CSV header (column names, not an event)'
                          WHEN _ok AND len(_c) <> $n THEN len(_c) || ' fields, the header has ' || $n END AS _rej0,
                     {columns}
              FROM (SELECT *, _c IS NOT NULL AS _ok FROM (
                    SELECT line_no, line,
                           CASE WHEN line_no = $header_line OR contains(line, chr(13)) OR contains(line, chr(0))
                                     OR length(line) > {_CSV_FIELD_LIMIT} THEN NULL
                                WHEN NOT contains(line, '"') THEN string_split(line, ',')
                                WHEN NOT regexp_matches(line, $csv_line) THEN NULL
                                WHEN NOT contains(line, chr(31)) THEN {quoted_cells_sql('line', "','")}
                                ELSE list_transform(regexp_extract_all(',' || line, $csv_field, 1), lambda x: {_UNQUOTE})
                           END AS _c
                    FROM __TABLE__)))"""

    def field(name: str) -> tuple[str, str]:
        return f"(c_{name} IS NULL OR c_{name} = '')", f"c_{name}"

    def select_sql(table: str) -> tuple[str, dict]:
        sql = _record_select(table, fields_sql, "_ok", "forensics_panel_csv($header_json, line)", field)
        params = {**_common_params(), "trailing_comma": _TRAILING_COMMA, "header_line": header_line_no,
                  "n": len(header), "csv_line": _CSV_LINE, "csv_field": _CSV_FIELD,
                  "detail_py": r'^[ \t\r\n]*\{|["\\\x00-\x1f]', "header_json": json.dumps(header)}
        return sql, used_params(sql, params)

    return select_sql


def _common_params() -> dict:
    params = {"ts_shape": _TS_SHAPE, "flat": _FLAT_OBJECT,
              "separator": _SEPARATOR}
    for col in ("event", "result", "account", "actor", "user", "auth", "session", "ip", "user_agent",
                "target", "detail", "method", "path", "referrer", "host"):
        params[f"p_{col}"] = f"$.{col}"
    return params


def _jsonl_ok() -> str:
    return "(_ok AND " + " AND ".join(_is_text_or_null(f"f_{n}") for n in FIELDS if n != "detail") + ")"


def jsonl_select_sql(table: str) -> tuple[str, dict]:
    """(SQL, parameters) of the panel JSON Lines SELECT over `table(line_no, line)`."""
    sql = _record_select(table, _JSONL_FIELDS, _jsonl_ok(), "forensics_panel_jsonl(line)")
    params = {**_common_params(), "paths": _JSON_PATHS, "trailing_comma": _TRAILING_COMMA,
              "json_space": " \t\n\r"}
    return sql, used_params(sql, params)


def _row_json(record, fmt_name: str) -> str:
    """The Python path's answer for one record (or RecordError), as the JSON the SELECT reads."""
    try:
        if isinstance(record, RecordError):
            raise record
        row = record_to_row(record)
    except RecordError as exc:
        return json.dumps({"reject": str(exc)}, ensure_ascii=False)
    except Exception as exc:  # noqa: BLE001 - the engine's own wording for a line a format fails on
        text = str(exc)
        text = text if len(text) <= 200 else text[:200] + "..."
        return json.dumps({"reject": f"format {fmt_name} failed on this line: {type(exc).__name__}: {text}"})
    out = {k: v for k, v in row.items() if v is not None and k not in ("ts", "ts_local")}
    if row["ts"] is not None:
        out["ts"] = row["ts"].isoformat()
    if row["ts_local"] is not None:
        out["ts_local"] = row["ts_local"].isoformat()
    return json.dumps(out, ensure_ascii=False)


def _jsonl_udf(line: str | None) -> str | None:
    if line is None:
        return None
    try:
        record = _loads(line)
    except Exception as exc:  # noqa: BLE001 - RecursionError on deep nesting, as the engine words it
        text = str(exc)
        text = text if len(text) <= 200 else text[:200] + "..."
        return json.dumps({"reject": f"format panel-jsonl failed on this line: {type(exc).__name__}: {text}"})
    return _row_json(record, "panel-jsonl")


def _csv_udf(header_json: str | None, line: str | None) -> str | None:
    if header_json is None or line is None:
        return None
    try:
        record = _csv_record(json.loads(header_json), line)
    except Exception as exc:  # noqa: BLE001 - csv.Error and the like, as the engine words them
        text = str(exc)
        text = text if len(text) <= 200 else text[:200] + "..."
        return json.dumps({"reject": f"format panel-csv failed on this line: {type(exc).__name__}: {text}"})
    return _row_json(record, "panel-csv")


def _ts_udf(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        _, naive = _parse_ts(text)
    except (RecordError, OverflowError):
        return None
    return naive.isoformat() if naive is not None else None


def register_udfs(con) -> None:
    """The Python helpers the panel SELECTs call (on the few lines SQL leaves to Python)."""
    import duckdb

    for name, func, params in (("forensics_panel_jsonl", _jsonl_udf, ["VARCHAR"]),
                               ("forensics_panel_csv", _csv_udf, ["VARCHAR", "VARCHAR"]),
                               ("forensics_panel_ts", _ts_udf, ["VARCHAR"])):
        try:
            con.create_function(name, func, params, "VARCHAR", null_handling="special", side_effects=False)
        except duckdb.Error:
            pass  # already registered on this connection


def _parse_sql(select_sql, lines: list[str], line_nos: list[int]) -> ParsedBatch:
    """`parse` through the SELECT (on a private in-memory connection)."""
    import pandas as pd
    from forensics.ingest.formats.sqlformat import parse_with_select

    parsed, rejects = parse_with_select(select_sql, lines, line_nos)
    events = parsed.assign(ts_local=pd.to_datetime(parsed["ts_local"]))
    return ParsedBatch(events=events[["line_no", "ts_raw", "ts", "ts_local", *CANONICAL_COLUMNS]]
                       .reset_index(drop=True), rejects=rejects)
