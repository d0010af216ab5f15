"""The investigation on DuckDB's rows (no pandas): named queries as dicts of
Python values, and the timeline around an action cut to the nearest events."""

from __future__ import annotations

import datetime as dt

import casebuilder as cb
from forensics.config import load_config
from forensics.investigate import investigate
from forensics.named_queries import query_rows, run_query

UTC = dt.timezone.utc


def test_query_rows_are_the_query_as_python_values(tmp_path):
    with cb.founding_story(tmp_path / "case.duckdb") as case:
        rows = query_rows(case, "account_events", {"account": cb.HOLDER})
        frame = run_query(case, "account_events", {"account": cb.HOLDER})
        assert [r["event_id"] for r in rows] == [int(x) for x in frame["event_id"]]
        assert list(rows[0]) == list(frame.columns)
        first = rows[0]
        assert first["ts"].utcoffset() == dt.timedelta(0) and first["ts"] == frame["ts"].iloc[0].to_pydatetime()
        assert first["status"] is None and type(first["line_no"]) is int   # NULL is None, not NaN
        # the same query without a column the caller does not read
        slim = query_rows(case, "account_events", {"account": cb.HOLDER}, exclude=("ts_raw",))
        assert "ts_raw" not in slim[0] and [r["event_id"] for r in slim] == [r["event_id"] for r in rows]


def test_a_busy_api_client_keeps_the_events_nearest_the_action(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b, start="2026-03-01", end="2026-03-31")
    action_at = dt.datetime(2026, 3, 22, 4, 0, 5, tzinfo=UTC)
    # a status poll every 20 s from 90 minutes before to 90 minutes after the reboot: 541 events
    for i in range(-270, 271):
        when = action_at + dt.timedelta(seconds=20 * i + 1)
        b.panel(when.isoformat(), cb.API_ACCOUNT, "server_status", actor="api", user=cb.API_KEY, auth="api_key",
                ip="198.51.100.20", user_agent=cb.PYTHON_REQUESTS, target="srv-9002")
    b.panel(action_at.isoformat(), cb.API_ACCOUNT, "reboot", actor="api", user=cb.API_KEY, auth="api_key",
            ip="198.51.100.20", user_agent=cb.PYTHON_REQUESTS, target="srv-9002")
    with b.build() as case:
        inv = investigate(case, cb.API_ACCOUNT, since="2026-03-22", until="2026-03-22")
    limit = int(load_config()["timeline"]["max_events"])
    assert limit == 200
    [finding] = inv.findings
    timeline = finding.timeline
    ids = [e.event_id for e in timeline]
    assert len(timeline) == limit and len(set(ids)) == limit            # exactly the limit, each event once
    assert finding.action.event_id in ids
    assert [e.ts for e in timeline] == sorted(e.ts for e in timeline)   # oldest first
    # the nearest: 199 polls within 33 minutes of the reboot on either side, none further
    farthest = max(abs(e.ts - action_at) for e in timeline)
    assert farthest == dt.timedelta(seconds=20 * 99 + 1)
