"""Hand-built `Investigation` objects for the report tests.

The founding story, as the investigation stage would return it: account
K-10023 disputes a reinstall.  The customer wrote that the provider "used the
rescue system on 19.03." and "reinstalled on 20.03."; the logs show the
March 19/20 rescue and reinstall were his own actions a year earlier
(2024-03-19/20), and the disputed reinstall was on 2025-03-22 in a session of
his own (his password, his usual Firefox, his usual ISP range, a human
click-stream).  A third action, an SSH key added on 2025-03-25 from a hosting
network with a headless browser after a burst of failed logins, is assessed
`compromise_suspected`, so the report has both kinds of answer to render.

Every EventRef carries a path, a line number and a raw line in the format it
came from, so the appendix and the citations are realistic.
"""

from __future__ import annotations

import datetime as dt

from forensics.investigate.model import (
    ActionFinding,
    BrowserFacts,
    ClaimMatch,
    ClaimResult,
    Click,
    EventRef,
    Gap,
    HistoryRow,
    Indicator,
    Investigation,
    IpFacts,
    Session,
    SourceCoverage,
)

UTC = dt.timezone.utc
ACCOUNT = "K-10023"
HOLDER = "jan.novak"
HOLDER_IP = "203.0.113.45"
HOLDER_IP_OTHER = "203.0.113.17"     # same /24, an earlier DHCP lease
ATTACKER_IP = "198.51.100.77"
STAFF_IP = "192.0.2.10"
STAFF_NAME = "m.keller"
STAFF_NOTE = "customer angry, see internal ticket 4711, do not refund"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:136.0) Gecko/20100101 Firefox/136.0"
FIREFOX_OLD = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0"
HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/122.0.0.0 Safari/537.36"
PANEL_LOG = "logs/panel-audit.log"
ACCESS_LOG = "logs/panel-access.log"
SSH_LOG = "logs/auth.log"
CLAIMS = ["You used the rescue system on 19.03. without asking", "and reinstalled my server on 20.03."]

HOSTILE_UA = (
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://evil.example/x.css">'
    '<style>@import url(http://evil.example/i.css); body{background:url(file:///etc/shadow)}</style>'
    '<script>alert(1)</script>'
)
HOSTILE_USER = '<b>root</b><iframe src="http://evil.example/"></iframe>'


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


class _Lines:
    """Hands out line numbers per file, so citations are unique and plausible."""

    def __init__(self):
        self.next = {PANEL_LOG: 1000, ACCESS_LOG: 40000, SSH_LOG: 500}
        self.next_id = 1

    def take(self, path: str) -> tuple[int, int]:
        self.next[path] += 7
        self.next_id += 1
        return self.next_id, self.next[path]


def _panel(lines, ts, event, *, user=HOLDER, actor="customer", ip=HOLDER_IP, session=None, target="vps-5521",
           result="success", auth=None, detail=None, account=ACCOUNT) -> EventRef:
    event_id, line_no = lines.take(PANEL_LOG)
    raw = (f"{ts.isoformat()} panel[812]: event={event} account={account} user={user} actor={actor} "
           f"session={session or '-'} ip={ip} target={target} result={result}")
    if detail and "note" in detail:
        raw += f' note="{detail["note"]}"'
    return EventRef(event_id=event_id, ts=ts, source_id=1, path=PANEL_LOG, line_no=line_no, raw=raw,
                    source_kind="panel", event=event, result=result, account=account, actor=actor, user=user,
                    auth=auth, session=session, ip=ip, target=target, detail=detail)


def _http(lines, ts, method, path, *, ip=HOLDER_IP, ua=FIREFOX, status=200, session=None, user=HOLDER,
          referrer="https://panel.example.net/vps/5521") -> EventRef:
    event_id, line_no = lines.take(ACCESS_LOG)
    local = ts.astimezone(dt.timezone(dt.timedelta(hours=1)))
    stamp = local.strftime("%d/%b/%Y:%H:%M:%S +0100")
    raw = f'{ip} - {user} [{stamp}] "{method} {path} HTTP/1.1" {status} 512 "{referrer}" "{ua}"'
    return EventRef(event_id=event_id, ts=ts, source_id=2, path=ACCESS_LOG, line_no=line_no, raw=raw,
                    source_kind="http", event="http_request", account=ACCOUNT, user=user, session=session,
                    ip=ip, user_agent=ua, method=method, http_path=path, status=status, referrer=referrer)


