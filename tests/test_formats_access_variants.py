"""Access-log variants real servers write (issue 12): a host-name prefix
without port (Apache `%v %h %l %u %t ...`, nginx `$host $remote_addr - $remote_user
[$time_local] ...`, the "apache" log_format of telegraf's nginx examples and the
UniProt/SIB servers' logs quoted in sib-swiss analytics tests) and nginx
formats without `$remote_user` (`$remote_addr - [$time_local] "$request"
$status $body_bytes_sent ...`, a common custom format, e.g. the "rate_limit" and
"cache_status" formats of public nginx configurations).

The lines below follow those layouts field for field; the host-prefixed one
is the UniProt line `uniprot-lb2.org 127.0.0.1 - - [22/Mar/2017:11:09:30 +0000]
"GET /foo/bar HTTP/1.1" 304 - ...` without its site-specific tail.
"""

from __future__ import annotations

import json

from forensics.case import Case
from forensics.ingest.engine import ingest_files

LINES = [
    # 1 Apache %v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
    'uniprot-lb2.org 127.0.0.1 - - [22/Mar/2017:11:09:30 +0000] "GET /foo/bar HTTP/1.1" 304 - "http://www.google.com" "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"',
    # 2 nginx $host $remote_addr - $remote_user ... with a user
    'panel.example.net 198.51.100.23 - jsmith [22/Mar/2026:20:09:38 +0100] "POST /server/vps-20889/reinstall HTTP/2.0" 302 0 "https://panel.example.net/server/vps-20889/reinstall/confirm" "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"',
    # 3 nginx without $remote_user
    '203.0.113.5 - [22/Mar/2026:20:09:40 +0100] "GET /login HTTP/1.1" 200 5120 "-" "curl/8.5.0"',
    # 4 ... and the common-log layout of it
    '2001:db8::7 - [22/Mar/2026:20:09:41 +0100] "GET /robots.txt HTTP/1.1" 404 153',
    # 5 the standard line is still read as %h %l %u
    '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0"',
    # 6 vhost:port (Debian vhost_combined) still works
    'localhost:443 178.20.184.42 1j0vhgd jsmith [26/Jul/2023:00:01:26 -0700] "GET /secure/RapidBoard.jspa HTTP/2.0" 200 17163 "-" "Mozilla/5.0" 116075',
]


def test_host_prefixed_and_userless_lines(tmp_path):
    path = tmp_path / "access.log"
    path.write_text("\n".join(LINES) + "\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(path)])
        assert report.results[0].format == "combined"
        assert case.con.execute("SELECT events_parsed, lines_rejected FROM sources").fetchall() == [(6, 0)]
        got = {r[0]: r[1:] for r in case.con.execute(
            "SELECT line_no, strftime(ts, '%Y-%m-%dT%H:%M:%S'), ip, \"user\", method, path, status, bytes, "
            "user_agent, detail FROM events ORDER BY line_no").fetchall()}
    vhost = {no: json.loads(row[-1]).get("vhost") for no, row in got.items()}
    assert got[1][:7] == ("2017-03-22T11:09:30", "127.0.0.1", None, "GET", "/foo/bar", 304, None)
    assert vhost[1] == "uniprot-lb2.org"
    assert got[2][:6] == ("2026-03-22T19:09:38", "198.51.100.23", "jsmith", "POST", "/server/vps-20889/reinstall", 302)
    assert vhost[2] == "panel.example.net"
    assert got[3][:8] == ("2026-03-22T19:09:40", "203.0.113.5", None, "GET", "/login", 200, 5120, "curl/8.5.0")
    assert vhost[3] is None
    assert got[4][:7] == ("2026-03-22T19:09:41", "2001:db8::7", None, "GET", "/robots.txt", 404, 153)
    assert got[5][1:3] == ("83.149.9.216", None) and vhost[5] is None
    assert got[6][1:3] == ("178.20.184.42", "jsmith") and vhost[6] == "localhost:443"
