"""One case per assessment: the assessment and the indicators that carry it.

The cases come from tests/casebuilder.py (rows exactly as ingest + enrich
write them).  Each finding must be right for the right reasons: the tests
check the indicators, not only the verdict.
"""

import datetime as dt

import pytest

import casebuilder as cb
from forensics.investigate import investigate

UTC = dt.timezone.utc


def _case(tmp_path_factory, builder):
    path = tmp_path_factory.mktemp(builder.__name__) / "case.duckdb"
    return builder(path)


def _ind(finding, name):
    return next(i for i in finding.indicators if i.name == name)


def _only(inv, event="reinstall"):
    found = [f for f in inv.findings if f.action.event == event]
    assert len(found) == 1, [(f.action.event, f.action.ts) for f in inv.findings]
    return found[0]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    case = _case(tmp_path_factory, cb.founding_story)
    inv = investigate(case, cb.HOLDER, since="2026-03-01", tz="Europe/Berlin", claims=[
        "19.03. Rettungssystem unbefugt benutzt", "20.03. SUSE neu installiert", "23.03. CentOS installiert"])
    yield case, inv
    case.close()


def test_founding_story_is_the_holder(story):
    _, inv = story
    f = _only(inv)
    assert f.assessment == "account_holder"
    assert f.action.ts == dt.datetime(2026, 3, 22, 8, 15, 32, tzinfo=UTC)
    assert f.action.detail == {"os": "CentOS 7"}
    assert f.action.citation == "panel-audit.jsonl:490"
    assert '"event": "reinstall"' in f.action.raw
    # own credentials, no failed login, a human, his browser, his ISP range, his history
    assert f.session.auth == "password" and f.session.session_id == "s-7731"
    assert _ind(f, "failed_logins").result == "absent"
    assert f.failed_logins == []
    assert f.clickstream_verdict == "human"
    cs = _ind(f, "clickstream")
    assert cs.data["asset_requests"] >= 2 and cs.data["referrer_chain_ok"] is True
    assert cs.data["confirmation_page"] == "/servers/srv-4711/reinstall/confirm"
    assert _ind(f, "browser_fingerprint").result == "match"
    net = _ind(f, "network")
    assert net.result == "match" and "84.132.10.0/24" in net.explanation
    assert "AS3320 Deutsche Telekom AG" in net.observed
    pa = _ind(f, "prior_activity")
    assert pa.result == "match" and pa.direction == "holder"
    assert len(f.prior_activity) == 4
    assert all(dt.timedelta(days=120) <= f.action.ts - s.start <= dt.timedelta(days=365) for s in f.prior_activity)
    assert _ind(f, "session_consistency").result == "match"
    assert not [i for i in f.indicators if i.direction == "other"]
    # the click-stream excerpt cites the access log, think times included
    assert any(c.ref.http_path == "/servers/srv-4711/reinstall/confirm" and c.think_time_s > 20 for c in f.clickstream)
    # history table: the earlier sessions, most recent first
    assert f.history[0].session.start > f.history[-1].session.start
    assert f.history[0].same_browser == "same" and f.history[0].same_network == "same"


def test_founding_story_claims(story):
    _, inv = story
    rescue, suse, centos = inv.claims
    assert (rescue.language, rescue.action, rescue.classification) == ("de", "rescue_enable", "different_year")
    assert [m.year for m in rescue.matches] == [2025]
    assert rescue.matches[0].event.ts.date() == dt.date(2025, 3, 19)
    assert (suse.action, suse.classification, suse.matches[0].year) == ("reinstall", "different_year", 2025)
    assert suse.matches[0].event.detail["os"].startswith("SUSE")
    assert (centos.classification, centos.matches[0].days_off, centos.matches[0].signed_days) == ("off_by_days", 1, -1)
    assert centos.matches[0].event.ts.date() == dt.date(2026, 3, 22)
    assert "1 day earlier" in centos.explanation
    assert all(c.covered for c in inv.claims)


