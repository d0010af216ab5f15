"""The panel audit log's SQL path against its Python path (the oracle).

`PanelJsonLines.select_sql` (DuckDB's JSON functions, Python only for the
lines SQL cannot answer exactly) must give, on the demo generator's panel
log, on the tests' panel lines and on hostile lines, exactly what
`PanelJsonLines.parse` gives: every canonical column, `detail` as text,
`ts`, `ts_local`, `ts_raw`, which lines are rejects and their reasons.  End
to end (`forensics ingest` into a case) both paths must write the same
events, rejects and time decisions.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from forensics.case import Case
from forensics.config import load_config
from forensics.ingest.declarative_sql import batch_rows
from forensics.ingest.engine import ingest_files
from forensics.ingest.formats import panel
from forensics.ingest.formats.panel import PanelJsonLines

FMT = PanelJsonLines()
BASE = {"ts": "2024-03-19T09:12:03+01:00", "account": "K-1", "event": "login"}


def rec(**fields) -> str:
    record = dict(BASE)
    record.update(fields)
    return json.dumps(record, ensure_ascii=False)


T = '{"ts":"2024-03-19T09:12:03Z","account":"K-1","event":"login"'
HOSTILE = [
    # times: the common shapes (SQL) and every other one (Python decides)
    rec(), rec(ts="2024-03-19T09:12:03Z"), rec(ts="2024-03-19 09:12:03"), rec(ts="2024-03-19T09:12:03.5+05:30"),
    rec(ts="2024-03-19T09:12:03.123456-08:00"), rec(ts="2024-03-19T09:12:03.1234567"), rec(ts="2024-03-19T09:12"),
    rec(ts="2024-03-19T09:12:03+0100"), rec(ts="2024-03-19T09:12:03+01"), rec(ts="2024-02-30T09:12:03"),
    rec(ts="2024-02-29T09:12:03"), rec(ts="2023-02-29T09:12:03Z"),
    rec(ts="2024-03-19T24:00:00"), rec(ts=" 2024-03-19T09:12:03 "), rec(ts="20240319T091203"), rec(ts="yesterday"),
    rec(ts=1710835923), rec(ts=None), rec(ts=""), rec(ts="9999-12-31T23:00:00-05:00"),
    rec(ts="0001-01-01T00:00:00+01:00"), rec(ts="2024-03-19T09:12:03+25:00"), rec(ts="２０２４-03-19T09:12:03"),
    rec(ts="2024-03-19T09:12:60"), rec(ts="2024-03-19T09:12:03z"), rec(ts="1000-01-01T00:30:00+01:00"),
    # required fields, result and actor
    rec(account=None), rec(account=""), rec(account=5), rec(event=None, account=None), rec(event=["a"]),
    rec(ts=None, account="", event=None),
    rec(result="failure"), rec(result="FAILURE"), rec(result=""), rec(result=None), rec(result=0), rec(result=1),
    rec(result=True), rec(actor="staff"), rec(actor="robot"), rec(actor=""), rec(actor=False), rec(actor={"x": 1}),
    # optional fields: any JSON value
    rec(user=""), rec(user=None), rec(user=12), rec(user=1.5), rec(user=True), rec(user="ä\u2028\x7f\u0085"),
    rec(ip="::ffff:203.0.113.9"), rec(ip="2001:0DB8::1"), rec(ip=" 1.2.3.4 "),
    rec(user_agent='Mozilla "quoted" \\ back'), rec(session="a\tb"), rec(target="x\ny"),
    # detail: text, objects, the values json.dumps writes its own way
    rec(detail="wrong password"), rec(detail=""), rec(detail=None), rec(detail=0), rec(detail=False),
    rec(detail=[1, 2]), rec(detail={}), rec(detail={"os": "CentOS 5.2"}),
    rec(detail={"a": "x, y: z", "b": 1, "c": True, "d": None, "e": -3}), rec(detail={"a": ":x", "b": ",y"}),
    rec(detail={"a": 1.5}), rec(detail={"a": 10**20}), rec(detail={"a": {"b": 1}}), rec(detail={"a": [1, 2]}),
    rec(detail={"a": "é \u2028 \x7f \u0085 😀"}), rec(detail={"q": 'say "hi"'}), rec(detail={"n": "a\nb"}),
    rec(detail="x\u001by"), rec(detail={"": ""}), rec(detail={"a:b": ",", "c,d": ":"}),
    rec(detail={"a": "x"}).replace('"detail": {"a": "x"}', '"detail": { "a" : "x" , "b" : 2 }'),
    # keys the schema does not name: detail.extra
    rec(ticket="T-99"), rec(ticket="T-99", detail="text"), rec(ticket="T-99", detail={"a": 1}),
    rec(ticket="T-1", detail=""), rec(extra={"x": 1}),
    # where DuckDB's JSON reader and Python's part
    T + ',"user":"a","user":"b"}', T + ',"detail":{"k":1,"k":2}}', T + ",}", T + ' , }', T + ',"detail":{"a":1,}}',
    T + ',"detail":[1,]}', T + ',"detail":{"a":NaN}}', T + ',"detail":{"a":nan}}', T + ',"detail":Infinity}',
    T + ',"detail":-infinity}', T + ',"user":"\\ud800"}', T + ',"user":"\\udc00x"}', T + ',"user":"\\ud83d\\ude00"}',
    T + ',"detail":{"a":"\\u00e9\\/"}}', T + ',"detail":{"a":1E2,"b":-0}}', T + ',"detail":{"a":-0}}',
    '{"\\u0074s":"2024-03-19T09:12:03Z","account":"K-1","event":"login"}', T + "} ", T + "}\t", T + "}\r",
    '  {"ts" : "2024-03-19T09:12:03Z" , "account" : "K-1" , "event" : "login" , "detail" : { "a" : "b" } }',
    T + "} x", T + "}}", "not json at all", "[]", "[1,]", '"s"', "5", "null", "true", '{"a":1}', "{}", "{",
    T + ',"detail":"a\\u0000b"}', T + ',"event":"x\\"y","account":"K-2"}',
    "\ufeff" + T + "}", T + ',"detail":{"big":123456789012345}}', T + ',"detail":{"big":1234567890123456}}',
    T + ',"detail":true}', T + ',"detail":"\\"quoted\\""}', T + ',"detail":{"a":"\\""}}',
    # deep and long: Python's recursion limit, long values
    T + ',"detail":' + "[" * 5000 + "]" * 5000 + "}", "[" * 100000 + "]" * 100000, '{"a":' * 3000 + "1" + "}" * 3000,
    T + ',"detail":{"x":"' + "y" * 100000 + '"}}',
]


def _python(lines: list[str], line_nos: list[int]):
    """The Python path line by line, as the engine runs it (a line the format fails on is a reject)."""
    rows, rejects = {}, {}
    for line, no in zip(lines, line_nos):
        try:
            r, j = batch_rows(FMT.parse([line], [no], None))
        except Exception as exc:  # noqa: BLE001 - the engine's isolation of a failing line
            text = str(exc)
            rejects[no] = (f"format panel-jsonl failed on this line: {type(exc).__name__}: "
                           f"{text if len(text) <= 200 else text[:200] + '...'}")
            continue
        rows.update(r)
        rejects.update(j)
    return rows, rejects


def differences(lines: list[str]) -> list[str]:
    line_nos = list(range(1, len(lines) + 1))
    py_rows, py_rejects = _python(lines, line_nos)
    sql_rows, sql_rejects = batch_rows(FMT.parse_sql(lines, line_nos))
    problems = []
    for no, line in zip(line_nos, lines):
        a, b = py_rows.get(no), sql_rows.get(no)
        if a != b or py_rejects.get(no) != sql_rejects.get(no):
            problems.append(f"line {no} {line[:100]!r}: Python {a or py_rejects.get(no)!r}, "
                            f"SQL {b or sql_rejects.get(no)!r}")
    return problems


def test_hostile_lines_agree():
    assert differences(HOSTILE) == []


def test_the_python_path_is_asked_only_for_unusual_lines(monkeypatch):
    calls = []
    real = panel._row_json
    monkeypatch.setattr(panel, "_row_json", lambda *a: calls.append(a) or real(*a))
    ordinary = [rec(), rec(detail={"job": "nightly", "n": 3}), rec(user="mueller", ip="203.0.113.9"),
                rec(ts="2024-03-19 09:12:03"), rec(account="")]
    parsed = FMT.parse_sql(ordinary + [rec(ticket="T-1")], list(range(1, 7)))
    assert len(calls) == 1                       # the line with an extra key only
    events = parsed.events.set_index("line_no")
    assert events.loc[2, "detail"] == '{"job": "nightly", "n": 3}'
    assert events.loc[4, "ts_local"].isoformat() == "2024-03-19T09:12:03" and events.loc[4, "ts"] is pd.NaT
    assert str(events.loc[1, "ts"]) == "2024-03-19 08:12:03+00:00"
    assert parsed.rejects == [(5, "missing required field(s): account")]
    assert json.loads(events.loc[6, "detail"]) == {"extra": {"ticket": "T-1"}}


@pytest.fixture(scope="module")
def demo_panel_lines(tmp_path_factory):
    from forensics.demo.generator import generate_sample

    manifest = generate_sample(tmp_path_factory.mktemp("sample"), accounts=40)
    return [line for line in manifest.panel_log.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_demo_panel_log_agrees(demo_panel_lines, monkeypatch):
    calls = []
    real = panel._row_json
    monkeypatch.setattr(panel, "_row_json", lambda *a: calls.append(a) or real(*a))
    assert len(demo_panel_lines) > 1000
    assert differences(demo_panel_lines) == []
    assert calls == [] or len(calls) < len(demo_panel_lines) // 100


def _config() -> dict:
    config = load_config()
    config["ingest"]["compiled_min_lines"] = 0   # the SQL path even for these small files
    return config


def _ingest(tmp_path, name, lines, sql: bool, monkeypatch, tz=None):
    monkeypatch.setenv("FORENSICS_DECLARATIVE_SQL", "1" if sql else "0")
    log = tmp_path / f"{name}.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    case_path = tmp_path / f"{name}-{'sql' if sql else 'py'}.duckdb"
    result = ingest_files(case_path, [log], format_name="panel-jsonl", tz=tz, chunk_bytes=1 << 12,
                          config=_config()).results[0]
    with Case.open(case_path) as case:
        events = case.sql_df('SELECT line_no, ts::VARCHAR AS ts, ts_raw, event, result, account, actor, "user", '
                             "auth, session, ip, user_agent, target, detail::VARCHAR AS detail, raw "
                             "FROM events ORDER BY line_no")
        rejects = case.sql_df("SELECT line_no, reason, raw FROM rejects ORDER BY line_no")
        source = case.sql_df("SELECT lines_read, events_parsed, lines_rejected, lines_blank, tz, tz_decision, "
                             "assumptions::VARCHAR AS assumptions FROM sources")
    return result, events, rejects, source


@pytest.mark.parametrize("tz", [None, "Europe/Berlin"])
def test_end_to_end_both_paths_write_the_same_case(tmp_path, monkeypatch, tz):
    lines = [line for line in HOSTILE if "\\ud8" not in line and "\\udc" not in line] + [
        "", rec(ts="2024-10-27T02:30:00"), rec(ts="2024-10-27T02:10:00"), rec(ts="2024-03-31T02:30:00"),
        rec(ts="2024-10-27 02:45:00", detail={"k": "v"})]
    py = _ingest(tmp_path, "p", lines, False, monkeypatch, tz)
    sql = _ingest(tmp_path, "p", lines, True, monkeypatch, tz)
    assert py[0].events_parsed == sql[0].events_parsed > 50
    assert py[1].equals(sql[1])
    assert py[2].equals(sql[2])
    assert py[3].equals(sql[3])
    events = sql[1].set_index("line_no")
    first = events.loc[1]
    assert first.ts == "2024-03-19 08:12:03+00" and first.account == "K-1" and first.actor == "customer"
    if tz == "Europe/Berlin":   # a naive time in the zone given, DST-aware
        assert events.loc[3].ts == "2024-03-19 08:12:03+00"


def test_lone_surrogates_are_rejects_on_both_paths(tmp_path, monkeypatch):
    lines = [T + ',"user":"\\ud800"}', T + "}"]
    for sql in (False, True):
        result, events, rejects, _ = _ingest(tmp_path, f"s{sql}", lines, sql, monkeypatch)
        assert (result.events_parsed, result.lines_rejected) == (1, 1)
        assert list(rejects.line_no) == [1] and "lone UTF-16 surrogate" in rejects.reason[0]


# --------------------------------------------------------------------------
# CSV: the header names the columns; SQL cuts the fields of each line itself

HEADER = list(panel.FIELDS)


def crow(**fields) -> str:
    import csv
    import io

    record = {"ts": "2024-03-19T09:12:03+01:00", "account": "K-1", "event": "login", **fields}
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(
        [json.dumps(record[h]) if isinstance(record.get(h), dict) else record.get(h, "") for h in HEADER])
    return buf.getvalue()


CSV_HOSTILE = [
    crow(), crow(ts="2024-03-19 09:12:03"), crow(ts=" 2024-03-19T09:12:03"), crow(ts="bad"), crow(account=""),
    crow(event="", account=""), crow(result="failure"), crow(result="nope"), crow(actor="robot"), crow(user="a,b"),
    crow(user='say "hi"'), crow(user_agent="Mozilla/5.0 (X11, Linux)"), crow(user="\u2028x\x85"),
    crow(detail="wrong password"), crow(detail={"os": "CentOS 5.2"}), crow(detail='{"a":1,"a":2}'),
    crow(detail='{"a":1,}'), crow(detail='{"a":NaN}'), crow(detail=' {"a": 1}'), crow(detail="{not json"),
    crow(detail='{"a": {"b": 1}}'), crow(detail='{"a": "x\\u00e9"}'), crow(detail="tab\there"),
    crow(detail="back\\slash"), crow(detail="null"), crow(detail="{}"), crow(detail='{"a": "\\ud800"}'),
    crow(detail='\u00a0{"a": 1}'), crow(detail='"quoted"'), crow(detail='{"a": 1.5}'), crow(detail="[1, 2]"),
    crow(detail="é😀"), crow(user='"quoted"'), crow(user='"'), crow(detail='"""'), crow(user="a\x1fb"),
    crow(user="a\x1fb", detail='x "y"'), crow(user='""', session=",", target='",",'), crow(detail="{" * 3000 + "}" * 3000), crow(detail='{"a":' * 3000 + "1" + "}" * 3000),
    "a,b", ",".join([""] * 12), ",".join(["x"] * 13), '"2024-03-19T09:12:03Z",K-1,login' + "," * 9,
    '"a"b,c' + "," * 10, 'a"b' + "," * 11, '"unterminated' + "," * 11,
    "2024-03-19T09:12:03Z,K-1,login,,,,,,,,,x\ry", "2024-03-19T09:12:03Z,K-1,login,,,,,,,,,\x00",
    "2024-03-19T09:12:03Z,K-1,login,,,,,,,,," + "y" * 140000, ",2024-03-19T09:12:03Z,K-1,login" + "," * 8,
    ",".join(HEADER),
]


