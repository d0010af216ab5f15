"""Web access logs ingested from the real samples, with their real values."""

from __future__ import annotations

import json

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files


def _one(case_path, path, **kw):
    report = ingest_files(case_path, [path], **kw)
    assert len(report.results) == 1
    return report.results[0]


def _event(case_path, source_id, line_no) -> dict:
    with Case.open(case_path) as case:
        frame = case.sql_df(
            "SELECT *, ts::VARCHAR AS ts_text FROM events WHERE source_id = $s AND line_no = $n",
            {"s": source_id, "n": line_no},
        )
    assert len(frame) == 1
    row = frame.iloc[0].to_dict()
    row["detail"] = json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]
    return row


def _accounting(case_path, source_id):
    with Case.open(case_path) as case:
        src = case.sql_df("SELECT * FROM sources WHERE source_id = $s", {"s": source_id}).iloc[0]
        events = case.sql_df("SELECT count(*) AS n FROM events WHERE source_id = $s", {"s": source_id}).n[0]
        rejects = case.sql_df("SELECT count(*) AS n FROM rejects WHERE source_id = $s", {"s": source_id}).n[0]
    assert src.events_parsed + src.lines_rejected + src.lines_blank == src.lines_read
    assert events == src.events_parsed
    assert rejects == src.lines_rejected
    return src


def test_elastic_apache_logs(realdata, case_path):
    result = _one(case_path, realdata / "access" / "elastic-examples" / "apache_logs")
    assert result.format == "combined"
    assert (result.lines_read, result.events_parsed, result.lines_rejected) == (10000, 9999, 1)
    first = _event(case_path, 1, 1)
    assert first["ts_text"] == "2015-05-17 10:05:03+00"
    assert first["ts_raw"] == "17/May/2015:10:05:03 +0000"
    assert first["ip"] == "83.149.9.216"
    assert first["method"] == "GET"
    assert first["path"] == "/presentations/logstash-monitorama-2013/images/kibana-search.png"
    assert first["status"] == 200 and first["bytes"] == 203023
    assert first["referrer"] == "http://semicomplete.com/presentations/logstash-monitorama-2013/"
    assert first["user_agent"].startswith("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)")
    assert first["event"] == "http_request" and first["source_kind"] == "http"
    assert first["detail"]["protocol"] == "HTTP/1.1"
    assert first["raw"].startswith('83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations')
    src = _accounting(case_path, 1)
    assert src.format == "combined" and src.source_kind == "http"
    assert len(src.sha256) == 64
    with Case.open(case_path) as case:
        reject = case.sql_df("SELECT * FROM rejects").iloc[0]
        span = case.sql_df("SELECT first_ts::VARCHAR a, last_ts::VARCHAR b FROM sources").iloc[0]
    # The one line the file cut short (its User-Agent lacks the closing quote).
    assert reject.line_no == 8899
    assert reject.reason == "not a combined access log line"
    assert reject.raw.endswith('"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html')
    assert (span.a, span.b) == ("2015-05-17 10:05:00+00", "2015-05-20 21:05:59+00")


def test_zanbil_shop_log_offset_and_forwarded_for(realdata, case_path):
    result = _one(case_path, realdata / "access" / "lnav-zanbil" / "logfile_shop_access_log.0")
    assert (result.lines_read, result.events_parsed, result.lines_rejected) == (1000, 1000, 0)
    first = _event(case_path, 1, 1)
    assert first["ts_raw"] == "22/Jan/2019:03:56:14 +0330"
    assert first["ts_text"] == "2019-01-22 00:26:14+00"     # +0330 taken off
    assert first["ip"] == "54.36.149.41"
    assert first["detail"]["x_forwarded_for"] is None          # logged as "-"
    with Case.open(case_path) as case:
        xff = case.sql_df("SELECT line_no, detail->>'x_forwarded_for' AS xff FROM events "
                          "WHERE detail->>'x_forwarded_for' IS NOT NULL ORDER BY line_no")
    assert len(xff) == 13
    assert set(xff.xff) == {"103.28.132.65"}
    _accounting(case_path, 1)


