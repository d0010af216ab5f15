"""End to end: ingest (native panel JSONL + the REAL elastic access log + an sshd
log) → enrich (MaxMind's test databases) → investigate.

The panel log is written here (no public panel audit log exists); the access
log is the real semicomplete.com traffic (tests/data/access), whose visitor
2.241.35.167 (Firefox 27 on Ubuntu) read the xdotool documentation on
2015-05-20 around 07:05 UTC.  The panel log says that visitor was our
customer, logged in and reinstalled a server at 07:05:59; the investigation
must join his real requests to the session and attribute the action.
"""

import datetime as dt
import json

import pytest

from forensics.case import Case
from forensics.investigate import investigate, timeline

UA = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0"
ACCOUNT = "K-31337"


def _panel_lines():
    lines = []
    day = dt.date(2014, 6, 1)
    while day <= dt.date(2015, 5, 21):
        lines.append({"ts": f"{day}T03:00:00Z", "account": "K-00001", "event": "notification_sent", "actor": "system",
                      "user": "mailer", "detail": {"template": "invoice"}})
        if day.day == 3:   # the customer's monthly visit, from home, same browser
            sid = f"m-{day:%Y%m}"
            lines.append({"ts": f"{day}T18:00:00Z", "account": ACCOUNT, "event": "login", "result": "success",
                          "user": "xdo", "auth": "password", "session": sid, "ip": "2.241.35.10", "user_agent": UA})
            lines.append({"ts": f"{day}T18:09:00Z", "account": ACCOUNT, "event": "logout", "user": "xdo",
                          "session": sid, "ip": "2.241.35.10", "user_agent": UA})
        day += dt.timedelta(days=1)
    lines += [
        {"ts": "2015-05-20T09:04:58+02:00", "account": ACCOUNT, "event": "login", "result": "success", "user": "xdo",
         "auth": "password", "session": "s-8f2", "ip": "2.241.35.167", "user_agent": UA},
        {"ts": "2015-05-20T09:05:59+02:00", "account": ACCOUNT, "event": "reinstall", "user": "xdo", "session": "s-8f2",
         "ip": "2.241.35.167", "user_agent": UA, "target": "srv-31337", "detail": {"os": "Ubuntu 14.04"}},
        {"ts": "2015-05-20T09:06:40+02:00", "account": ACCOUNT, "event": "logout", "user": "xdo", "session": "s-8f2",
         "ip": "2.241.35.167", "user_agent": UA},
    ]
    lines.sort(key=lambda r: dt.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")))
    return "\n".join(json.dumps(r) for r in lines) + "\n"


SSHD = """\
2015-05-20T07:02:11.104223+00:00 srv-31337 sshd[2211]: Invalid user admin from 61.177.172.60 port 40022
2015-05-20T07:02:11.731981+00:00 srv-31337 sshd[2211]: Failed password for invalid user admin from 61.177.172.60 port 40022 ssh2
2015-05-20T07:12:40.517202+00:00 srv-31337 sshd[2290]: Accepted publickey for root from 2.241.35.167 port 51514 ssh2: RSA SHA256:5xyQ+PG1Z3CIiShclJ2iNya5TOdKDgE/HrOXr21IdOo
"""


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, realdata):
    from forensics.enrich.engine import enrich_case
    from forensics.ingest.engine import ingest_files

    d = tmp_path_factory.mktemp("e2e")
    (d / "panel-audit.jsonl").write_text(_panel_lines(), encoding="utf-8")
    (d / "auth.log").write_text(SSHD, encoding="utf-8")
    access = realdata / "access" / "elastic-examples" / "apache_logs"
    with Case.open(d / "case.duckdb") as case:
        report = ingest_files(case, [d / "panel-audit.jsonl", access, d / "auth.log"])
        assert report.ok, [r.summary() for r in report.results]
        enrich_case(case, [realdata / "maxmind" / "test-data" / "GeoLite2-ASN-Test.mmdb"])
    return d / "case.duckdb"


def test_real_access_log_joined_and_attributed(ingested):
    with Case.open(ingested, read_only=True) as case:
        inv = investigate(case, ACCOUNT, since="2015-05-01", claims=["21.05. Ubuntu neu installiert"])
    [f] = inv.findings
    assert (f.action.event, f.action.ts) == ("reinstall", dt.datetime(2015, 5, 20, 7, 5, 59, tzinfo=dt.timezone.utc))
    assert f.action.path.endswith("panel-audit.jsonl")
    assert f.session.session_id == "s-8f2" and f.session.ip == "2.241.35.167"
    # the real requests of 2.241.35.167 with his Firefox 27 inside the session (no session ids in this log)
    paths = [c.ref.http_path for c in f.clickstream]
    assert "/files/xdotool/docs/html/xdo_8h.html" in paths and "/favicon.ico" in paths
    page = next(c.ref for c in f.clickstream if c.ref.http_path == "/files/xdotool/docs/html/xdo_8h.html")
    assert page.path.endswith("apache_logs") and page.line_no == 8311
    assert page.referrer == "http://stackoverflow.com/questions/3585871/how-can-i-get-the-current-mouse-pointer-position-co-ordinates-in-x"
    assert page.raw.startswith('2.241.35.167 - - [20/May/2015:07:05:44 +0000] "GET /files/xdotool/docs/html/xdo_8h.html')
    assert all(c.ref.ip == "2.241.35.167" and c.ref.user_agent == UA for c in f.clickstream)
    cs = next(i for i in f.indicators if i.name == "clickstream")
    assert cs.data["joined_by"] == ["address+browser"] and cs.data["asset_requests"] >= 15
    # his usual browser and address range, eight months of earlier sessions: the holder
    assert f.assessment == "account_holder", (f.reason, f.missing)
    assert next(i for i in f.indicators if i.name == "browser_fingerprint").result == "match"
    net = next(i for i in f.indicators if i.name == "network")
    assert net.result == "match" and "2.241.35.0/24" in net.explanation
    assert next(i for i in f.indicators if i.name == "failed_logins").result == "absent"
    assert len(f.prior_activity) >= 2
    # the claim is one day late
    [claim] = inv.claims
    assert (claim.classification, claim.matches[0].days_off, claim.assumed_year) == ("off_by_days", 1, 2015)
    # coverage of the real access log as ingested
    access = next(s for s in inv.coverage if s.path.endswith("apache_logs"))
    assert access.source_kind == "http" and access.lines_read == 10000
    assert access.first_ts.isoformat() == "2015-05-17T10:05:00+00:00"


def test_timeline_attributes_sshd_by_address(ingested):
    with Case.open(ingested, read_only=True) as case:
        frame = timeline(case, ACCOUNT, since="2015-05-20", until="2015-05-20")
    ssh = frame[frame["source_kind"] == "ssh"]
    # the account's own key login from its address, and the bot on its server
    assert set(ssh["attributed_by"]) == {"sshd from the account's address", "sshd on the account's server"}
    mine = ssh[ssh["ip"] == "2.241.35.167"].iloc[0]
    assert (mine["event"], mine["result"], mine["user"], mine["line_no"]) == ("ssh_login", "success", "root", 3)
    assert len(frame[frame["source_kind"] == "http"]) >= 20
