"""The combined log's fast path (lines cut on their quotes, checked piece by
piece) says exactly what the full regular expression says.

The fast path exists for speed only: every line it takes must give the same
event as COMBINED_PATTERN gives it, and every line it refuses goes through
that pattern.  Checked on the real sample's lines and on lines made from them
with the characters that break naive parsers (quotes, backslashes, tabs,
spaces, odd time stamps) put in random places.
"""

from __future__ import annotations

import random

import duckdb
import pandas as pd

from forensics.ingest.base import IngestContext
from forensics.ingest.formats.access import (_FAST_PATTERN, FAST_CHECK_PARAMS, FAST_CHECK_SQL,
                                             CombinedAccessLog)


def _real_lines(realdata) -> list[str]:
    path = realdata / "access" / "elastic-examples" / "apache_logs"
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def _mutants(lines: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    noise = ['"', '\\', '\\"', '\t', ' ', '  ', '-', '[', ']', '\r', '\x0b', 'é', '0', '.5', ' 12', ' 1.5',
             ' "x"', '" "', 'Jan', 'jan', '99', ':', '+', ' +0000]']
    out = []
    for _ in range(count):
        line = rng.choice(lines)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(line) + 1)
            if rng.random() < 0.3:
                line = line[:at] + line[at + rng.randint(1, 4):]          # a piece cut out
            else:
                line = line[:at] + rng.choice(noise) + line[at:]
        out.append(line)
    return out


def _fast_flags(lines: list[str], whole_line_regex: bool = False) -> list[bool]:
    """Per line: the fast check's verdict, or (`whole_line_regex`) that of the one
    match-only regex over the whole line it replaced (RE2, as DuckDB runs it)."""
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"n": range(len(lines)), "line": pd.Series(lines, dtype=object)}))
    check = "regexp_full_match(line, $whole) AND NOT contains(line, '\\')" if whole_line_regex else FAST_CHECK_SQL
    params = {"whole": _FAST_PATTERN} if whole_line_regex else FAST_CHECK_PARAMS
    rows = con.execute(f"SELECT {check} FROM (SELECT n, line, string_split(line, '\"') AS q, "
                       f"len(string_split(line, '\"')) AS nq FROM t) ORDER BY n", params).fetchall()
    con.close()
    return [row[0] for row in rows]


def _parsed(fmt: CombinedAccessLog, lines: list[str]):
    batch = fmt.parse(lines, list(range(1, len(lines) + 1)), IngestContext(path="x", tz=None, year=None, host=None, mtime_utc=None))
    events = batch.events.astype(object).where(batch.events.notna(), None)
    return events.to_dict("records"), sorted(batch.rejects)


def test_fast_check_takes_every_real_line_and_only_what_the_line_regex_takes(realdata):
    lines = _real_lines(realdata)
    flags = _fast_flags(lines)
    assert flags == _fast_flags(lines, whole_line_regex=True)
    # The other 4 of 10,000: three referrers with \\xHH escapes, one line cut inside its User-Agent.
    assert sum(flags) == 9_996


def test_fast_path_and_full_regex_give_the_same_events_and_rejects(realdata):
    lines = _real_lines(realdata)[:2000]
    lines += _mutants(lines, 3000, seed=20261202)
    flags = _fast_flags(lines)
    taken = sum(flags)
    assert 1500 < taken < len(lines) - 1000   # both paths really ran
    for line, fast, regex in zip(lines, flags, _fast_flags(lines, whole_line_regex=True)):
        if fast:   # what the fast check takes, the whole-line regex took
            assert regex, line
    full = CombinedAccessLog()
    full.structural_fast_path = False
    fast_events, fast_rejects = _parsed(CombinedAccessLog(), lines)
    full_events, full_rejects = _parsed(full, lines)
    assert fast_rejects == full_rejects
    assert len(fast_events) == len(full_events) > 3000
    for a, b in zip(fast_events, full_events):
        assert a == b


def test_a_quote_inside_the_address_field_is_not_cut_on_it():
    """`\\S+` takes a quote; cutting such a line on its quotes would shift
    every field, so the fast check refuses it and the full regex reads it."""
    line = 'a"b - - [15/Jan/2025:00:54:35 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"'
    assert _fast_flags([line]) == [False]
    events, rejects = _parsed(CombinedAccessLog(), [line])
    assert rejects == []
    assert events[0]["ip"] == 'a"b'
    assert events[0]["path"] == "/" and events[0]["method"] == "GET" and events[0]["user_agent"] == "curl/8.0"