def test_plaso_apache_mixed_vhost_common_and_embedded_quotes(realdata, case_path):
    result = _one(case_path, realdata / "access" / "plaso" / "apache_access.log")
    assert (result.lines_read, result.events_parsed, result.lines_rejected) == (15, 14, 1)
    assert _event(case_path, 1, 1)["user_agent"] is None       # common log format line
    assert _event(case_path, 1, 5)["ts_text"] == "2016-01-13 17:31:20+00"  # +0200
    vhost = _event(case_path, 1, 9)
    assert vhost["detail"]["vhost"] == "plaso.log2timeline.net:443"
    assert vhost["ip"] == "10.1.1.2"
    quoted = _event(case_path, 1, 13)
    assert quoted["path"] == '/aaaa.xxxx/SomeText?action=edit&template=<script>alert("text")</script>'
    assert quoted["status"] == 404
    assert _event(case_path, 1, 15)["user"] == "pyllyukko@EXAMPLE.COM"
    assert _event(case_path, 1, 7)["bytes"] is None or str(_event(case_path, 1, 7)["bytes"]) == "<NA>"


def test_lnav_access_logs_including_dash_request(realdata, case_path):
    report = ingest_files(case_path, [realdata / "lnav" / "test" / "logfile_access_log.0",
                                      realdata / "lnav" / "test" / "logfile_access_log.1"])
    assert [r.events_parsed for r in report.results] == [3, 1]
    assert _event(case_path, 1, 2)["path"] == "/vmw/vSphere/default/vmkboot.gz"
    assert _event(case_path, 1, 2)["status"] == 404
    dash = _event(case_path, 2, 1)
    assert dash["ip"] == "10.112.81.15"
    assert dash["method"] is None and dash["path"] is None
    assert dash["status"] == 400 and dash["user_agent"] is None
    # Event ids are unique across the case.
    with Case.open(case_path) as case:
        ids = case.sql_df("SELECT count(*) n, count(DISTINCT event_id) d FROM events").iloc[0]
    assert ids.n == ids.d == 4


def test_lnav_bad_access_log_rejects_the_broken_line(realdata, case_path):
    result = _one(case_path, realdata / "lnav" / "test" / "logfile_bad_access_log.0")
    assert (result.events_parsed, result.lines_rejected) == (2, 1)
    with Case.open(case_path) as case:
        rejects = case.rejects()
    assert list(rejects.line_no) == [2]
    assert rejects.raw[0].startswith("192.168.202.254 [20/Jul/2009:22:59:29 +0000]")
    assert rejects.reason[0] == "not a combined access log line"


def test_vhost_prefixed_variant(realdata, case_path):
    result = _one(case_path, realdata / "lnav" / "test" / "logfile_regexp_access_log.0")
    assert result.events_parsed == 2
    first = _event(case_path, 1, 1)
    assert first["ip"] == "178.20.184.42"
    assert first["user"] == "jsmith"
    assert first["ts_text"] == "2023-07-26 07:01:26+00"         # -0700
    assert first["detail"]["vhost"] == "localhost:443"
    assert first["detail"]["ident"] == "1j0vhgd"
    assert first["detail"]["request_time"] == 116075
    assert first["detail"]["protocol"] == "HTTP/2.0"
    sample = _one(case_path, realdata / "formats" / "samples" / "apache_nginx" /
                  "vhost-prefixed.lnav-regexp_access_log.log")
    assert sample.status == "ingested" and sample.events_parsed == 2
    assert _event(case_path, 2, 2)["referrer"] == (
        "https://localhost/secure/RapidBoard.jspa?rapidView=1843&view=planning.nodetail&issueLimit=100")


