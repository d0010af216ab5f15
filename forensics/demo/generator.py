"""The demo's sample case: a deterministic, seeded generator of realistic logs.

`generate_sample()` writes what a hosting provider's support lead would
collect for a dispute, for a whole customer base:

* ``panel-audit.jsonl``: the control panel's audit log (the native JSON Lines
  format of `forensics ingest`): logins (password, password+MFA, the odd
  mistyped password), logouts, server actions, API calls by the accounts that
  automate, staff impersonation with a ticket, system jobs (backups, invoice
  mails, host maintenance);
* ``panel-access.log``: the panel's nginx access log (combined format) with a
  person's click-stream for every web session (the page, then the css/js/images
  it loads, referrers through each confirmation step, seconds of thinking
  between clicks; ``$remote_user`` carries the panel login once signed in),
  plus credential-stuffing bots, vulnerability scanners and crawlers;
* ``auth.log``: the sshd log of one customer server (the founding story's), in
  classic year-less syslog as forwarded to the provider's log host: the
  customer's own logins and the bots knocking all day;
* two GeoIP databases covering every address used (`geoip_sample`).

Two accounts carry scripted disputes (`SampleManifest.disputes`): the founding
story (the customer's "19.03." and "20.03." were his own actions a year
earlier, the "23.03." reinstall was his, on the 22nd) and an account that
really was taken over (password reset from a network and country never seen,
a new browser, a reinstall minutes later).

Speed matters (the benchmark suite generates 20 million events with it):
events are produced day by day as strings in tight loops, sorted per day and
streamed to the files; nothing of the whole period is held in memory.
Everything random comes from one `random.Random(seed)`, so the same arguments
give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import bisect
import contextlib
import ipaddress
import json
import os
import random
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from forensics.demo import story_notices
from forensics.demo.geoip_sample import NETWORKS_BY_KEY, blocks, build_geoip_databases

UTC = dt.timezone.utc
DEFAULT_SEED = 20260322


class _Random(random.Random):
    """`random.Random` with the same draws, and `randrange` of whole numbers
    without its argument checks (about 420,000 calls per sample, a tenth of
    the generator's time): `start + _randbelow(stop - start)` is what
    `random.Random.randrange` computes for them."""

    def randrange(self, start, stop=None, step=1):
        if type(start) is int and start > 0 and stop is None:
            return self._randbelow(start)
        if type(start) is int and type(stop) is int and step == 1 and stop > start:
            return start + self._randbelow(stop - start)
        return super().randrange(start, stop, step)


# One encoder for the panel's JSON lines (json.dumps with options builds a new one per call).
_panel_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Fixed, so the founding story's dates fall where the claims put them:
# the dispute in March 2026, the "year earlier" actions in March 2025.
DEFAULT_END = dt.datetime(2026, 4, 15, tzinfo=UTC)

PANEL_LOG = "panel-audit.jsonl"
ACCESS_LOG = "panel-access.log"
AUTH_LOG = "auth.log"
MANIFEST = "manifest.json"
PANEL_HOST = "panel.example.net"
PANEL_URL = f"https://{PANEL_HOST}"
# The auth log's lines are written in UTC wall-clock time (the log host runs
# in UTC); `forensics demo` ingests it with --tz UTC.
AUTH_LOG_TZ = "UTC"

# Average log lines one web session produces (panel + access); used to turn
# `events_per_account_month` into a session rate.
_LINES_PER_SESSION = 20.0
_DAY = 86400

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimExpectation:
    """What the investigation should find for one of the customer's claims."""

    text: str
    classification: str            # exact | off_by_days | different_year | not_found
    event: str                     # the canonical event the claim refers to
    event_date: dt.date            # the date of the event that really happened
    year: int | None = None        # for different_year
    days_off: int | None = None    # for off_by_days


@dataclass(frozen=True)
class Dispute:
    """A scripted dispute in the sample and the answer the logs support."""

    account: str
    user: str
    description: str
    action: str                    # the disputed action (canonical event name)
    target: str                    # the server it was done to
    action_time: dt.datetime       # when the disputed action happened (UTC)
    since: dt.datetime             # the period to investigate
    until: dt.datetime
    expected_assessment: str
    claims: tuple[str, ...] = ()
    expected_claims: tuple[ClaimExpectation, ...] = ()
    claims_language: str | None = None
    tz: str | None = None          # the customer's zone: local times in the report, reading of claims
    kind: str = "action"           # the dispute kind: action | outage (expected_assessment: the claim's class)
    aliases: tuple[str, ...] = ()  # outage: the service's other names (its domain)


@dataclass
class SampleManifest:
    """What `generate_sample` wrote.

    Attributes:
        out_dir: the directory written into.
        panel_log / access_log / auth_log: the three log files.
        geoip_db: the GeoIP databases (ASN, City) covering every address.
        auth_log_host: the server whose sshd log `auth_log` is (a panel target).
        auth_log_tz: the zone of the auth log's year-less wall-clock times.
        counts: lines written per file name.
        period: (start, end) of the sample, aware UTC datetimes.
        disputes: the scripted disputes with their expected answers.
        seed / accounts / months: the arguments used.
    """

    out_dir: Path
    panel_log: Path
    access_log: Path
    auth_log: Path
    geoip_db: tuple[Path, ...]
    auth_log_host: str
    auth_log_tz: str
    counts: dict[str, int]
    period: tuple[dt.datetime, dt.datetime]
    disputes: list[Dispute] = field(default_factory=list)
    # more logs of the scripted stories: (path, --host to ingest it with or None)
    story_logs: list[tuple[Path, str | None]] = field(default_factory=list)
    seed: int = DEFAULT_SEED
    accounts: int = 0
    months: int = 0
    mail_log: Path | None = None               # the mail server's log (Postfix), see story_notices
    tickets: Path | None = None                # the ticket system's export (native contact export)
    mail_log_tz: str = AUTH_LOG_TZ
    notice_disputes: list = field(default_factory=list)   # story_notices.NoticeDispute

    @property
    def log_files(self) -> list[Path]:
        return [self.panel_log, self.access_log, self.auth_log]

    @property
    def contact_files(self) -> list[Path]:
        """The mail log and the ticket export (the notices dispute's sources)."""
        return [p for p in (self.mail_log, self.tickets) if p is not None]

    def dispute(self, expected_assessment: str) -> Dispute:
        """The scripted dispute with this expected assessment."""
        for d in self.disputes:
            if d.expected_assessment == expected_assessment:
                return d
        raise KeyError(expected_assessment)

    def to_dict(self) -> dict:
        """JSON-ready description (paths relative to `out_dir`)."""

        def rel(p: Path) -> str:
            return p.name

        def jsonable(value):
            if isinstance(value, (dt.datetime, dt.date)):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: jsonable(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [jsonable(v) for v in value]
            return value

        return {
            "generator": "forensics.demo.generator",
            "seed": self.seed,
            "accounts": self.accounts,
            "months": self.months,
            "period": [self.period[0].isoformat(), self.period[1].isoformat()],
            "files": {
                "panel_log": rel(self.panel_log),
                "access_log": rel(self.access_log),
                "auth_log": rel(self.auth_log),
                "geoip_db": [rel(p) for p in self.geoip_db],
                **({"mail_log": rel(self.mail_log)} if self.mail_log else {}),
                **({"tickets": rel(self.tickets)} if self.tickets else {}),
            },
            "auth_log_host": self.auth_log_host,
            "auth_log_tz": self.auth_log_tz,
            "counts": self.counts,
            "disputes": [jsonable(asdict(d)) for d in self.disputes],
            **({"notice_disputes": [jsonable(asdict(d)) for d in self.notice_disputes]}
               if self.notice_disputes else {}),
            "story_logs": [[rel(p), host] for p, host in self.story_logs],
        }


# --------------------------------------------------------------------------
# Browsers: version strings that move on as the months pass
# --------------------------------------------------------------------------
def _epoch_day(y: int, m: int, d: int) -> int:
    return (dt.date(y, m, d) - dt.date(1970, 1, 1)).days


# Chrome and Firefox ship a major version every four weeks.
_CHROME_BASE = (132, _epoch_day(2025, 1, 14))
_FIREFOX_BASE = (134, _epoch_day(2025, 1, 7))
_SAFARI_RELEASES = (  # (first day, version)
    (_epoch_day(2024, 12, 11), "18.2"), (_epoch_day(2025, 1, 27), "18.3"),
    (_epoch_day(2025, 3, 31), "18.4"), (_epoch_day(2025, 5, 12), "18.5"),
    (_epoch_day(2025, 7, 29), "18.6"), (_epoch_day(2025, 9, 15), "26.0"),
    (_epoch_day(2025, 11, 3), "26.1"), (_epoch_day(2025, 12, 12), "26.2"),
    (_epoch_day(2026, 2, 11), "26.3"), (_epoch_day(2026, 3, 24), "26.4"),
)

_UA_TEMPLATES = {
    "chrome_win": ("chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"),
    "chrome_mac": ("chrome", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"),
    "chrome_linux": ("chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"),
    "edge_win": ("chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"),
    "firefox_win": ("firefox", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"),
    "firefox_linux": ("firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"),
    "firefox_mac": ("firefox", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"),
    "safari_mac": ("safari", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Safari/605.1.15"),
    "safari_iphone": ("safari", "Mozilla/5.0 (iPhone; CPU iPhone OS {o} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1"),
    "chrome_android": ("chrome", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36"),
    "firefox_android": ("firefox", "Mozilla/5.0 (Android 14; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0"),
}
_DESKTOP_BROWSERS = (("chrome_win", 30), ("firefox_win", 14), ("edge_win", 10), ("chrome_mac", 10),
                     ("safari_mac", 9), ("firefox_linux", 8), ("chrome_linux", 6), ("firefox_mac", 3))
_MOBILE_BROWSERS = (("safari_iphone", 5), ("chrome_android", 5), ("firefox_android", 1))

_API_CLIENTS = ("python-requests/2.32.3", "curl/8.5.0", "Terraform/1.9.8 (+https://www.terraform.io)",
                "Go-http-client/2.0")
_STAFF = ("support.akrause", "support.jschmidt", "support.pnovak", "ops.lweber")
_STAFF_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"


@lru_cache(maxsize=1)
def _seconds_of_day() -> tuple[str, ...]:
    """"HH:MM:SS" for every second of a day."""
    return tuple(f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(_DAY))


def _ua_cache():
    cache: dict[tuple[str, int], str] = {}

    def ua_for(key: str, day: int) -> str:
        family, template = _UA_TEMPLATES[key]
        if family == "chrome":
            version = _CHROME_BASE[0] + (day - _CHROME_BASE[1]) // 28
        elif family == "firefox":
            version = _FIREFOX_BASE[0] + (day - _FIREFOX_BASE[1]) // 28
        else:
            version = 0
            for index, (first, _) in enumerate(_SAFARI_RELEASES):
                if day >= first:
                    version = index
        text = cache.get((key, version))
        if text is None:
            if family == "safari":
                v = _SAFARI_RELEASES[version][1]
                text = template.format(v=v, o=v.replace(".", "_"))
            else:
                text = template.format(v=version)
            cache[(key, version)] = text
        return text

    return ua_for


# --------------------------------------------------------------------------
# The panel's pages (path template, response bytes, assets it loads)
# --------------------------------------------------------------------------
_COMMON_ASSETS = (("/static/css/panel.css?v=4.12", 48213), ("/static/js/panel.js?v=4.12", 131877),
                  ("/static/img/logo.svg", 6120), ("/favicon.ico", 5430))
_BROWSE_PAGES = (
    ("/servers", 18344, (("/static/img/icons/server.svg", 1204),)),
    ("/servers/{srv}", 22410, (("/static/js/graphs.js?v=4.12", 40233),)),
    ("/servers/{srv}/graphs", 16877, (("/static/img/graph-cpu.png", 24011), ("/static/img/graph-net.png", 22876))),
    ("/invoices", 12004, ()),
    ("/account", 9871, ()),
    ("/account/security", 10342, (("/static/img/icons/shield.svg", 987),)),
    ("/support/tickets", 8763, ()),
    ("/servers/{srv}/dns", 11402, ()),
)
# Server actions: (panel event, page segment, detail) -> flow page/confirm.
_OS_IMAGES = ("Debian 12", "Ubuntu 24.04 LTS", "AlmaLinux 9", "Rocky Linux 9", "Debian 13",
              "openSUSE Leap 15.6", "CentOS Stream 9")
_ACTION_PAGES = {
    "reinstall": "reinstall",
    "rescue_enable": "rescue",
    "rescue_disable": "rescue",
    "reboot": "power",
    "power_off": "power",
    "power_on": "power",
}


# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------
_FIRST = ("anna", "ben", "clara", "david", "eva", "felix", "greta", "hans", "ines", "jonas", "karin",
          "lukas", "marta", "niklas", "olga", "paul", "quirin", "rosa", "stefan", "tereza", "uwe",
          "vera", "wojciech", "xenia", "yannick", "zofia", "jan", "petra", "tomas", "agnieszka")
_LAST = ("mueller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker", "hoffmann",
         "novak", "svoboda", "dvorak", "kowalski", "wisniewski", "wojcik", "koch", "richter", "klein",
         "wolf", "neumann", "schwarz", "zimmermann", "braun", "krueger", "hartmann", "lange", "werner",
         "krause", "lehmann", "kaiser")

# Home ISP and how often customers have it (the provider is German with
# Czech and Polish customers).
_HOME_ISPS = (("dtag", 34), ("vodafone_de", 20), ("telefonica_de", 14), ("o2_cz", 16), ("orange_pl", 16))
_MOBILE_FOR = {"dtag": "telekom_mobile", "vodafone_de": "vodafone_mobile", "telefonica_de": "o2_mobile_de"}
# Sessions per month and how common each rhythm is.
_RATES = ((0.5, 25), (1.0, 25), (2.0, 25), (4.0, 13), (8.0, 9), (14.0, 3))


@dataclass
class _Account:
    account: str
    user: str
    home: str                          # network key
    home_blocks: tuple[str, ...]       # "a.b.c." IPv4 /24 prefixes (or an IPv6 /56 prefix)
    ipv6: bool
    browser: str
    lag_days: int                      # how long after a release this person's browser updates
    mobile: tuple[str, str] | None     # (browser key, mobile network key)
    rate_per_day: float
    auth: str
    servers: tuple[str, ...]
    api: tuple[str, str, str] | None   # (key id, client ip, client user agent)
    typo_rate: float
    backups: bool = False
    scripted: bool = False
    quiet_days: frozenset = frozenset()    # days without random sessions (scripted accounts)


def _weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


def _random_ip(rng: random.Random, network_key: str) -> str:
    """Any address of a network, inside one of its city blocks."""
    network = NETWORKS_BY_KEY[network_key]
    cidr = network.cidrs[rng.randrange(len(network.cidrs))]
    choices = blocks(network, cidr)
    block, _ = choices[rng.randrange(len(choices))]
    if block.version == 6:
        base = int(block.network_address)
        host = rng.getrandbits(128 - block.prefixlen) | 1
        return str(ipaddress.IPv6Address(base | host))
    base = int(block.network_address)
    host = rng.randrange(1, block.num_addresses - 1)
    if host & 0xFF in (0, 255):
        host |= 1
    n = base + host
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _home_blocks(rng: random.Random, network_key: str, ipv6: bool) -> tuple[str, ...]:
    """Two /24s inside one city block (dynamic addresses of one line), or a /56."""
    network = NETWORKS_BY_KEY[network_key]
    if ipv6:
        v6 = [c for c in network.cidrs if ":" in c]
        block, _ = blocks(network, v6[0])[rng.randrange(len(blocks(network, v6[0])))]
        groups = block.exploded.split(":")[:2]
        g0, g1 = (int(g, 16) for g in groups)
        return (f"{g0:x}:{g1:x}:{rng.randrange(1, 65536):x}:{rng.randrange(1, 256):x}00:",)
    v4 = [c for c in network.cidrs if ":" not in c]
    cidr = v4[rng.randrange(len(v4))]
    choices = blocks(network, cidr)
    block, _ = choices[rng.randrange(len(choices))]
    a, b = str(block.network_address).split(".")[:2]
    thirds = rng.sample(range(1, 255), 2)
    return tuple(f"{a}.{b}.{c}." for c in thirds)


# --------------------------------------------------------------------------
# The writer: builds lines for one day at a time, sorts and streams them
# --------------------------------------------------------------------------
class _Writer:
    def __init__(self, out_dir: Path, rng: random.Random, start_ts: int, end_ts: int, auth_host: str):
        self.rng = rng
        self.start_ts = start_ts
        self.end_ts = end_ts
        self.auth_host = auth_host
        self.files = {
            "panel": open(out_dir / PANEL_LOG, "w", encoding="utf-8", newline="\n"),
            "access": open(out_dir / ACCESS_LOG, "w", encoding="utf-8", newline="\n"),
            "auth": open(out_dir / AUTH_LOG, "w", encoding="utf-8", newline="\n"),
        }
        self.buffers: dict[str, list] = {"panel": [], "access": [], "auth": []}
        self.counts = {"panel": 0, "access": 0, "auth": 0}
        self.seq = 0
        self.ua_for = _ua_cache()
        self._clf_days: dict[int, str] = {}
        self._iso_days: dict[int, str] = {}
        self._syslog_days: dict[int, str] = {}
        self.ssh_pid = 2417
        self.hms = _seconds_of_day()
        self.downtime: list[tuple[int, int]] = []   # server offline (rescue, reinstall): no sshd lines

    # -- time formats (the hot path formats millions: a day prefix from a
    # per-day cache plus the time of day from a table of all 86,400 seconds)
    def clf(self, t: int) -> str:
        day, s = divmod(t, _DAY)
        prefix = self._clf_days.get(day)
        if prefix is None:
            d = dt.date(1970, 1, 1) + dt.timedelta(days=day)
            prefix = self._clf_days[day] = f"{d.day:02d}/{_MONTHS[d.month - 1]}/{d.year}:"
        return prefix + self.hms[s] + " +0000"

    def iso(self, t: int) -> str:
        day, s = divmod(t, _DAY)
        prefix = self._iso_days.get(day)
        if prefix is None:
            prefix = self._iso_days[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat() + "T"
        return prefix + self.hms[s] + "+00:00"

    def syslog_ts(self, t: int) -> str:
        day, s = divmod(t, _DAY)
        prefix = self._syslog_days.get(day)
        if prefix is None:
            d = dt.date(1970, 1, 1) + dt.timedelta(days=day)
            prefix = self._syslog_days[day] = f"{_MONTHS[d.month - 1]} {d.day:>2} "
        return prefix + self.hms[s]

    # -- emitting ----------------------------------------------------------
    def access(self, t: int, ip: str, user: str, method: str, path: str, status: int, size: int,
               referrer: str, ua: str, proto: str = "HTTP/2.0") -> None:
        self.seq += 1
        self.buffers["access"].append((t, self.seq,
            f'{ip} - {user} [{self.clf(t)}] "{method} {path} {proto}" {status} {size} "{referrer}" "{ua}"'))

    def panel(self, t: int, account: str, event: str, *, result: str = "success", actor: str = "customer",
              user: str | None = None, auth: str | None = None, session: str | None = None,
              ip: str | None = None, ua: str | None = None, target: str | None = None,
              detail=None) -> None:
        record = {"ts": self.iso(t), "account": account, "event": event, "result": result, "actor": actor}
        if user is not None:
            record["user"] = user
        if auth is not None:
            record["auth"] = auth
        if session is not None:
            record["session"] = session
        if ip is not None:
            record["ip"] = ip
        if ua is not None:
            record["user_agent"] = ua
        if target is not None:
            record["target"] = target
        if detail is not None:
            record["detail"] = detail
        self.seq += 1
        self.buffers["panel"].append((t, self.seq, _panel_json(record)))

    def sshd(self, t: int, message: str, pid: int) -> None:
        for start, end in self.downtime:
            if start <= t < end:
                return
        self.seq += 1
        self.buffers["auth"].append((t, self.seq, f"{self.syslog_ts(t)} {self.auth_host} sshd[{pid}]: {message}"))

    def next_pid(self) -> int:
        self.ssh_pid += self.rng.randrange(3, 90)
        if self.ssh_pid > 4_000_000:
            self.ssh_pid = 1200
        return self.ssh_pid

    def flush(self, limit: int | None) -> None:
        """Write every buffered line before `limit` (all of them when None), in time order."""
        for name, buffer in self.buffers.items():
            if not buffer:
                continue
            buffer.sort()
            if limit is None:
                ready, rest = buffer, []
            else:
                cut = bisect.bisect_left(buffer, (limit,))
                ready, rest = buffer[:cut], buffer[cut:]
            lines = [line for t, _, line in ready if self.start_ts <= t < self.end_ts]
            if lines:
                self.files[name].write("\n".join(lines))
                self.files[name].write("\n")
                self.counts[name] += len(lines)
            self.buffers[name] = rest

    def close(self) -> None:
        self.flush(None)
        for fh in self.files.values():
            fh.close()

    # -- a person's web session --------------------------------------------
    def session_id(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def _page(self, t: int, ip: str, user: str, path: str, size: int, referrer: str, ua: str,
              assets=()) -> None:
        rng = self.rng
        self.access(t, ip, user, "GET", path, 200, size + rng.randrange(0, 400), referrer, ua)
        page_url = PANEL_URL + path
        for asset, asset_size in assets:
            self.access(t + (rng.random() < 0.4), ip, user, "GET", asset, 200, asset_size, page_url, ua)

    def web_session(self, t: int, acct: _Account, ip: str, ua: str, *, actions=(), pages: int | None = None,
                    failed_first: int = 0, logout: bool | None = None, think=(3, 40),
                    from_reset: bool = False) -> int:
        """One person's visit: login page, sign-in, browsing, actions, logout.

        Returns the time of the last request.
        """
        rng = self.rng
        user = acct.user
        referrer = "-" if rng.random() < 0.7 else "https://www.example.net/"
        if from_reset:  # the reset form redirects to the login page; assets are cached
            self._page(t, ip, "-", "/login", 7480, PANEL_URL + "/password/reset", ua)
        else:
            self._page(t, ip, "-", "/login", 7480, referrer, ua, _COMMON_ASSETS)
        for _ in range(failed_first):
            t += rng.randrange(7, 22)
            self.access(t, ip, "-", "POST", "/login", 200, 7702, PANEL_URL + "/login", ua)
            self.panel(t, acct.account, "login", result="failure", user=user, auth="password", ip=ip, ua=ua,
                       detail={"reason": "wrong password"})
        t += rng.randrange(6, 25)
        session = self.session_id()
        self.access(t, ip, "-", "POST", "/login", 302, 154, PANEL_URL + "/login", ua)
        if acct.auth == "password+mfa":
            self.access(t, ip, "-", "GET", "/login/otp", 200, 5231, PANEL_URL + "/login", ua)
            t += rng.randrange(8, 30)
            self.access(t, ip, "-", "POST", "/login/otp", 302, 154, PANEL_URL + "/login/otp", ua)
        self.panel(t, acct.account, "login", user=user, auth=acct.auth, session=session, ip=ip, ua=ua)
        t += rng.random() < 0.5
        self._page(t, ip, user, "/dashboard", 24012, PANEL_URL + "/login", ua,
                   (("/static/js/dashboard.js?v=4.12", 55120), ("/static/img/status-ok.svg", 842)))
        here = "/dashboard"
        srv = acct.servers[rng.randrange(len(acct.servers))]
        lo, hi = think
        if pages is None:
            pages = rng.randrange(1, 6)
        for _ in range(pages):
            path, size, assets = _BROWSE_PAGES[rng.randrange(len(_BROWSE_PAGES))]
            path = path.format(srv=srv)
            t += rng.randrange(lo, hi)
            self._page(t, ip, user, path, size, PANEL_URL + here, ua, assets)
            here = path
        for action in actions:
            event, target, detail = action
            t, here = self._action(t, ip, user, ua, acct, session, here, event, target, detail, lo, hi)
        if logout is None:
            logout = rng.random() < 0.6
        if logout:
            t += rng.randrange(lo, hi)
            self.access(t, ip, user, "GET", "/logout", 302, 154, PANEL_URL + here, ua)
            self.panel(t, acct.account, "logout", user=user, auth=acct.auth, session=session, ip=ip, ua=ua)
            self._page(t + (rng.random() < 0.5), ip, "-", "/login", 7480, PANEL_URL + here, ua)
        return t

    def _action(self, t, ip, user, ua, acct, session, here, event, target, detail, lo, hi):
        """The click-stream of one server action: server page, form, confirmation, submit."""
        rng = self.rng
        server_page = f"/servers/{target}"
        if here != server_page:
            if here != "/servers":
                t += rng.randrange(lo, hi)
                self._page(t, ip, user, "/servers", 18344, PANEL_URL + here, ua)
                here = "/servers"
            t += rng.randrange(lo, hi)
            self._page(t, ip, user, server_page, 22410, PANEL_URL + here, ua)
        segment = _ACTION_PAGES.get(event, event)
        form = f"{server_page}/{segment}"
        t += rng.randrange(lo, hi)
        assets = (("/static/img/os/logos.png", 38117),) if event == "reinstall" else ()
        self._page(t, ip, user, form, 15320, PANEL_URL + server_page, ua, assets)
        t += rng.randrange(max(lo, 5), hi + 20)      # reading the form, choosing
        self.access(t, ip, user, "POST", form, 302, 154, PANEL_URL + form, ua)
        confirm = f"{form}/confirm"
        t += rng.random() < 0.5
        self._page(t, ip, user, confirm, 9120, PANEL_URL + form, ua)
        t += rng.randrange(max(lo, 4), hi)          # the confirmation step: read, tick, submit
        self.access(t, ip, user, "POST", confirm, 302, 154, PANEL_URL + confirm, ua)
        self.panel(t, acct.account, event, user=user, auth=acct.auth, session=session, ip=ip, ua=ua,
                   target=target, detail=detail)
        t += rng.random() < 0.5
        self._page(t, ip, user, server_page, 22410, PANEL_URL + confirm, ua)
        return t, server_page

    # -- other traffic -----------------------------------------------------
    def api_call(self, t: int, acct: _Account, event: str, target: str) -> None:
        key, ip, ua = acct.api
        self.access(t, ip, key, "GET", f"/api/v1/servers/{target}", 200, 1843, "-", ua, "HTTP/1.1")
        t += self.rng.random() < 0.3
        self.access(t, ip, key, "POST", f"/api/v1/servers/{target}/actions/{event}", 201, 312, "-", ua, "HTTP/1.1")
        self.panel(t, acct.account, event, actor="api", user=key, auth="api_key", ip=ip, ua=ua, target=target,
                   detail={"via": "api"})

    def staff_session(self, t: int, acct: _Account, day: int) -> None:
        rng = self.rng
        staff = _STAFF[rng.randrange(len(_STAFF))]
        ip = f"10.20.{rng.randrange(1, 4)}.{rng.randrange(10, 60)}"
        ua = _STAFF_UA.format(v=_CHROME_BASE[0] + (day - _CHROME_BASE[1]) // 28)
        session = self.session_id()
        ticket = f"T-{rng.randrange(100000, 999999)}"
        target = acct.servers[0]
        reason, event, detail = [
            ("customer asked for a reverse DNS change", "contact_update", {"field": "rdns"}),
            ("server unresponsive, customer asked for a reboot", "reboot", {"ticket": ticket}),
            ("billing address correction requested by the customer", "contact_update", {"field": "billing_address"}),
        ][rng.randrange(3)]
        common = dict(actor="staff", user=staff, auth="impersonation", session=session, ip=ip, ua=ua)
        self.panel(t, acct.account, "impersonate_start", **common, detail={"ticket": ticket, "reason": reason})
        t += rng.randrange(40, 400)
        self.panel(t, acct.account, event, **common, target=target, detail=detail)
        t += rng.randrange(20, 200)
        self.panel(t, acct.account, "impersonate_end", **common, detail={"ticket": ticket})

    def sshd_bot_burst(self, t: int) -> None:
        rng = self.rng
        ip = _random_ip(rng, ("chinanet_js", "digitalocean_us", "ovh", "ipvolume", "hetzner")[rng.randrange(5)])
        for _ in range(rng.randrange(1, 9)):
            pid = self.next_pid()
            port = rng.randrange(32768, 61000)
            user = ("root", "admin", "ubuntu", "test", "oracle", "postgres", "git", "user", "deploy", "ftpuser")[rng.randrange(10)]
            if user == "root":
                self.sshd(t, f"Failed password for root from {ip} port {port} ssh2", pid)
                self.sshd(t + 1, f"Connection closed by authenticating user root {ip} port {port} [preauth]", pid)
            else:
                self.sshd(t, f"Invalid user {user} from {ip} port {port}", pid)
                self.sshd(t + 2, f"Failed password for invalid user {user} from {ip} port {port} ssh2", pid)
                self.sshd(t + 2, f"Connection closed by invalid user {user} {ip} port {port} [preauth]", pid)
            t += rng.randrange(2, 9)

    def sshd_login(self, t: int, ip: str, method: str, fingerprint: str | None) -> None:
        rng = self.rng
        pid = self.next_pid()
        port = rng.randrange(32768, 61000)
        suffix = f": ED25519 SHA256:{fingerprint}" if fingerprint else ""
        self.sshd(t, f"Accepted {method} for root from {ip} port {port} ssh2{suffix}", pid)
        self.sshd(t, "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)", pid)
        t += rng.randrange(60, 3600)
        self.sshd(t, f"Received disconnect from {ip} port {port}:11: disconnected by user", pid)
        self.sshd(t, f"Disconnected from user root {ip} port {port}", pid)
        self.sshd(t, "pam_unix(sshd:session): session closed for user root", pid)

    def panel_bots(self, t: int, victims: list[_Account]) -> None:
        """Credential stuffing on the login page, scanners, a crawler."""
        rng = self.rng
        kind = rng.random()
        ip = _random_ip(rng, ("digitalocean_us", "ovh", "ipvolume", "chinanet_js")[rng.randrange(4)])
        if kind < 0.45:
            ua = ("python-requests/2.31.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")[rng.randrange(2)]
            victim = victims[rng.randrange(len(victims))] if victims and rng.random() < 0.3 else None
            for _ in range(rng.randrange(3, 30)):
                self.access(t, ip, "-", "POST", "/login", 200, 7702, "-", ua, "HTTP/1.1")
                if victim is not None:
                    self.panel(t, victim.account, "login", result="failure", user=victim.user, auth="password",
                               ip=ip, ua=ua, detail={"reason": "wrong password"})
                t += rng.randrange(0, 2)
        elif kind < 0.85:
            ua = ("Mozilla/5.0 zgrab/0.x", "-", "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)")[rng.randrange(3)]
            for path in ("/wp-login.php", "/.env", "/phpmyadmin/", "/.git/config", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php")[: rng.randrange(1, 6)]:
                self.access(t, ip, "-", "GET", path, 404, 548, "-", ua, "HTTP/1.1")
                t += rng.randrange(0, 3)
        else:
            ua = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            ip = "66.249.66." + str(rng.randrange(1, 250))
            self.access(t, ip, "-", "GET", "/robots.txt", 200, 68, "-", ua, "HTTP/1.1")
            self.access(t + rng.randrange(1, 30), ip, "-", "GET", "/", 302, 154, "-", ua, "HTTP/1.1")


# --------------------------------------------------------------------------
# The scripted disputes
# --------------------------------------------------------------------------
def _ts(y, m, d, hh, mm, ss=0) -> int:
    return int(dt.datetime(y, m, d, hh, mm, ss, tzinfo=UTC).timestamp())


def _at(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, UTC)


@contextlib.contextmanager
def _own_rng(w: _Writer, name: str):
    """A scripted story draws from its own seeded generator, so that changing
    the normal traffic around it never changes the story's events."""
    saved_rng, w.rng = w.rng, _Random(name)
    try:
        yield
    finally:
        w.rng = saved_rng


def _founding_story(w: _Writer, acct: _Account) -> Dispute:
    """The customer's "19.03. / 20.03. / 23.03." dispute (see module docstring)."""
    with _own_rng(w, f"founding-story-{acct.account}"):
        return _founding_story_events(w, acct)


def _founding_story_events(w: _Writer, acct: _Account) -> Dispute:
    srv = acct.servers[0]
    ua = w.ua_for(acct.browser, _epoch_day(2025, 3, 19) - acct.lag_days)
    home = acct.home_blocks

    # 2025-03-19: he boots the rescue system (evening, Köln) and leaves it again later.
    ip1 = f"{home[0]}{87}"
    t = w.web_session(_ts(2025, 3, 19, 18, 36, 12), acct, ip1, ua, pages=1, logout=True,
                      actions=[("rescue_enable", srv, {"image": "rescue-x86_64"})])
    w.downtime.append((t, _ts(2025, 3, 19, 21, 6)))
    w.web_session(_ts(2025, 3, 19, 21, 1, 40), acct, ip1, ua, pages=0, logout=True,
                  actions=[("rescue_disable", srv, None)])
    # 2025-03-20: reinstall with openSUSE, then logs in to the fresh system.
    ip2 = f"{home[0]}{112}"
    ua = w.ua_for(acct.browser, _epoch_day(2025, 3, 20) - acct.lag_days)
    t = w.web_session(_ts(2025, 3, 20, 17, 52, 3), acct, ip2, ua, pages=2, logout=True,
                      actions=[("reinstall", srv, {"os": "openSUSE Leap 15.6"})])
    w.downtime.append((t - 600, t + 900))
    w.sshd_login(t + 1140, ip2, "password", None)
    # March 2026: his ordinary visits in the weeks before, same browser.
    for day, hh, mm in ((11, 19, 2), (17, 18, 26)):
        ua = w.ua_for(acct.browser, _epoch_day(2026, 3, day) - acct.lag_days)
        w.web_session(_ts(2026, 3, day, hh, mm, 44), acct, f"{home[day % 2]}{40 + day}", ua, pages=3)
    # 2026-03-22: the reinstall with CentOS, in his own session: password
    # login without a failure, his browser and his line; then he logs in.
    ip3 = f"{home[1]}{31}"
    ua = w.ua_for(acct.browser, _epoch_day(2026, 3, 22) - acct.lag_days)
    t0 = _ts(2026, 3, 22, 20, 7, 26)
    t = w.web_session(t0, acct, ip3, ua, pages=1, logout=True, think=(4, 30),
                      actions=[("reinstall", srv, {"os": "CentOS Stream 9"})])
    w.downtime.append((t - 600, t + 900))
    w.sshd_login(t + 1230, ip3, "password", None)
    action_time = _action_time(w, acct.account, "reinstall", t0)
    return Dispute(
        account=acct.account,
        user=acct.user,
        description=("The founding story: the customer claims the provider used the rescue system on "
                     "\"19.03.\", reinstalled SUSE on \"20.03.\" and CentOS on \"23.03.\". The logs show "
                     "the rescue system and the SUSE reinstall were his own, on 2025-03-19 and 2025-03-20, "
                     "and the CentOS reinstall on 2026-03-22 in his own session: password login without a "
                     "failed attempt, a human click-stream, his usual browser and his usual ISP range."),
        action="reinstall",
        target=srv,
        action_time=action_time,
        since=dt.datetime(2026, 3, 15, tzinfo=UTC),
        until=dt.datetime(2026, 3, 29, tzinfo=UTC),
        expected_assessment="account_holder",
        claims=("19.03. Rettungssystem unbefugt benutzt", "20.03. SUSE neu installiert",
                "23.03. CentOS installiert"),
        claims_language="de",
        tz="Europe/Berlin",
        expected_claims=(
            ClaimExpectation("19.03. Rettungssystem unbefugt benutzt", "different_year", "rescue_enable",
                             dt.date(2025, 3, 19), year=2025),
            ClaimExpectation("20.03. SUSE neu installiert", "different_year", "reinstall",
                             dt.date(2025, 3, 20), year=2025),
            ClaimExpectation("23.03. CentOS installiert", "off_by_days", "reinstall",
                             dt.date(2026, 3, 22), days_off=1),
        ),
    )


def _takeover_story(w: _Writer, acct: _Account) -> Dispute:
    """An account really taken over: reset from abroad, new browser, reinstall."""
    with _own_rng(w, f"takeover-story-{acct.account}"):
        return _takeover_story_events(w, acct)


def _takeover_story_events(w: _Writer, acct: _Account) -> Dispute:
    rng = w.rng
    srv = acct.servers[0]
    attacker_ip = _random_ip(rng, "digitalocean_sg")
    attacker_ua = w.ua_for("chrome_linux", _epoch_day(2026, 4, 2))
    t = _ts(2026, 4, 2, 2, 51, 7)
    # The reset: forgot-password form, the mailed link, a new password.
    w._page(t, attacker_ip, "-", "/login", 7480, "-", attacker_ua, _COMMON_ASSETS)
    t += rng.randrange(3, 8)
    t = _password_reset(w, t, acct, attacker_ip, attacker_ua, waits=((8, 15), (40, 90), (15, 30)))
    # Straight in, straight to the server, reinstall.
    attacker = _Account(**{**asdict(acct), "auth": "password"})
    t = w.web_session(t + rng.randrange(5, 12), attacker, attacker_ip, attacker_ua, pages=0, logout=False,
                      think=(2, 9), from_reset=True, actions=[("reinstall", srv, {"os": "Debian 12"})])
    action_time = _action_time(w, acct.account, "reinstall", t - 120)
    # The holder in the morning: the password no longer works; he resets it.
    home_ip = f"{acct.home_blocks[0]}{rng.randrange(2, 250)}"
    holder_ua = w.ua_for(acct.browser, _epoch_day(2026, 4, 2) - acct.lag_days)
    t = _ts(2026, 4, 2, 6, 48, 31)
    w._page(t, home_ip, "-", "/login", 7480, "-", holder_ua, _COMMON_ASSETS)
    for _ in range(2):
        t += rng.randrange(9, 20)
        w.access(t, home_ip, "-", "POST", "/login", 200, 7702, PANEL_URL + "/login", holder_ua)
        w.panel(t, acct.account, "login", result="failure", user=acct.user, auth="password", ip=home_ip,
                ua=holder_ua, detail={"reason": "wrong password"})
    t += rng.randrange(20, 40)
    t = _password_reset(w, t, acct, home_ip, holder_ua, waits=((10, 20), (60, 180), (20, 40)))
    w.web_session(t + rng.randrange(5, 15), acct, home_ip, holder_ua, pages=3, logout=True, from_reset=True)
    return Dispute(
        account=acct.account,
        user=acct.user,
        description=("A contrasting account that really was taken over: at night a password reset was "
                     "requested and completed from a network and country the account had never used "
                     "(DigitalOcean, Singapore), with a browser never seen before, and the server was "
                     "reinstalled minutes later; in the morning the holder's own password failed."),
        action="reinstall",
        target=srv,
        action_time=action_time,
        since=dt.datetime(2026, 3, 26, tzinfo=UTC),
        until=dt.datetime(2026, 4, 9, tzinfo=UTC),
        expected_assessment="compromise_suspected",
        claims=("On 2 April my server was reinstalled and I did not do it",),
        claims_language="en",
        tz="Europe/Berlin",
        expected_claims=(
            ClaimExpectation("On 2 April my server was reinstalled and I did not do it", "exact", "reinstall",
                             dt.date(2026, 4, 2)),
        ),
    )


def _password_reset(w: _Writer, t: int, acct: _Account, ip: str, ua: str,
                    waits: tuple[tuple[int, int], ...]) -> int:
    """The forgot-password form, the mailed link, a new password: the access
    log's requests and the panel's two events.  `waits` are the seconds
    (ranges) before the form is sent, the link is opened and the new password
    is sent.  Returns the time of the reset."""
    w._page(t, ip, "-", "/password/forgot", 6120, PANEL_URL + "/login", ua)
    t += w.rng.randrange(*waits[0])
    w.access(t, ip, "-", "POST", "/password/forgot", 302, 154, PANEL_URL + "/password/forgot", ua)
    w.panel(t, acct.account, "password_reset_request", user=acct.user, ip=ip, ua=ua,
            detail={"email": "sent to the account's address"})
    t += w.rng.randrange(*waits[1])
    token = f"{w.rng.getrandbits(96):024x}"
    w._page(t, ip, "-", f"/password/reset?token={token}", 6533, "-", ua)
    t += w.rng.randrange(*waits[2])
    w.access(t, ip, "-", "POST", "/password/reset", 302, 154, f"{PANEL_URL}/password/reset?token={token}", ua)
    w.panel(t, acct.account, "password_reset", user=acct.user, ip=ip, ua=ua, detail={"via": "e-mail link"})
    return t


def _action_time(w: _Writer, account: str, event: str, after: int) -> dt.datetime:
    for t, _, line in reversed(w.buffers["panel"]):
        if t >= after and f'"account":"{account}"' in line and f'"event":"{event}"' in line:
            return _at(t)
    raise AssertionError(f"scripted {event} of {account} not found")  # a bug in this module


# --------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------
def _months_before(end: dt.datetime, months: int) -> dt.datetime:
    year, month = end.year, end.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(end.day, 28)
    return end.replace(year=year, month=month, day=day)


def _make_accounts(rng: random.Random, n: int, session_scale: float) -> list[_Account]:
    accounts = []
    used_users: set[str] = set()
    server_no = 20000
    for i in range(n):
        first = _FIRST[rng.randrange(len(_FIRST))]
        last = _LAST[rng.randrange(len(_LAST))]
        user = f"{first[0]}{last}"
        while user in used_users:
            user = f"{first[0]}{last}{rng.randrange(2, 99)}"
        used_users.add(user)
        home = _weighted(rng, _HOME_ISPS)
        ipv6 = home == "dtag" and rng.random() < 0.2
        mobile_net = _MOBILE_FOR.get(home)
        mobile = (_weighted(rng, _MOBILE_BROWSERS), mobile_net) if mobile_net and rng.random() < 0.4 else None
        servers = []
        for _ in range(1 if rng.random() < 0.6 else rng.randrange(2, 4)):
            server_no += rng.randrange(1, 40)
            servers.append(f"vps-{server_no}")
        api = None
        if rng.random() < 0.1:
            api = (f"key-{rng.getrandbits(32):08x}", _random_ip(rng, ("hetzner", "ovh")[rng.randrange(2)]),
                   _API_CLIENTS[rng.randrange(len(_API_CLIENTS))])
        accounts.append(_Account(
            account=f"K-{10001 + i}",
            user=user,
            home=home,
            home_blocks=_home_blocks(rng, home, ipv6),
            ipv6=ipv6,
            browser=_weighted(rng, _DESKTOP_BROWSERS),
            lag_days=rng.randrange(0, 15),
            mobile=mobile,
            rate_per_day=_weighted(rng, _RATES) * session_scale / 30.44,
            auth="password+mfa" if rng.random() < 0.2 else "password",
            servers=tuple(servers),
            api=api,
            typo_rate=(0.0, 0.02, 0.05, 0.1)[rng.randrange(4)],
            backups=rng.random() < 0.1,
        ))
    return accounts


def generate_sample(out_dir, *, accounts: int = 200, months: int = 15, seed: int = DEFAULT_SEED,
                    events_per_account_month: float | None = None,
                    end: dt.datetime | None = None,
                    on_main_logs: Callable[[], None] | None = None) -> SampleManifest:
    """Write the sample case (three logs, two GeoIP databases, a manifest) into `out_dir`.

    Args:
        out_dir: directory to write into (created if missing); existing
            sample files in it are overwritten.
        accounts: number of customer accounts.
        months: length of the period, ending at `end`.
        seed: everything random derives from it: same arguments, same bytes.
        events_per_account_month: approximate log lines (all three files)
            per account and month; None keeps the natural mix (about 55, plus
            the bots, whose traffic does not grow with the accounts).
            The benchmark suite raises it to build large cases.
        end: end of the period (aware datetime); default 2026-04-15T00:00Z,
            which puts the scripted disputes in March/April 2026.
        on_main_logs: called once the panel audit log, the panel access log
            and the auth log are complete (written, closed, their times
            set), before the mail, ticket and story logs and the GeoIP
            databases: `forensics demo` starts ingesting them then.

    Returns:
        A SampleManifest with the paths, line counts, period and the
        scripted disputes.  The disputes are included when the period
        covers their dates (2025-03-19 .. 2026-04-02) and there are at least
        two accounts.
    """
    from forensics.errors import ForensicsError

    if accounts < 1 or months < 1:
        raise ForensicsError("the sample needs at least one account and one month")
    if end is not None and end.tzinfo is None:
        raise ForensicsError("end must be an aware datetime (e.g. 2026-04-15T00:00:00+00:00)")
    end = (end or DEFAULT_END).astimezone(UTC)
    start = _months_before(end, months)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ForensicsError(f"cannot create {out}: {exc.strerror}") from None

    rng = _Random(seed)
    natural_rate = sum(r * w for r, w in _RATES) / sum(w for _, w in _RATES)
    scale = 1.0
    if events_per_account_month:
        scale = float(events_per_account_month) / (natural_rate * _LINES_PER_SESSION)
    people = _make_accounts(rng, accounts, scale)

    with_disputes = (accounts >= 2 and start <= dt.datetime(2025, 3, 12, tzinfo=UTC)
                     and end >= dt.datetime(2026, 4, 9, tzinfo=UTC))
    founding = takeover = outage = None
    auth_host = people[0].servers[0]
    if with_disputes:
        founding = people[min(22, accounts - 2)]
        takeover = people[min(187, accounts - 1)]
        # The founding customer: a desktop Firefox user on Telekom's lines
        # who logs in a few times a month and never mistypes his password.
        rebuilt = _Account(**{**asdict(founding),
                              "home": "dtag", "home_blocks": ("217.235.142.", "217.235.87."), "ipv6": False,
                              "browser": "firefox_win", "lag_days": 3, "mobile": None,
                              "rate_per_day": max(founding.rate_per_day, 4.0 * scale / 30.44),
                              "auth": "password", "api": None, "typo_rate": 0.0, "scripted": True,
                              "quiet_days": frozenset(_days_around((2025, 3, 19), (2025, 3, 20), (2026, 3, 22)))})
        people[people.index(founding)] = founding = rebuilt
        rebuilt = _Account(**{**asdict(takeover),
                              "home": "vodafone_de", "home_blocks": _home_blocks(rng, "vodafone_de", False),
                              "ipv6": False, "browser": "chrome_mac", "mobile": ("safari_iphone", "vodafone_mobile"),
                              "rate_per_day": max(takeover.rate_per_day, 3.0 * scale / 30.44),
                              "auth": "password", "api": None, "typo_rate": 0.0, "scripted": True,
                              "quiet_days": frozenset(_days_around((2026, 4, 2),))})
        people[people.index(takeover)] = takeover = rebuilt
        auth_host = founding.servers[0]
        # The outage story's customer keeps his ordinary traffic (no draw of the
        # shared generator changes): only his server's incident is scripted.
        candidate = people[min(131, accounts - 1)]
        outage = candidate if not candidate.scripted else None
    # The notices story (story_notices): an ordinary account, its panel
    # lines written from the story's own RNG.
    notice_acct = people[min(77, accounts - 3)] if with_disputes and accounts >= 3 else None

    start_ts, end_ts = int(start.timestamp()), int(end.timestamp())
    writer = _Writer(out, rng, start_ts, end_ts, auth_host)
    try:
        disputes, stories = _run_days(writer, people, start_ts, end_ts, founding, takeover, notice_acct, outage)
    finally:
        writer.close()
    for path in (out / PANEL_LOG, out / ACCESS_LOG, out / AUTH_LOG):
        # The auth log is year-less syslog: ingest infers the year from the
        # file's modification time, so it must be the end of the period.
        os.utime(path, (end_ts, end_ts))
    if on_main_logs is not None:
        on_main_logs()
    notice_dispute = getattr(writer, "notice_dispute", None)
    contact_counts = story_notices.write_mail_and_tickets(out, people, notice_dispute, start_ts, end_ts, seed)
    story_logs = []
    for scenario in stories:
        from forensics.demo.story_outage import write_logs

        logs = write_logs(out, scenario)
        story_logs += [(logs.monitoring, None), (logs.syslog, scenario.service), (logs.access, scenario.domain)]

    asn_db, city_db = build_geoip_databases(out, build_epoch=end_ts)
    for path in (out / story_notices.MAIL_LOG, out / story_notices.TICKETS):
        os.utime(path, (end_ts, end_ts))     # the mail log is year-less syslog too
    manifest = SampleManifest(
        out_dir=out,
        panel_log=out / PANEL_LOG,
        access_log=out / ACCESS_LOG,
        auth_log=out / AUTH_LOG,
        geoip_db=(asn_db, city_db),
        auth_log_host=auth_host,
        auth_log_tz=AUTH_LOG_TZ,
        counts={PANEL_LOG: writer.counts["panel"], ACCESS_LOG: writer.counts["access"],
                AUTH_LOG: writer.counts["auth"], **contact_counts,
                **{p.name: sum(1 for _ in open(p, "rb")) for p, _host in story_logs}},
        period=(start, end),
        disputes=disputes,
        story_logs=story_logs,
        seed=seed,
        accounts=accounts,
        months=months,
        mail_log=out / story_notices.MAIL_LOG,
        tickets=out / story_notices.TICKETS,
        notice_disputes=[notice_dispute] if notice_dispute is not None else [],
    )
    (out / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    return manifest


def _days_around(*dates, spread: int = 2) -> list[int]:
    out = []
    for y, m, d in dates:
        day = _epoch_day(y, m, d)
        out.extend(range(day - spread, day + spread + 1))
    return out


def _run_days(w: _Writer, people: list[_Account], start_ts: int, end_ts: int,
              founding: _Account | None, takeover: _Account | None,
              notice_acct: _Account | None = None, outage: _Account | None = None):
    rng = w.rng
    ua_for = w.ua_for
    first_day, last_day = start_ts // _DAY, (end_ts - 1) // _DAY
    stuffing_victims = [a for a in people if not a.scripted]
    staff_accounts = [a for a in stuffing_victims if rng.random() < 0.08]
    staff_days = {}
    for a in staff_accounts:
        for _ in range(rng.randrange(1, 4)):
            staff_days.setdefault(rng.randrange(first_day, last_day + 1), []).append(a)
    maintenance_day = rng.randrange(first_day, last_day + 1)
    api_accounts = [a for a in people if a.api is not None]
    # people[0] always backs up, so the panel log has no silent day (a gap
    # the investigation would have to report) even in tiny samples.
    backup_accounts = [a for a in people if a.backups or a is people[0]]
    scripted_days = {}
    if founding is not None:
        scripted_days[_epoch_day(2025, 3, 19)] = "founding"
        scripted_days[_epoch_day(2026, 4, 2)] = "takeover"
    if notice_acct is not None:
        scripted_days[_epoch_day(2025, 11, 4)] = "notices"
    if outage is not None:
        scripted_days[_epoch_day(2026, 3, 9)] = "outage"
    disputes: list[Dispute] = []
    stories = []
    ssh_key = f"{rng.getrandbits(256):064x}"[:43]
    # Hours (UTC) people use the panel: mostly evenings, some office hours.
    hours = [h for h, weight in enumerate((1, 0, 0, 0, 1, 2, 4, 6, 7, 7, 6, 6, 6, 6, 6, 7, 8, 10, 12, 13, 11, 8, 5, 2))
             for _ in range(weight)]
    for day in range(first_day, last_day + 1):
        day_ts = day * _DAY
        story = scripted_days.get(day)
        if story == "founding":
            disputes.append(_founding_story(w, founding))
        elif story == "takeover":
            disputes.append(_takeover_story(w, takeover))
        elif story == "notices":
            w.notice_dispute = story_notices.panel_story(w, notice_acct)
        elif story == "outage":
            from forensics.demo.story_outage import outage_story

            dispute, scenario = outage_story(w, outage, _at(start_ts), _at(end_ts))
            disputes.append(dispute)
            stories.append(scenario)
        # Customers.
        for acct in people:
            p = acct.rate_per_day
            n = int(p)
            if rng.random() < p - n:
                n += 1
            if not n or day in acct.quiet_days:
                continue
            for _ in range(n):
                t = day_ts + hours[rng.randrange(len(hours))] * 3600 + rng.randrange(3600)
                if acct.mobile is not None and rng.random() < 0.25:
                    browser, net = acct.mobile
                    ip = _random_ip(rng, net)
                else:
                    browser = acct.browser
                    blk = acct.home_blocks[rng.randrange(len(acct.home_blocks))]
                    if acct.ipv6:
                        ip = f"{blk}{rng.randrange(1, 65536):x}:{rng.randrange(1, 65536):x}:{rng.randrange(1, 65536):x}:{rng.randrange(1, 65536):x}"
                    else:
                        ip = f"{blk}{rng.randrange(2, 255)}"
                ua = ua_for(browser, day - acct.lag_days)
                actions = ()
                x = rng.random()
                srv = acct.servers[rng.randrange(len(acct.servers))]
                if x < 0.06:
                    actions = (("reboot", srv, None),)
                elif not acct.scripted:
                    if x < 0.075:
                        actions = (("reinstall", srv, {"os": _OS_IMAGES[rng.randrange(len(_OS_IMAGES))]}),)
                    elif x < 0.085:
                        actions = (("rescue_enable", srv, {"image": "rescue-x86_64"}), ("rescue_disable", srv, None))
                    elif x < 0.095:
                        actions = (("power_off", srv, None), ("power_on", srv, None))
                    elif x < 0.1:
                        actions = (("password_change", srv, None),)
                failed = 1 if rng.random() < acct.typo_rate else 0
                w.web_session(t, acct, ip, ua, actions=actions, failed_first=failed)
            # The founding customer's own sshd logins on his server.
        if founding is not None and day not in founding.quiet_days and rng.random() < 0.3:
            blk = founding.home_blocks[rng.randrange(2)]
            w.sshd_login(day_ts + rng.randrange(16, 22) * 3600 + rng.randrange(3600), f"{blk}{rng.randrange(2, 255)}",
                         "publickey", ssh_key)
        elif founding is None and rng.random() < 0.3:
            a = people[0]
            w.sshd_login(day_ts + rng.randrange(8, 22) * 3600, f"{a.home_blocks[0]}{rng.randrange(2, 255)}"
                         if not a.ipv6 else f"{a.home_blocks[0]}1:2:3:4", "publickey", ssh_key)
        # API clients (cron jobs at a fixed minute).
        for acct in api_accounts:
            if rng.random() < 0.4:
                w.api_call(day_ts + 3 * 3600 + 17 * 60 + rng.randrange(0, 20), acct,
                           ("reboot", "snapshot_create", "snapshot_create")[rng.randrange(3)], acct.servers[0])
        # System jobs: nightly backups, invoices on the 1st, one maintenance night.
        date = dt.date(1970, 1, 1) + dt.timedelta(days=day)
        for acct in backup_accounts:
            w.panel(day_ts + 2 * 3600 + rng.randrange(1800), acct.account, "backup", actor="system",
                    user="backup-scheduler", target=acct.servers[0], detail={"job": "nightly"})
        for acct in people if date.day == 1 else ():
            w.panel(day_ts + 6 * 3600 + rng.randrange(600), acct.account, "notification_sent", actor="system",
                        user="billing", detail={"template": "invoice", "period": f"{date.year}-{date.month:02d}"})
        if day == maintenance_day:
            for acct in stuffing_victims[: max(1, len(stuffing_victims) // 20)]:
                w.panel(day_ts + 4 * 3600 + rng.randrange(900), acct.account, "reboot", actor="system",
                        user="scheduler", target=acct.servers[0],
                        detail={"job": "host-maintenance", "ticket": "MAINT-2271"})
        for acct in staff_days.get(day, ()):
            w.staff_session(day_ts + rng.randrange(8, 17) * 3600 + rng.randrange(3600), acct, day)
        # Bots.
        for _ in range(rng.randrange(2, 7)):
            w.sshd_bot_burst(day_ts + rng.randrange(_DAY))
        for _ in range(rng.randrange(2, 7)):
            w.panel_bots(day_ts + rng.randrange(_DAY), stuffing_victims)
        w.flush(day_ts + _DAY)
    return disputes, stories
