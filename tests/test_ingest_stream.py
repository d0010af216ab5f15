"""The vectorised path's one INSERT per file (a lazy Arrow stream of the chunks)
against one INSERT per chunk: the same events and rejects, line for line."""

from __future__ import annotations

import duckdb
import pytest

from forensics.case import Case
from forensics.config import load_config
from forensics.ingest import engine
from forensics.ingest.engine import ingest_files
from forensics.ingest.reader import BatchStream, Chunk

LINE = '192.0.2.{n} - - [01/Feb/2024:10:{m:02d}:{s:02d} +0000] "GET /p{n} HTTP/1.1" 200 {n} "-" "UA {n}"'


def _mixed_access_log(path, overlong_bytes: int) -> None:
    """Events, rejects, blank lines, invalid UTF-8 and one overlong line, over many chunks."""
    lines = []
    for n in range(3000):
        line = LINE.format(n=n, m=n // 60 % 60, s=n % 60)
        if n % 97 == 0:
            line = f"not an access log line {n}"
        elif n % 101 == 0:
            line = " \t"
        elif n % 89 == 0:
            line = line.replace("UA", "U\xe9A")
        lines.append(line.encode("utf-8"))
    lines[500] = lines[500].replace(b"UA", b"U\xffA")          # invalid UTF-8, parsed
    lines[501] = b"garbage \xfe"                                 # invalid UTF-8, rejected
    lines[1700] = b"x" * overlong_bytes                          # overlong: a reject of its own
    path.write_bytes(b"\n".join(lines) + b"\r\nlast line without newline")


def _rows(case_path):
    with Case.open(case_path) as case:
        events = case.con.execute(
            "SELECT * EXCLUDE (source_id) FROM events ORDER BY line_no").fetchall()
        rejects = case.con.execute(
            "SELECT * EXCLUDE (source_id) FROM rejects ORDER BY line_no").fetchall()
        source = case.con.execute(
            "SELECT lines_read, events_parsed, lines_rejected, lines_blank, invalid_utf8_lines, first_ts, "
            "last_ts FROM sources").fetchall()
    return events, rejects, source


@pytest.mark.parametrize("fmt", ["combined", "panel-jsonl"])
def test_one_insert_per_file_writes_what_one_insert_per_chunk_wrote(tmp_path, monkeypatch, fmt):
    config = load_config()
    config["ingest"]["max_line_mib"] = 1
    if fmt == "combined":
        log = tmp_path / "access.log"
        _mixed_access_log(log, overlong_bytes=(1 << 20) + 10)
    else:
        log = tmp_path / "panel.jsonl"
        records = []
        for n in range(2000):
            ts = f"2025-01-15T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
            if n % 7:
                ts += "+00:00"   # every seventh time without offset: a naive time, zone decided
            record = f'{{"ts":"{ts}","account":"K-{n}","event":"login","user":"u{n}"}}'
            if n % 53 == 0:
                record = '{"ts":"2025-01-15T00:00:00Z","event":"login"}'   # no account: a reject
            elif n % 59 == 0:
                record = "{not json"
            records.append(record)
        log.write_text("\n".join(records) + "\n", encoding="utf-8")
    results = {}
    for streamed in (True, False):
        monkeypatch.setattr(engine, "STREAM_INSERT", streamed)
        case_path = tmp_path / f"case-{streamed}.duckdb"
        result = ingest_files(case_path, [log], format_name=fmt, config=config,
                              chunk_bytes=16 * 1024).results[0]
        assert result.lines_read == result.events_parsed + result.lines_rejected + result.lines_blank
        results[streamed] = (result.lines_rejected, _rows(case_path))
    assert results[True] == results[False]
    rejected, (events, rejects, source) = results[True]
    assert rejected == len(rejects) > 0 and len(events) > 1000
    if fmt == "combined":
        assert source[0][:5] == (3001, 2938, 34, 29, 2)   # 31 + 3 rejects, 29 blank
        by_line = {r[0]: r for r in rejects}
        assert by_line[502][1] == "not a combined access log line" and by_line[502][3] == b"garbage \xfe"
        assert by_line[1701][1].startswith("line of 1,048,586 bytes is longer than [ingest] max_line_mib")
    else:
        assert source[0][:5] == (2000, 1929, 71, 0, 0)   # 38 without account, 33 not JSON


def test_a_format_that_drops_lines_is_loaded_chunk_by_chunk(tmp_path, monkeypatch):
    """The one INSERT counts the rows it wrote against the lines it was given;
    a format that drops a line sends the file through the per-chunk path, which
    records that line as a reject."""
    from forensics.ingest.formats.access import CombinedAccessLog

    original = CombinedAccessLog.select_sql

    def dropping(self, table):
        sql, params = original(self, table)
        return f"SELECT * FROM ({sql}) WHERE line_no <> 2", params

    monkeypatch.setattr(CombinedAccessLog, "select_sql", dropping)
    log = tmp_path / "access.log"
    log.write_text("\n".join(LINE.format(n=n, m=0, s=n) for n in range(1, 5)) + "\n", encoding="utf-8")
    result = ingest_files(tmp_path / "case.duckdb", [log], format_name="combined").results[0]
    assert (result.events_parsed, result.lines_rejected) == (3, 1)
    with Case.open(tmp_path / "case.duckdb") as case:
        assert case.con.execute("SELECT line_no, reason FROM rejects").fetchall() == [
            (2, "format combined returned no result for this line")]
        assert case.con.execute("SELECT count(*) FROM events WHERE event_id IS NULL").fetchone() == (0,)


def test_batch_stream_is_read_lazily_and_hands_on_errors():
    chunks = [Chunk(1, data=b"a\nbb\nccc", count=3), Chunk(4, data="x\ny\xe9".encode(), count=2)]
    pulled = []

    def batches():
        for chunk in chunks:
            pulled.append(chunk.first_line_no)
            yield from chunk.arrow_table(None, batch_rows=2).batches()

    stream = BatchStream(batches())
    con = duckdb.connect()
    assert pulled == []   # nothing read before DuckDB scans it
    rows = con.execute("SELECT line_no, line FROM stream ORDER BY line_no").fetchall()
    assert rows == [(1, "a"), (2, "bb"), (3, "ccc"), (4, "x"), (5, "y\xe9")]
    assert stream.rows == 5 and pulled == [1, 4]

    def failing():
        yield from chunks[0].arrow_table(None).batches()
        raise OSError("the disk went away")

    broken = BatchStream(failing())
    with pytest.raises(duckdb.Error, match="the disk went away"):
        con.execute("SELECT count(*) FROM broken").fetchall()
    assert isinstance(broken.error, OSError)


def test_ctrl_c_during_the_one_insert_rolls_the_file_back(tmp_path, monkeypatch):
    """SIGINT while DuckDB reads the stream (its callbacks may run on the main
    thread, where Python would lose a KeyboardInterrupt raised inside them):
    the ingest raises KeyboardInterrupt, nothing is added, the handler is restored."""
    import os
    import signal

    log = tmp_path / "access.log"
    log.write_text("\n".join(LINE.format(n=n, m=n // 60 % 60, s=n % 60) for n in range(12000)) + "\n",
                   encoding="utf-8")
    original = engine._FileLoader._load_chunk_sql
    calls = {"n": 0}

    def interrupting(self, chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C in the middle of the file
        return original(self, chunk)

    monkeypatch.setattr(engine._FileLoader, "_load_chunk_sql", interrupting)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            ingest_files(tmp_path / "case.duckdb", [log], format_name="combined", chunk_bytes=16 * 1024)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert 3 <= calls["n"] < 30   # stopped soon after, not at the end of the file (36 chunks)
    with Case.open(tmp_path / "case.duckdb") as case:
        assert case.con.execute("SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM events), "
                                "(SELECT count(*) FROM rejects)").fetchone() == (0, 0, 0)
