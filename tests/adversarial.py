"""Adversarial dispute cases: takeovers that imitate the holder, holders that look odd.

A seeded generator in the style of the demo's (`forensics.demo.generator`,
whose writer, click-flows, browsers and ISP ranges it reuses): one case per
seed with a dozen ordinary customers, bots, and one account per scenario,
each with a year of its own history.  The logs are written as files (panel
JSON Lines, nginx access log) and go through the real pipeline (ingest,
enrich with the demo's GeoIP databases, investigate).

Every scenario says who really did the disputed action (`truth`: takeover or
holder) and the answers a careful investigator would defend (`defensible`):

* takeovers: `compromise_suspected` where the logs point to someone else, or
  at least `inconclusive`; never `account_holder`;
* holders: `account_holder` or `inconclusive`; never `compromise_suspected`.

`run(seed)` builds the case and returns one `Outcome` per scenario;
`tools/adversarial_table.py` prints the README's table from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from forensics.demo.generator import (ACCESS_LOG, PANEL_LOG, PANEL_URL, _Account, _epoch_day, _home_blocks,
                                      _password_reset, _random_ip, _ts, _Writer, _DAY)
from forensics.demo.geoip_sample import NETWORKS_BY_KEY, blocks, build_geoip_databases

START = dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 4, 15, tzinfo=dt.timezone.utc)
LOAD_BALANCER = "10.10.0.5"              # the panel's load balancer (a trusted proxy)
TRUSTED_PROXIES = ["10.10.0.0/24"]
BOT_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")
TAKEOVER, HOLDER = "takeover", "holder"
DEFENSIBLE = {TAKEOVER: ("compromise_suspected", "inconclusive"), HOLDER: ("account_holder", "inconclusive")}


@dataclass
class Scenario:
    name: str
    truth: str                 # takeover | holder
    account: str
    event: str                 # the disputed action
    at: int                    # its time (epoch seconds)
    expected: str              # what a careful investigator says
    since: dt.datetime
    until: dt.datetime
    description: str


@dataclass
class Outcome:
    scenario: Scenario
    seed: int
    assessment: str | None
    finding: object

    @property
    def defensible(self) -> bool:
        return self.assessment in DEFENSIBLE[self.scenario.truth]


class _ProxiedWriter(_Writer):
    """The demo's writer, with some clients behind the panel's load balancer:
    their requests are logged with the balancer's address and the client in
    a trailing X-Forwarded-For field (nginx `main` format)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.behind_proxy: set[str] = set()

    def access(self, t, ip, user, method, path, status, size, referrer, ua, proto="HTTP/2.0"):
        if ip not in self.behind_proxy:
            return super().access(t, ip, user, method, path, status, size, referrer, ua, proto)
        self.seq += 1
        # The balancer's log knows no panel user: only the address can join these requests.
        self.buffers["access"].append((t, self.seq, f'{LOAD_BALANCER} - - [{self.clf(t)}] "{method} {path} '
                                                    f'{proto}" {status} {size} "{referrer}" "{ua}" "{ip}"'))


def _person(rng, account, user, home, browser, *, mobile=None, ipv6=False, rate=3.0, auth="password"):
    return _Account(account=account, user=user, home=home, home_blocks=_home_blocks(rng, home, ipv6), ipv6=ipv6,
                    browser=browser, lag_days=rng.randrange(0, 10), mobile=mobile, rate_per_day=rate / 30.44,
                    auth=auth, servers=(f"vps-{rng.randrange(30000, 39999)}",), api=None, typo_rate=0.0,
                    scripted=True)


def _home_in(rng, network_key: str, city: str) -> tuple[str, ...]:
    """Two /24s of a home ISP's block in one city (the demo's GeoIP places each block)."""
    net = NETWORKS_BY_KEY[network_key]
    for cidr in net.cidrs:
        for block, place in blocks(net, cidr):
            if place.city == city and block.version == 4:
                a, b = str(block.network_address).split(".")[:2]
                return tuple(f"{a}.{b}.{c}." for c in rng.sample(range(1, 255), 2))
    raise AssertionError(f"no {city} block in {network_key}")


