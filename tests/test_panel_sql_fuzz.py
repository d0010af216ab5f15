"""Seeded fuzz of the compiled record paths against the Python path (the oracle).

Ordinary panel lines (JSON Lines and CSV) are mutated at random, with a fixed
seed so that a failure is reproducible: a character inserted (quotes,
backslashes, escapes, separators, control characters, NUL, BOM, non-ASCII,
lone-surrogate escapes, NaN, large numbers), a character deleted, a slice
repeated (duplicate keys), a value replaced.  Every mutated line must give
exactly what `parse` gives on both paths: the same event (every column,
`detail` as text, the times) or the same reject reason.  The same for the
shipped CSV and JSON-lines definitions compiled to SQL, from their samples.
"""

from __future__ import annotations

import json
import random

from test_panel_sql import HEADER, crow, csv_differences, differences, rec

TOKENS = ['"', "\\", ",", ":", "{", "}", "[", "]", " ", "\t", "\r", "\x00", "\x01", "\x1f", "\x7f", "\ufeff",
          "é", "\u2028", "😀", "\\u00e9", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\/", '\\"', "\\n", "NaN",
          "-0", "1e5", "12345678901234567890", "null", "true", ",}", '"ts":"x"', '"detail":{"a":1}',
          '"user":"dup"', "2024-02-30", "+14:00", "Z", ".1234567", "T", "9999", "0001"]

SEEDS_JSON = [rec(), rec(detail={"job": "nightly", "n": 3}), rec(user="mueller", ip="203.0.113.9", auth="password"),
              rec(ts="2024-03-19 09:12:03", result="failure", actor="staff", detail="wrong password"),
              rec(session="abc", user_agent="Mozilla/5.0 (X11; Linux)", target="vps-1", detail={"a": "x, y: z"}),
              rec().replace(", ", ",").replace(": ", ":")]
SEEDS_CSV = [crow(), crow(detail={"job": "nightly", "n": 3}), crow(user="a,b", detail="wrong password"),
             crow(ts="2024-03-19 09:12:03", result="failure", actor="staff", user='say "hi"')]


def mutate(line: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(line) + 1)
        op = rng.randrange(4)
        if op == 0:
            line = line[:i] + rng.choice(TOKENS) + line[i:]
        elif op == 1 and line:
            line = line[:i] + line[i + 1:]
        elif op == 2:
            j = rng.randrange(len(line) + 1)
            a, b = min(i, j), max(i, j)
            line = line[:b] + line[a:b] + line[b:]
        else:   # a value (between quotes) replaced by a token
            start = line.find('"', i)
            end = line.find('"', start + 1) if start >= 0 else -1
            if end > start >= 0:
                line = line[:start + 1] + rng.choice(TOKENS) + line[end:]
    return line


def _mutations(seeds: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [mutate(rng.choice(seeds), rng) for _ in range(count)]


def test_mutated_json_lines_agree():
    lines = _mutations(SEEDS_JSON, 1500, 14)
    assert len(set(lines)) > 1000
    assert differences(lines) == []


def _minified(line: str) -> str:
    return json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))


def _key_count_lanes(lines: list[str]) -> list[tuple[bool, bool]]:
    """Per valid JSON-object line: (its length is that of its found fields written minified,
    its key count is that of its found fields), read by DuckDB as the panel SELECT reads them."""
    import duckdb

    from forensics.ingest.formats.panel import _JSON_PATHS, _MINIFIED_LENGTH, FIELDS

    count = " + ".join(f"(f_{name} IS NOT NULL)::INTEGER" for name in FIELDS)
    columns = ", ".join(f"_j[{i}]::VARCHAR AS f_{name}" for i, name in enumerate(FIELDS, 1))
    with duckdb.connect() as con:
        return [tuple(row) for row in con.execute(
            f"SELECT NOT contains(line, '\\') AND strlen(line) = {_MINIFIED_LENGTH}, len(json_keys(line)) = {count} "
            f"FROM (SELECT i, line, {columns} FROM (SELECT i, line, json_extract(line, $paths) AS _j "
            "FROM (SELECT unnest($lines) AS line, generate_subscripts($lines, 1) AS i) "
            "WHERE json_valid(line) AND starts_with(line, '{'))) ORDER BY i",
            {"paths": _JSON_PATHS, "lines": lines}).fetchall()]


