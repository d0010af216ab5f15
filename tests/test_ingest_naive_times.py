"""Naive times on the vectorised path: the INSERT carries the format's `ts_local` into the
event (`engine._event_values`, the event id negated until the time is resolved) instead of
the format reading `ts_raw` again; the events, rejects, ids and decisions are the Python path's."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from forensics.case import Case
from forensics.config import load_config
from forensics.ingest import engine
from forensics.ingest.engine import ingest_files

UTC = dt.timezone.utc


def _record(ts: str, user: str) -> str:
    return json.dumps({"ts": ts, "account": "K-1", "event": "login", "result": "success",
                       "actor": "customer", "user": user, "ip": "192.0.2.7"})


# Naive and zoned times mixed; Berlin's clocks go forward on 2025-03-30 (02:30 does not
# exist) and back on 2025-10-26 (02:10 twice); a line without a usable time; a blank line.
LINES = [
    _record("2025-10-26T01:59:00", "a"),
    _record("2025-10-26T02:10:00", "b"),
    _record("2025-10-26T02:40:00+00:00", "c"),
    _record("2025-10-26T02:05:00", "d"),
    _record("2025-03-30T02:30:00", "e"),
    "not a record",
    "",
    _record("2025-06-01T12:00:00.5", "f"),
    _record("2025-06-01 12:00:00Z", "g"),
]


def _ingest(tmp_path, monkeypatch, *, sql: bool, tz: str):
    monkeypatch.setenv("FORENSICS_DECLARATIVE_SQL", "1" if sql else "0")
    config = load_config()
    config["ingest"]["compiled_min_lines"] = 0    # the vectorised path even for this small file
    inserts = []
    insert_stream = engine._FileLoader._insert_stream
    monkeypatch.setattr(engine._FileLoader, "_insert_stream",
                        lambda self, stream: inserts.append(self.fmt.name) or insert_stream(self, stream))
    first, path = tmp_path / "first.jsonl", tmp_path / "panel.jsonl"
    if not path.exists():   # once: the mtime is part of the sources row compared
        first.write_text(_record("2025-01-01T00:00:00+00:00", "z") + "\n", encoding="utf-8")
        path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    with Case.open(tmp_path / f"{sql}-{tz.replace('/', '_')}.duckdb") as case:
        # a source before it: the file's event ids start after that one's
        results = ingest_files(case, [str(first), str(path)], format_name="panel-jsonl", tz=tz,
                               config=config).results
        events = case.con.execute(
            "SELECT * EXCLUDE (source_id) FROM events WHERE source_id = 2 ORDER BY line_no").fetchall()
        rejects = case.con.execute(
            "SELECT line_no, reason FROM rejects WHERE source_id = 2 ORDER BY line_no").fetchall()
        source = case.con.execute(
            "SELECT * EXCLUDE (source_id, ingested_at) FROM sources WHERE source_id = 2").fetchall()
    return results[1], events, rejects, source, inserts


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_naive_times_carried_by_the_insert_as_on_the_python_path(tmp_path, monkeypatch, tz):
    sq = _ingest(tmp_path, monkeypatch, sql=True, tz=tz)
    py = _ingest(tmp_path, monkeypatch, sql=False, tz=tz)
    assert sq[4] == ["panel-jsonl", "panel-jsonl"] and py[4] == []   # which path each took
    assert sq[1] == py[1]      # every column, the event id and the resolved time among them
    assert sq[2] == py[2] and sq[3] == py[3] and sq[0].assumptions == py[0].assumptions
    ids = {row[1]: row[0] for row in sq[1]}   # line_no -> event_id: the first file's one event, then line numbers
    times = {row[1]: row[2] for row in sq[1]}
    assert ids == {1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 8: 9, 9: 10}
    if tz == "UTC":
        assert times[1] == dt.datetime(2025, 10, 26, 1, 59, tzinfo=UTC)
        assert times[2] == dt.datetime(2025, 10, 26, 2, 10, tzinfo=UTC)
        assert times[5] == dt.datetime(2025, 3, 30, 2, 30, tzinfo=UTC)
        assert times[8] == dt.datetime(2025, 6, 1, 12, 0, 0, 500000, tzinfo=UTC)
    else:
        assert times[1] == dt.datetime(2025, 10, 25, 23, 59, tzinfo=UTC)       # CEST, +02:00
        assert times[2] == dt.datetime(2025, 10, 26, 0, 10, tzinfo=UTC)        # the first 02:10 (CEST)
        assert times[4] == dt.datetime(2025, 10, 26, 1, 5, tzinfo=UTC)         # back in time: CET
        assert times[5] == dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)          # 02:30 does not exist: 03:00 CEST
        assert times[8] == dt.datetime(2025, 6, 1, 10, 0, 0, 500000, tzinfo=UTC)
        assert "1 line carries a local time that does not exist in Europe/Berlin (clocks going forward): " \
               "moved forward by the length of the gap." in sq[0].assumptions
    assert times[3] == dt.datetime(2025, 10, 26, 2, 40, tzinfo=UTC)            # zoned: as written
    assert times[9] == dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert [line for line, _ in sq[2]] == [6]
    assert sq[0].lines_read == 9 and sq[0].lines_blank == 1