def test_without_period_the_earlier_actions_are_examined_too(story):
    case, _ = story
    inv = investigate(case, cb.HOLDER)
    events = sorted((f.action.ts.date().isoformat(), f.action.event) for f in inv.findings)
    assert events == [("2025-03-19", "rescue_enable"), ("2025-03-20", "reinstall"),
                      ("2025-03-20", "rescue_disable"), ("2026-03-22", "reinstall")]
    # the March 2025 actions were his own as well (enough history before them? only two sessions)
    assert {f.assessment for f in inv.findings} <= {"account_holder", "inconclusive"}
    assert [f.assessment for f in inv.findings if f.action.ts.year == 2026] == ["account_holder"]


def test_password_reset_from_new_country_then_reinstall(tmp_path_factory):
    case = _case(tmp_path_factory, cb.password_reset_takeover)
    inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    f = _only(inv)
    assert f.assessment == "compromise_suspected"
    changes = _ind(f, "account_changes")
    assert changes.result == "mismatch" and changes.direction == "other" and changes.data["weight"] == "strong"
    assert [e.event for e in f.account_changes] == ["password_reset_request", "password_reset"]
    assert "Russia" in changes.observed
    assert _ind(f, "browser_fingerprint").result == "mismatch"
    assert _ind(f, "network").result == "mismatch"
    assert _ind(f, "prior_activity").result == "absent"


def test_brute_forced_login(tmp_path_factory):
    case = _case(tmp_path_factory, cb.brute_forced)
    inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    f = _only(inv)
    assert f.assessment == "compromise_suspected"
    fl = _ind(f, "failed_logins")
    assert fl.result == "mismatch" and fl.data["weight"] == "strong" and fl.data["brute_force"]
    assert fl.data["counts"]["1h"]["panel_account"] == 40
    assert fl.data["counts"]["1h"]["ssh"] == 8          # sshd failures from the same address
    assert len(fl.data["sources"]) == 12
    assert fl.data["min_interval_s"] < 1
    assert f.session.ip in fl.data["sources"]
    assert {e.source_kind for e in f.failed_logins} == {"panel", "ssh"}
    assert _ind(f, "anonymiser").result == "mismatch"


def test_stolen_session_cookie(tmp_path_factory):
    case = _case(tmp_path_factory, cb.stolen_cookie)
    inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    f = _only(inv)
    assert f.assessment == "compromise_suspected"
    sc = _ind(f, "session_consistency")
    assert sc.result == "mismatch" and sc.data["foreign_ips"] == ["91.240.118.5"]
    assert "Seychelles" in sc.observed
    # the login itself was the holder's: the tool says that too
    assert _ind(f, "browser_fingerprint").result == "match"
    assert _ind(f, "network").result == "match"
    assert f.action.ip == "91.240.118.5"


def test_staff_impersonation_names_who_and_ticket(tmp_path_factory):
    case = _case(tmp_path_factory, cb.staff_impersonation)
    inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    f = _only(inv)
    assert f.assessment == "staff"
    text = " ".join(f.key_facts)
    assert "j.novak" in text and "10.20.0.15" in text and "T-20260322-17" in text
    assert f.session.auth == "impersonation"
    assert [e.event for e in f.staff_activity] == ["impersonate_start", "reinstall", "impersonate_end"]


def test_api_key_used_as_usual(tmp_path_factory):
    case = _case(tmp_path_factory, cb.api_as_usual)
    inv = investigate(case, cb.API_ACCOUNT, action="reboot", since="2026-03-20")
    f = _only(inv, "reboot")
    assert f.assessment == "account_holder_automation"
    usage = _ind(f, "api_key_usage")
    assert usage.result == "match" and usage.data["earlier_uses"] == 7


def test_api_key_from_a_network_never_seen(tmp_path_factory):
    case = _case(tmp_path_factory, cb.api_key_leaked)
    inv = investigate(case, cb.API_ACCOUNT, since="2026-03-20")
    f = _only(inv)
    assert f.assessment == "compromise_suspected"
    usage = _ind(f, "api_key_usage")
    assert usage.result == "mismatch" and usage.data["weight"] == "strong"
    assert "United Kingdom" in usage.observed


def test_system_job(tmp_path_factory):
    case = _case(tmp_path_factory, cb.system_job)
    inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    f = _only(inv)
    assert f.assessment == "system"
    assert f.session is None
    assert any("hv-migration-2026-03" in k for k in f.key_facts)


