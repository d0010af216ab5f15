"""Build small cases for investigation tests without the ingest/enrich stages.

Rows are written the way the real stages write them: every event belongs to a
source file (with SHA-256, line counts, first/last time), carries its 1-based
line number and a realistic raw line in the file's own format (native panel
JSON Lines, combined access log, RFC 3339 sshd syslog); `user_agents` and
`ip_info` rows carry what enrichment would have found.

    b = CaseBuilder(tmp_path / "case.duckdb")
    b.ip("84.132.10.7", asn=3320, as_org="Deutsche Telekom AG", network="84.128.0.0/10", country="DE")
    b.panel("2026-03-22T09:14:03+01:00", "K-1", "login", ip="84.132.10.7", user_agent=FIREFOX_WIN)
    case = b.build()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json

import pandas as pd
from dataclasses import dataclass, field

from forensics.case import Case, write_source_hours

UTC = dt.timezone.utc

FIREFOX_124_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0"
FIREFOX_123_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0"
FIREFOX_115_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0"
CHROME_122_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36")
HEADLESS_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "HeadlessChrome/120.0.6099.109 Safari/537.36")
PYTHON_REQUESTS = "python-requests/2.31.0"
CURL = "curl/8.5.0"

# What the enrich stage says about the strings above.
KNOWN_UAS = {
    FIREFOX_124_WIN: ("Firefox", "124.0", "124", "Windows", "10", "pc", "browser", None),
    FIREFOX_123_WIN: ("Firefox", "123.0", "123", "Windows", "10", "pc", "browser", None),
    FIREFOX_115_WIN: ("Firefox", "115.0", "115", "Windows", "10", "pc", "browser", None),
    CHROME_122_MAC: ("Chrome", "122.0.0", "122", "Mac OS X", "10.15.7", "pc", "browser", None),
    HEADLESS_CHROME: ("HeadlessChrome", "120.0.6099", "120", "Linux", None, "pc", "headless", "HeadlessChrome"),
    PYTHON_REQUESTS: ("Python Requests", "2.31", "2", "Other", None, "other", "library", "python-requests"),
    CURL: ("curl", "8.5.0", "8", "Other", None, "other", "library", "curl"),
}


def ts(text: str) -> dt.datetime:
    """Parse ISO 8601 (offset required) into aware UTC."""
    value = dt.datetime.fromisoformat(text)
    assert value.tzinfo is not None, "give test times with an offset"
    return value.astimezone(UTC)


@dataclass
class _Source:
    path: str
    fmt: str
    kind: str
    host: str | None
    lines: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


class CaseBuilder:
    """Collects events per source file, then writes the case in one go."""

    def __init__(self, path, *, panel_file="panel-audit.jsonl", http_file="panel-access.log",
                 ssh_file="auth.log", host="srv-4711"):
        self.path = path
        self.default_files = {"panel": panel_file, "http": http_file, "ssh": ssh_file}
        self.host = host
        self.sources: dict[str, _Source] = {}
        self.ips: dict[str, dict] = {}
        self.event_id = 0

    # -- sources ----------------------------------------------------------
    def _source(self, kind: str, file: str | None) -> _Source:
        path = file or self.default_files[kind]
        if path not in self.sources:
            fmt = {"panel": "panel-jsonl", "http": "combined", "ssh": "sshd-rfc3339"}[kind]
            self.sources[path] = _Source(path, fmt, kind, self.host if kind == "ssh" else None)
        return self.sources[path]

    def _add(self, src: _Source, raw: str, row: dict) -> int:
        self.event_id += 1
        src.lines.append(raw)
        row.update(event_id=self.event_id, line_no=len(src.lines), raw=raw)
        src.rows.append(row)
        return self.event_id

    # -- events -----------------------------------------------------------
    def panel(self, when: str, account: str, event: str, *, result="success", actor="customer",
              user=None, auth=None, session=None, ip=None, user_agent=None, target=None,
              detail=None, file=None) -> int:
        """One native panel audit line (JSON Lines)."""
        record = {"ts": when, "account": account, "event": event}
        for key, value in (("result", result), ("actor", actor), ("user", user), ("auth", auth),
                           ("session", session), ("ip", ip), ("user_agent", user_agent),
                           ("target", target), ("detail", detail)):
            if value is not None:
                record[key] = value
        raw = json.dumps(record, ensure_ascii=False)
        t = ts(when)
        return self._add(self._source("panel", file), raw, dict(
            ts=t, ts_raw=when, source_kind="panel", event=event, result=result, account=account,
            actor=actor, user=user, auth=auth, session=session, ip=ip, user_agent=user_agent,
            target=target, detail=json.dumps(detail) if detail is not None else None))

    def http(self, when: str, ip: str, method: str, path: str, *, status=200, size=1234,
             referrer=None, user_agent=None, user=None, session=None, file=None) -> int:
        """One combined access-log line of the panel's web server."""
        t = ts(when)
        local = dt.datetime.fromisoformat(when)
        stamp = local.strftime("%d/%b/%Y:%H:%M:%S %z")
        raw = (f'{ip} - {user or "-"} [{stamp}] "{method} {path} HTTP/1.1" {status} {size} '
               f'"{referrer or "-"}" "{user_agent or "-"}"')
        detail = json.dumps({"session": session}) if session else None
        return self._add(self._source("http", file), raw, dict(
            ts=t, ts_raw=stamp, source_kind="http", event="http_request", ip=ip, user=user,
            method=method, path=path, status=status, bytes=size, referrer=referrer,
            user_agent=user_agent, detail=detail))

    def ssh(self, when: str, event: str, *, ip: str, user: str, result=None, auth=None,
            port=50000, file=None, pid=4242, repeated: int | None = None) -> int:
        """One sshd line in RFC 3339 syslog (Debian 12+ rsyslog); `repeated`: rsyslog's
        "message repeated N times: [ ... ]" (ingest records N as `detail.repeat_count`)."""
        t = ts(when)
        local = dt.datetime.fromisoformat(when)
        stamp = local.isoformat(timespec="microseconds")
        if event == "ssh_login" and result == "success":
            msg = f"Accepted {auth or 'password'} for {user} from {ip} port {port} ssh2"
        elif event == "ssh_login":
            msg = f"Failed {auth or 'password'} for {user} from {ip} port {port} ssh2"
        elif event == "ssh_invalid_user":
            msg = f"Invalid user {user} from {ip} port {port}"
            result = "failure"
        else:
            msg = f"Disconnected from user {user} {ip} port {port}"
        detail = None
        if repeated:
            msg, detail = f"message repeated {repeated} times: [ {msg}]", {"repeat_count": repeated}
        raw = f"{stamp} {self.host} sshd[{pid}]: {msg}"
        return self._add(self._source("ssh", file), raw, dict(
            ts=t, ts_raw=stamp, source_kind="ssh", event=event, result=result, user=user,
            auth=auth, ip=ip, port=port, host=self.host,
            detail=json.dumps(detail) if detail is not None else None))

    # -- enrichment ---------------------------------------------------------
    def ip(self, address: str, *, asn=None, as_org=None, network=None, isp=None, country=None,
           country_name=None, city=None, lat=None, lon=None, radius=20, vpn=False, hosting=False,
           tor=False, proxy=False):
        """What GeoIP databases say about an address."""
        addr = ipaddress.ip_address(address)
        plen = 24 if addr.version == 4 else 48
        prefix = str(ipaddress.ip_network(f"{address}/{plen}", strict=False))
        self.ips[address] = dict(
            ip=address, address=address, ip_version=addr.version, is_valid=True, is_private=addr.is_private,
            is_reserved=addr.is_reserved, is_loopback=addr.is_loopback, prefix=prefix, asn=asn,
            as_org=as_org, asn_network=network, isp=isp or as_org, organization=as_org,
            isp_network=network if isp else None, country_iso=country, country_name=country_name,
            city=city, latitude=lat, longitude=lon, accuracy_radius=radius if lat is not None else None,
            time_zone=None, geo_network=network, is_anonymous_vpn=vpn, is_hosting_provider=hosting,
            is_tor_exit_node=tor, is_public_proxy=proxy, is_anonymous=vpn or hosting or tor or proxy,
            is_residential_proxy=False, anon_network=network if (vpn or hosting or tor or proxy) else None,
            asn_db_id=1 if asn else None, isp_db_id=None, geo_db_id=1 if country else None,
            anon_db_id=1, looked_up_db_ids=[1], run_id=1, enriched_at=dt.datetime(2026, 11, 1, tzinfo=UTC))

    # -- write ---------------------------------------------------------------
    def build(self, *, with_geoip=True) -> Case:
        case = Case.open(self.path)
        con = case.con
        for source_id, src in enumerate(self.sources.values(), start=1):
            text = "\n".join(src.lines) + "\n"
            times = [r["ts"] for r in src.rows]
            con.execute(
                "INSERT INTO sources (source_id, path, abs_path, size_bytes, sha256, mtime, format, "
                "source_kind, host, compression, tz, tz_decision, tz_assumed, year_decision, lines_read, "
                "events_parsed, lines_rejected, lines_blank, invalid_utf8_lines, truncated, first_ts, "
                "last_ts, ingested_at, tool_version, assumptions) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'UTC', ?, false, NULL, ?, ?, 0, 0, 0, false, ?, ?, ?, 'test', '[]')",
                [source_id, src.path, f"/evidence/{src.path}", len(text.encode()),
                 hashlib.sha256(text.encode()).hexdigest(), max(times), src.fmt, src.kind, src.host,
                 "offsets written in every line", len(src.lines), len(src.lines), min(times), max(times),
                 dt.datetime(2026, 11, 1, tzinfo=UTC)])
            cols = ["event_id", "source_id", "line_no", "ts", "ts_raw", "source_kind", "event", "result",
                    "account", "actor", "user", "auth", "session", "ip", "port", "user_agent", "method",
                    "path", "status", "bytes", "referrer", "target", "host", "detail", "raw"]
            frame = pd.DataFrame([[{**r, "source_id": source_id}.get(c) for c in cols] for r in src.rows],
                                 columns=cols)
            frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
            for c in ("port", "status", "bytes"):
                frame[c] = frame[c].astype("Int64")
            con.register("_builder_rows", frame)
            con.execute(f"INSERT INTO event_rows ({', '.join(chr(34) + c + chr(34) for c in cols)}) "
                        f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM _builder_rows")
            con.unregister("_builder_rows")
            # as ingest does once a file's times are decided
            write_source_hours(con, [source_id])
        uas = sorted({r["user_agent"] for s in self.sources.values() for r in s.rows if r.get("user_agent")})
        for ua in uas:
            fam, ver, major, os_fam, os_ver, dclass, auto, tool = KNOWN_UAS.get(
                ua, ("Other", None, None, "Other", None, "other", "unknown", None))
            con.execute("INSERT INTO user_agents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [ua, fam, ver, major, os_fam, os_ver, "Other", None, None, dclass,
                         auto in ("library", "crawler"), auto, tool, ua, f"{fam}|{os_fam}|{dclass}", "test"])
        if with_geoip:
            con.execute("INSERT INTO geoip_databases (db_id, path, database_type, build_epoch, build_date, sha256, "
                        "ip_version, description, added_at) VALUES (1, 'GeoLite2-ASN-Test.mmdb', 'GeoLite2-ASN', "
                        "1700000000, TIMESTAMPTZ '2023-11-14 22:13:20+00', "
                        "'5f3c0c7d2f4b1e8a9d6c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e', 6, 'test', now())")
            for row in self.ips.values():
                cols = list(row)
                con.execute(f"INSERT INTO ip_info ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                            [row[c] for c in cols])
            con.execute("INSERT INTO enrich_runs (run_id, started_at, finished_at, new_user_agents, new_ips, "
                        "invalid_ips, geoip_db_ids, note) VALUES (1, now(), now(), ?, ?, 0, '1', NULL)",
                        [len(uas), len(self.ips)])
        else:
            for row in self.ips.values():
                con.execute("INSERT INTO ip_info (ip, ip_version, is_valid, is_private, prefix) VALUES (?,?,?,?,?)",
                            [row["ip"], row["ip_version"], True, row["is_private"], row["prefix"]])
            con.execute("INSERT INTO enrich_runs (run_id, started_at, finished_at, new_user_agents, new_ips, "
                        "invalid_ips, geoip_db_ids, note) VALUES (1, now(), now(), ?, ?, 0, '', "
                        "'no GeoIP database: ISP data unavailable')", [len(uas), len(self.ips)])
        return case


# ---------------------------------------------------------------------------
# Scenarios: one builder per assessment.  Other tests (report, demo) may reuse
# them.  Account K-10023 ("kunde10023") is the founding story's customer: a
# Telekom home line in Berlin, Firefox on Windows, server srv-4711.
# ---------------------------------------------------------------------------

HOLDER = "K-10023"
HOLDER_USER = "kunde10023"
SERVER = "srv-4711"
PANEL = "https://panel.example.net"


def _day_iter(start: dt.date, end: dt.date, skip=()):
    d = start
    while d <= end:
        if not any(a <= d <= b for a, b in skip):
            yield d
        d += dt.timedelta(days=1)


def filler(b: CaseBuilder, start="2025-01-01", end="2026-04-10", skip_panel=(), panel_file=None):
    """Other customers' daily life, so that the sources have no gaps."""
    for i, d in enumerate(_day_iter(dt.date.fromisoformat(start), dt.date.fromisoformat(end))):
        day = d.isoformat()
        if not any(a <= d <= b_ for a, b_ in skip_panel):
            b.panel(f"{day}T03:00:00+00:00", "K-00001", "notification_sent", actor="system", user="mailer",
                    detail={"template": "invoice"}, file=panel_file(d) if panel_file else None)
        b.http(f"{day}T03:00:01+00:00", "10.0.0.5", "GET", "/health", size=2, user_agent="kube-probe/1.29")
        b.ssh(f"{day}T04:{i % 60:02d}:00+00:00", "ssh_login", result="success", auth="publickey",
              ip="10.0.0.9", user="backup")


def holder_networks(b: CaseBuilder):
    b.ip("84.132.10.7", asn=3320, as_org="Deutsche Telekom AG", network="84.128.0.0/10", country="DE",
         country_name="Germany", city="Berlin", lat=52.52, lon=13.40)
    b.ip("84.132.10.99", asn=3320, as_org="Deutsche Telekom AG", network="84.128.0.0/10", country="DE",
         country_name="Germany", city="Berlin", lat=52.52, lon=13.40)
    b.ip("84.150.3.20", asn=3320, as_org="Deutsche Telekom AG", network="84.128.0.0/10", country="DE",
         country_name="Germany", city="Potsdam", lat=52.39, lon=13.06)


def browse_session(b: CaseBuilder, start: str, *, session: str, ip: str, ua: str, account=HOLDER,
                   user=HOLDER_USER, actions=(), logout=True, think=(14, 23, 9, 31, 12, 18), auth="password",
                   panel_ip=None, panel_ua=None):
    """A person's panel session: login page, dashboard with assets, pages, the actions, logout.

    `actions` are (event, path, detail) tuples; each is reached through its
    confirmation page and POSTed with that page as referrer.
    """
    t = dt.datetime.fromisoformat(start)

    def at(sec):
        return (t + dt.timedelta(seconds=sec)).isoformat()

    clock = 0
    b.http(at(clock), ip, "GET", "/login", user_agent=ua)
    b.http(at(clock + 1), ip, "GET", "/static/app.css", user_agent=ua, referrer=f"{PANEL}/login")
    clock += think[0]
    b.http(at(clock), ip, "POST", "/login", status=302, user_agent=ua, referrer=f"{PANEL}/login", session=session)
    b.panel(at(clock), account, "login", user=user, auth=auth, session=session, ip=ip, user_agent=ua)
    b.http(at(clock + 1), ip, "GET", "/dashboard", user_agent=ua, referrer=f"{PANEL}/login", session=session)
    b.http(at(clock + 1), ip, "GET", "/static/app.js", user_agent=ua, referrer=f"{PANEL}/dashboard", session=session)
    b.http(at(clock + 2), ip, "GET", "/static/logo.svg", user_agent=ua, referrer=f"{PANEL}/dashboard", session=session)
    clock += think[1]
    b.http(at(clock), ip, "GET", f"/servers/{SERVER}", user_agent=ua, referrer=f"{PANEL}/dashboard", session=session)
    ids = []
    for k, (event, path, detail) in enumerate(actions):
        clock += think[(2 + k) % len(think)]
        b.http(at(clock), ip, "GET", path, user_agent=ua, referrer=f"{PANEL}/servers/{SERVER}", session=session)
        clock += think[(3 + k) % len(think)]
        b.http(at(clock), ip, "GET", f"{path}/confirm", user_agent=ua, referrer=f"{PANEL}{path}", session=session)
        clock += think[(4 + k) % len(think)]
        b.http(at(clock), panel_ip or ip, "POST", path, status=303, user_agent=panel_ua or ua,
               referrer=f"{PANEL}{path}/confirm", session=session)
        ids.append(b.panel(at(clock), account, event, user=user, session=session, ip=panel_ip or ip,
                           user_agent=panel_ua or ua, target=SERVER, detail=detail))
        b.http(at(clock + 1), ip, "GET", f"/servers/{SERVER}", user_agent=ua, referrer=f"{PANEL}{path}/confirm",
               session=session)
    if logout:
        clock += think[-1]
        b.http(at(clock), ip, "GET", "/logout", status=302, user_agent=ua, session=session)
        b.panel(at(clock), account, "logout", user=user, session=session, ip=ip, user_agent=ua)
    return ids


def holder_history(b: CaseBuilder):
    """A year of the holder's own sessions, including the March 2025 rescue and SUSE reinstall."""
    holder_networks(b)
    dates = ["2025-01-10", "2025-02-12", "2025-04-10", "2025-06-15", "2025-09-01", "2025-11-05",
             "2026-01-15", "2026-02-20"]
    for n, day in enumerate(dates):
        ua = FIREFOX_115_WIN if day < "2026" else FIREFOX_124_WIN
        ip = "84.132.10.7" if n % 2 else "84.150.3.20"
        browse_session(b, f"{day}T19:{10 + n:02d}:00+01:00", session=f"h{n:02d}", ip=ip, ua=ua)
    browse_session(b, "2025-03-19T20:05:00+01:00", session="h-rescue", ip="84.132.10.7", ua=FIREFOX_115_WIN,
                   actions=[("rescue_enable", f"/servers/{SERVER}/rescue", {"os": "Rescue 64-bit"})])
    browse_session(b, "2025-03-20T08:40:00+01:00", session="h-suse", ip="84.132.10.7", ua=FIREFOX_115_WIN,
                   actions=[("rescue_disable", f"/servers/{SERVER}/rescue", None),
                            ("reinstall", f"/servers/{SERVER}/reinstall", {"os": "SUSE Linux Enterprise 15 SP6"})])


def founding_story(path) -> Case:
    """The reinstall on 2026-03-22 by the holder himself (account_holder)."""
    b = CaseBuilder(path)
    filler(b)
    holder_history(b)
    browse_session(b, "2026-03-22T09:14:03+01:00", session="s-7731", ip="84.132.10.99", ua=FIREFOX_124_WIN,
                   actions=[("reinstall", f"/servers/{SERVER}/reinstall", {"os": "CentOS 7"})])
    # Bots knock on the server's sshd, as they always do: not the account's doing.
    for k in range(6):
        b.ssh(f"2026-03-21T02:{k:02d}:11+00:00", "ssh_login", result="failure", ip="61.177.172.60", user="root")
    return b.build()


def password_reset_takeover(path) -> Case:
    """A password reset from a new country, a new browser, a reinstall minutes later."""
    b = CaseBuilder(path)
    filler(b)
    holder_history(b)
    b.ip("5.188.62.10", asn=49505, as_org="JSC Selectel", network="5.188.56.0/21", country="RU",
         country_name="Russia", city="Saint Petersburg", lat=59.94, lon=30.31)
    ua = CHROME_122_MAC
    b.panel("2026-03-22T02:01:10+00:00", HOLDER, "password_reset_request", user=HOLDER_USER, ip="5.188.62.10",
            user_agent=ua, detail={"via": "email"})
    b.panel("2026-03-22T02:03:40+00:00", HOLDER, "password_reset", user=HOLDER_USER, ip="5.188.62.10",
            user_agent=ua)
    browse_session(b, "2026-03-22T02:04:00+00:00", session="s-9001", ip="5.188.62.10", ua=ua,
                   actions=[("reinstall", f"/servers/{SERVER}/reinstall", {"os": "Ubuntu 22.04"})],
                   think=(4, 6, 3, 5, 4, 6))
    return b.build()


def brute_forced(path) -> Case:
    """Forty failed logins from a dozen addresses, then a success from one of them."""
    b = CaseBuilder(path)
    filler(b)
    holder_history(b)
    attackers = [f"45.95.147.{10 + k}" for k in range(12)]
    for a in attackers:
        b.ip(a, asn=49870, as_org="Alsycon B.V.", network="45.95.147.0/24", country="NL", country_name="Netherlands",
             city="Amsterdam", lat=52.37, lon=4.90, hosting=True)
    base = dt.datetime(2026, 3, 22, 1, 0, 0, tzinfo=UTC)
    for k in range(40):
        when = (base + dt.timedelta(seconds=k * 37 + (k % 3) * 0.4)).isoformat()
        b.panel(when, HOLDER, "login", result="failure", user=HOLDER_USER, auth="password",
                ip=attackers[k % 12], user_agent=CHROME_122_MAC, detail={"reason": "wrong password"})
    for k in range(8):
        b.ssh((base + dt.timedelta(seconds=k * 0.5)).isoformat(), "ssh_login", result="failure",
              ip=attackers[3], user="root")
    browse_session(b, "2026-03-22T01:30:00+00:00", session="s-6660", ip=attackers[3], ua=CHROME_122_MAC,
                   actions=[("reinstall", f"/servers/{SERVER}/reinstall", {"os": "Debian 12"})])
    return b.build()


def stolen_cookie(path) -> Case:
    """The holder logs in as always; the session is then used from another country and browser."""
    b = CaseBuilder(path)
    filler(b)
    holder_history(b)
    b.ip("91.240.118.5", asn=212283, as_org="Chang Way Technologies", network="91.240.118.0/24", country="SC",
         country_name="Seychelles", lat=-4.62, lon=55.45, hosting=True)
    browse_session(b, "2026-03-22T09:14:03+01:00", session="s-4242", ip="84.132.10.99", ua=FIREFOX_124_WIN,
                   actions=[("reinstall", f"/servers/{SERVER}/reinstall", {"os": "Debian 12"})],
                   panel_ip="91.240.118.5", panel_ua=CHROME_122_MAC, logout=False)
    return b.build()


def staff_impersonation(path) -> Case:
    """Support staff impersonate the account and reinstall, with a ticket."""
    b = CaseBuilder(path)
    filler(b)
    holder_history(b)
    b.ip("10.20.0.15")
    b.panel("2026-03-22T10:02:00+00:00", HOLDER, "impersonate_start", actor="staff", user="j.novak",
            auth="impersonation", session="imp-88", ip="10.20.0.15", user_agent=CHROME_122_MAC,
            detail={"ticket": "T-20260322-17", "reason": "customer asked by phone for a reinstall"})
    b.panel("2026-03-22T10:05:30+00:00", HOLDER, "reinstall", actor="staff", user="j.novak", auth="impersonation",
            session="imp-88", ip="10.20.0.15", user_agent=CHROME_122_MAC, target=SERVER,
            detail={"os": "AlmaLinux 9"})
    b.panel("2026-03-22T10:06:00+00:00", HOLDER, "impersonate_end", actor="staff", user="j.novak",
            auth="impersonation", session="imp-88", ip="10.20.0.15", user_agent=CHROME_122_MAC)
    return b.build()


API_ACCOUNT = "K-20077"
API_KEY = "key-7f3a"


def _api_history(b: CaseBuilder):
    b.ip("198.51.100.20", asn=24940, as_org="Hetzner Online GmbH", network="198.51.100.0/24", country="DE",
         country_name="Germany", city="Falkenstein", lat=50.48, lon=12.37, hosting=True)
    b.ip("79.200.1.5", asn=3320, as_org="Deutsche Telekom AG", network="79.192.0.0/10", country="DE",
         country_name="Germany", city="Hamburg", lat=53.55, lon=9.99)
    for n, day in enumerate(["2025-06-02", "2025-08-04", "2025-10-06", "2025-12-01", "2026-01-05", "2026-02-02",
                             "2026-03-02"]):
        b.panel(f"{day}T04:00:0{n % 10}+00:00", API_ACCOUNT, "reboot", actor="api", user=API_KEY, auth="api_key",
                ip="198.51.100.20", user_agent=PYTHON_REQUESTS, target="srv-9002", detail={"via": "api"})
    for n, day in enumerate(["2025-05-20", "2025-09-09", "2026-01-20"]):
        browse_session(b, f"{day}T18:00:00+01:00", session=f"api-h{n}", ip="79.200.1.5", ua=FIREFOX_124_WIN,
                       account=API_ACCOUNT, user="ops20077")
    b.panel("2025-05-20T18:02:00+01:00", API_ACCOUNT, "api_key_create", user="ops20077", session="api-h0",
            ip="79.200.1.5", user_agent=FIREFOX_124_WIN, detail={"key": API_KEY})


def api_as_usual(path) -> Case:
    """The account's script reboots its server as every month (account_holder_automation)."""
    b = CaseBuilder(path)
    filler(b)
    _api_history(b)
    b.panel("2026-03-22T04:00:03+00:00", API_ACCOUNT, "reboot", actor="api", user=API_KEY, auth="api_key",
            ip="198.51.100.20", user_agent=PYTHON_REQUESTS, target="srv-9002", detail={"via": "api"})
    return b.build()


def api_key_leaked(path) -> Case:
    """The same key reinstalls the server from a network the account never used."""
    b = CaseBuilder(path)
    filler(b)
    _api_history(b)
    b.ip("45.134.26.9", asn=211298, as_org="Driftnet Ltd", network="45.134.26.0/24", country="GB",
         country_name="United Kingdom", lat=51.5, lon=-0.12, hosting=True)
    b.panel("2026-03-22T03:12:44+00:00", API_ACCOUNT, "reinstall", actor="api", user=API_KEY, auth="api_key",
            ip="45.134.26.9", user_agent=CURL, target="srv-9002", detail={"os": "Debian 12", "via": "api"})
    return b.build()


def system_job(path) -> Case:
    """The provider's migration job reinstalls the server (system)."""
    b = CaseBuilder(path)
    filler(b)
    holder_history(b)
    b.panel("2026-03-22T05:30:00+00:00", HOLDER, "reinstall", actor="system", user="migration-bot", target=SERVER,
            detail={"job": "hv-migration-2026-03", "os": "CentOS 7"})
    return b.build()


def login_in_gap(path) -> Case:
    """The panel log was rotated with five days missing; the session's login is in the hole."""
    b = CaseBuilder(path, panel_file="panel-audit.jsonl.1")

    def panel_file(d):
        return "panel-audit.jsonl.1" if d <= dt.date(2026, 3, 16) else "panel-audit.jsonl"

    filler(b, skip_panel=[(dt.date(2026, 3, 17), dt.date(2026, 3, 21))], panel_file=panel_file)
    holder_history(b)
    b.panel("2026-03-22T09:40:00+00:00", HOLDER, "reinstall", user=HOLDER_USER, session="s-lost",
            ip="84.132.10.99", user_agent=FIREFOX_124_WIN, target=SERVER, detail={"os": "CentOS 7"},
            file="panel-audit.jsonl")
    return b.build()