def _home_ip(rng, a: _Account) -> str:
    blk = a.home_blocks[rng.randrange(len(a.home_blocks))]
    if a.ipv6:   # privacy extensions: a new interface id every time
        return f"{blk}{rng.randrange(1, 65536):x}:{rng.randrange(1, 65536):x}:{rng.randrange(1, 65536):x}:" \
               f"{rng.randrange(1, 65536):x}"
    return f"{blk}{rng.randrange(2, 255)}"


def _history(w: _Writer, rng, a: _Account, until: int, *, mobile_share=0.0, ips=None):
    """The account's own sessions from START to `until`: evenings, its browser updating itself."""
    day = int(START.timestamp()) // _DAY
    last = until // _DAY
    while day < last:
        if rng.random() < a.rate_per_day:
            t = day * _DAY + rng.randrange(17, 21) * 3600 + rng.randrange(3600)
            if t < until - 3600:
                if a.mobile and rng.random() < mobile_share:
                    browser, ip = a.mobile[0], _random_ip(rng, a.mobile[1])
                else:
                    browser, ip = a.browser, (ips(rng) if ips else _home_ip(rng, a))
                actions = ((("reboot", a.servers[0], None),) if rng.random() < 0.08 else ())
                w.web_session(t, a, ip, w.ua_for(browser, day - a.lag_days), actions=actions)
        day += 1


