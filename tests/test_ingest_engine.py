"""The engine: custody, all-or-nothing, re-ingest, years, detection, CLI errors."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import datetime as dt

import pytest
from click.testing import CliRunner

from forensics.case import Case
from forensics.cli import main
from forensics.errors import UnknownFormatError
from forensics.ingest.engine import ingest_files

ACCESS_LINE = '192.0.2.{n} - - [01/Feb/2024:10:00:{s:02d} +0000] "GET /{n} HTTP/1.1" 200 5 "-" "UA"\n'


def _set_mtime(path, iso_utc: str) -> None:
    stamp = dt.datetime.fromisoformat(iso_utc).timestamp()
    os.utime(path, (stamp, stamp))


def _counts(case_path):
    with Case.open(case_path) as case:
        return tuple(case.con.execute(
            "SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM events), "
            "(SELECT count(*) FROM rejects)").fetchone())


def test_reingest_adds_nothing_and_says_so(realdata, case_path, tmp_path):
    path = realdata / "access" / "lnav-zanbil" / "logfile_shop_access_log.0"
    first = ingest_files(case_path, [path]).results[0]
    assert first.status == "ingested" and first.events_parsed == 1000
    again = ingest_files(case_path, [path]).results[0]
    assert again.status == "duplicate" and again.duplicate_of == 1
    assert "already in the case as source #1" in again.summary()
    # The same bytes under another name are the same evidence.
    copy = tmp_path / "renamed.log"
    shutil.copyfile(path, copy)
    assert ingest_files(case_path, [copy]).results[0].status == "duplicate"
    assert _counts(case_path) == (1, 1000, 0)


def test_interrupted_ingest_leaves_the_case_consistent(realdata, case_path, monkeypatch):
    ingest_files(case_path, [realdata / "lnav" / "test" / "logfile_access_log.0"])
    before = _counts(case_path)
    from forensics.ingest import engine

    calls = {"n": 0}
    original = engine._FileLoader._load_chunk

    def failing(self, chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the file
        return original(self, chunk)

    monkeypatch.setattr(engine._FileLoader, "_load_chunk", failing)
    with pytest.raises(KeyboardInterrupt):
        ingest_files(case_path, [realdata / "access" / "elastic-examples" / "apache_logs"],
                     chunk_bytes=64 * 1024)
    assert calls["n"] == 3  # two chunks were written inside the transaction
    assert _counts(case_path) == before
    monkeypatch.setattr(engine._FileLoader, "_load_chunk", original)
    # The file can be ingested afterwards, whole.
    result = ingest_files(case_path, [realdata / "access" / "elastic-examples" / "apache_logs"]).results[0]
    assert result.status == "ingested" and result.events_parsed == 9999


def test_rotated_set_in_one_call_with_compressed_member(realdata, case_path, tmp_path):
    base = realdata / "lnav" / "test" / "logfile_access_log.0"
    current = tmp_path / "access.log"
    shutil.copyfile(base, current)
    older = tmp_path / "access.log.1"
    shutil.copyfile(realdata / "lnav" / "test" / "logfile_access_log.1", older)
    oldest = tmp_path / "access.log.2.gz"
    oldest.write_bytes(gzip.compress("".join(ACCESS_LINE.format(n=n, s=n) for n in range(1, 6)).encode()))
    report = ingest_files(case_path, [current, older, oldest])
    assert [r.events_parsed for r in report.results] == [3, 1, 5]
    with Case.open(case_path) as case:
        src = case.sources()
    assert list(src.compression.fillna("")) == ["", "", "gzip"]
    assert list(src.path) == [str(current), str(older), str(oldest)]


def _yearless_file(tmp_path, name="auth.log"):
    log = tmp_path / name
    log.write_text(
        "Dec 30 23:59:01 web1 sshd[100]: Accepted password for alice from 203.0.113.9 port 50000 ssh2\n"
        "Dec 31 23:59:59 web1 sshd[101]: Failed password for bob from 198.51.100.2 port 50001 ssh2\n"
        "Jan  1 00:00:05 web1 sshd[102]: Accepted password for alice from 203.0.113.9 port 50002 ssh2\n"
        "Feb 14 08:00:00 web1 sshd[103]: Accepted password for alice from 203.0.113.9 port 50003 ssh2\n",
        encoding="utf-8",
    )
    return log


def test_yearless_syslog_year_from_mtime_with_rollover(tmp_path, case_path):
    log = _yearless_file(tmp_path)
    _set_mtime(log, "2025-03-01T12:00:00+00:00")
    result = ingest_files(case_path, [log], format_name="syslog").results[0]
    with Case.open(case_path) as case:
        ts = list(case.sql_df("SELECT ts::VARCHAR AS ts FROM events ORDER BY line_no").ts)
        src = case.sources().iloc[0]
    assert ts == ["2024-12-30 23:59:01+00", "2024-12-31 23:59:59+00",
                  "2025-01-01 00:00:05+00", "2025-02-14 08:00:00+00"]
    assert "modification time 2025-03-01T12:00:00+00:00" in src.year_decision
    assert "last line in 2025" in src.year_decision
    assert "1 year roll-over" in src.year_decision
    assert bool(src.tz_assumed) is True      # syslog has no zone: UTC assumed, recorded
    assert any("Year-less" in a for a in result.assumptions)


def test_yearless_last_line_after_mtime_belongs_to_the_year_before(tmp_path, case_path):
    log = _yearless_file(tmp_path)
    _set_mtime(log, "2025-01-10T00:00:00+00:00")   # "Feb 14" cannot be after the file was written
    ingest_files(case_path, [log], format_name="syslog")
    with Case.open(case_path) as case:
        ts = list(case.sql_df("SELECT ts::VARCHAR AS ts FROM events ORDER BY line_no").ts)
    assert ts[0] == "2023-12-30 23:59:01+00" and ts[-1] == "2024-02-14 08:00:00+00"


def test_year_option_overrides(tmp_path, case_path):
    log = _yearless_file(tmp_path)
    _set_mtime(log, "2025-03-01T12:00:00+00:00")
    ingest_files(case_path, [log], format_name="syslog", year=2019, tz="Europe/Berlin")
    with Case.open(case_path) as case:
        ts = list(case.sql_df("SELECT ts::VARCHAR AS ts FROM events ORDER BY line_no").ts)
        src = case.sources().iloc[0]
    assert ts == ["2019-12-30 22:59:01+00", "2019-12-31 22:59:59+00",
                  "2019-12-31 23:00:05+00", "2020-02-14 07:00:00+00"]
    assert "given with --year" in src.year_decision
    assert src.tz == "Europe/Berlin" and not src.tz_assumed


def test_yearless_syslog_across_berlin_dst(tmp_path, case_path):
    log = tmp_path / "messages"
    log.write_text(
        "Mar 31 01:59:00 h sshd[1]: Connection closed by 192.0.2.1 port 1\n"
        "Mar 31 03:01:00 h sshd[1]: Connection closed by 192.0.2.1 port 2\n"
        "Oct 27 02:10:00 h sshd[1]: Connection closed by 192.0.2.1 port 3\n"
        "Oct 27 02:50:00 h sshd[1]: Connection closed by 192.0.2.1 port 4\n"
        "Oct 27 02:05:00 h sshd[1]: Connection closed by 192.0.2.1 port 5\n",
        encoding="utf-8",
    )
    _set_mtime(log, "2024-11-01T00:00:00+00:00")
    ingest_files(case_path, [log], format_name="syslog", tz="Europe/Berlin")
    with Case.open(case_path) as case:
        ts = list(case.sql_df("SELECT ts::VARCHAR AS ts FROM events ORDER BY line_no").ts)
        src = case.sources().iloc[0]
    assert ts == ["2024-03-31 00:59:00+00", "2024-03-31 01:01:00+00", "2024-10-27 00:10:00+00",
                  "2024-10-27 00:50:00+00", "2024-10-27 01:05:00+00"]
    assert "occurs twice" in " ".join(json.loads(src.assumptions))
    assert "roll-over" not in src.year_decision   # the repeated hour is not a new year


def test_plaso_compressed_syslog_copies(realdata, case_path, tmp_path):
    copies = []
    for name in ("syslog.gz", "syslog.bz2", "syslog.xz"):
        target = tmp_path / name
        shutil.copyfile(realdata / "plaso" / name, target)
        _set_mtime(target, "2013-02-01T00:00:00+00:00")
        copies.append(target)
    report = ingest_files(case_path, copies)
    first, *others = report.results
    assert first.format == "syslog" and first.status == "ingested"
    assert (first.lines_read, first.events_parsed, first.lines_rejected) == (15, 12, 3)
    # The same log compressed twice more: recognised by the SHA-256 of its content.
    for result in others:
        assert (result.status, result.duplicate_of, result.duplicate_path) == ("duplicate", 1, str(copies[0]))
    for copy in copies[1:]:   # each alone, in a case of its own, reads the same
        alone = ingest_files(tmp_path / f"{copy.name}.duckdb", [copy]).results[0]
        assert (alone.lines_read, alone.events_parsed, alone.lines_rejected) == (15, 12, 3)
    with Case.open(case_path) as case:
        rows = case.sql_df("SELECT source_id, line_no, ts::VARCHAR ts, host FROM events "
                           "WHERE line_no IN (1, 15) ORDER BY source_id, line_no")
        rejects = case.sql_df("SELECT DISTINCT line_no FROM rejects ORDER BY line_no")
    assert list(rows.ts[:2]) == ["2010-01-22 07:52:33+00", "2012-11-18 01:15:43+00"]
    assert rows.host[0] == "myhostname.myhost.com"
    assert list(rejects.line_no) == [7, 11, 14]


def test_invalid_utf8_line_keeps_its_bytes(tmp_path, case_path):
    log = tmp_path / "bad.log"
    good = ACCESS_LINE.format(n=1, s=1).encode()
    bad = b'192.0.2.2 - - [01/Feb/2024:10:00:02 +0000] "GET /\xff\xfe HTTP/1.1" 200 5 "-" "UA\xc3"\n'
    log.write_bytes(good + bad + b"garbage \xff\n")
    result = ingest_files(case_path, [log]).results[0]
    assert (result.events_parsed, result.lines_rejected, result.invalid_utf8_lines) == (2, 1, 2)
    with Case.open(case_path) as case:
        ev = case.sql_df("SELECT line_no, path, raw, raw_bytes FROM events ORDER BY line_no")
        rej = case.rejects()
        src = case.sources().iloc[0]
    assert ev.raw_bytes.isna()[0]               # valid lines carry no copy of their bytes
    assert bytes(ev.raw_bytes[1]) == bad.rstrip(b"\n")
    assert ev.path[1] == "/\ufffd\ufffd"
    assert bytes(rej.raw_bytes[0]) == b"garbage \xff"
    assert src.invalid_utf8_lines == 2


def test_unknown_format_is_refused_naming_formats_and_line(realdata, case_path):
    with pytest.raises(UnknownFormatError) as err:
        ingest_files(case_path, [realdata / "lnav" / "test" / "logfile_invalid_utf8.0"])
    message = str(err.value)
    assert "no known format matches" in message
    assert "combined" in message and "panel-jsonl" in message
    assert "2015-03-12T23:16:52.071:INFO:com.root:Response :" in message
    assert not case_path.exists() or _counts(case_path) == (0, 0, 0)


def test_format_given_as_definition_file(realdata, case_path, tmp_path):
    definition = tmp_path / "mylog.toml"
    definition.write_text(
        'name = "mylog"\n'
        'description = "test format"\n'
        'source_kind = "app"\n'
        "[[regex]]\n"
        'name = "line"\n'
        "pattern = '^(?P<ts>\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2})\\.\\d+:(?P<message>.*)$'\n"
        "[timestamp]\n"
        'field = "ts"\n'
        'formats = ["%Y-%m-%dT%H:%M:%S"]\n'
        "[defaults]\n"
        'event = "app_message"\n'
        "[[samples]]\n"
        "line = '2015-03-12T23:16:52.071:INFO:x'\n"
        'expect = { event = "app_message" }\n',
        encoding="utf-8",
    )
    report = ingest_files(case_path, [realdata / "lnav" / "test" / "logfile_invalid_utf8.0"],
                          format_name=str(definition), tz="UTC")
    result = report.results[0]
    assert result.format == "mylog"
    assert (result.lines_read, result.events_parsed, result.invalid_utf8_lines) == (6, 1, 1)
    with Case.open(case_path) as case:
        rej = case.sql_df("SELECT line_no, raw_bytes FROM rejects WHERE line_no = 4")
    raw_line = (realdata / "lnav" / "test" / "logfile_invalid_utf8.0").read_bytes().split(b"\n")[3]
    assert bytes(rej.raw_bytes[0]) == raw_line.rstrip(b"\r")


# -- CLI -----------------------------------------------------------------

def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_ingest_and_sources(realdata, case_path):
    result = _run("ingest", case_path, realdata / "access" / "lnav-zanbil" / "logfile_shop_access_log.0")
    assert result.exit_code == 0, result.output
    assert "source #1, format combined: 1,000 lines read, 1,000 events" in result.output
    again = _run("ingest", case_path, realdata / "access" / "lnav-zanbil" / "logfile_shop_access_log.0")
    assert again.exit_code == 0 and "already in the case as source #1" in again.output
    listing = _run("sources", case_path)
    assert listing.exit_code == 0
    assert "sha256 18286cdaae7bc48e95c4cbf695c3cb6869a70c43bee1f6bcfa637a3b0bd5fdca" in listing.output
    assert "lines 1,000 = 1,000 events + 0 rejected + 0 blank" in listing.output
    assert "events 2019-01-22T00:26:14+00:00 .. 2019-01-22T00:29:11+00:00" in listing.output
    as_json = _run("sources", case_path, "--json")
    record = json.loads(as_json.output)[0]
    assert record["first_ts"] == "2019-01-22T00:26:14+00:00"
    assert record["events_parsed"] == 1000
    as_lines = _run("sources", case_path, "--nl")
    assert json.loads(as_lines.output.splitlines()[0]) == record


@pytest.mark.parametrize("make_args, expected", [
    (lambda rd, tmp: ["/nonexistent/access.log"], "no such file"),
    (lambda rd, tmp: [tmp], "is a directory"),
    (lambda rd, tmp: ["--format", "nosuchformat", rd / "access" / "plaso" / "apache_access.log"],
     "unknown format 'nosuchformat'"),
    (lambda rd, tmp: ["--tz", "Mars/Olympus", rd / "access" / "plaso" / "apache_access.log"],
     "unknown time zone"),
    (lambda rd, tmp: [rd / "lnav" / "test" / "logfile_invalid_utf8.0"], "no known format matches"),
])
def test_cli_errors_are_one_sentence(realdata, case_path, tmp_path, make_args, expected):
    result = _run("ingest", case_path, *make_args(realdata, tmp_path))
    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output


def test_cli_truncated_archive_exits_nonzero_and_keeps_lines(realdata, case_path, tmp_path):
    broken = _run("ingest", case_path, realdata / "lnav" / "test" / "textfile_broken_gz.txt.gz")
    assert broken.exit_code != 0
    assert "TRUNCATED" in broken.output and "not ingested completely" in broken.output and "damaged" in broken.output
    assert "Traceback" not in broken.output
    source = (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes()
    packed = gzip.compress(source)
    cut = tmp_path / "access.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    result = _run("ingest", case_path, cut)
    assert result.exit_code != 0
    with Case.open(case_path) as case:
        src = case.sources()
    assert list(src.truncated) == [True, True]
    # The one byte inflated before the damage is kept as a reject, flagged unverified.
    assert src.format[0] == "unreadable" and (src.lines_read[0], src.lines_rejected[0]) == (1, 1)
    assert src.unverified_from_line[0] == 1
    assert src.format[1] == "combined" and src.events_parsed[1] > 1000
    assert "ends before its end-of-stream marker" in src.truncation_reason[1]
    with Case.open(case_path) as case:
        flags = case.sql_df("SELECT source_id, integrity, count(*) n FROM events GROUP BY ALL ORDER BY ALL")
        rejects = case.sql_df("SELECT source_id, raw, integrity FROM rejects WHERE source_id = 1")
    # gzip checks a member only at its end: nothing of a cut member was verified
    assert list(flags.integrity) == ["unverified"] and int(flags.n[0]) == src.events_parsed[1]
    assert list(rejects.raw) == ["\ufffd"] and list(rejects.integrity) == ["unverified"]


def test_ingest_runs_enrichment_when_geoip_is_given(realdata, case_path, tmp_path, monkeypatch):
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    log = tmp_path / "access.log"
    log.write_text('1.128.0.1 - - [01/Feb/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" '
                   '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
                   'Chrome/120.0.0.0 Safari/537.36"\n', encoding="utf-8")
    asn_db = realdata / "maxmind" / "test-data" / "GeoLite2-ASN-Test.mmdb"
    report = ingest_files(case_path, [log], geoip_paths=[asn_db])
    assert report.enrichment is not None
    with Case.open(case_path) as case:
        info = case.sql_df("SELECT ip, asn FROM ip_info")
        agents = case.sql_df("SELECT user_agent FROM user_agents")
    assert list(info.ip) == ["1.128.0.1"] and int(info.asn[0]) == 1221
    assert len(agents) == 1


def test_progress_is_reported_per_chunk_and_cli_is_quiet_off_a_terminal(realdata, case_path):
    path = realdata / "access" / "elastic-examples" / "apache_logs"
    calls = []
    ingest_files(case_path, [path], progress=lambda p, done, total: calls.append((p, done, total)),
                 chunk_bytes=256 * 1024)
    assert len(calls) > 5
    assert calls[-1] == (str(path), path.stat().st_size, path.stat().st_size)
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)
    result = _run("ingest", case_path.with_name("other.duckdb"), path)
    assert result.exit_code == 0
    assert "\r" not in result.output and "━" not in result.output   # no progress bar in a pipe


def test_source_kind_follows_what_the_lines_are(tmp_path, realdata):
    """A syslog file without any sshd line is recorded as syslog, not as an sshd
    log: investigation coverage must not read its silence as "no SSH logins"."""
    from forensics.case import Case
    from forensics.ingest.engine import ingest_files

    with Case.open(tmp_path / "case.duckdb") as case:
        ingest_files(case, [str(realdata / "plaso/syslog/syslog_cron.log"),
                            str(realdata / "fail2ban/logs/sshd")], year=2016)
        kinds = dict(case.con.execute(
            "SELECT regexp_extract(path, '[^/]+$'), source_kind FROM sources").fetchall())
    assert kinds == {"syslog_cron.log": "syslog", "sshd": "ssh"}


def test_source_kind_of_a_tie_is_decided_by_the_file_alone(tmp_path):
    """A syslog file without an sshd line whose lines are as many firewall as panel
    events: the same kind whichever order the lines come in (the first name, not the
    first met in a scan).  The lines are syslog.toml's real samples (ConfigServer lfd,
    fail2ban's Proxmox log)."""
    from forensics.case import Case
    from forensics.ingest.engine import ingest_files

    lfd = ("Mar 26 02:37:08 inc2 lfd[299494]: (sshd) Failed SSH login from 92.205.40.41 (DE/Germany/-): "
           "5 in the last 3600 secs - *Blocked in csf* [LF_SSHD]")
    pve = ("Mar 26 09:37:44 HOSTNAME pvedaemon[12021]: authentication failure; rhost=192.0.2.123 "
           "user=root@pam msg=Authentication failure")
    kinds = []
    for name, lines in (("a.log", [lfd, pve]), ("b.log", [pve, lfd])):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with Case.open(tmp_path / f"{name}.duckdb") as case:
            ingest_files(case, [str(path)], format_name="syslog", year=2016, tz="UTC")
            assert sorted(r[0] for r in case.con.execute("SELECT source_kind FROM events").fetchall()) == [
                "firewall", "panel"]
            kinds.append(case.con.execute("SELECT source_kind FROM sources").fetchone()[0])
    assert kinds == ["firewall", "firewall"]


