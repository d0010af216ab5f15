"""The one-regex reader of mysqldump's one-row INSERT lines (`sqldump.one_row`)
gives exactly the values the general reader (`_fast_prefix`/`_INSERT` and
`_rows`) gives, escapes included, and leaves every other line to it."""

from __future__ import annotations

import random

import pytest

from forensics.ingest.formats import sqldump

COLUMNS = "(`id`, `date`, `description`, `user`, `userid`, `ipaddr`) "


def _general(line, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(sqldump, "one_row", lambda line: None)
        try:
            return sqldump.parse_insert(line)
        except sqldump.SqlSyntaxError as exc:
            return ("SqlSyntaxError", str(exc))


def _ours(line):
    try:
        return sqldump.parse_insert(line)
    except sqldump.SqlSyntaxError as exc:
        return ("SqlSyntaxError", str(exc))


# characters a value is built from: every MySQL escape, both quote escapes,
# separators, blanks, control characters, non-ASCII
_PIECES = ["a", "Z", "0", " ", ",", "(", ")", ";", "''", "\\'", "\\\\", "\\n", "\\t", "\\r", "\\0", "\\Z",
           "\\b", "\\%", "\\_", "\\\"", "\\x", "\n", "\r", "\t", "\0", "é", "€", "NULL", "'),('", "`"]


def _value(rng):
    kind = rng.random()
    if kind < 0.15:
        return rng.choice(["NULL", "null", "Null", "NULLX", "0", "-12", "3.5e2", "0x1F", "b'01'", "X'4a'"])
    if kind < 0.2:
        return rng.choice(["'", "'\\'", "'abc", "abc'", "\\", "'a'b'"])     # broken on purpose
    return "'" + "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8))) + "'"


def _lines(count, seed=12):
    rng = random.Random(seed)
    for _ in range(count):
        values = [_value(rng) for _ in range(rng.randint(1, 7))]
        sep = rng.choice([",", ",", ",", ", ", " ,"])
        row = "(" + sep.join(values) + ")"
        if rng.random() < 0.1:
            row += "," + row
        cols = COLUMNS if rng.random() < 0.3 else ""
        yield f"INSERT INTO `tblactivitylog` {cols}VALUES {row}{rng.choice([';', '', ' ;', ';  '])}"


def test_one_row_agrees_with_the_general_reader(monkeypatch):
    taken = 0
    for line in _lines(4000):
        assert _ours(line) == _general(line, monkeypatch), line
        taken += sqldump.one_row(line) is not None
    assert taken > 1000          # the generated lines do exercise the one-regex reader


@pytest.mark.parametrize("line, values", [
    ("INSERT INTO `tblactivitylog` VALUES (1,'2016-12-09 09:35:01','Cron Job: Starting','System',0,'');",
     ["1", "2016-12-09 09:35:01", "Cron Job: Starting", "System", "0", ""]),
    ("INSERT INTO `tblactivitylog` VALUES (2,'a\\'b','c''d','e\\\\','f\\ng','\\%',1e3);",
     ["2", "a'b", "c'd", "e\\", "f\ng", "%", "1e3"]),
    ("INSERT INTO `t` VALUES ('x\\\\n','\\0\\Z');", ["x\\n", "\0\x1a"]),
])
def test_one_row_values(line, values):
    table, columns, got = sqldump.one_row(line)
    assert (table, columns, got) == (line.split("`")[1], None, values)


@pytest.mark.parametrize("line", [
    "INSERT INTO `t` VALUES (1,NULL);",                  # NULL is None: the general reader
    "INSERT INTO `t` VALUES (1, 'a');",                  # blanks between values
    "INSERT INTO `t` VALUES (1),(2);",                   # several rows
    "insert into `t` values (1);",                       # another spelling
    "INSERT INTO `t` VALUES (b'01');",                   # bit literal
    "INSERT INTO `t` VALUES ('a);",                      # not closed
])
def test_one_row_leaves_other_lines(line):
    assert sqldump.one_row(line) is None
