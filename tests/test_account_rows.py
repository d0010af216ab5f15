"""`account_rows`, the copy of the account-bearing events sorted by account (issue 14):
written by enrich, read by the investigations only while it holds the case's
current state, the same rows either way."""

from __future__ import annotations

import pytest

import panel_cases as pc
from forensics import account_rows
from forensics.case import Case
from forensics.investigate import investigate
from forensics.investigate import run as run_module
from forensics.named_queries import query_rows


def _doc(case, info, monkeypatch):
    """The investigation's to_dict() without generated_at, and the named queries it ran
    (a spy: the method records account_events whichever way its rows were read)."""
    ran = []

    def spy(case_, name, *args, **kwargs):
        ran.append(name)
        return query_rows(case_, name, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(run_module, "query_rows", spy)
        d = investigate(case, info["account"], action=info["action"]).to_dict()
    d.pop("generated_at")
    assert "account_events" in d["queries_used"] and "account_events_copy" not in d["queries_used"]
    return d, ran


def _fallback(case, info, monkeypatch):
    """The same investigation read from `events` (the copy declared stale)."""
    with monkeypatch.context() as m:
        m.setattr(account_rows, "is_current", lambda con: False)
        return _doc(case, info, monkeypatch)


def _same_rows(case):
    """account_events_copy gives account_events' rows (without the text) for every account."""
    accounts = [r[0] for r in case.con.execute("SELECT DISTINCT account FROM events WHERE account IS NOT NULL "
                                               "ORDER BY account").fetchall()]
    assert accounts
    for a in accounts:
        copy = query_rows(case, "account_events_copy", {"account": a})
        assert copy == query_rows(case, "account_events", {"account": a}, exclude=("ts_raw", "raw"))


@pytest.mark.parametrize("variant", [pc.HOLDER, pc.TAKEOVER])
def test_copy_is_used_when_current_and_gives_the_same_investigation(tmp_path, monkeypatch, variant):
    info = pc.whmcs_case(tmp_path, variant)
    geoip = [str(p) for p in sorted(tmp_path.glob("*.mmdb"))]
    with Case.open(tmp_path / "case.duckdb") as case:
        case.ingest([tmp_path / "activity.csv"], tz="UTC")
        assert case.con.execute("SELECT count(*) FROM account_rows").fetchall() == [(0,)]   # created empty
        assert not account_rows.is_current(case.con)                                        # never built
        case.enrich(geoip)
        assert account_rows.is_current(case.con)
        n_panel = case.con.execute("SELECT count(*) FROM events WHERE account IS NOT NULL").fetchall()[0][0]
        assert case.con.execute("SELECT count(*) FROM account_rows").fetchall() == [(n_panel,)]
        _same_rows(case)
        first, ran = _doc(case, info, monkeypatch)
        assert "account_events_copy" in ran and "account_events" not in ran
        fallback, ran_fb = _fallback(case, info, monkeypatch)
        assert fallback == first
        assert ran_fb == ["account_events" if q == "account_events_copy" else q for q in ran]
        assert [f["action"]["path"].rsplit("/", 1)[-1] for f in first["findings"]] == ["activity.csv"]

        # Virtualizor's record of the rebuild, joined to the account by an account map:
        # a new source and a new map, so the copy (built before) is stale by construction
        case.ingest([tmp_path / "virtualizor.jsonl"], tz="UTC", account_map=tmp_path / "map.csv")
        assert not account_rows.is_current(case.con)
        assert case.con.execute("SELECT count(*) FROM account_rows WHERE source_id = 2").fetchall() == [(0,)]
        stale, ran = _doc(case, info, monkeypatch)
        assert "account_events" in ran and "account_events_copy" not in ran
        assert sorted(f["action"]["path"].rsplit("/", 1)[-1] for f in stale["findings"]) == [
            "activity.csv", "virtualizor.jsonl"]

        case.enrich(geoip)   # rebuilds the copy: now with the mapped Virtualizor line
        assert account_rows.is_current(case.con)
        assert case.con.execute("SELECT account FROM account_rows WHERE source_id = 2").fetchall() == [
            (info["account"],)]
        _same_rows(case)
        rebuilt, ran = _doc(case, info, monkeypatch)
        assert "account_events_copy" in ran
        assert rebuilt == stale

        case.enrich(geoip)   # nothing changed: the copy is current and is not rewritten
        assert account_rows.is_current(case.con)
        assert _doc(case, info, monkeypatch)[0] == stale


def test_old_case_without_the_copy_reads_events(tmp_path, monkeypatch):
    """A case whose case_meta records no copy (made before it existed) is read as before."""
    info = pc.whmcs_case(tmp_path, pc.HOLDER)
    path = tmp_path / "case.duckdb"
    with Case.open(path) as case:
        case.ingest([tmp_path / "activity.csv"], tz="UTC")
        case.enrich([str(p) for p in sorted(tmp_path.glob("*.mmdb"))])
        expected, _ = _doc(case, info, monkeypatch)
        case.con.execute("DELETE FROM case_meta WHERE key = $k", {"k": account_rows.STATE_KEY})
        case.con.execute("DROP TABLE account_rows")
    with Case.open(path, read_only=True) as case:
        assert not account_rows.is_current(case.con)
        got, ran = _doc(case, info, monkeypatch)
    assert got == expected and "account_events" in ran and "account_events_copy" not in ran


def test_rebuild_sorts_under_its_own_memory_ceiling_and_restores_the_connections(tmp_path):
    """`[enrich] account_rows_memory_limit` holds during the rebuild only: the
    connection's ceiling and insertion order are as before afterwards."""
    pc.whmcs_case(tmp_path, pc.HOLDER)
    with Case.open(tmp_path / "case.duckdb") as case:
        case.ingest([tmp_path / "activity.csv"], tz="UTC")
        con = case.con
        con.execute("SET memory_limit = '400MB'")   # the ingest's ceiling ([ingest] duckdb_memory_limit)
        con.execute("SET preserve_insertion_order = false")
        before = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        seen = []
        real_execute = con.execute

        rows = account_rows.rebuild(_Spy(con, seen), "256MB")
        assert rows == con.execute("SELECT count(*) FROM events WHERE account IS NOT NULL").fetchone()[0] > 0
        assert "256MB" in [p.get("limit") for _, p in seen if isinstance(p, dict)]
        # DuckDB shows the ceiling to 0.1 of its unit, which is what can be set back
        after = real_execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert after.split()[1] == before.split()[1] == "MiB"
        assert abs(float(after.split()[0]) - float(before.split()[0])) <= 0.1
        assert real_execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False
        assert account_rows.is_current(con)
        # the copy is in the order the investigations read it
        order = con.execute("SELECT account, ts, source_id, line_no FROM account_rows").fetchall()
        assert order == sorted(order, key=lambda r: (r[0], r[1], r[2], r[3]))


class _Spy:
    """A connection that records the statements and parameters it is given."""

    def __init__(self, con, seen):
        self._con, self._seen = con, seen

    def execute(self, sql, params=None):
        self._seen.append((sql, params))
        return self._con.execute(sql, params) if params is not None else self._con.execute(sql)