def test_one_stray_line_does_not_choose_a_format(tmp_path, realdata):
    """Detection refuses a file whose best format recognises too few lines, and
    names that format so `--format` can insist; with it, nothing is lost."""
    from click.testing import CliRunner

    from forensics.case import Case
    from forensics.cli import main

    access_line = (realdata / "access/elastic-examples/apache_logs").read_text().splitlines()[0]
    log = tmp_path / "mixed.log"
    log.write_text(access_line + "\n" + "".join(f"checkout step {i} ok\n" for i in range(19)))
    case = tmp_path / "case.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(case), str(log)])
    assert result.exit_code == 1
    assert "only 1 of its first 20 non-blank lines look like combined" in result.output
    assert "give --format combined" in result.output
    result = CliRunner().invoke(main, ["ingest", str(case), str(log), "--format", "combined"])
    assert result.exit_code == 0, result.output
    with Case.open(case, read_only=True) as c:
        assert c.con.execute("SELECT events_parsed, lines_rejected FROM sources").fetchall() == [(1, 19)]
        assert c.con.execute("SELECT ip FROM events").fetchall() == [("83.149.9.216",)]


def _sliced_ingest(tmp_path, log, width, **options):
    from forensics.config import load_config

    config = load_config()
    config["ingest"]["time_slice_lines"] = width
    case_path = tmp_path / f"case-{width}.duckdb"
    result = ingest_files(case_path, [log], format_name="syslog", config=config, **options).results[0]
    with Case.open(case_path) as case:
        events = case.con.execute("SELECT line_no, ts::VARCHAR, ts_raw, raw FROM events ORDER BY line_no").fetchall()
        rejects = case.con.execute("SELECT line_no, reason FROM rejects ORDER BY line_no").fetchall()
        src = case.con.execute("SELECT tz, tz_decision, year_decision, assumptions FROM sources").fetchone()
    return result, events, rejects, src