def csv_differences(header: list[str], lines: list[str]) -> list[str]:
    """Both paths over a file whose first line is `header` and whose other lines are `lines`."""
    lines = [",".join(header)] + lines
    line_nos = list(range(1, len(lines) + 1))
    rows, rejects, ctx = {}, {}, type("Ctx", (), {})()
    for line, no in zip(lines, line_nos):   # the Python path, as the engine isolates failing lines
        try:
            r, j = batch_rows(panel.PanelCsv().parse([line], [no], ctx))
        except Exception as exc:  # noqa: BLE001
            text = str(exc)
            rejects[no] = (f"format panel-csv failed on this line: {type(exc).__name__}: "
                           f"{text if len(text) <= 200 else text[:200] + '...'}")
            continue
        rows.update(r)
        rejects.update(j)
    sql_rows, sql_rejects = batch_rows(panel.PanelCsvFile(header, 1).parse_sql(lines, line_nos))
    return [f"line {no} {line[:100]!r}: Python {rows.get(no) or rejects.get(no)!r}, "
            f"SQL {sql_rows.get(no) or sql_rejects.get(no)!r}"
            for no, line in zip(line_nos, lines)
            if rows.get(no) != sql_rows.get(no) or rejects.get(no) != sql_rejects.get(no)]


def test_csv_hostile_lines_agree():
    assert csv_differences(HEADER, CSV_HOSTILE) == []


