"""`forensics ingest --accounts map.csv` and multi-file ingest with a file no
format recognises (issue 12 items 2 and 3)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from forensics.case import Case
from forensics.cli import main
from forensics.errors import ForensicsError
from forensics.ingest.engine import ingest_files

INDEX = ("UPID:pve1:003D2ED6:01835485:5F09980F:qmstart:101:jsvoboda@pve: 5F099B97 OK\n"
         "UPID:pve1:003D2ED7:01835486:5F0999AA:vzdump:101:root@pam: 5F099C10 OK\n")
ACCOUNTING = "Sun Mar 22 20:09:38 2026:CREATE:root:root:tzimmermann.example:tzimmer\n"
MAP = ("# provider's customer numbers\n"
       "field,value,account\n"
       "account,tzimmer,K-10023\n"
       "account,jsvoboda@pve,K-10188\n"
       "target,101,K-10188\n")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "index").write_text(INDEX)
    (tmp_path / "accounting.log").write_text(ACCOUNTING)
    (tmp_path / "map.csv").write_text(MAP)
    (tmp_path / "notes.txt").write_text("".join(f"meeting note {i}: call the customer back\n" for i in range(30)))
    return tmp_path


def test_account_map_sets_accounts_and_is_recorded(files):
    with Case.open(files / "c.duckdb") as case:
        report = ingest_files(case, [str(files / "index"), str(files / "accounting.log")],
                              account_map=files / "map.csv", tz="UTC")
        assert [r.accounts_mapped for r in report.results] == [1, 1]
        rows = case.con.execute("SELECT source_id, line_no, account, detail FROM events ORDER BY source_id, line_no").fetchall()
        maps = case.con.execute("SELECT path, entries, sha256, size_bytes FROM account_maps").fetchall()
        entries = case.con.execute("SELECT line_no, field, value, account FROM account_map_entries "
                                   "ORDER BY line_no").fetchall()
    import hashlib

    assert maps == [(str(files / "map.csv"), 3, hashlib.sha256(MAP.encode()).hexdigest(), len(MAP))]
    assert entries == [(3, "account", "tzimmer", "K-10023"), (4, "account", "jsvoboda@pve", "K-10188"),
                       (5, "target", "101", "K-10188")]
    got = {(r[0], r[1]): (r[2], json.loads(r[3])) for r in rows}
    # the user's own task: renamed from the logged login, citing map line 4
    assert got[(1, 1)][0] == "K-10188"
    assert (got[(1, 1)][1]["account_as_logged"], got[(1, 1)][1]["account_map"]) == (
        "jsvoboda@pve", f"{files / 'map.csv'}:4")
    # root's backup of VM 101 keeps root@pam: an account as logged is only renamed by an `account` line
    assert got[(1, 2)][0] == "root@pam"
    assert got[(2, 1)][0] == "K-10023" and got[(2, 1)][1]["account_as_logged"] == "tzimmer"


def test_target_entry_fills_events_without_account(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("22/04/2011 06:39 PM Reinstall OS 125.26.145.46 Complete\n")
    amap = tmp_path / "map.csv"
    amap.write_text("field,value,account\ntarget,vps-7,K-4711\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(log)], account_map=amap, tz="UTC")
        assert case.con.execute("SELECT account FROM events").fetchall() == [(None,)]  # no target in that log
        case.con.execute("UPDATE event_rows SET target = 'vps-7'")  # as a log naming the server would
        from forensics.ingest.accounts import apply_account_map, load_account_map, record_account_map

        loaded = load_account_map(amap)
        record_account_map(case.con, loaded)
        assert apply_account_map(case.con, loaded, 1) == 1
        assert case.con.execute("SELECT account FROM events").fetchall() == [("K-4711",)]


@pytest.mark.parametrize("text,message", [
    ("value,account\nx,y\n", "header field,value,account"),
    ("field,value,account\nlogin,x,K-1\n", "field must be one of account, user, target"),
    ("field,value,account\naccount,x,K-1\naccount,x,K-2\n", "line 3: account 'x' is mapped to 'K-2' here and to 'K-1' on line 2"),
    ("field,value,account\naccount,,K-1\n", "must not be empty"),
])
def test_bad_maps_are_refused_before_anything_is_written(files, text, message):
    (files / "bad.csv").write_text(text)
    with pytest.raises(ForensicsError, match=message.replace("(", r"\(")):
        ingest_files(files / "c.duckdb", [str(files / "index")], account_map=files / "bad.csv")
    assert not (files / "c.duckdb").exists() or Case.open(files / "c.duckdb").con.execute(
        "SELECT count(*) FROM sources").fetchall() == [(0,)]


def test_unrecognised_file_is_recorded_and_the_others_ingested(files):
    result = CliRunner().invoke(main, ["ingest", str(files / "c.duckdb"), str(files / "index"),
                                       str(files / "notes.txt"), str(files / "missing.log"),
                                       str(files / "accounting.log"), "--tz", "UTC"])
    assert result.exit_code == 1
    assert "notes.txt: NOT INGESTED, no format recognised it; recorded as source #2" in result.output
    assert "missing.log: NOT INGESTED: " in result.output and "no such file" in result.output
    assert "2 of 4 files not ingested completely" in result.output
    with Case.open(files / "c.duckdb", read_only=True) as case:
        sources = case.con.execute("SELECT source_id, format, lines_read, events_parsed, lines_rejected, sha256 "
                                   "FROM sources ORDER BY source_id").fetchall()
        reasons = case.con.execute("SELECT DISTINCT reason FROM rejects WHERE source_id = 2").fetchall()
        assumption = json.loads(case.con.execute("SELECT assumptions FROM sources WHERE source_id = 2").fetchall()[0][0])
    import hashlib

    assert [s[:5] for s in sources] == [(1, "proxmox-tasks", 2, 2, 0), (2, "unrecognised", 30, 0, 30),
                                        (3, "cpanel-accounting", 1, 1, 0)]
    assert sources[1][5] == hashlib.sha256((files / "notes.txt").read_bytes()).hexdigest()
    assert reasons == [("not ingested: no known format recognises this file",)]
    assert assumption[-1].startswith("Not ingested: ") and "no known format matches" in assumption[-1]


def test_unrecognised_record_does_not_block_a_later_format(files):
    (files / "panel.log").write_text(ACCOUNTING.replace("CREATE", "Create"))  # lower case: not accounting.log
    ingest_files(files / "c.duckdb", [str(files / "index"), str(files / "panel.log")])
    with pytest.raises(ForensicsError):  # still unknown on its own
        ingest_files(files / "c.duckdb", [str(files / "panel.log")])
    again = ingest_files(files / "c.duckdb", [str(files / "index"), str(files / "panel.log")])
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    fixed = ingest_files(files / "c.duckdb", [str(files / "panel.log")], format_name="syslog")
    assert fixed.results[0].status == "ingested" and fixed.results[0].format == "syslog"


def test_single_unrecognised_file_is_still_refused(files):
    with pytest.raises(ForensicsError, match="no known format matches"):
        ingest_files(files / "c.duckdb", [str(files / "notes.txt")])
