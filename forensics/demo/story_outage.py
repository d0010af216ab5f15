"""The fourth demo dispute, and its generated variants: "my server was down for days".

A host's mainboard fails and takes a customer's VPS down for about a day.
The logs that show it, each written as the real systems write them:

* the monitoring: a Nagios state log (`[epoch] HOST ALERT: vps;DOWN;SOFT;1;...`,
  the daily `CURRENT HOST STATE` at rotation) or the native check export
  (JSON Lines, one result per probe and interval);
* the VM's own syslog (RFC 3339 rsyslog): cron and timers while it runs,
  silence while it is down, the boot sequence (`kernel: Linux version`,
  `systemd[1]: Startup finished`) when it comes back, a shutdown request
  when the customer reboots it;
* the shop's web access log (combined format): visitors while it runs,
  nothing while it is down;
* the panel: the provider's `hardware_failure` incident and the maintenance
  notice mailed while the host is repaired (`notification_sent`), or the
  customer's own `reboot`.

`OutageScenario` describes one variant (the tests build several: a real
multi-day outage, a short one claimed long, a customer's own reboot, a gap
in the monitoring); `write_logs()` writes its files.  The demo calls
`outage_story()` from the generator's day loop with its own seeded
generator, so the other accounts' lines stay byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

UTC = dt.timezone.utc
MONITORING_LOG = "nagios.log"
CHECKS_LOG = "monitoring-checks.jsonl"
_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 "
       "Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.3 Mobile/15E148 Safari/604.1",
       "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
_PAGES = ("/", "/shop/", "/shop/cart", "/shop/item/1187", "/shop/item/2204", "/contact", "/robots.txt")


@dataclass
class Outage:
    """One time the VPS was down, and why."""

    start: dt.datetime
    end: dt.datetime
    cause: str = "hardware"        # hardware | customer_reboot | maintenance | monitoring
    notice: str | None = None      # when the notice went out: "during", "in_advance", None
    server_alive: bool = False     # the monitoring's own trouble: the server kept running and serving


@dataclass
class OutageScenario:
    account: str = "K-10131"
    user: str = "mnovak"
    service: str = "vps-31337"
    domain: str = "shop.example.de"
    node: str = "node-fra-17"
    start: dt.datetime = dt.datetime(2026, 3, 1, tzinfo=UTC)
    end: dt.datetime = dt.datetime(2026, 3, 20, tzinfo=UTC)
    outages: list[Outage] = field(default_factory=list)
    monitoring: str = "nagios"     # nagios | checks
    check_minutes: int = 5         # interval of the native export
    probes: tuple[str, ...] = ("fra1", "ams2")
    gaps: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)   # monitoring silent
    visits_per_hour: float = 20.0
    seed: str = "outage-story"
    logs_start: dt.datetime | None = None   # the server's and the access log begin here (default: start)


@dataclass
class WrittenLogs:
    monitoring: Path
    syslog: Path
    access: Path
    panel_events: list[dict]       # records for the native panel log (the demo adds them to its own)
    panel: Path | None = None      # written only when asked to (tests)


def _epoch(t: dt.datetime) -> int:
    return int(t.timestamp())


def _down(s: OutageScenario, t: dt.datetime) -> Outage | None:
    for o in s.outages:
        if o.start <= t < o.end:
            return o
    return None


def _in_gap(s: OutageScenario, t: dt.datetime) -> bool:
    return any(a <= t < b for a, b in s.gaps)


def _nagios(s: OutageScenario, rng: random.Random) -> list[tuple[dt.datetime, str]]:
    """A Nagios 4 state log: daily rotation with the current state, and the
    alerts of each outage (three SOFT attempts a minute apart, then HARD)."""
    host = s.service
    lines = []
    day = s.start
    while day < s.end:
        if not _in_gap(s, day):
            state = "DOWN" if _down(s, day) else "UP"
            out = "CRITICAL - Host Unreachable" if state == "DOWN" else "PING OK - Packet loss = 0%, RTA = 0.61 ms"
            lines.append((day, f"LOG ROTATION: DAILY"))
            lines.append((day, f"LOG VERSION: 2.0"))
            lines.append((day, f"CURRENT HOST STATE: {host};{state};HARD;1;{out}"))
            svc = "CRITICAL" if state == "DOWN" else "OK"
            lines.append((day, f"CURRENT SERVICE STATE: {host};HTTP;{svc};HARD;1;"
                               + ("connect to address 203.0.113.37 and port 80: No route to host" if svc != "OK"
                                  else "HTTP OK: HTTP/1.1 200 OK - 18234 bytes in 0.112 second response time")))
        day += dt.timedelta(days=1)
    for o in s.outages:
        t = o.start
        for attempt in (1, 2, 3):
            kind = "HARD" if attempt == 3 else "SOFT"
            lines.append((t, f"HOST ALERT: {host};DOWN;{kind};{attempt};CRITICAL - Host Unreachable (203.0.113.37)"))
            if attempt == 3:
                lines.append((t, f"HOST NOTIFICATION: noc;{host};DOWN;notify-host-by-email;"
                                 "CRITICAL - Host Unreachable (203.0.113.37)"))
            t += dt.timedelta(seconds=60 + rng.randrange(0, 5))
        lines.append((o.start + dt.timedelta(seconds=30), f"SERVICE ALERT: {host};HTTP;CRITICAL;HARD;1;connect to "
                                                          "address 203.0.113.37 and port 80: No route to host"))
        lines.append((o.end, f"HOST ALERT: {host};UP;HARD;1;PING OK - Packet loss = 0%, RTA = 0.58 ms"))
        lines.append((o.end + dt.timedelta(seconds=40), f"SERVICE ALERT: {host};HTTP;OK;HARD;1;HTTP OK: HTTP/1.1 "
                                                        "200 OK - 18234 bytes in 0.131 second response time"))
        lines.append((o.end, f"HOST NOTIFICATION: noc;{host};UP;notify-host-by-email;PING OK - Packet loss = 0%, "
                             "RTA = 0.58 ms"))
    # a passing blip: one SOFT failure, recovered at the next attempt (not an outage)
    blip = s.start + dt.timedelta(days=2, hours=3, minutes=rng.randrange(0, 50))
    if not _down(s, blip) and not _in_gap(s, blip):
        lines.append((blip, f"HOST ALERT: {host};DOWN;SOFT;1;CRITICAL - Packet loss = 80%, RTA = 211.3 ms"))
        lines.append((blip + dt.timedelta(seconds=61), f"HOST ALERT: {host};UP;SOFT;1;PING OK - Packet loss = 0%, "
                                                        "RTA = 0.64 ms"))
    lines = [(t, text) for t, text in lines if not _in_gap(s, t)]
    lines.sort(key=lambda x: x[0])
    return lines


def _checks(s: OutageScenario, rng: random.Random) -> list[str]:
    out = []
    t = s.start
    step = dt.timedelta(minutes=s.check_minutes)
    while t < s.end:
        if not _in_gap(s, t):
            o = _down(s, t)
            for i, probe in enumerate(s.probes):
                when = t + dt.timedelta(seconds=7 * i + rng.randrange(0, 3))
                down = o is not None
                rec = {"ts": when.isoformat().replace("+00:00", "Z"), "target": s.service,
                       "check": f"https://{s.domain}/", "state": "down" if down else "up",
                       "latency_ms": None if down else round(80 + rng.random() * 60, 1), "probe": probe}
                if down:
                    rec["detail"] = "connect timeout after 10 s"
                out.append(json.dumps(rec))
        t += step
    return out


def _syslog(s: OutageScenario, rng: random.Random) -> list[tuple[dt.datetime, str]]:
    host = s.service
    lines = []
    pid = 1000
    t = s.logs_start or s.start
    while t < s.end:
        o = _down(s, t)
        if o is None or o.server_alive:
            pid += rng.randrange(5, 40)
            if t.minute % 10 == 0:
                lines.append((t + dt.timedelta(seconds=1), f"{host} CRON[{pid}]: (root) CMD (command -v debian-sa1 "
                                                           "> /dev/null && debian-sa1 1 1)"))
            if t.minute == 17:
                lines.append((t + dt.timedelta(seconds=rng.randrange(60)), f"{host} systemd[1]: Starting "
                                                                           "phpsessionclean.service - Clean php session files..."))
        t += dt.timedelta(minutes=1)
    for o in s.outages:
        if o.server_alive or o.end < (s.logs_start or s.start):
            continue
        if o.cause == "customer_reboot":
            lines.append((o.start - dt.timedelta(seconds=40), f"{host} systemd-logind[612]: System is rebooting."))
            lines.append((o.start - dt.timedelta(seconds=39), f"{host} systemd[1]: Stopping nginx.service - A high "
                                                             "performance web server and a reverse proxy server..."))
        b = o.end - dt.timedelta(seconds=50)
        lines.append((b, f"{host} kernel: Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 "
                         "(Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC "
                         "Debian 6.1.76-1 (2024-02-01)"))
        lines.append((b, f"{host} kernel: Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 "
                         "root=UUID=2f0e6c1a-5d1b-4b8e-9a51-0c2c8f3e1d77 ro quiet"))
        lines.append((b + dt.timedelta(seconds=9), f"{host} systemd[1]: Started nginx.service - A high performance "
                                                   "web server and a reverse proxy server."))
        lines.append((b + dt.timedelta(seconds=11), f"{host} systemd[1]: Startup finished in 2.311s (kernel) + "
                                                    "8.904s (userspace) = 11.215s."))
    lines.sort(key=lambda x: x[0])
    return lines


# Where the shop's visitors come from: home and mobile lines of the demo's GeoIP
# databases (so that enrichment knows every address), Google's crawler.
_VISITOR_NETWORKS = ("dtag", "dtag", "vodafone_de", "telefonica_de", "telekom_mobile", "vodafone_mobile", "o2_cz",
                     "orange_pl", "google")


def _visitors(rng: random.Random, n: int = 240) -> list[str]:
    from forensics.demo.generator import _random_ip

    return [_random_ip(rng, _VISITOR_NETWORKS[rng.randrange(len(_VISITOR_NETWORKS))]) for _ in range(n)]


def _access(s: OutageScenario, rng: random.Random) -> list[tuple[dt.datetime, str]]:
    out = []
    visitors = _visitors(rng)
    t = s.logs_start or s.start
    while t < s.end:
        t += dt.timedelta(seconds=rng.expovariate(s.visits_per_hour / 3600.0))
        o = _down(s, t)
        if o is not None and not o.server_alive:
            continue
        ip = visitors[rng.randrange(len(visitors))]
        page = _PAGES[rng.randrange(len(_PAGES))]
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
        out.append((t, f'{ip} - - [{stamp}] "GET {page} HTTP/1.1" 200 {rng.randrange(900, 24000)} "-" '
                       f'"{_UA[rng.randrange(len(_UA))]}"'))
    return out


def panel_events(s: OutageScenario, rng: random.Random, *, ordinary: bool = True) -> list[dict]:
    """The panel's records of the story: incidents, notices, the customer's
    reboots (and, with `ordinary`, an invoice mail and a login)."""
    recs = []
    for o in s.outages:
        if o.cause == "hardware":
            t = o.start + dt.timedelta(minutes=12 + rng.randrange(0, 6))
            recs.append({"ts": t, "account": s.account, "event": "hardware_failure", "actor": "system",
                         "user": "noc", "target": s.service,
                         "detail": {"node": s.node, "component": "mainboard", "ticket": "INC-4711"}})
        if o.cause == "maintenance":
            recs.append({"ts": o.start, "account": s.account, "event": "maintenance", "actor": "system",
                         "user": "scheduler", "target": s.service, "detail": {"node": s.node, "job": "kernel-update"}})
        if o.cause == "customer_reboot":
            recs.append({"ts": o.start - dt.timedelta(seconds=55), "account": s.account, "event": "reboot",
                         "actor": "customer", "user": s.user, "target": s.service, "ip": "84.132.10.7",
                         "session": f"{rng.getrandbits(64):016x}"})
        if o.notice == "during":
            t = o.start + dt.timedelta(hours=2, minutes=rng.randrange(0, 30))
            recs.append({"ts": t, "account": s.account, "event": "notification_sent", "actor": "system",
                         "user": "noc", "target": s.service,
                         "detail": {"template": "maintenance-notice", "subject": "Unplanned maintenance: host "
                                    f"{s.node}", "ticket": "INC-4711"}})
        elif o.notice == "in_advance":
            t = o.start - dt.timedelta(days=3)
            recs.append({"ts": t, "account": s.account, "event": "notification_sent", "actor": "system",
                         "user": "scheduler", "target": s.service,
                         "detail": {"template": "maintenance-announcement", "subject": "Planned maintenance"}})
    if not ordinary:
        return sorted(recs, key=lambda r: r["ts"])
    # the ordinary month: an invoice mail and a login now and then (not about any outage)
    recs.append({"ts": s.start + dt.timedelta(hours=6, minutes=3), "account": s.account, "event": "notification_sent",
                 "actor": "system", "user": "billing", "detail": {"template": "invoice"}})
    recs.append({"ts": s.start + dt.timedelta(days=1, hours=19, minutes=22), "account": s.account, "event": "login",
                 "actor": "customer", "user": s.user, "ip": "84.132.10.7", "auth": "password",
                 "session": f"{rng.getrandbits(64):016x}"})
    return sorted(recs, key=lambda r: r["ts"])


def panel_line(rec: dict) -> str:
    out = {k: v for k, v in rec.items() if v is not None}
    out["ts"] = rec["ts"].astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def write_logs(out_dir, s: OutageScenario, *, panel: bool = False) -> WrittenLogs:
    """Write the scenario's monitoring, syslog and access log (and, for tests,
    its own panel log) into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(s.seed)
    if s.monitoring == "nagios":
        mon = out / MONITORING_LOG
        mon.write_text("".join(f"[{_epoch(t)}] {text}\n" for t, text in _nagios(s, rng)), encoding="utf-8")
    else:
        mon = out / CHECKS_LOG
        mon.write_text("".join(line + "\n" for line in _checks(s, rng)), encoding="utf-8")
    sys_path = out / f"{s.service}-syslog.log"
    sys_path.write_text("".join(f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}+00:00 {text}\n"
                                for t, text in _syslog(s, rng)), encoding="utf-8")
    acc = out / f"{s.domain}-access.log"
    acc.write_text("".join(text + "\n" for _, text in _access(s, rng)), encoding="utf-8")
    events = panel_events(s, rng)
    written = WrittenLogs(monitoring=mon, syslog=sys_path, access=acc, panel_events=events)
    if panel:
        written.panel = out / "panel-audit.jsonl"
        written.panel.write_text("".join(panel_line(r) + "\n" for r in events), encoding="utf-8")
    return written


