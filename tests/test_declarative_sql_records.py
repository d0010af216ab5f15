"""The CSV definitions' compiled SELECT against their Python path (the oracle).

`forensics.ingest.declarative_sql_records` cuts each CSV line into its cells
inside DuckDB (string_split, or a whole-line regex and regexp_extract_all for
quoted cells) and hands the rest to the regex definitions' compiler.  On the
shipped CSV definitions' samples, on hostile lines (quoted delimiters,
doubled quotes, wrong cell counts, header lines, non-ASCII, control
characters) and end to end it must give exactly what the Python path gives.
The shipped definitions' own samples and benchmark files are compared in
tests/test_declarative_sql.py (they are in its COMPILED set).
"""

from __future__ import annotations

import pytest

from test_declarative_sql import DEFINITIONS, _ingested
from test_formats_declarative import write

from forensics.ingest.declarative import load_definition
from forensics.ingest.declarative_sql import differences


@pytest.fixture
def python_calls(monkeypatch) -> list[str]:
    """The lines the SQL path hands to its Python UDF (`declarative_sql._line_udf`), as they come."""
    from forensics.ingest import declarative_sql

    calls: list[str] = []
    real = declarative_sql._line_udf
    monkeypatch.setattr(declarative_sql, "_line_udf", lambda key, line: calls.append(line) or real(key, line))
    return calls

CSV_NAMES = sorted(name for name, fmt in DEFINITIONS.items() if fmt.kind == "csv")


def _cells(fmt, line: str) -> list[str]:
    import csv

    return next(csv.reader([line], **fmt._csv_dialect))


def _join(values: list[str]) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


def hostile(fmt) -> list[str]:
    """The definition's own parsed samples, altered cell by cell, and malformed lines."""
    columns = fmt.csv_spec["columns"]
    own = [s.line for s in fmt.samples]
    out = list(own)
    for line in own[:6]:
        cells = _cells(fmt, line)
        if len(cells) != len(columns):
            continue
        for i in range(len(cells)):
            for change in (lambda c: c + ",x", lambda c: 'say "hi" ' + c, lambda c: c + " é",
                           lambda c: "", lambda c: " " + c, lambda c: c + "\t", lambda c: c.replace("1", "\u0661"),
                           lambda c: c + "\\", lambda c: "-", lambda c: "NULL", lambda c: f'"{c}"',
                           lambda c: '"' + c, lambda c: c + "\x1f", lambda c: '""'):
                altered = list(cells)
                altered[i] = change(cells[i])
                out.append(_join(altered))
        out += [_join(cells[:-1]), _join(cells + ["extra"]), line + '"', '"' + line, line.replace(",", ";"),
                line + "\r", line + "\x00", line.replace('"', ""), line.upper(),
                ",".join(f'"{c}"' for c in cells), ",".join(f' "{c}"' for c in cells)]
    out += [",".join(columns), ",".join(c.upper() for c in columns), " , ".join(columns), ",".join(columns) + ",",
            ",".join(f'"{c}"' for c in columns), "", ",", "a,b", '"', '""', '"a""', "x" * 140_000,
            ",".join(["1"] * len(columns)), ",".join([""] * len(columns)), "# comment," + "," * len(columns)]
    return [line for line in out if line.strip()]


@pytest.mark.parametrize("name", CSV_NAMES)
def test_hostile_lines_agree(name):
    fmt = DEFINITIONS[name]
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    lines = hostile(fmt)
    assert len(lines) > 100
    assert differences(fmt, lines) == []


@pytest.mark.parametrize("name", CSV_NAMES)
def test_ordinary_lines_do_not_ask_python(name, python_calls):
    """The parsed samples are answered by SQL alone (the Python UDF is for unusual lines)."""
    fmt = DEFINITIONS[name]
    # outside printable ASCII a line goes to Python (RE2's classes are ASCII): letters swapped for x
    lines = ["".join(c if c.isascii() and c.isprintable() else "x" for c in s.line)
             for s in fmt.samples if not s.reject]
    batch = fmt.parse_sql(lines, list(range(1, len(lines) + 1)))
    assert len(batch.events) > 0
    assert python_calls == []