def _login(lines, ts, *, ip=HOLDER_IP, session, result="success", user=HOLDER, ua=FIREFOX, auth="password") -> EventRef:
    ref = _panel(lines, ts, "login", ip=ip, session=session,
                 result=result, auth=auth, user=user, target=None)
    ref.user_agent = ua
    return ref


def holder_ip_facts(ip=HOLDER_IP) -> IpFacts:
    return IpFacts(ip=ip, prefix="203.0.113.0/24", asn=64500, as_org="Example Telecom a.s.", network="203.0.112.0/22",
                   isp="Example Telecom", country_iso="CZ", country_name="Czechia", city="Brno",
                   time_zone="Europe/Prague", is_private=False)


def attacker_ip_facts() -> IpFacts:
    return IpFacts(ip=ATTACKER_IP, prefix="198.51.100.0/24", asn=64511, as_org="Cheap VPS Hosting B.V.",
                   network="198.51.100.0/22", isp="Cheap VPS Hosting", country_iso="NL", country_name="Netherlands",
                   time_zone="Europe/Amsterdam", is_private=False, anonymiser=["hosting"])


def firefox_facts(ua=FIREFOX, major="136") -> BrowserFacts:
    return BrowserFacts(user_agent=ua, browser_family="Firefox", browser_major=major, browser_version=f"{major}.0",
                        os_family="Windows", os_version="10", device_class="pc", automation_class="browser",
                        fingerprint_family="Firefox|Windows|pc")


def headless_facts(ua=HEADLESS) -> BrowserFacts:
    return BrowserFacts(user_agent=ua, browser_family="HeadlessChrome", browser_major="122", os_family="Linux",
                        device_class="pc", automation_class="headless", automation_tool="HeadlessChrome",
                        fingerprint_family="HeadlessChrome|Linux|pc")


def _history_sessions(lines) -> list[Session]:
    """A year of the holder's own sessions: roughly every nine days, evenings, Firefox, his ISP."""
    sessions = []
    start = t("2024-03-19T18:40:02+00:00")
    for i in range(40):
        begin = start + dt.timedelta(days=9 * i, minutes=(i * 37) % 200)
        ip = HOLDER_IP_OTHER if i % 3 == 0 else HOLDER_IP
        ua = FIREFOX_OLD if i < 20 else FIREFOX
        sid = f"s-{1000 + i}"
        login = _login(lines, begin, ip=ip, session=sid, ua=ua)
        actions = []
        if i == 0:
            actions.append(_panel(lines, begin + dt.timedelta(minutes=4), "rescue_enable", ip=ip, session=sid))
        if i == 1:
            # 2024-03-20: the holder's own reinstall a year before the dispute.
            begin = t("2024-03-20T19:12:44+00:00")
            login = _login(lines, begin, ip=ip, session=sid, ua=ua)
            actions.append(_panel(lines, begin + dt.timedelta(minutes=6), "reinstall", ip=ip, session=sid))
        sessions.append(Session(
            session_id=sid, account=ACCOUNT, user=HOLDER, actor="customer", auth="password", ip=ip,
            user_agent=ua, start=begin, end=begin + dt.timedelta(minutes=12 + i % 9), end_reason="logout",
            login=login, actions=actions, ip_facts=holder_ip_facts(ip),
            browser=firefox_facts(ua, "124" if i < 20 else "136"),
        ))
    return sessions


def _indicators_holder(login: EventRef, clicks: list[EventRef]) -> list[Indicator]:
    return [
        Indicator("credential", "Credential used", "password (no MFA configured)", "password in 40 of 40 earlier logins",
                  "match", "holder", "The login used the account's own password, as in every earlier login.", [login]),
        Indicator("failed_logins", "Failed logins before the session", "0 in the 24 h before the login", "0-1 per month",
                  "match", "holder", "No failed login preceded the session: nobody was guessing the password.", []),
        Indicator("network", "Address and network", f"{HOLDER_IP}, AS64500 Example Telecom a.s., 203.0.112.0/22",
                  "27 of 40 earlier sessions in 203.0.113.0/24, 40 of 40 in AS64500",
                  "match", "holder", "The address lies in the prefix and ISP network the holder used all year.", [login]),
        Indicator("travel", "Travel speed since the previous login", "CZ Czechia, 0 km", "CZ in 40 of 40", "match",
                  "holder", "The same country as every earlier session.", []),
        Indicator("browser_fingerprint", "Browser", "Firefox 136 on Windows 10, pc", "Firefox on Windows in 40 of 40",
                  "match", "holder", "The holder's usual browser family, operating system and device class.", clicks[:1]),
        Indicator("clickstream", "Click-stream", "14 requests, think times 3-41 s, assets loaded", "human navigation",
                  "match", "holder", "A person navigated the panel page by page before confirming the reinstall.", clicks[:3]),
        Indicator("account_changes", "Account changes before the action", "none in the 30 days before", "-",
                  "absent", "neutral", "No password, e-mail or key change preceded the action.", []),
        Indicator("staff_activity", "Staff activity", "1 read-only view, 2025-03-21", "-",
                  "absent", "neutral", "Staff only viewed the account; no staff action changed the server.", []),
    ]