def test_login_in_a_coverage_gap_is_inconclusive(tmp_path_factory):
    case = _case(tmp_path_factory, cb.login_in_gap)
    inv = investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01")
    f = _only(inv)
    assert f.assessment == "inconclusive"
    assert any("s-lost" in m for m in f.missing)
    assert any("gap" in m and "2026-03-16T03:00:00+00:00" in m for m in f.missing)
    # "no failed logins" is not claimed for a week the panel log does not cover
    fl = _ind(f, "failed_logins")
    assert fl.result == "unknown" and "gap from 2026-03-16T03:00:00+00:00" in fl.explanation
    # the rotation boundary is a gap of the later file
    gaps = [g for s in inv.coverage for g in s.gaps]
    assert [(g.kind, g.path) for g in gaps] == [("between_files", "panel-audit.jsonl.1 -> panel-audit.jsonl")]


def test_thin_history_is_inconclusive_not_blamed(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b, start="2026-03-01", end="2026-03-31")
    cb.holder_networks(b)
    cb.browse_session(b, "2026-03-10T19:00:00+01:00", session="n1", ip="84.132.10.7", ua=cb.FIREFOX_124_WIN)
    cb.browse_session(b, "2026-03-22T09:14:03+01:00", session="n2", ip="84.132.10.99", ua=cb.FIREFOX_124_WIN,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})])
    with b.build() as case:
        f = _only(investigate(case, cb.HOLDER))
    assert f.assessment == "inconclusive"
    assert any("only 1 earlier session" in m for m in f.missing)
    assert _ind(f, "baseline_size").result == "partial"


def test_holders_own_password_reset_is_not_called_a_takeover(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b)
    cb.holder_history(b)
    b.panel("2026-03-22T18:01:10+00:00", cb.HOLDER, "password_reset", user=cb.HOLDER_USER, ip="84.132.10.7",
            user_agent=cb.FIREFOX_124_WIN)
    with b.build() as case:
        f = _only(investigate(case, cb.HOLDER, since="2026-03-01"), "password_reset")
    assert f.assessment == "inconclusive"
    assert any("e-mailed link" in m and "84.132.10.7" in m for m in f.missing)
    assert not [i for i in f.indicators if i.direction == "other"]


def test_sshd_repeated_messages_count_as_many_failures(tmp_path):
    """rsyslog folds identical lines into "message repeated N times": N failures, not one."""
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b)
    cb.holder_history(b)
    b.ip("45.95.147.30", asn=49870, as_org="Alsycon B.V.", network="45.95.147.0/24", country="NL",
         country_name="Netherlands", city="Amsterdam", lat=52.37, lon=4.90, hosting=True)
    b.ssh("2026-03-22T01:10:00+00:00", "ssh_login", result="failure", ip="45.95.147.30", user="root")
    b.ssh("2026-03-22T01:10:05+00:00", "ssh_login", result="failure", ip="45.95.147.30", user="root", repeated=14)
    cb.browse_session(b, "2026-03-22T01:30:00+00:00", session="s-rep", ip="45.95.147.30", ua=cb.CHROME_122_MAC,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "Debian 12"})])
    with b.build() as case:
        f = _only(investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01"))
    fl = _ind(f, "failed_logins")
    assert fl.data["counts"]["1h"]["ssh"] == 15 and fl.data["failures"] == 15
    assert any("message repeated 14 times" in e.raw for e in f.failed_logins)
    assert (fl.conclusion, fl.weight) == ("guessed", "strong")
    assert f.assessment == "compromise_suspected"


def _two_logins(tmp_path, radius):
    """Two logins ~420 km apart within 0.4 h, from mobile carrier addresses with `radius` km accuracy."""
    tmp_path.mkdir()
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b)
    cb.holder_history(b)
    for ip, lat, lon in (("80.187.10.1", 52.52, 13.40), ("80.187.99.7", 50.11, 8.68)):
        b.ip(ip, asn=3320, as_org="Deutsche Telekom AG", network="80.187.0.0/16", country="DE",
             country_name="Germany", lat=lat, lon=lon, radius=radius)
    cb.browse_session(b, "2026-03-22T09:00:00+00:00", session="m1", ip="80.187.10.1", ua=cb.FIREFOX_124_WIN)
    cb.browse_session(b, "2026-03-22T09:24:00+00:00", session="m2", ip="80.187.99.7", ua=cb.FIREFOX_124_WIN,
                      actions=[("reboot", f"/servers/{cb.SERVER}/power", None)])
    with b.build() as case:
        return _only(investigate(case, cb.HOLDER, action="reboot", since="2026-03-01"), "reboot")