def test_csv_with_a_header_of_some_columns_in_another_order_agrees():
    header = ["event", "ts", "detail", "account", "ip"]
    lines = ['login,2024-03-19T09:12:03Z,"{""os"": ""Debian""}",K-1,203.0.113.9', "logout,2024-03-19T10:00:00,,K-1,",
             "login,2024-03-19T09:12:03Z,x", ",2024-03-19T09:12:03Z,,K-1,"]
    assert csv_differences(header, lines) == []
    parsed = panel.PanelCsvFile(header, 1).parse_sql([",".join(header)] + lines, [1, 2, 3, 4, 5])
    assert parsed.rejects == [(1, "CSV header (column names, not an event)"), (4, "3 fields, the header has 5"),
                              (5, "missing required field(s): event")]
    events = parsed.events.set_index("line_no")
    assert events.loc[2, "detail"] == '{"os": "Debian"}' and events.loc[2, "ip"] == "203.0.113.9"
    assert events.loc[3, "ts_local"].isoformat() == "2024-03-19T10:00:00"


def test_csv_demo_records_agree_without_python(demo_panel_lines, monkeypatch):
    lines = [crow(**json.loads(line)) for line in demo_panel_lines[:3000]]
    assert csv_differences(HEADER, lines) == []
    calls = []
    real = panel._row_json
    monkeypatch.setattr(panel, "_row_json", lambda *a: calls.append(a) or real(*a))
    panel.PanelCsvFile(HEADER, 1).parse_sql(lines, list(range(2, len(lines) + 2)))
    assert calls == []