def test_fail2ban_botsearch_mixed_file(realdata, case_path):
    result = _one(case_path, realdata / "fail2ban" / "logs" / "nginx-botsearch")
    assert result.format == "combined"
    # 8 combined lines; comments and nginx error_log lines are recorded rejects.
    assert result.events_parsed == 8
    src = _accounting(case_path, 1)
    assert src.lines_blank == result.lines_read - 8 - result.lines_rejected
    row = _event(case_path, 1, 2)
    assert row["ip"] == "12.34.56.78"
    assert row["ts_text"] == "2015-01-20 18:53:28+00"           # 19:53:28 +0100
    assert row["path"] == "//phpMyAdmin-2.8.2.3/scripts/setup.php"
    assert _event(case_path, 1, 20)["user"] == "root"


@pytest.mark.parametrize("name, count", [
    ("access_log.docs.log", 1),
    ("access_log.pastebin-6ESpSk2j.log", 4),
    ("access_log.2015-legacy.pastebin-kRuwrYFV.log", 2),
])
def test_cpanel_access_log_samples(shared_realdata, case_path, name, count):
    result = _one(case_path, shared_realdata / "formats" / "samples" / "cpanel" / name)
    assert result.format == "cpanel-access"
    assert (result.events_parsed, result.lines_rejected) == (count, 0)
    _accounting(case_path, 1)


def test_cpanel_access_log_values(shared_realdata, case_path):
    _one(case_path, shared_realdata / "formats" / "samples" / "cpanel" / "access_log.docs.log")
    row = _event(case_path, 1, 1)
    assert row["ts_text"] == "2016-10-08 13:37:32+00"           # 10/08/2016 is MM/DD: October 8th
    assert row["ip"] == "192.168.0.20" and row["user"] == "example"
    assert row["session"] == "cpsess1234567890"
    assert row["auth"] == "session"
    assert row["detail"]["auth_method"] == "s"
    assert row["detail"]["server_port"] == 2083
    assert row["referrer"] is None
    _one(case_path, shared_realdata / "formats" / "samples" / "cpanel" / "access_log.pastebin-6ESpSk2j.log")
    api = _event(case_path, 2, 1)
    assert api["user"] == "root" and api["auth"] == "api_token"
    assert api["detail"]["server_port"] == 2087
    assert api["path"].startswith("/json-api/cpanel?cpanel_jsonapi_user=suppo137")


def test_escapes_ipv6_and_mapped_addresses(tmp_path, case_path):
    log = tmp_path / "access.log"
    log.write_text(
        '::ffff:192.0.2.7 - - [01/Feb/2024:10:00:00 +0100] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"\n'
        '2001:0DB8:0000:0000:0000:0000:0000:0001 - - [01/Feb/2024:10:00:01 +0100] "GET /a HTTP/1.1" 200 5 "-" "x"\n'
        '192.0.2.8 - - [01/Feb/2024:10:00:02 +0100] "GET /q?\\"x\\" HTTP/1.1" 200 5 "-" '
        '"Mozilla \\"quoted\\" \\xD0\\x9F\\xD1\\x80\\xD0\\xB8"\n'
        '192.0.2.9 - - [01/Feb/2024:10:00:03 +0100] "POST /login HTTP/1.1" 302 0 "-" "UA" "198.51.100.4" 0.042\n'
        "\n",
        encoding="utf-8",
    )
    result = _one(case_path, log)
    assert (result.lines_read, result.events_parsed, result.lines_blank) == (5, 4, 1)
    assert _event(case_path, 1, 1)["ip"] == "192.0.2.7"
    assert _event(case_path, 1, 2)["ip"] == "2001:db8::1"
    escaped = _event(case_path, 1, 3)
    assert escaped["path"] == '/q?"x"'
    assert escaped["user_agent"] == 'Mozilla "quoted" При'
    assert escaped["raw"].endswith('\\xD0\\x9F\\xD1\\x80\\xD0\\xB8"')
    tail = _event(case_path, 1, 4)
    assert tail["detail"]["x_forwarded_for"] == "198.51.100.4"
    assert tail["detail"]["request_time"] == pytest.approx(0.042)
    assert tail["status"] == 302


def test_syslog_is_not_read_as_access_log(realdata):
    from forensics.ingest.formats.access import CombinedAccessLog

    lines = (realdata / "plaso" / "syslog_copy").read_text().splitlines()[:5]
    assert not CombinedAccessLog().sniff(lines)