_SLICED_LINES = [  # year-less, Europe/Berlin: roll-overs, Feb 29, both DST changes, repeated hours
    "Oct 27 02:40:00", "Oct 27 02:10:00",                  # the 2022 repeated hour, going back
    "Nov  3 10:00:00", "Dec 31 23:59:00", "Jan  1 00:01:00",  # roll-over
    "Feb 29 12:00:00",                                     # 2023 has none: rejected
    "Mar 26 02:30:00",                                     # the spring gap of 2023
    "Oct 29 02:10:00", "Oct 29 02:50:00", "Oct 29 02:05:00",  # the repeated hour, the order tells
    "Oct 29 02:20:00",
    "Dec 31 22:00:00", "Jan  1 01:00:00",                  # roll-over
    "Mar 31 02:15:00",                                     # the spring gap of 2024
    "Oct 27 02:30:00",                                     # alone in the repeated hour: the order cannot tell
    "Oct 28 09:00:00",
]


@pytest.mark.parametrize("options", [{"tz": "Europe/Berlin"}, {"tz": "Europe/Berlin", "year": 2022}, {}],
                         ids=["mtime", "--year", "UTC"])
def test_times_resolved_by_slices_as_in_one_pass(tmp_path, options):
    """Naive times are resolved a slice of line numbers at a time (memory bounded): the
    same UTC times, rejects and recorded decisions whatever the slices, a roll-over, a
    repeated hour or a run of repeated times falling across a slice's edge included."""
    log = tmp_path / "auth.log"
    log.write_text("".join(f"{t} web1 sshd[{i}]: Connection closed by 192.0.2.{i % 250} port {i}\n"
                           for i, t in enumerate(_SLICED_LINES, start=1)), encoding="utf-8")
    _set_mtime(log, "2024-11-01T00:00:00+00:00")
    whole = _sliced_ingest(tmp_path, log, 1000, **options)
    for width in (1, 2, 3, 5, 7):
        assert _sliced_ingest(tmp_path, log, width, **options)[1:] == whole[1:]
    result, events, rejects, src = whole
    assert len(events) + len(rejects) == len(_SLICED_LINES)
    if options == {"tz": "Europe/Berlin"}:
        assert rejects == [(6, "no usable timestamp (Feb 29 12:00:00)")]
        assert "2 year roll-overs" in src[2] and "lines span 2022-2024" in src[2]
        # a lone time in the 2024 repeated hour cannot be placed by the order of the lines, so
        # (as in one pass) every repeated time is read as its first occurrence, summer time
        assert [ts for no, ts, *_ in events if no in (8, 9, 10, 11, 15)] == [
            "2023-10-29 00:10:00+00", "2023-10-29 00:50:00+00", "2023-10-29 00:05:00+00", "2023-10-29 00:20:00+00",
            "2024-10-27 00:30:00+00"]
        assert "5 lines carry a local time that occurs twice in Europe/Berlin (clocks going back): the order " \
               "of the lines does not tell" in src[3]
        assert "2 lines carry a local time that does not exist in Europe/Berlin" in src[3]