def test_travel_respects_the_accuracy_radius(tmp_path):
    wide = _ind(_two_logins(tmp_path / "wide", 500), "travel")
    assert wide.conclusion == "possible" and 400 < wide.data["km"] < 430
    assert wide.data["accuracy_radii_km"] == 1000 and wide.data["km_beyond_accuracy"] == 0
    narrow = _ind(_two_logins(tmp_path / "narrow", 5), "travel")
    assert narrow.conclusion == "impossible" and narrow.direction == "other"


def test_holder_facts_only_copyable_is_inconclusive(tmp_path):
    """His exact browser string and login name from an ISP he never used: nothing hard to copy."""
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b)
    cb.holder_history(b)
    b.ip("95.90.1.20", asn=3209, as_org="Vodafone GmbH", network="95.88.0.0/14", country="DE",
         country_name="Germany", city="Berlin", lat=52.52, lon=13.40)
    cb.browse_session(b, "2026-03-22T19:14:03+01:00", session="s-cp", ip="95.90.1.20", ua=cb.FIREFOX_124_WIN,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})])
    with b.build() as case:
        f = _only(investigate(case, cb.HOLDER, action="reinstall", since="2026-03-01"))
    assert f.assessment == "inconclusive" and f.holder_evidence == []
    assert _ind(f, "browser_fingerprint").producible == "copyable"
    assert any("only facts another party can copy" in m for m in f.missing)


def _scripted_session(b, when: str, session: str, ip: str):
    """The holder's own script driving the panel with his browser's string: login, reboot in 2 s."""
    t = dt.datetime.fromisoformat(when)

    def at(sec):
        return (t + dt.timedelta(seconds=sec)).isoformat()

    ua = cb.FIREFOX_124_WIN
    b.http(at(0), ip, "POST", "/login", status=302, user_agent=ua, session=session)
    b.panel(at(0), cb.HOLDER, "login", user=cb.HOLDER_USER, auth="password", session=session, ip=ip, user_agent=ua)
    b.http(at(1), ip, "POST", f"/servers/{cb.SERVER}/power", status=302, user_agent=ua, session=session)
    b.http(at(1), ip, "POST", f"/servers/{cb.SERVER}/power/confirm", status=302, user_agent=ua, session=session)
    b.panel(at(2), cb.HOLDER, "reboot", user=cb.HOLDER_USER, session=session, ip=ip, user_agent=ua, target=cb.SERVER)
    b.http(at(2), ip, "GET", f"/servers/{cb.SERVER}", user_agent=ua, session=session)
    b.http(at(2), ip, "GET", "/logout", status=302, user_agent=ua, session=session)
    b.panel(at(2), cb.HOLDER, "logout", user=cb.HOLDER_USER, session=session, ip=ip, user_agent=ua)


def test_a_holder_whose_own_history_is_scripted_is_not_blamed_for_his_script(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b)
    cb.holder_networks(b)
    for n, day in enumerate(("2025-10-01", "2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01")):
        _scripted_session(b, f"{day}T04:00:00+00:00", f"cron-{n}", "84.132.10.7")
    _scripted_session(b, "2026-03-22T04:00:00+00:00", "cron-x", "84.132.10.99")
    with b.build() as case:
        f = _only(investigate(case, cb.HOLDER, action="reboot", since="2026-03-15"), "reboot")
    cs = _ind(f, "clickstream")
    assert f.clickstream_verdict == "automated"
    assert (cs.conclusion, cs.direction) == ("automated_as_usual", "neutral") and cs.data["holder_scripted"]
    assert f.assessment == "account_holder" and f.holder_evidence == ["network_continuity"]