CSV_DEF = """
    name = "badge-csv"
    description = "badge reader export"
    source_kind = "physical"
    null_values = ["-"]

    [csv]
    columns = ["when", "who", "door", "outcome", "note"]
    header = true
    delimiter = "{delimiter}"

    [fields]
    user = "who"

    [timestamp]
    field = "when"
    formats = ["%Y-%m-%d %H:%M:%S", "iso8601"]

    [defaults]
    event = "door"

    [[rules]]
    match = {{ outcome = '^OK$' }}
    set = {{ result = "success" }}

    [[rules]]
    match = {{ outcome = '.' }}
    set = {{ result = "failure" }}

    [[samples]]
    line = '2025-03-22 14:03:11{d}jdoe{d}north{d}OK{d}-'
    expect = {{ user = "jdoe", result = "success" }}
"""


@pytest.mark.parametrize("delimiter,d", [(";", ";"), ("\\t", "\t"), ("|", "|")])
def test_user_definition_with_its_own_delimiter(tmp_path, monkeypatch, delimiter, d):
    fmt = load_definition(write(tmp_path, CSV_DEF.format(delimiter=delimiter, d=d)))
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    lines = [d.join(["when", "who", "door", "outcome", "note"]),
             d.join(["2025-03-22 14:03:11", "jdoe", "north", "OK", "-"]),
             d.join(["2025-03-22T14:03:12+01:00", '"j;d|o""e"', "north", "DENIED", '"a, b"']),
             d.join(["2025-02-30 14:03:11", "jdoe", "north", "OK", ""]),
             d.join(["2025-03-22 14:03:11", "jdoé", "north", "OK", "x"]),
             d.join(["2025-03-22 14:03:11", "jdoe", "north"]),
             d.join(["", "jdoe", "north", "OK", "x"])]
    assert differences(fmt, lines) == []
    log = tmp_path / "doors.csv"
    log.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    py = _ingested(tmp_path / "p.duckdb", log, monkeypatch, sql=False, fmt_name=str(fmt.path))
    sq = _ingested(tmp_path / "s.duckdb", log, monkeypatch, sql=True, fmt_name=str(fmt.path))
    assert sq[1:] == py[1:]
    assert [row[0] for row in sq[2]] == [1, 4, 6, 7]   # header, impossible date, 3 cells, no time
    assert sq[0].events_parsed == 3


def test_an_escape_character_stays_on_the_python_path(tmp_path):
    text = CSV_DEF.format(delimiter=",", d=",").replace('delimiter = ","', 'delimiter = ","\n    escape = "\\\\"')
    fmt = load_definition(write(tmp_path, text))
    assert fmt.sql_plan is None and "escape" in fmt.sql_fallback_reason
    assert not hasattr(fmt, "select_sql")


def test_whmcs_activity_end_to_end(tmp_path, monkeypatch):
    """A WHMCS activity export through both paths: the same events, rejects and decisions."""
    fmt = DEFINITIONS["whmcs-activity-csv"]
    lines = [",".join(fmt.csv_spec["columns"])] + hostile(fmt)
    log = tmp_path / "tblactivitylog.csv"
    log.write_text("\n".join(line for line in lines if "\r" not in line) + "\n", encoding="utf-8")
    py = _ingested(tmp_path / "p.duckdb", log, monkeypatch, sql=False, fmt_name="whmcs-activity-csv")
    sq = _ingested(tmp_path / "s.duckdb", log, monkeypatch, sql=True, fmt_name="whmcs-activity-csv")
    assert sq[1:] == py[1:] and sq[0].assumptions == py[0].assumptions
    assert sq[0].events_parsed > 50 and sq[2][0][1] == "CSV header line"


# --------------------------------------------------------------------------
# JSON lines (definitions without keep_unmapped, multiline or dotted paths)