def ingest(case, logs: WrittenLogs, s: OutageScenario) -> None:
    """Load the written files into a case as a provider would."""
    if logs.panel is not None:
        case.ingest([logs.panel])
    case.ingest([logs.monitoring])
    case.ingest([logs.syslog], host=s.service)
    case.ingest([logs.access], host=s.domain)


# --------------------------------------------------------------------------
# The demo's fourth dispute
# --------------------------------------------------------------------------
DEMO_DAY = (2026, 3, 9)
DEMO_CLAIM = "My server was down for three days"


def demo_scenario(account: str, user: str, service: str, start: dt.datetime, end: dt.datetime) -> OutageScenario:
    """The demo's VPS: Nagios watched it the whole period; its syslog and its
    shop's access log cover the two months before the end."""
    return OutageScenario(
        account=account, user=user, service=service, domain="shop.example.de", node="node-fra-17",
        start=start, end=end, monitoring="nagios", seed=f"outage-story-{account}", visits_per_hour=12.0,
        logs_start=max(start, end - dt.timedelta(days=59)),
        outages=[Outage(dt.datetime(2026, 3, 9, 3, 12, 4, tzinfo=UTC), dt.datetime(2026, 3, 10, 2, 41, 37, tzinfo=UTC),
                        cause="hardware", notice="during")])


