"""Rows of a MySQL dump: `INSERT INTO `table` [(columns)] VALUES (...);`.

A panel that keeps its audit trail in MySQL (WHMCS `tblactivitylog`,
`tbladminlog`) is often handed over as a `mysqldump` file.  This module reads
one INSERT statement into its table name, column list (if written) and rows;
the declarative `[sql]` kind (`forensics.ingest.declarative`) turns each row
into a record for its definition's fields and rules.

Values follow MySQL's literal syntax: single-quoted strings with backslash
escapes (`\\'`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\0`, `\\Z`) or doubled quotes
(`''`), numbers, `NULL`, and hex/bit literals kept as written.  Nothing is
evaluated.
"""

from __future__ import annotations

import csv
import re
import threading

_INSERT = re.compile(
    r"^\s*INSERT\s+(?:IGNORE\s+)?INTO\s+[`\"]?(?P<table>[\w$.]+?)[`\"]?\s*"
    r"(?:\((?P<columns>[^)]*)\)\s*)?VALUES\s*(?P<values>\(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


class SqlSyntaxError(ValueError):
    """An INSERT statement whose VALUES cannot be read; the message says where."""


def parse_insert(line: str) -> tuple[str, list[str] | None, list[list[str | None]]] | None:
    """The table, the column list (None when not written) and the rows of one INSERT.

    Returns None when the line is not an INSERT statement.

    Raises:
        SqlSyntaxError: the VALUES part is not a list of complete tuples.
    """
    one = one_row(line)
    if one is not None:
        table, columns, values = one
        return table, None if columns is None else list(columns), [values]
    fast = _fast_prefix(line)
    if fast is not None:
        table, text, values = fast
    else:
        m = _INSERT.match(line)
        if m is None:
            return None
        table, text, values = m.group("table", "columns", "values")
    columns = None if text is None else list(_columns(text))
    return table, columns, _rows(values)


def _columns(text: str) -> tuple[str, ...]:
    # a dump repeats its column list on every line: each text is read once
    cached = _COLUMNS.get(text)
    if cached is None:
        cached = tuple(c.strip().strip("`\"") for c in text.split(","))
        if len(_COLUMNS) < 256:
            _COLUMNS[text] = cached
    return cached


_COLUMNS: dict[str, tuple[str, ...]] = {}

# The line mysqldump --skip-extended-insert writes, read whole by one regex:
# `INSERT INTO `t` [(`a`, `b`)] VALUES (v,v,...);` with no blanks between
# values, where each value is a quoted string (backslash or doubled-quote
# escapes) or a bare word other than NULL without a backslash.  A value is
# atomic, its first match (as `_ONE_ROW`'s and `_VALUE.match`'s), so the
# values are the ones `_rows` reads.  Anything else (NULL, blanks, several
# rows, other spellings) is left to `_fast_prefix`/`_INSERT` and `_rows`.
_Q = r"'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+'"
_BARE = r"(?!(?i:null)[,)])[^,()\s'\\]++"
_ROW_LINE = re.compile(
    rf"INSERT INTO `([\w$.]+)` (?:\(([^)]*)\) )?VALUES \(((?>{_Q}|{_BARE})(?:,(?>{_Q}|{_BARE}))*+)\)\s*;?\s*",
    re.DOTALL)
# The values of a row `_ROW_LINE` took, one group each: a quoted string's
# text (after its opening quote, up to the closing one) or a bare word.
_ROW_VALUE = re.compile(r",?'?((?<=')[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+(?=')|[^,()\s'\\]++)'?", re.DOTALL)


def one_row(line: str) -> tuple[str, tuple[str, ...] | None, list[str]] | None:
    """(table, column names or None, values) of a mysqldump one-row INSERT line; None: use `parse_insert`.

    The common line in one regex match: no value is NULL, so every value is a
    string (escapes resolved).  None does not mean "not an INSERT": it means
    the line is not in that common shape.
    """
    m = _ROW_LINE.fullmatch(line)
    if m is None:
        return None
    table, text, row = m.groups()
    values = None
    if "\\" not in row or _MYSQL_ESCAPE.search(row) is None:
        # csv's C reader splits a row `_ROW_LINE` took into the same values:
        # quote "'", doubled quotes; with a backslash, `\\x` read as `x`,
        # what MySQL reads too while no `\\0 \\b \\n \\r \\t \\Z` is in the row
        local = _LOCAL.__dict__
        feed = local.get("feed")
        if feed is None:
            feed = local["feed"] = _Feed()
            local["plain"] = csv.reader(feed, quotechar="'", doublequote=True, strict=True)
            local["escaped"] = csv.reader(feed, quotechar="'", doublequote=True, escapechar="\\", strict=True)
        feed.line = row
        try:
            values = next(local["escaped" if "\\" in row else "plain"])
        except csv.Error:       # a NUL character, a value over csv's size limit
            values = None
    if values is None:
        values = _ROW_VALUE.findall(row)
        if "\\" in row or "''" in row:
            values = [_ESCAPE.sub(_unescape, v) if "\\" in v or "''" in v else v for v in values]
    return table, None if text is None else _columns(text), values


# A backslash escape MySQL reads as another character than the one escaped
# (or an escaped backslash before one of those letters: the regex path decides).
_MYSQL_ESCAPE = re.compile(r"\\[0bnrtZ]")
_LOCAL = threading.local()


class _Feed:
    """The one line a csv reader reads next (csv.reader wants an iterator; made once per thread)."""

    line = ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        return self.line

# mysqldump writes every row line the same way: `INSERT INTO `t` VALUES (`
# or `INSERT INTO `t` (`a`, `b`) VALUES (`, upper case, single blanks.  That
# prefix is cut with str methods (case-sensitive: the common case only);
# anything else (lower case, other blanks, IGNORE, unquoted names) goes to
# `_INSERT`, which gives the same three parts for these lines too.
_PREFIX = "INSERT INTO `"
_TABLE = re.compile(r"[\w$.]+")
_TABLES: dict[str, bool] = {}


def _fast_prefix(line: str) -> tuple[str, str | None, str] | None:
    """(table, column text or None, values text) of a mysqldump row line, or None to use `_INSERT`."""
    if not line.startswith(_PREFIX):
        return None
    end = line.find("`", 13)
    if end < 0:
        return None
    table = line[13:end]
    ok = _TABLES.get(table)
    if ok is None:
        ok = _TABLE.fullmatch(table) is not None
        if len(_TABLES) < 256:
            _TABLES[table] = ok
    if not ok:
        return None
    if line.startswith(" VALUES (", end + 1):
        return table, None, line[end + 9:]
    if line.startswith(" (", end + 1):
        close = line.find(")", end + 3)
        if close > 0 and line.startswith(") VALUES (", close):
            return table, line[end + 3:close], line[close + 9:]
    return None


# One row without escapes or blanks between values, as mysqldump
# --skip-extended-insert writes most lines: read by two regexes at once.
_SIMPLE_ROW = re.compile(r"\(((?:'[^'\\]*'|[^,()'\s]+)(?:,(?:'[^'\\]*'|[^,()'\s]+))*)\)\s*;?\s*")
_SIMPLE_VALUE = re.compile(r"'([^'\\]*)'|([^,()'\s]+)")


def _rows(text: str) -> list[list[str | None]]:
    m = _SIMPLE_ROW.fullmatch(text)
    if m is not None:
        return [[q if b == "" else (None if b.upper() == "NULL" else b)
                 for q, b in _SIMPLE_VALUE.findall(m.group(1))]]
    m = _ONE_ROW.fullmatch(text)
    if m is not None:
        # one row with escapes or blanks: the values `_tuple` reads, found by
        # one scan (each atomic group commits to a value as `_VALUE.match` does)
        return [[(_ESCAPE.sub(_unescape, q) if "\\" in q or "''" in q else q) if b == ""
                 else (None if b.upper() == "NULL" else b)
                 for q, b, _ in _VALUE.findall(text, 1, m.end(1))]]
    rows: list[list[str | None]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n or text[i] != "(":
            raise SqlSyntaxError(f"expected '(' at character {i + 1} of the VALUES list")
        row, i = _tuple(text, i + 1)
        rows.append(row)
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        rest = text[i:].strip()
        if rest not in ("", ";"):
            raise SqlSyntaxError(f"unexpected text after the last row: {rest[:40]!r}")
        return rows


# A quoted value as runs of plain characters between escapes (`\\x`, `''`):
# the same texts as `(?:[^'\\]|\\.|'')*`, a run at a time instead of a
# character at a time.
_VALUE = re.compile(r"\s*(?:'([^'\\]*(?:(?:\\.|'')[^'\\]*)*)'|([^,()\s']+))\s*([,)])", re.DOTALL)


_VALUE_TEXT = r"\s*(?:'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'|[^,()\s']+)\s*[,)]"
# One row as `_rows`' loop reads it: values ending in ',' then one ending in ')'
# (each value atomic: its first match, as `_VALUE.match`), then `;` and blanks.
_ONE_ROW = re.compile(rf"(\((?:(?>{_VALUE_TEXT})(?<=,))*+(?>{_VALUE_TEXT})(?<=\)))\s*;?\s*", re.DOTALL)


def _tuple(text: str, i: int) -> tuple[list[str | None], int]:
    """The values of one row from `i` (just after its '('); (values, index after ')')."""
    values: list[str | None] = []
    while True:
        m = _VALUE.match(text, i)
        if m is None:
            rest = text[i:].lstrip()
            if rest.startswith("'"):
                raise SqlSyntaxError("a quoted string is not closed on this line")
            if not rest:
                raise SqlSyntaxError("the row is cut off (no closing ')')")
            raise SqlSyntaxError(f"unexpected {rest[0]!r} at character {len(text) - len(rest) + 1}")
        quoted, bare, end = m.groups()
        if quoted is not None:
            if "\\" in quoted or "''" in quoted:
                quoted = _ESCAPE.sub(_unescape, quoted)
            values.append(quoted)
        else:
            values.append(None if bare.upper() == "NULL" else bare)
        i = m.end()
        if end == ")":
            return values, i


def _unescape(m: re.Match) -> str:
    return "'" if m.group(1) is None else _ESCAPES.get(m.group(1), m.group(1))


_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