def test_csv_end_to_end_both_paths_write_the_same_case(tmp_path, monkeypatch):
    text = "\n\n" + ",".join(HEADER) + "\n" + "\n".join(
        line for line in CSV_HOSTILE if "\r" not in line) + "\n" + crow(ts="2024-10-27T02:30:00") + "\n"
    log = tmp_path / "panel.csv"
    log.write_text(text, encoding="utf-8")
    cases = []
    for sql in (False, True):
        monkeypatch.setenv("FORENSICS_DECLARATIVE_SQL", "1" if sql else "0")
        case_path = tmp_path / f"c-{sql}.duckdb"
        result = ingest_files(case_path, [log], format_name="panel-csv", tz="Europe/Berlin",
                              chunk_bytes=1 << 12, config=_config()).results[0]
        with Case.open(case_path) as case:
            cases.append((result.events_parsed, result.lines_rejected, result.lines_blank,
                          case.sql_df('SELECT line_no, ts::VARCHAR AS ts, ts_raw, event, result, account, actor, '
                                      '"user", ip, user_agent, detail::VARCHAR AS detail FROM events ORDER BY line_no'),
                          case.sql_df("SELECT line_no, reason FROM rejects ORDER BY line_no")))
    (pe, pr, pb, pev, prej), (se, sr, sb, sev, srej) = cases
    assert (pe, pr, pb) == (se, sr, sb) and pb == 2 and pe > 15
    assert pev.equals(sev) and prej.equals(srej)
    assert srej.reason[0] == "CSV header (column names, not an event)" and srej.line_no[0] == 3
    assert sev.set_index("line_no").loc[4].ts == "2024-03-19 08:12:03+00"


