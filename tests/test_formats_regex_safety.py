"""Safe regular expressions (issue 11, item 5).

* The shipped cPanel login_log pattern was quadratic: one 140 KB line that
  repeats "(possessor: " took 17.9 s.  Every shipped regex definition is
  now run on long hostile lines made from its own samples (a token of a
  sample repeated until the line is 50 KB), each within a second (the
  cPanel pattern took 3.3 s on such a line, the exim delivery rule 8.2 s).
* `forensics formats check` refuses a loop inside a loop (`(a+)+$`).
* A user's definition runs its patterns with a time budget per line (the
  `regex` module's timeout): a line that exceeds it is a reject that says
  so, and the other lines are parsed.
"""

from __future__ import annotations

import re
import time

import pytest
from click.testing import CliRunner

from forensics.case import Case
from forensics.cli import main
from forensics.ingest.declarative import (USER_REGEX_TIMEOUT_S, builtin_definitions, load_definition,
                                          nested_quantifiers)
from forensics.ingest.engine import ingest_files

LINE_BYTES = 50_000
REGEX_DEFINITIONS = [d for d in builtin_definitions() if d.kind == "regex"]


def _hostile_lines(line: str, cuts: int = 16):
    """The sample cut before a token (at most `cuts` evenly spread), with the token(s) repeated to LINE_BYTES."""
    tokens = re.findall(r"\S+\s*|\s+", line)
    step = max(1, len(tokens) // cuts)
    pos = 0
    for i, token in enumerate(tokens):
        if i % step:
            pos += len(token)
            continue
        pieces = {token, token + (tokens[i + 1] if i + 1 < len(tokens) else ""), " " + token.strip()[:1]}
        for piece in pieces:
            if piece.strip():
                yield line[:pos] + piece * (LINE_BYTES // len(piece))
        pos += len(token)


def test_cpanel_login_log_is_linear_on_the_issue_line():
    fmt = next(d for d in REGEX_DEFINITIONS if d.name == "cpanel-login-log")
    line = "[2016-04-18 13:07:15 -0400] info [cpsrvd] 10.1.5.19 - reseller " + "(possessor: " * 12_000
    assert len(line) > 140_000
    start = time.perf_counter()
    row, reason = fmt.parse_line(line)
    assert time.perf_counter() - start < 0.5
    assert row is None and "no pattern matched" in reason
    # the possessor is still read where it is one
    row, _ = fmt.parse_line("[2016-04-18 13:07:15 -0400] info [cpsrvd] 10.1.5.19 - reseller (possessor: root) "
                            "- SUCCESS LOGIN cpaneld")
    assert (row["user"], row["actor"], row["auth"]) == ("reseller", "staff", "impersonation")


@pytest.mark.parametrize("definition", REGEX_DEFINITIONS, ids=lambda d: d.name)
def test_shipped_patterns_stay_fast_on_long_hostile_lines(definition):
    worst, worst_line = 0.0, ""
    for sample in definition.samples[:4]:
        for line in _hostile_lines(sample.line[:300]):
            start = time.perf_counter()
            definition.parse_line(line)
            took = time.perf_counter() - start
            if took > worst:
                worst, worst_line = took, line
    assert worst < 1.0, f"{definition.name}: {worst:.2f} s on {worst_line[:120]!r}..."


def test_shipped_definitions_have_no_nested_quantifiers():
    assert {d.name: d.regex_warnings for d in builtin_definitions() if d.regex_warnings} == {}


@pytest.mark.parametrize("pattern,nested", [
    (r"(a+)+$", True),
    (r"^(\w+\s?)*$", True),
    (r"(x|y+)*z", True),
    (r"((ab)*)+", True),
    (r"^a+b+$", False),
    (r"(?: [^ ]+)*", False),            # each round starts with a blank the inner loop cannot take
    (r"(?:\\.|[^:])*", False),          # no loop inside
    (r'(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*+")*+\])+', False),   # possessive inner loops
])
def test_nested_quantifiers(pattern, nested):
    assert bool(nested_quantifiers(pattern)) is nested


EVIL = '''name = "evil"
description = "a user's definition with a loop inside a loop"
source_kind = "panel"

[[regex]]
name = "line"
pattern = '^(?P<user>(a+)+)$'

[timestamp]
required = false

[[samples]]
line = "aaaa"
expect = { user = "aaaa" }
'''


def test_formats_check_refuses_nested_quantifiers(tmp_path):
    path = tmp_path / "evil.toml"
    path.write_text(EVIL)
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["formats", "check", str(path)])
    assert time.perf_counter() - start < 10
    assert result.exit_code == 1
    assert "UNSAFE  regex[1].pattern: a loop inside a loop (like (a+)+)" in result.output
    assert "1 pattern with a loop inside a loop (catastrophic backtracking)" in result.output


def test_user_definition_runs_with_a_time_budget_per_line(tmp_path):
    definition = tmp_path / "evil.toml"
    definition.write_text(EVIL)
    log = tmp_path / "evil.log"
    log.write_text("aaaa\n" + "a" * 200_000 + "b\n" + "aaaaaa\n")
    start = time.perf_counter()
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(log)], format_name=str(definition), tz="UTC")
        rows = case.con.execute("SELECT line_no, \"user\" FROM events ORDER BY line_no").fetchall()
        rejects = case.con.execute("SELECT line_no, reason FROM rejects").fetchall()
    took = time.perf_counter() - start
    assert took < 20 * USER_REGEX_TIMEOUT_S
    assert report.results[0].events_parsed == 2
    assert rows == [(1, "aaaa"), (3, "aaaaaa")]
    assert len(rejects) == 1 and rejects[0][0] == 2
    assert rejects[0][1].startswith(f"the definition's pattern regex[1].pattern took longer than "
                                    f"{USER_REGEX_TIMEOUT_S:g} s on this line")


def test_user_definition_sample_rejected_by_the_budget_fails_the_check(tmp_path):
    path = tmp_path / "slow.toml"
    path.write_text(EVIL.replace('line = "aaaa"\nexpect = { user = "aaaa" }',
                                 f'line = "{"a" * 200_000}b"\nreject = true'))
    result = CliRunner().invoke(main, ["formats", "check", str(path)])
    assert result.exit_code == 1
    assert "FAIL  sample 1" in result.output and "took longer than" in result.output