CHECK = '{"ts": "2026-03-02T10:00:00Z", "target": "vps-1", "check": "ping", "state": "up", "probe": "fra1"'
JSONL_HOSTILE = [CHECK + "}", CHECK + ",}", CHECK + ', "latency_ms": 1e-05}', CHECK + ', "latency_ms": 0.0001}',
                 CHECK + ', "latency_ms": 12.50}', CHECK + ', "latency_ms": 1E2}',
                 CHECK + ', "latency_ms": 12345678901234567890}', CHECK + ', "latency_ms": -0}',
                 CHECK + ', "latency_ms": true}', CHECK + ', "latency_ms": [1,2]}', CHECK + ', "latency_ms": {"a":1}}',
                 CHECK + ', "latency_ms": NaN}', CHECK + ', "latency_ms": "x\\ty"}', CHECK + ', "detail": "a\\"b"}',
                 CHECK + ', "detail": "\\u00e9"}', CHECK + ', "state": "up", "state": "down"}',
                 CHECK + ', "other": {"deep": [1,2,{}]}}', CHECK + "} x", "[1]", "null", '{"ts": 5}', "{}",
                 CHECK + ', "detail": "é"}', CHECK.replace("T10:00:00Z", " 10:00:00") + "}",
                 CHECK.replace("03-02T", "02-30T") + "}", CHECK + ', "latency_ms": 0.5}', CHECK + ', "latency_ms": -3.25}',
                 CHECK + ', "latency_ms": 100000000000000.5}', CHECK + ', "detail": ""}', CHECK + ', "check": null}',
                 CHECK + ', "detail": "\\ud800"}', "not json", CHECK + ', "state": "DOWN", "detail": "a, b: c"}']


def test_check_jsonl_compiles_and_agrees(python_calls):
    fmt = DEFINITIONS["check-jsonl"]
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    assert differences(fmt, JSONL_HOSTILE) == []
    python_calls.clear()   # the hostile lines above went to Python; the ordinary ones must not
    ordinary = [CHECK + "}", CHECK + ', "latency_ms": 12.5, "detail": "ok"}', CHECK + ', "latency_ms": null}']
    batch = fmt.parse_sql(ordinary, [1, 2, 3])
    assert python_calls == [] and list(batch.events["target"]) == ["vps-1"] * 3
    assert str(batch.events["ts"][0]) == "2026-03-02 10:00:00+00:00"


def test_pretty_printed_journal_stays_in_python():
    """A pretty-printed record's lines depend on each other: the compiled SELECT answers line by
    line, so a file with a line that holds `{` and does not parse alone is Python's
    (tests/test_declarative_sql.py::test_journal_files_agree_end_to_end)."""
    fmt = DEFINITIONS["journald-json"]
    assert fmt.sql_plan is not None and fmt.records_span_lines
    lines = ["{", '  "MESSAGE" : "Hello",', '  "__REALTIME_TIMESTAMP" : "1742652191000000"', "}"]
    batch = fmt.parse_sql(lines, [1, 2, 3, 4])
    assert batch.events["line_no"].tolist() == [1] and batch.events["detail"].tolist() == ['{"message": "Hello"}']
    assert [no for no, _ in batch.rejects] == [2, 3, 4]


def test_yyjson_takes_no_control_character_but_json_white_space_and_del():
    """What the JSON-lines SELECT relies on to tell a line outside printable ASCII without a
    regex: a line DuckDB's JSON reader takes holds no control character but tab, LF and CR
    (white space between tokens) and DEL (inside a string)."""
    import duckdb

    taken = {}
    with duckdb.connect() as con:
        for code in [*range(0x20), 0x7F]:
            c = chr(code)
            forms = {"lead": c + '{"a":"b"}', "after {": "{" + c + '"a":"b"}', "key": '{"a' + c + '":"b"}',
                     "value": '{"a":"b' + c + '"}', "after :": '{"a":' + c + '"b"}', "before }": '{"a":"b"' + c + "}",
                     "trail": '{"a":"b"}' + c, "in a number": '{"a":1' + c + "2}"}
            ok = sorted(k for k, line in forms.items() if con.execute("SELECT json_valid($s)", {"s": line}).fetchone()[0])
            if ok:
                taken[code] = ok
    white = sorted(["lead", "after {", "after :", "before }", "trail"])
    assert taken == {0x09: white, 0x0A: white, 0x0D: white, 0x7F: ["key", "value"]}


