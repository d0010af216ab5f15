"""Bounded memory and one bad line is one reject (issue 11, item 3).

Decompression bombs run in a child process under an address-space limit
(`resource.setrlimit(RLIMIT_AS)`), and the child's peak resident memory is
read back with `getrusage(RUSAGE_CHILDREN)`.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import resource
import subprocess
import sys
import textwrap

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files

GIB = 1 << 30
# DuckDB and its allocator reserve address space they never touch (thread
# stacks, arenas): with RLIMIT_AS at 1 GiB its commit fails while the process
# uses 160 MB.  The limit is therefore 1.5 GiB of address space, and the
# peak RSS asserted is below 1 GiB.
ADDRESS_SPACE = 3 * GIB // 2

_CHILD = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from forensics.ingest.engine import ingest_files
    fmt = sys.argv[3] if len(sys.argv) > 3 else None
    result = ingest_files(sys.argv[1], [sys.argv[2]], format_name=fmt).results[0]
    print(json.dumps({{"status": result.status, "format": result.format, "lines_read": result.lines_read,
                      "rejected": result.lines_rejected, "blank": result.lines_blank}}))
""")


def _ingest_in_child(case, path, fmt=None) -> tuple[dict, int]:
    """Ingest in a child under the address-space limit; (result, peak RSS in bytes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    args = [sys.executable, "-c", _CHILD.format(limit=ADDRESS_SPACE), str(case), str(path)]
    run = subprocess.run(args + ([fmt] if fmt else []), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024   # KiB on Linux
    assert peak >= before * 1024
    return json.loads(run.stdout.strip().splitlines()[-1]), peak


def test_a_bzip2_bomb_is_one_reject_with_its_length_and_hash(tmp_path):
    """400 MiB of one line in 10 concatenated bzip2 streams of about 40 bytes each."""
    unit = b"A" * (40 << 20)
    stream = bz2.compress(unit, 9)
    bomb = tmp_path / "bomb.log.bz2"
    bomb.write_bytes(stream * 10)
    assert bomb.stat().st_size < 1024
    result, peak = _ingest_in_child(tmp_path / "case.duckdb", bomb, "combined")
    assert (result["lines_read"], result["rejected"]) == (1, 1)
    assert peak < GIB, f"peak RSS {peak / 2**20:.0f} MiB"
    digest = hashlib.sha256()
    for _ in range(10):
        digest.update(unit)
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        reason, raw = case.con.execute("SELECT reason, raw FROM rejects").fetchone()
    assert reason == (f"line of 419,430,400 bytes is longer than [ingest] max_line_mib = 16 MiB: not parsed; "
                      f"its first MiB is kept here, the SHA-256 of all its bytes is {digest.hexdigest()}")
    assert raw == "A" * (1 << 20)


def test_a_gzip_of_100_mb_of_newlines_is_an_empty_source_in_bounded_memory(tmp_path):
    bomb = tmp_path / "newlines.log.gz"
    bomb.write_bytes(gzip.compress(b"\n" * (100 << 20), 9))
    assert bomb.stat().st_size < 110_000
    result, peak = _ingest_in_child(tmp_path / "case.duckdb", bomb)
    assert result == {"status": "empty", "format": "empty", "lines_read": 104_857_600, "rejected": 0,
                      "blank": 104_857_600}
    assert peak < GIB, f"peak RSS {peak / 2**20:.0f} MiB"


def test_max_line_mib_comes_from_the_config_and_the_neighbours_are_parsed(tmp_path, realdata):
    lines = (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes().split(b"\n")[:3]
    long_line = b"203.0.113.9 - - " + b"x" * (3 << 20)
    log = tmp_path / "access.log"
    log.write_bytes(b"\n".join([lines[0], long_line, lines[1], lines[2]]) + b"\n")
    config = {"ingest": {"chunk_mib": 16, "detect_head_lines": 50, "detect_sample_lines": 20,
                         "detect_min_share": 0.2, "max_line_mib": 1, "chunk_max_lines": 262144,
                         "duckdb_memory_limit": "400MB", "year_rollover_backstep_hours": 24}}
    result = ingest_files(tmp_path / "case.duckdb", [log], config=config, format_name="combined").results[0]
    assert (result.lines_read, result.events_parsed, result.lines_rejected) == (4, 3, 1)
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        line_no, reason, raw = case.con.execute("SELECT line_no, reason, raw FROM rejects").fetchone()
        events = [row[0] for row in case.con.execute("SELECT line_no FROM events ORDER BY line_no").fetchall()]
    assert line_no == 2 and events == [1, 3, 4]
    assert reason.startswith(f"line of {len(long_line):,} bytes is longer than [ingest] max_line_mib = 1 MiB")
    assert reason.endswith(hashlib.sha256(long_line).hexdigest())
    assert raw.encode() == long_line[:1 << 20]


def test_max_line_mib_is_a_documented_setting():
    from forensics.config import load_config

    assert load_config()["ingest"]["max_line_mib"] == 16


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_deeply_is_one_reject_and_the_file_is_ingested(tmp_path, depth):
    good = [json.dumps({"ts": f"2026-03-01T00:00:0{n}+00:00", "account": "K-1", "event": "account_view",
                        "user": "bob", "ip": "203.0.113.5"}) for n in range(3)]
    deep = ('{"ts": "2026-03-01T00:00:05+00:00", "account": "K-1", "event": "login", "detail": '
            + "[" * depth + "]" * depth + "}")
    log = tmp_path / "panel.jsonl"
    log.write_text("\n".join([good[0], deep, good[1], good[2]]) + "\n")
    assert len(deep) >= 2000
    result = ingest_files(tmp_path / "case.duckdb", [log]).results[0]
    assert (result.status, result.format) == ("ingested", "panel-jsonl")
    assert (result.events_parsed, result.lines_rejected) == (3, 1)
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        rejects = case.con.execute("SELECT line_no, reason FROM rejects").fetchall()
    assert rejects == [(2, "format panel-jsonl failed on this line: RecursionError: maximum recursion depth "
                           "exceeded while decoding a JSON array from a unicode string")]
