"""Sessions, the click-stream join and verdict, session consistency, travel speed."""

import datetime as dt

import casebuilder as cb
from forensics.config import load_config
from forensics.investigate import investigate
from forensics.investigate.action.sessions import build_sessions

UTC = dt.timezone.utc


def _ind(finding, name):
    return next(i for i in finding.indicators if i.name == name)


def _history(b):
    cb.filler(b, start="2025-12-01", end="2026-03-31")
    cb.holder_networks(b)
    for n, day in enumerate(["2025-12-05", "2026-01-09", "2026-02-06", "2026-03-06"]):
        cb.browse_session(b, f"{day}T19:00:00+01:00", session=f"h{n}", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN)


def test_session_rules(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b, start="2026-03-01", end="2026-03-31")
    cb.holder_networks(b)
    # logout ends a session; without logout it ends 30 minutes after its last activity
    cb.browse_session(b, "2026-03-10T10:00:00+00:00", session="a", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN)
    cb.browse_session(b, "2026-03-11T10:00:00+00:00", session="b", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN,
                      actions=[("reboot", f"/servers/{cb.SERVER}/reboot", None)], logout=False)
    # events without a session id: grouped per (actor, user, address) while closer than the idle timeout
    for minute in (0, 10, 20, 70):
        b.panel(f"2026-03-12T10:{minute % 60:02d}:00+00:00" if minute < 60 else "2026-03-12T11:10:00+00:00",
                cb.HOLDER, "reboot", actor="api", user="key-1", auth="api_key", ip="198.51.100.20")
    # a failed login opens nothing
    b.panel("2026-03-13T10:00:00+00:00", cb.HOLDER, "login", result="failure", user=cb.HOLDER_USER, ip="84.132.10.7")
    with b.build() as case:
        panel = case.query("account_events", account=cb.HOLDER)
    sessions, mapping = build_sessions(panel, load_config(), dt.datetime(2026, 3, 31, 3, tzinfo=UTC))
    a, s_b, api1, api2 = sessions
    assert (a.session_id, a.end_reason, a.login.event) == ("a", "logout", "login")
    assert s_b.end_reason == "idle_timeout"
    assert s_b.end == s_b.actions[-1].ts + dt.timedelta(minutes=30)
    assert [x.event for x in s_b.actions] == ["reboot"]
    assert (api1.session_id, api1.auth, len(api1.actions)) == (None, "api_key", 3)
    assert api1.key.startswith("synthetic:") and len(api2.actions) == 1
    assert len(mapping) == sum(1 + len(s.actions) + (1 if s.end_reason == "logout" else 0) for s in sessions[:2]) + 4


def test_clickstream_joined_by_address_and_browser_without_session_ids(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    t = dt.datetime(2026, 3, 22, 9, 0, tzinfo=UTC)

    def at(s):
        return (t + dt.timedelta(seconds=s)).isoformat()

    ip, ua = "84.132.10.7", cb.FIREFOX_124_WIN
    b.panel(at(0), cb.HOLDER, "login", user=cb.HOLDER_USER, auth="password", session="z", ip=ip, user_agent=ua)
    for sec, method, path, ref in [(1, "GET", "/dashboard", None), (2, "GET", "/static/app.css", "/dashboard"),
                                   (20, "GET", "/servers/srv-4711/reinstall", "/dashboard"),
                                   (45, "GET", "/servers/srv-4711/reinstall/confirm", "/servers/srv-4711/reinstall"),
                                   (61, "POST", "/servers/srv-4711/reinstall", "/servers/srv-4711/reinstall/confirm")]:
        b.http(at(sec), ip, method, path, user_agent=ua, referrer=f"{cb.PANEL}{ref}" if ref else None)
    # same address, another browser at the same time: a housemate, not this session
    b.http(at(30), ip, "GET", "/shop", user_agent=cb.CHROME_122_MAC)
    b.panel(at(61), cb.HOLDER, "reinstall", user=cb.HOLDER_USER, session="z", ip=ip, user_agent=ua,
            target=cb.SERVER, detail={"os": "CentOS 7"})
    with b.build() as case:
        f = investigate(case, cb.HOLDER, action="reinstall").findings[0]
    assert [c.ref.http_path for c in f.clickstream] == [
        "/dashboard", "/static/app.css", "/servers/srv-4711/reinstall", "/servers/srv-4711/reinstall/confirm",
        "/servers/srv-4711/reinstall"]
    assert [c.think_time_s for c in f.clickstream] == [None, 1.0, 18.0, 25.0, 16.0]
    assert [c.is_asset for c in f.clickstream] == [False, True, False, False, False]
    cs = _ind(f, "clickstream")
    assert cs.data["joined_by"] == ["address+browser"]
    assert f.clickstream_verdict == "human"
    assert f.assessment == "account_holder"


def test_headless_and_fast_clickstream_is_automated(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    b.ip("203.0.113.77", asn=14061, as_org="DigitalOcean, LLC", network="203.0.113.0/24", country="DE",
         country_name="Germany", city="Frankfurt", lat=50.11, lon=8.68, hosting=True)
    cb.browse_session(b, "2026-03-22T03:00:00+00:00", session="bot", ip="203.0.113.77", ua=cb.HEADLESS_CHROME,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "Debian 12"})],
                      think=(0.3, 0.4, 0.3, 0.3, 0.4, 0.3))
    with b.build() as case:
        f = investigate(case, cb.HOLDER, action="reinstall").findings[0]
    assert f.clickstream_verdict == "automated"
    cs = _ind(f, "clickstream")
    assert cs.direction == "other" and "HeadlessChrome" in cs.explanation
    assert _ind(f, "browser_fingerprint").data["automation_class"] == "headless"
    assert f.assessment == "compromise_suspected"