def _ua(w, a, t, weeks_back=0):
    return w.ua_for(a.browser, t // _DAY - a.lag_days - 7 * weeks_back)


def _scripted(w: _Writer, t: int, a: _Account, ip: str, ua: str, event: str, detail) -> int:
    """A program: POST /login straight away, no page, no asset, no referrer, sub-second pacing."""
    srv = a.servers[0]
    w.access(t, ip, "-", "POST", "/login", 302, 154, "-", ua)
    session = w.session_id()
    w.panel(t, a.account, "login", user=a.user, auth="password", session=session, ip=ip, ua=ua)
    w.access(t, ip, a.user, "POST", f"/servers/{srv}/reinstall", 302, 154, "-", ua)
    w.access(t + 1, ip, a.user, "POST", f"/servers/{srv}/reinstall/confirm", 302, 154, "-", ua)
    w.panel(t + 1, a.account, event, user=a.user, auth="password", session=session, ip=ip, ua=ua, target=srv,
            detail=detail)
    w.access(t + 1, ip, a.user, "GET", f"/servers/{srv}", 200, 22410, "-", ua)
    w.access(t + 2, ip, a.user, "GET", "/logout", 302, 154, "-", ua)
    return t + 1


def _day_at(rng, base: dt.date, hour: int) -> int:
    d = base + dt.timedelta(days=rng.randrange(0, 20))
    return _ts(d.year, d.month, d.day, hour, rng.randrange(0, 59), rng.randrange(0, 59))


def _window(t: int, before=2, after=2):
    at = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return at - dt.timedelta(days=before), at + dt.timedelta(days=after)


def _last_action(w: _Writer, account: str, event: str, after: int) -> int:
    for t, _, line in reversed(w.buffers["panel"]):
        if t >= after and f'"account":"{account}"' in line and f'"event":"{event}"' in line:
            return t
    raise AssertionError(f"{event} of {account} not written")


def generate(out_dir: Path, seed: int) -> list[Scenario]:
    """Write the seed's logs and GeoIP databases into `out_dir`; return the scenarios."""
    rng = random.Random(seed)
    start_ts, end_ts = int(START.timestamp()), int(END.timestamp())
    w = _ProxiedWriter(out_dir, rng, start_ts, end_ts, "vps-30000")
    scenarios: list[Scenario] = []
    names = iter(range(40001, 40100))

    def account(home, browser, **kw):
        n = next(names)
        return _person(rng, f"K-{n}", f"user{n}", home, browser, **kw)

    # Ordinary customers: targets of the bots, and the panel's everyday traffic.
    crowd = [account(rng.choice(("dtag", "vodafone_de", "telefonica_de", "o2_cz", "orange_pl")),
                     rng.choice(("chrome_win", "firefox_win", "safari_mac", "edge_win")), rate=2.0)
             for _ in range(12)]
    for a in crowd:
        _history(w, rng, a, end_ts)
    for day in range(start_ts // _DAY, end_ts // _DAY):
        w.panel(day * _DAY + 7200 + rng.randrange(1800), crowd[0].account, "backup", actor="system",
                user="backup-scheduler", target=crowd[0].servers[0], detail={"job": "nightly"})
        if rng.random() < 0.5:
            w.panel_bots(day * _DAY + rng.randrange(_DAY), crowd)

    # 1. Stolen password, the holder's browser string copied from an old session, at 03:30
    #    local time from an ISP the account never used.
    a = account("dtag", "firefox_win")
    t = _day_at(rng, dt.date(2026, 3, 1), 1) + 1800
    _history(w, rng, a, t)
    ip = _random_ip(rng, "telefonica_de")
    w.web_session(t, a, ip, _ua(w, a, t, weeks_back=10), pages=1, logout=False, think=(3, 12),
                  actions=[("reinstall", a.servers[0], {"os": "Debian 12"})])
    w.web_session(t + 5 * 3600, a, _home_ip(rng, a), _ua(w, a, t))   # the holder, next morning
    scenarios.append(Scenario("stolen password, copied old browser string", TAKEOVER, a.account, "reinstall",
                              _last_action(w, a.account, "reinstall", t), "compromise_suspected", *_window(t),
                              "a new ISP at 03:30 local time with a browser version the holder left weeks ago"))

    # 2. A script with the holder's exact current browser string, from another /24 of his ISP.
    a = account("vodafone_de", "chrome_mac")
    t = _day_at(rng, dt.date(2026, 3, 1), 10)
    _history(w, rng, a, t)
    ip = _random_ip(rng, "vodafone_de")
    _scripted(w, t, a, ip, _ua(w, a, t), "reinstall", {"os": "Ubuntu 24.04 LTS"})
    scenarios.append(Scenario("scripted login with the holder's browser string from his ISP", TAKEOVER, a.account,
                              "reinstall", t + 1, "compromise_suspected", *_window(t),
                              "POST /login without the page, no assets, no referrer, sub-second pacing"))

    # 3. A scouting login four days before, then the takeover from the same network.
    a = account("dtag", "chrome_win")
    t = _day_at(rng, dt.date(2026, 3, 1), 20)
    _history(w, rng, a, t - 5 * _DAY)
    attacker_block = _random_ip(rng, "vodafone_de").rsplit(".", 1)[0] + "."
    old = _ua(w, a, t, weeks_back=9)
    w.web_session(t - 4 * _DAY, a, f"{attacker_block}{rng.randrange(2, 250)}", old, pages=2, logout=True)
    w.web_session(t, a, f"{attacker_block}{rng.randrange(2, 250)}", old, pages=1, logout=False,
                  actions=[("reinstall", a.servers[0], {"os": "Debian 12"})])
    scenarios.append(Scenario("scouting login days before the takeover", TAKEOVER, a.account, "reinstall",
                              _last_action(w, a.account, "reinstall", t), "compromise_suspected",
                              *_window(t, before=1), "one look-around session from the attacker's network"))

    # 4. A credential-stuffing wave that ends in a success.
    a = account("telefonica_de", "edge_win")
    t = _day_at(rng, dt.date(2026, 3, 1), 4)
    _history(w, rng, a, t)
    bots = [_random_ip(rng, rng.choice(("ovh", "digitalocean_us", "ipvolume", "chinanet_js"))) for _ in range(25)]
    tt = t - 3 * 3600
    for k in range(300):
        victim = crowd[rng.randrange(len(crowd))]
        w.access(tt, bots[k % 25], "-", "POST", "/login", 200, 7702, "-", BOT_UA, "HTTP/1.1")
        w.panel(tt, victim.account, "login", result="failure", user=victim.user, auth="password",
                ip=bots[k % 25], ua=BOT_UA, detail={"reason": "wrong password"})
        tt += rng.randrange(10, 60)
    w.web_session(t, a, bots[7], BOT_UA, pages=0, logout=False, think=(2, 9),
                  actions=[("reinstall", a.servers[0], {"os": "Debian 12"})])
    scenarios.append(Scenario("credential-stuffing wave ending in a success", TAKEOVER, a.account, "reinstall",
                              _last_action(w, a.account, "reinstall", t), "compromise_suspected", *_window(t),
                              "300 failures against other accounts from 25 addresses, then a success"))

    # 5. The holder travelling: a hotel line in Prague, his own current browser, his usual hour.
    a = account("dtag", "firefox_win")
    t = _day_at(rng, dt.date(2026, 3, 1), 18)
    _history(w, rng, a, t - 2 * _DAY)
    w.web_session(t, a, _random_ip(rng, "o2_cz"), _ua(w, a, t), pages=2,
                  actions=[("reboot", a.servers[0], None)])
    scenarios.append(Scenario("holder travelling", HOLDER, a.account, "reboot",
                              _last_action(w, a.account, "reboot", t), "inconclusive", *_window(t),
                              "a network and country never used, but his own browser at his usual hour"))

    # 6. A mobile holder behind carrier-grade NAT (country-level location, 200 km radius),
    #    who also logs in from his home line in another city minutes before.
    a = account("vodafone_de", "chrome_win", mobile=("safari_iphone", "vodafone_mobile"))
    a.home_blocks = _home_in(rng, "vodafone_de", "München")   # ~380 km from the country's centre
    t = _day_at(rng, dt.date(2026, 3, 1), 19)
    _history(w, rng, a, t - 3600, mobile_share=0.6)
    w.web_session(t - 1200, a, _home_ip(rng, a), _ua(w, a, t), pages=1)
    w.web_session(t, a, _random_ip(rng, "vodafone_mobile"), w.ua_for("safari_iphone", t // _DAY), pages=1,
                  actions=[("reboot", a.servers[0], None)])
    scenarios.append(Scenario("mobile holder behind carrier-grade NAT", HOLDER, a.account, "reboot",
                              _last_action(w, a.account, "reboot", t), "account_holder", *_window(t),
                              "a new carrier address every time, located to the country only"))

    # 7. IPv6 privacy addresses: a new address every session inside the holder's /56.
    a = account("dtag", "firefox_linux", ipv6=True)
    t = _day_at(rng, dt.date(2026, 3, 1), 20)
    _history(w, rng, a, t)
    w.web_session(t, a, _home_ip(rng, a), _ua(w, a, t), pages=2, actions=[("reinstall", a.servers[0],
                                                                              {"os": "Debian 13"})])
    scenarios.append(Scenario("IPv6 privacy addresses", HOLDER, a.account, "reinstall",
                              _last_action(w, a.account, "reinstall", t), "account_holder", *_window(t),
                              "never the same address twice, always the holder's prefix and ISP"))

    # 8. Takeover (reset from abroad, reinstall), then the holder's recovery: his password
    #    fails, he resets it from home and reinstalls his own system.
    a = account("vodafone_de", "chrome_mac")
    t = _day_at(rng, dt.date(2026, 3, 1), 2)
    _history(w, rng, a, t)
    attacker_ip, attacker_ua = _random_ip(rng, "digitalocean_sg"), w.ua_for("chrome_linux", t // _DAY)
    tt = _password_reset(w, t, a, attacker_ip, attacker_ua, waits=((8, 15), (40, 90), (15, 30)))
    tt = w.web_session(tt + 9, a, attacker_ip, attacker_ua, pages=0, logout=False, think=(2, 9), from_reset=True,
                       actions=[("reinstall", a.servers[0], {"os": "Debian 12"})])
    attack = _last_action(w, a.account, "reinstall", t)
    home, ua = _home_ip(rng, a), _ua(w, a, t)
    tt = t + 4 * 3600
    for _ in range(2):
        tt += rng.randrange(9, 20)
        w.access(tt, home, "-", "POST", "/login", 200, 7702, PANEL_URL + "/login", ua)
        w.panel(tt, a.account, "login", result="failure", user=a.user, auth="password", ip=home, ua=ua,
                detail={"reason": "wrong password"})
    tt = _password_reset(w, tt + 30, a, home, ua, waits=((10, 20), (60, 180), (20, 40)))
    w.web_session(tt + 10, a, home, ua, pages=1, logout=True, from_reset=True,
                  actions=[("reinstall", a.servers[0], {"os": "AlmaLinux 9"})])
    since, until = _window(t)
    scenarios.append(Scenario("takeover before the holder's recovery", TAKEOVER, a.account, "reinstall", attack,
                              "compromise_suspected", since, until,
                              "password reset from a network and country never used, reinstall minutes later"))
    scenarios.append(Scenario("holder's recovery after a takeover", HOLDER, a.account, "reinstall",
                              _last_action(w, a.account, "reinstall", t + 4 * 3600), "account_holder", since, until,
                              "his own reset and reinstall from his usual line, after the attacker's"))
    scenarios.append(Scenario("holder's password reset after a takeover", HOLDER, a.account, "password_reset",
                              _last_action(w, a.account, "password_reset", t + 4 * 3600), "inconclusive", since,
                              until, "a reset through the e-mailed link from his usual line (no login)"))

    # 9. A colleague with his own login, the panel behind a load balancer.
    a = account("telefonica_de", "chrome_win")
    colleague = dataclasses.replace(a, user=a.user + "-ops", browser="firefox_win")
    office = _random_ip(rng, "telefonica_de").rsplit(".", 1)[0] + "."
    office_ips = lambda r: f"{office}{r.randrange(2, 30)}"   # noqa: E731  the office's few addresses
    t = _day_at(rng, dt.date(2026, 3, 1), 14)
    w.behind_proxy.update(f"{office}{k}" for k in range(2, 30))
    _history(w, rng, a, t, ips=office_ips)
    _history(w, rng, colleague, t, ips=office_ips)
    w.web_session(t, colleague, office_ips(rng), _ua(w, colleague, t), pages=2,
                  actions=[("reboot", a.servers[0], None)])
    scenarios.append(Scenario("colleague with his own login behind a load balancer", HOLDER, a.account, "reboot",
                              _last_action(w, a.account, "reboot", t), "account_holder", *_window(t),
                              "the access log shows the balancer; the client is in X-Forwarded-For"))
    w.close()
    (out_dir / "auth.log").unlink(missing_ok=True)   # no sshd in these cases
    build_geoip_databases(out_dir, build_epoch=end_ts)
    return scenarios


def config():
    """The default thresholds, with the load balancer as a trusted proxy."""
    from forensics.config import load_config

    cfg = load_config(None)
    cfg["network"]["trusted_proxies"] = list(TRUSTED_PROXIES)
    return cfg


def run(seed: int, workdir: Path | None = None) -> list[Outcome]:
    """Generate the seed's case, run the pipeline, investigate every scenario."""
    from forensics.case import Case
    from forensics.investigate import investigate

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(workdir or tmp) / f"adversarial-{seed}"
        out.mkdir(parents=True, exist_ok=True)
        for old in (out / "case.duckdb", out / "case.duckdb.wal"):
            old.unlink(missing_ok=True)   # a fresh case every run
        scenarios = generate(out, seed)
        cfg = config()
        outcomes = []
        with Case.open(out / "case.duckdb") as case:
            case.ingest([out / PANEL_LOG, out / ACCESS_LOG])
            case.enrich(geoip_paths=sorted(out.glob("*.mmdb")))
            for sc in scenarios:
                inv = investigate(case, sc.account, since=sc.since, until=sc.until, config=cfg)
                at = dt.datetime.fromtimestamp(sc.at, dt.timezone.utc)
                found = [f for f in inv.findings if f.action.event == sc.event
                         and abs((f.action.ts - at).total_seconds()) < 2]
                finding = found[0] if found else None
                outcomes.append(Outcome(sc, seed, finding.assessment if finding else None, finding))
        return outcomes