@pytest.mark.parametrize("name", ["check-jsonl", "contacts-jsonl", "virtualizor-logs-jsonl", "journald-json"])
def test_json_lines_outside_printable_ascii_agree(name):
    """Characters outside printable ASCII at every place of the samples (white space, keys,
    values; DEL, CR, tab, controls, non-ASCII, a combining accent, emoji, U+2028, BOM):
    the compiled SELECT gives what the Python path gives."""
    fmt = DEFINITIONS[name]
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    inserts = ["\x7f", "\r", "\t", "\x01", "\x0b", "\x00", "é", "e\u0301", "😀", "\u2028", "\ufeff", "\x85"]
    lines = []
    for sample in fmt.samples:
        line = sample.line
        if not line.lstrip().startswith("{"):
            continue
        for pos in sorted({1, line.find('":') + 1, line.find('":') + 2, line.find('":') + 3, len(line) - 1, len(line) // 2}):
            for c in inserts:
                lines.append(line[:pos] + c + line[pos:])
        lines += [line + "\r", "\t" + line, line.replace('"', '"\x7f', 1)]
    lines = [line for line in lines if "\n" not in line]
    assert len(lines) > 100
    assert differences(fmt, lines) == []


# --------------------------------------------------------------------------
# JSON lines with keep_unmapped: every other key kept in detail

KEEP_UNMAPPED = ["contacts-jsonl", "virtualizor-logs-jsonl"]
# (text inserted before the closing brace of a sample line): unmapped keys of every kind
EXTRA_KEYS = [
    '"note": "x"', '"note": ""', '"note": null', '"note": 5', '"note": -3.25', '"note": 12.50', '"note": 1e5',
    '"note": 12345678901234567890', '"note": 0.0001', '"note": -0', '"note": true', '"note": false',
    '"note": [1, 2]', '"note": [73, 110]', '"note": []', '"note": {"b": 1, "a": [2]}', '"note": {}',
    '"note": "a\\"b"', '"note": "\\u00e9"', '"note": "\\ud800"', '"note": "é"', '"note": "a\\tb"',
    '"note": "x", "note": "y"', '"status": "1"', '"status": 1', '"user": "u"', '"ip": "10.0.0.1"', '"event": "e"',
    '"detail": "d"', '"detail": {"a": 1}', '"detail.extra": "d"', '"json_status": "2"', '"json_note": "n"',
    '"port_text": "p"', '"record_id": "r"', '"Zeta": "z", "alpha": "a", "_u": "_", "~t": "t", "a b": "s"',
    '"a.b": "dot"', '"": "empty key"', '"k\\u0041": "escaped key"', '"ключ": "v"', '"x": "' + "v" * 200_000 + '"',
    '"ts": "2026-01-01T00:00:00Z"', '"time": "1"', '"account": "dup"', '"uid": "0", "uid": "5"', '"username": ""',
    '"email": null', '"action": "stop"', '"action": 5', '"channel": "Phone"', '"summary": "s", "outcome": "busy"',
    '"zzz": "last", "aaa": "first", "mmm": "middle"', '"note": "a, b: c"', '"note": "{\\"x\\": 1}"',
]


def _with_extras(fmt) -> list[str]:
    out = []
    for s in fmt.samples:
        line = s.line
        out.append(line)
        if line.rstrip().endswith("}"):
            body = line.rstrip()[:-1].rstrip()
            out += [body + ", " + extra + "}" for extra in EXTRA_KEYS]
            out += [line + " ", " " + line, line + ",", body + ",}", body[:-5], line.replace('"', "'"), "[" + line + "]"]
    return out + ["{}", "[]", "null", "x", '{"a": 1}']


@pytest.mark.parametrize("name", KEEP_UNMAPPED)
def test_keep_unmapped_json_lines_compile_and_agree(name):
    """Unmapped keys of every kind (kept in detail, in key order; nested values, canonical
    names, duplicates, escapes, huge values) give what the Python path gives."""
    fmt = DEFINITIONS[name]
    assert fmt.jsonl_spec.get("keep_unmapped")
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    lines = _with_extras(fmt)
    assert len(lines) > 180
    assert differences(fmt, lines) == []


@pytest.mark.parametrize("name", KEEP_UNMAPPED)
def test_keep_unmapped_ordinary_lines_do_not_ask_python(name, python_calls):
    """Samples with string, boolean and plain-number extra keys are answered by SQL alone."""
    fmt = DEFINITIONS[name]
    lines = [s.line.rstrip()[:-1] + ', "zz_note": "kept", "aa_flag": true, "n": 17, "Status": "x"}'
             for s in fmt.samples if not s.reject]
    batch = fmt.parse_sql(lines, list(range(1, len(lines) + 1)))
    assert python_calls == []
    assert len(batch.events) == len(lines)
    detail = batch.events["detail"][0]
    assert '"aa_flag": "true"' in detail and '"n": "17"' in detail and '"zz_note": "kept"' in detail
    assert detail.index('"Status"') < detail.index('"aa_flag"') < detail.index('"n"') < detail.index('"zz_note"')
    assert differences(fmt, lines) == []


def test_virtualizor_end_to_end(tmp_path, monkeypatch):
    """A Virtualizor log through both paths: the same events, rejects and decisions."""
    fmt = DEFINITIONS["virtualizor-logs-jsonl"]
    log = tmp_path / "userlogs.jsonl"
    log.write_text("\n".join(line for line in _with_extras(fmt) if "\r" not in line) + "\n", encoding="utf-8")
    py = _ingested(tmp_path / "p.duckdb", log, monkeypatch, sql=False, fmt_name="virtualizor-logs-jsonl")
    sq = _ingested(tmp_path / "s.duckdb", log, monkeypatch, sql=True, fmt_name="virtualizor-logs-jsonl")
    assert sq[1:] == py[1:] and sq[0].assumptions == py[0].assumptions
    assert sq[0].events_parsed > 100 and len(sq[2]) > 10


# --------------------------------------------------------------------------
# MySQL dumps: one INSERT row per line

SQL_DUMPS = ["whmcs-activity-sql", "whmcs-admin-log-sql"]


def _dump_lines(fmt) -> list[str]:
    """The samples, and each row line altered value by value and as a whole."""
    out = []
    for s in fmt.samples:
        line = s.line
        out.append(line)
        if not line.startswith("INSERT"):
            continue
        for old, new in [("'", "''"), (",'", ",'it''s "), (",'", ",'a\\'b "), (",'", ",'a\\nb "), (",'", ",'a,b) "),
                         (",'", ",NULL,'"), (",'", ",null,'"), (",'", ",'NULL','"), (",'", ",'null',"), (",'", ",'é"),
                         (",'", ",'(x)"), (",'", ",''"), (",'", ",' '"), ("VALUES", "values"), ("VALUES (", "VALUES("),
                         ("INSERT INTO", "INSERT IGNORE INTO"), ("INSERT INTO", "insert into"), ("`tbl", "`db`.`tbl"),
                         ("`tbl", "`db.tbl"), ("`tbl", "`x_tbl"), ("`tbl", "tbl"), (");", ")"), (");", ");  "),
                         (");", ")\t;"), (");", "),(1,2);"), (",", ", "), ("(`", "( `"), ("`, `", "`,`"),
                         ("`id`", "`ID`"), ("`id`, ", ""), ("(", "(-1,"), (",", ",,"), ("'", ""), ("2", "\u0662")]:
            if old in line:
                out.append(line.replace(old, new, 1))
                out.append(line.replace(old, new))
        out += [line + "\x00", line + "\r", line[:-2], "-- " + line, line + line, line + " -- c", line.replace(",", ",\t")]
    return out + ["INSERT INTO `x` VALUES (1);", "INSERT", "", "LOCK TABLES `tbladminlog` WRITE;", "x" * 140_000]


def test_the_printable_dump_shape_is_the_shape_without_odd_characters():
    """`_SHAPE_PRINTABLE` (one regex) says what `_ODD_LINE` and `_SHAPE` said together, on the
    dump samples, their alterations and seeded mutations with every kind of character."""
    import random

    import duckdb

    from forensics.ingest.declarative_sql import _ODD_LINE
    from forensics.ingest.declarative_sql_records import CompiledSqlDumpDefinition as Dump

    rng = random.Random(318)
    lines = [line for name in SQL_DUMPS for line in _dump_lines(DEFINITIONS[name])]
    chars = ["\t", " ", "\n", "\r", "\x0b", "\x0c", "\x00", "\x01", "\x1f", "\x7f", "\x80", "é", "\u2028", "😀",
             "'", "\\", ",", "(", ")", ";", "`", "0", "b", "n", "Z", "x"]
    rows = [line for line in lines if line.startswith("INSERT")]
    for _ in range(3000):
        line = rng.choice(rows)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(line) + 1)
            line = line[:i] + rng.choice(chars) + line[i:]
        lines.append(line)
    with duckdb.connect() as con:
        disagree, matched = con.execute(
            "SELECT count(*) FILTER (WHERE (NOT regexp_matches(line, $odd) AND regexp_full_match(line, $shape)) "
            "IS DISTINCT FROM regexp_full_match(line, $printable)), count(*) FILTER (WHERE regexp_full_match(line, $printable)) "
            "FROM (SELECT unnest($lines) AS line)",
            {"odd": _ODD_LINE, "shape": Dump._SHAPE, "printable": Dump._SHAPE_PRINTABLE, "lines": lines}).fetchone()
    assert disagree == 0
    assert 200 < matched < len(lines) - 1000   # both answers are common among these lines (321 matched)


@pytest.mark.parametrize("name", SQL_DUMPS)
def test_sql_dump_lines_agree(name):
    """Quoted values with commas and parentheses, NULL, escapes, doubled quotes, other tables
    and column lists, extended INSERTs, schema lines: SQL gives what the Python path gives."""
    fmt = DEFINITIONS[name]
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    lines = [line for line in _dump_lines(fmt) if line.strip()]
    assert len(lines) > 100
    assert differences(fmt, lines) == []


@pytest.mark.parametrize("name", SQL_DUMPS)
def test_sql_dump_rows_without_escapes_do_not_ask_python(name, python_calls):
    fmt = DEFINITIONS[name]
    lines = [s.line for s in fmt.samples if not s.reject and "\\" not in s.line and s.line.count("VALUES (") == 1
             and " (`" not in s.line]
    # a user name with a comma and parentheses inside its quotes, and an empty one
    lines += [line.replace(f"'{u}'", f"'{u}, (x) y'") for line in lines for u in ("System", "admin") if f"'{u}'" in line]
    lines += [line.replace(f"'{u}'", "''") for line in lines[:2] for u in ("System", "admin") if f"'{u}'" in line]
    batch = fmt.parse_sql(lines, list(range(1, len(lines) + 1)))
    assert python_calls == [] and len(batch.events) == len(lines) > 0
    assert differences(fmt, lines) == []


def test_non_ascii_text_in_cells_no_regex_reads_stays_in_sql(python_calls):
    """A ticket's German subject and message are copied as they are (SQL); a rule's field is Python's."""
    fmt = DEFINITIONS["whmcs-tickets-csv"]
    lines = [s.line for s in fmt.samples if not s.reject]
    assert any(not line.isascii() for line in lines)
    assert differences(fmt, lines) == []
    python_calls.clear()
    fmt.parse_sql(lines, list(range(1, len(lines) + 1)))
    assert len(python_calls) < len(lines)


def test_random_quoted_cells_are_cut_as_csv_cuts_them(tmp_path):
    """Cells of quotes, delimiters, spaces and non-ASCII, written minimally or all quoted."""
    import csv
    import io
    import random

    fmt = load_definition(write(tmp_path, CSV_DEF.format(delimiter=",", d=",")))
    rng = random.Random(14)
    lines = []
    for _ in range(3000):
        cells = ["".join(rng.choice(['a', ',', '"', ' ', 'é', '-']) for _ in range(rng.randint(0, 5)))
                 for _ in range(3)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="", quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])).writerow(
            ["2025-03-22 14:03:11", cells[0], cells[1], "OK", cells[2]])
        lines.append(buf.getvalue())
    assert differences(fmt, lines) == []