def test_neighbouring_address_in_the_same_session_is_not_a_stolen_cookie(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    b.ip("84.132.10.200", asn=3320, as_org="Deutsche Telekom AG", network="84.128.0.0/10", country="DE",
         city="Berlin", lat=52.52, lon=13.40)
    cb.browse_session(b, "2026-03-22T09:00:00+01:00", session="m", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})],
                      panel_ip="84.132.10.200")
    with b.build() as case:
        f = investigate(case, cb.HOLDER, action="reinstall").findings[0]
    sc = _ind(f, "session_consistency")
    assert sc.result == "partial" and sc.direction == "neutral"
    assert f.assessment == "account_holder"


def test_impossible_travel(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    b.ip("1.128.0.1", asn=1221, as_org="Telstra Pty Ltd", network="1.128.0.0/11", country="AU",
         country_name="Australia", city="Sydney", lat=-33.87, lon=151.21)
    cb.browse_session(b, "2026-03-22T08:00:00+01:00", session="home", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN)
    cb.browse_session(b, "2026-03-22T09:30:00+01:00", session="far", ip="1.128.0.1", ua=cb.FIREFOX_124_WIN,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})])
    with b.build() as case:
        f = investigate(case, cb.HOLDER, action="reinstall").findings[0]
    tr = _ind(f, "travel")
    assert tr.result == "mismatch" and tr.data["km"] > 15000 and tr.data["kmh"] > 1000
    assert _ind(f, "network").result == "mismatch"
    assert f.assessment == "compromise_suspected"


def test_without_isp_data_only_prefixes_are_compared(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    cb.browse_session(b, "2026-03-22T09:00:00+01:00", session="x", ip="84.150.3.20", ua=cb.FIREFOX_124_WIN,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})])
    with b.build(with_geoip=False) as case:
        inv = investigate(case, cb.HOLDER, action="reinstall")
    f = inv.findings[0]
    assert not inv.isp_data_available
    assert any("address range only" in n for n in inv.notes)
    net = _ind(f, "network")
    assert net.result == "unknown" and "no ISP data" in net.explanation
    assert f.assessment == "inconclusive"     # browser alone does not make the holder


def test_login_without_logged_method_still_counts_as_own_credentials(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    cb.browse_session(b, "2026-03-22T09:00:00+01:00", session="q", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN,
                      auth=None, actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})])
    with b.build() as case:
        f = investigate(case, cb.HOLDER, action="reinstall").findings[0]
    assert _ind(f, "credential").result == "unknown"
    assert f.assessment == "account_holder"
    assert "method not logged" in f.key_facts[0]


def test_events_without_actor_read_as_the_customer(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    _history(b)
    b.panel("2026-03-22T10:00:00+00:00", cb.HOLDER, "reboot", actor=None, user=cb.HOLDER_USER, session="h3",
            ip="84.132.10.7", user_agent=cb.FIREFOX_124_WIN)
    with b.build() as case:
        inv = investigate(case, cb.HOLDER, action="reboot")
    assert inv.findings[0].action.actor == "customer"
    assert "1 panel event names no actor; read as the customer (the native format's default)." in inv.notes