def test_minified_lines_with_other_members_agree():
    """The SELECT counts a line's keys from its length when it has no backslash: extra,
    repeated and escaped keys, whitespace, and numbers yyjson writes longer than they
    are written (`1e9` -> `1000000000.0`, so that a line with one more key has the length
    of its fields) give what the Python path gives."""
    base = '{"ts":"2024-03-19T09:12:03Z","account":"K-1","event":"login"'
    lines = [base + "}", base + ',"user":"u"}', base + ',"x":"u"}', base + ',"user":"u","user":"v"}',
             base + ',"account":"K-2"}', base + ',"":0}', base + ',"user":"u" }', base + ', "user":"u"}',
             base + ',"\u0075ser":"u"}', base + ',"user":"\u0075"}', base + ',"user":"\u0075\u0075","x":1}',
             base + ',"user":1e9,"xxxx":1}', base + ',"detail":{"a":1e9},"xxxx":1}',
             base + ',"detail":{"a":1e2,"b":-0},"x":1}', base + ',"detail":{"a":-0},"x":1}',
             base + ',"detail":{"a":1},"detail":{"a":1}}', base + ',"detail":{"a":1,"a":2}}',
             base + ',"detail":{ "a":1},"x":1}', base + ',"detail":"a","ticket":"T-1"}', "{}", '{"ts":"x"}',
             base + ',"user":"é😀\u2028/"}', base + ',"user":"é😀\u2028/","x":"y"}']
    lanes = _key_count_lanes(lines)
    assert len(lanes) == len(lines)
    assert (True, True) in lanes and (False, False) in lanes and (False, True) in lanes
    # the number written longer: the length holds with one key more (left to Python as before)
    assert lanes[11] == (True, False) and lanes[12] == (True, False)
    assert differences(lines) == []


def test_mutated_minified_json_lines_agree():
    """Mutations of records written without spaces (the lines whose keys the length counts)."""
    seeds = [_minified(line) for line in SEEDS_JSON]
    seeds += [seed[:-1] + extra + "}" for seed in seeds[:3] for extra in (',"x":"y"', ',"user":"dup"', ',"n":1e9')]
    lines = _mutations(seeds, 1500, 15)
    assert len(set(lines)) > 1000
    lanes = _key_count_lanes(lines)
    assert sum(1 for lane in lanes if lane[0]) > 50   # 87 with this seed
    assert differences(lines) == []


def test_mutated_csv_lines_agree():
    lines = [line for line in _mutations(SEEDS_CSV, 1500, 41) if "\n" not in line]
    assert len(set(lines)) > 1000
    assert csv_differences(HEADER, lines) == []


def _compiled_record_definitions() -> list[str]:
    from forensics.ingest.declarative import builtin_definitions

    return sorted(d.name for d in builtin_definitions()
                  if d.kind in ("csv", "jsonl", "sql") and d.sql_plan is not None)


def test_mutated_lines_of_the_compiled_csv_and_json_definitions_agree():
    from forensics.ingest.declarative import builtin_definitions
    from forensics.ingest.declarative_sql import differences

    names = _compiled_record_definitions()
    assert "check-jsonl" in names and "whmcs-tickets-csv" in names and "whmcs-activity-sql" in names
    by_name = {d.name: d for d in builtin_definitions()}
    for k, name in enumerate(names):
        fmt = by_name[name]
        seeds = [s.line for s in fmt.samples if not s.reject]
        lines = [line for line in _mutations(seeds, 400, 100 + k) if "\n" not in line and line.strip()]
        assert len(set(lines)) > 200, name
        assert differences(fmt, lines) == [], name


def test_mutated_lines_with_unmapped_keys_agree():
    """keep_unmapped JSON lines (contacts-jsonl, virtualizor-logs-jsonl), their samples with extra
    keys (strings, numbers, booleans, null, nested values, canonical names, json_/detail names)
    and then mutated: the compiled SELECT gives what the Python path gives, line by line."""
    from forensics.ingest.declarative import builtin_definitions
    from forensics.ingest.declarative_sql import differences

    extras = [', "note": "kept"', ', "n": 17, "flag": false', ', "status": "1", "user": "u"', ', "zz": null',
              ', "obj": {"b": 1, "a": 2}', ', "list": [1, "x"]', ', "json_status": "9"', ', "detail.x": "y"',
              ', "Z": "1", "_": "2", "a": "3"', ', "f": 1.25, "g": 1e3', ', "note": "x", "note": "y"']
    by_name = {d.name: d for d in builtin_definitions()}
    for k, name in enumerate(["contacts-jsonl", "virtualizor-logs-jsonl"]):
        fmt = by_name[name]
        assert fmt.sql_plan is not None, fmt.sql_fallback_reason
        seeds = [s.line.rstrip()[:-1] + extra + "}" for s in fmt.samples if not s.reject for extra in extras]
        lines = [line for line in _mutations(seeds, 600, 200 + k) if "\n" not in line and line.strip()]
        assert len(set(lines)) > 400, name
        assert differences(fmt, lines) == [], name