def test_csv_without_its_header_first_stays_on_the_python_path(tmp_path):
    log = tmp_path / "late-header.csv"
    log.write_text("junk line\n" + ",".join(HEADER) + "\n" + crow() + "\n", encoding="utf-8")
    ctx = type("Ctx", (), {"path": str(log)})()
    assert panel.PanelCsv().for_file(ctx).__class__ is panel.PanelCsv
    good = tmp_path / "good.csv"
    good.write_text("\n" + ",".join(HEADER) + "\n" + crow() + "\n", encoding="utf-8")
    chosen = panel.PanelCsv().for_file(type("Ctx", (), {"path": str(good)})())
    assert isinstance(chosen, panel.PanelCsvFile) and chosen.header_line_no == 2
    result = ingest_files(tmp_path / "c.duckdb", [log], format_name="panel-csv", config=_config()).results[0]
    assert (result.events_parsed, result.lines_rejected) == (1, 2)


def test_small_files_take_the_python_path(tmp_path, monkeypatch):
    """Below `[ingest] compiled_min_lines` the SELECT's planning costs more than it saves."""
    from forensics.ingest import engine

    calls = []
    original = engine._FileLoader._load_chunk_sql
    monkeypatch.setattr(engine._FileLoader, "_load_chunk_sql",
                        lambda self, chunk: calls.append(chunk.count) or original(self, chunk))
    log = tmp_path / "panel.jsonl"
    log.write_text("\n".join(rec(user=f"u{i}") for i in range(300)) + "\n", encoding="utf-8")
    for threshold, expected in ((10_000, []), (0, [300])):
        config = load_config()
        config["ingest"]["compiled_min_lines"] = threshold
        calls.clear()
        result = ingest_files(tmp_path / f"c-{threshold}.duckdb", [log], format_name="panel-jsonl",
                              config=config).results[0]
        assert calls == expected and result.events_parsed == 300