def build_investigation(*, hostile: bool = False) -> Investigation:
    """The founding story as an Investigation (see module docstring).

    Args:
        hostile: put HTML/CSS/URL payloads into the attacker's User-Agent and
            user name (the safe-rendering tests).
    """
    lines = _Lines()
    history = _history_sessions(lines)

    # -- the disputed session: 2025-03-22, the holder's own --------------------
    d_start = t("2025-03-22T13:51:08+00:00")
    d_sid = "s-9f3a"
    d_login = _login(lines, d_start, session=d_sid)
    pages = ["/", "/vps", "/vps/5521", "/vps/5521/rescue", "/vps/5521/rescue/enable", "/vps/5521",
             "/vps/5521/reinstall", "/vps/5521/reinstall/os", "/vps/5521/reinstall/confirm", "/vps/5521/reinstall"]
    think = [None, 6.2, 11.8, 24.5, 8.1, 41.0, 17.3, 29.9, 12.4, 3.6]
    clicks: list[Click] = []
    ts = d_start + dt.timedelta(seconds=2)
    for i, (page, gap) in enumerate(zip(pages, think)):
        ts = ts + dt.timedelta(seconds=gap or 0)
        method = "POST" if page.endswith(("enable", "confirm")) else "GET"
        ref = _http(lines, ts, method, page, session=d_sid, status=302 if method == "POST" else 200)
        clicks.append(Click(ref=ref, think_time_s=gap, is_asset=False))
        if i in (0, 2):
            asset = _http(lines, ts + dt.timedelta(milliseconds=300), "GET", "/static/app.css", session=d_sid)
            clicks.append(Click(ref=asset, think_time_s=0.3, is_asset=True))
    rescue_ts = clicks[5].ref.ts + dt.timedelta(seconds=1)
    reinstall_ts = t("2025-03-22T14:03:11+00:00")
    rescue = _panel(lines, rescue_ts, "rescue_enable", session=d_sid)
    reinstall = _panel(lines, reinstall_ts, "reinstall", session=d_sid, detail={"os": "debian-12"})
    d_session = Session(session_id=d_sid, account=ACCOUNT, user=HOLDER, actor="customer", auth="password",
                        ip=HOLDER_IP, user_agent=FIREFOX, start=d_start, end=t("2025-03-22T14:09:40+00:00"),
                        end_reason="logout", login=d_login, actions=[rescue, reinstall],
                        ip_facts=holder_ip_facts(), browser=firefox_facts())

    # staff looked at the account the day before (read-only), with an internal note
    staff_view = _panel(lines, t("2025-03-21T09:14:55+00:00"), "account_view", user=STAFF_NAME, actor="staff",
                        ip=STAFF_IP, session="st-77", target=ACCOUNT, detail={"note": STAFF_NOTE, "ticket": "4711"})

    def history_rows(reference: Session) -> list[HistoryRow]:
        rows = []
        for s in history:
            same_ip = "same" if s.ip == reference.ip else ("partial" if s.ip and reference.ip and
                                                           s.ip.rsplit(".", 1)[0] == reference.ip.rsplit(".", 1)[0] else "new")
            holderish = reference.ip_facts is not None and reference.ip_facts.asn == 64500
            rows.append(HistoryRow(
                session=s, same_ip=same_ip if holderish else "new",
                same_network="same" if holderish else "new",
                same_browser=("same" if s.user_agent == reference.user_agent else "partial") if holderish else "new",
                same_country="same" if holderish else "new", counts_for_prior_activity=holderish))
        return rows

    timeline = sorted([staff_view, d_login, rescue, reinstall] + [c.ref for c in clicks if not c.is_asset],
                      key=lambda r: r.ts)

    reinstall_finding = ActionFinding(
        action=reinstall, assessment="account_holder",
        reason="The reinstall was requested in a session of the account holder's own, by every measure available.",
        key_facts=[
            "The session began with a login with the account's own password; no failed login preceded it.",
            "The address 203.0.113.45 belongs to the holder's ISP range (AS64500), used in 40 of 40 earlier sessions.",
            "The browser (Firefox 136 on Windows 10) is the holder's usual one.",
            "A human click-stream (think times of 3-41 s) led through the reinstall dialog to the confirmation.",
        ],
        session=d_session, indicators=_indicators_holder(d_login, [c.ref for c in clicks]),
        history=history_rows(d_session), prior_activity=history[:2], failed_logins=[], account_changes=[],
        staff_activity=[staff_view], clickstream=clicks, clickstream_verdict="human", timeline=timeline)
    rescue_finding = ActionFinding(
        action=rescue, assessment="account_holder",
        reason="The rescue system was enabled in the same session of the holder's, eleven minutes before the reinstall.",
        key_facts=[
            "Enabled in session s-9f3a, the same session as the reinstall.",
            "Same login, same address 203.0.113.45, same Firefox 136 as the reinstall.",
            "The click-stream shows the rescue page opened and confirmed by hand.",
        ],
        session=d_session, indicators=_indicators_holder(d_login, [c.ref for c in clicks])[:6],
        history=history_rows(d_session)[-12:], prior_activity=history[:1], staff_activity=[staff_view],
        clickstream=clicks[:8], clickstream_verdict="human", timeline=timeline[:10])

    # -- the compromise: 2025-03-25, hosting network, headless, failed logins --------------
    a_ua = HOSTILE_UA if hostile else HEADLESS
    a_user = HOSTILE_USER if hostile else HOLDER
    failed = [_login(lines, t("2025-03-25T02:10:00+00:00") + dt.timedelta(seconds=9 * i), ip=ATTACKER_IP,
                     session=None, result="failure", ua=a_ua, user=a_user) for i in range(14)]
    a_start = t("2025-03-25T02:12:31+00:00")
    a_sid = "s-x71"
    a_login = _login(lines, a_start, ip=ATTACKER_IP, session=a_sid, ua=a_ua, user=a_user)
    a_clicks = []
    ts = a_start
    for i, page in enumerate(["/api/session", "/account/ssh-keys", "/account/ssh-keys/add", "/account/ssh-keys"]):
        gap = None if i == 0 else 0.4
        ts = ts + dt.timedelta(seconds=gap or 0.2)
        a_clicks.append(Click(ref=_http(lines, ts, "POST" if i == 2 else "GET", page, ip=ATTACKER_IP, ua=a_ua,
                                        session=a_sid, user=a_user, referrer="-"), think_time_s=gap, is_asset=False))
    key_add = _panel(lines, ts + dt.timedelta(seconds=1), "ssh_key_add", ip=ATTACKER_IP, session=a_sid, user=a_user,
                     target="vps-5521", detail={"fingerprint": "SHA256:Xq3b...9f"})
    a_session = Session(session_id=a_sid, account=ACCOUNT, user=a_user, actor="customer", auth="password",
                        ip=ATTACKER_IP, user_agent=a_ua, start=a_start, end=ts + dt.timedelta(seconds=30),
                        end_reason="open", login=a_login, actions=[key_add], ip_facts=attacker_ip_facts(),
                        browser=headless_facts(a_ua))
    pw_change = _panel(lines, t("2025-03-24T22:01:13+00:00"), "email_change", ip=ATTACKER_IP, session="s-x70",
                       user=a_user, target=ACCOUNT)
    compromise_finding = ActionFinding(
        action=key_add, assessment="compromise_suspected",
        reason="The SSH key was added from a hosting network by an automated client after 14 failed logins.",
        key_facts=[
            "14 failed logins from 198.51.100.77 in the two minutes before the successful login.",
            "198.51.100.77 belongs to a hosting network (AS64511, NL) never used by this account before.",
            "The client was a headless browser; requests followed each other within 0.4 s.",
            "The account's e-mail address had been changed from the same address the evening before.",
        ],
        session=a_session,
        indicators=[
            Indicator("failed_logins", "Failed logins before the session", "14 in 2 min", "0-1 per month", "mismatch",
                      "other", "A burst of failed logins preceded the session: someone was guessing.", failed[:3]),
            Indicator("network", "Address and network", f"{ATTACKER_IP}, AS64511 Cheap VPS Hosting B.V.",
                      "203.0.113.0/24, AS64500 in 40 of 40", "mismatch", "other",
                      "The address and network were never used by this account.", [a_login]),
            Indicator("anonymiser", "Anonymiser or hosting address", "hosting network", "none in 40 of 40",
                      "mismatch", "other", "A hosting network, not a consumer ISP.", [a_login]),
            Indicator("browser_fingerprint", "Browser", "HeadlessChrome 122 on Linux", "Firefox on Windows in 40 of 40",
                      "mismatch", "other", "An automation tool, not the holder's browser.", [a_clicks[0].ref]),
            Indicator("clickstream", "Click-stream", "4 requests within 1.4 s, no assets", "human navigation",
                      "mismatch", "other", "The requests came faster than a person can read a page.", [c.ref for c in a_clicks]),
            Indicator("credential", "Credential used", "password", "password", "match", "neutral",
                      "The correct password was used in the end (possibly guessed or leaked).", [a_login]),
        ],
        history=history_rows(a_session)[-8:], failed_logins=failed, account_changes=[pw_change],
        staff_activity=[], clickstream=a_clicks, clickstream_verdict="automated",
        timeline=sorted(failed[-3:] + [pw_change, a_login, key_add] + [c.ref for c in a_clicks], key=lambda r: r.ts))

    claims = [
        ClaimResult(text=CLAIMS[0], language="en", dates=[dt.date(2025, 3, 19), dt.date(2024, 3, 19)],
                    day_months=[(19, 3)], year_given=False, action="rescue_enable", classification="different_year",
                    matches=[ClaimMatch(event=history[0].actions[0], classification="different_year", days_off=0, year=2024)],
                    covered=True,
                    explanation="No rescue activation on 2025-03-19; the holder's own activation on 2024-03-19, one year earlier."),
        ClaimResult(text=CLAIMS[1], language="en", dates=[dt.date(2025, 3, 20)], day_months=[(20, 3)],
                    year_given=False, action="reinstall", classification="off_by_days",
                    matches=[ClaimMatch(event=reinstall, classification="off_by_days", days_off=2, year=2025),
                             ClaimMatch(event=history[1].actions[0], classification="different_year", days_off=0, year=2024)],
                    covered=True,
                    explanation="The nearest reinstall is 2025-03-22, two days later, in the holder's own session."),
    ]
    coverage = [
        SourceCoverage(1, PANEL_LOG, "panel", "panel_native", "a3f1" * 16, t("2024-03-01T00:00:04+00:00"),
                       t("2025-03-31T23:58:10+00:00"), [], tz_decision="in-line offsets (+00:00)",
                       year_decision=None, lines_read=48211, events_parsed=48190, lines_rejected=21),
        SourceCoverage(2, ACCESS_LOG, "http", "combined", "7c2e" * 16, t("2024-03-01T00:00:11+00:00"),
                       t("2025-03-31T23:59:59+00:00"), [Gap(t("2024-08-02T03:00:00+00:00"), t("2024-08-06T11:20:00+00:00"))],
                       tz_decision="in-line offsets (+0100/+0200)", lines_read=912334, events_parsed=912334, lines_rejected=0),
        SourceCoverage(3, SSH_LOG, "ssh", "syslog_rfc3164", "19bd" * 16, t("2024-09-30T06:25:01+00:00"),
                       t("2025-03-31T23:51:40+00:00"), [], tz_decision="--tz Europe/Prague (given on the command line)",
                       year_decision="inferred from file mtime 2025-04-01 with roll-over at 2025-01-01",
                       lines_read=70450, events_parsed=70102, lines_rejected=348),
    ]
    all_sessions = history + [d_session, a_session]
    return Investigation(
        account=ACCOUNT,
        parameters={"action": None, "target": None, "since": "2024-03-01", "until": "2025-04-01",
                    "tz": "Europe/Prague", "claims": list(CLAIMS)},
        generated_at=t("2025-04-02T08:00:00+00:00"), tool_version="0.1.0",
        findings=[reinstall_finding, rescue_finding, compromise_finding], claims=claims, coverage=coverage,
        geoip_databases=[
            {"type": "GeoLite2-ASN", "build_date": "2025-03-28T00:00:00+00:00", "sha256": "55aa" * 16, "path": "geo/GeoLite2-ASN.mmdb"},
            {"type": "GeoLite2-City", "build_date": "2025-03-28T00:00:00+00:00", "sha256": "66bb" * 16, "path": "geo/GeoLite2-City.mmdb"},
        ],
        isp_data_available=True,
        thresholds={"enrich": {"ipv4_prefix": 24, "ipv6_prefix": 48}, "sessions": {"idle_timeout_minutes": 30},
                    "coverage": {"max_gap_hours": 72}},
        queries_used=["sessions_for_account", "failed_logins_before", "account_changes_before", "staff_activity",
                      "clickstream", "history_identifiers"],
        sessions=all_sessions,
        notes=["The sshd log has no year; the year was inferred (see Log coverage)."],
    )