# Escapes inside a quoted value and column lists other than the definition's (both cut in SQL now)
DUMP_ESCAPES = ["\\'", "\\\\", "\\\\'", "\\'\\'", "\\\"", "\\%", "\\_", "\\x", "\\\\\\'", "\\\\n", "\\n", "\\t", "\\0",
                "\\Z", "\\b", "\\r", "a\\", "''", "\\''", "\\,", "\\)", "\\(", "\\\\\\\\", "null", "\\N"]


def _dump_variants(fmt) -> list[str]:
    import random
    import re

    table, columns = fmt.sql_spec["table"], list(fmt.sql_spec["columns"])
    rng = random.Random(14)
    out = []
    for s in fmt.samples:
        m = re.fullmatch(r"INSERT INTO `(\w+)` (?:\(([^)]*)\) )?VALUES \((.*)\);", s.line)
        if s.reject or m is None or "),(" in s.line:
            continue
        values = re.findall(r"'(?:[^'\\]|\\.)*'|[^,]+", m.group(3))
        if len(values) != len(columns):
            continue
        for esc in DUMP_ESCAPES:     # an escape in each quoted value in turn
            for i, v in enumerate(values):
                if v.startswith("'"):
                    vals = list(values)
                    vals[i] = v[:-1] + esc + "x'"
                    out.append(f"INSERT INTO `{table}` VALUES ({','.join(vals)});")
        lists = [columns[::-1], columns[1:] + columns[:1], columns + ["adminid"], columns + ["extra_note"],
                 columns[:-1] + ["note"], columns + [columns[0]], columns + ["user"], columns + ["detail"],
                 columns + ["event"], columns + ["a b"], columns + ["1x"], columns + ["x.y"], columns + ["note", "Note"],
                 [c.upper() for c in columns], columns + ["port_text"], columns + ["record_id"]]
        for cols in lists:
            by_name = dict(zip(columns, values))
            vals = [by_name.get(c, rng.choice(["'v'", "7", "''", "'it\\'s'", "NULL"])) for c in cols]
            names = ", ".join(f"`{c}`" for c in cols)
            out.append(f"INSERT INTO `{table}` ({names}) VALUES ({','.join(vals)});")
            out.append(f"INSERT INTO `{table}` ({names.replace('`', '')}) VALUES ({','.join(vals)});")
            out.append(f"INSERT INTO `{table}` ({names}) VALUES ({','.join(vals[:-1])});")
        # an empty list (Python: one column named '', so a count that differs), a blank one
        out += [f"INSERT INTO `{table}` () VALUES ({','.join(values)});",
                f"INSERT INTO `{table}` ( ) VALUES ({','.join(values)});",
                f"INSERT INTO `{table}` (``) VALUES ({values[0]});"]
    return out


@pytest.mark.parametrize("name", SQL_DUMPS)
def test_sql_dump_escapes_and_column_lists_agree(name, python_calls):
    import random

    fmt = DEFINITIONS[name]
    lines = _dump_variants(fmt)
    assert len(lines) > 150
    rng = random.Random(14)
    mutated = []
    for _ in range(600):
        s = list(rng.choice(lines))
        for _ in range(rng.randrange(1, 3)):
            k = rng.randrange(len(s) + 1)
            s.insert(k, rng.choice(["\\", "'", ",", "`", " ", "(", ")", "n", "\\'", "\\\\"]))
        mutated.append("".join(s))
    assert differences(fmt, lines + mutated) == []
    # the escapes MySQL reads as themselves, and a reordered or longer list, stay in SQL
    python_calls.clear()
    plain = [line for line in lines if "\\n" not in line and "\\t" not in line and "\\0" not in line
             and "\\Z" not in line and "\\b" not in line and "\\r" not in line and "''x'" not in line
             and "NULL" not in line and "null" not in line.lower()]
    fmt.parse_sql(plain, list(range(1, len(plain) + 1)))
    assert len(python_calls) < len(plain) // 2