def outage_story(w, acct, start: dt.datetime, end: dt.datetime):
    """Called by the generator on the story's day: the panel's records of the
    incident go into the shared panel log (from the story's own generator);
    returns the scripted Dispute and the scenario whose files
    `write_logs` writes once the day loop is done."""
    from forensics.demo.generator import Dispute

    s = demo_scenario(acct.account, acct.user, acct.servers[0], start, end)
    rng = random.Random(f"{s.seed}-panel")
    for rec in panel_events(s, rng, ordinary=False):
        w.panel(int(rec["ts"].timestamp()), rec["account"], rec["event"], actor=rec["actor"], user=rec.get("user"),
                target=rec.get("target"), detail=rec.get("detail"), ip=rec.get("ip"), session=rec.get("session"))
    o = s.outages[0]
    dispute = Dispute(
        account=s.account, user=s.user,
        description=("A host's mainboard failed and took the customer's VPS down for about a day (2026-03-09 to "
                     "2026-03-10): the monitoring's DOWN and UP, the VM's boot afterwards, the shop's silent access "
                     "log and the maintenance notice mailed during the repair. The customer writes that the "
                     "server was down for three days: overstated."),
        action="outage", target=s.service, action_time=o.start,
        since=dt.datetime(2026, 3, 1, tzinfo=UTC), until=dt.datetime(2026, 3, 31, tzinfo=UTC),
        expected_assessment="overstated", claims=(DEMO_CLAIM,), claims_language="en", tz="Europe/Berlin",
        kind="outage", aliases=(s.domain,))
    return dispute, s
