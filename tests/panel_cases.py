"""Generated disputes in the panels' own log formats (issue 12, "end to end per panel").

Started with the WHMCS family: the activity log (tblactivitylog as CSV) and Virtualizor's userlogs record, joined by `--accounts`, with
client-area logins and the VPS module's "Module Rebuild Successful" line, in
the layout of the shipped definition's samples (whmcs-activity-csv.toml).
A holder variant (months of evening logins from the holder's home ISP, then
the rebuild from there) and a takeover variant (a login from a network the
account never used, at night, the rebuild minutes later).  Addresses come
from the demo's GeoIP sample networks, so enrichment places them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from forensics.demo.generator import _home_blocks, _random_ip
from forensics.demo.geoip_sample import build_geoip_databases

START = dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc)
DISPUTE_DAY = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)
CLIENT_ID = "1001"
SERVICE_ID = "1234"
HOLDER, TAKEOVER = "holder", "takeover"


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")   # WHMCS writes the server's local time (UTC here)


def whmcs_case(out: Path, variant: str, seed: int = 1) -> dict:
    """Write `activity.csv`, `virtualizor.jsonl`, `map.csv` and the GeoIP databases; return the disputed rebuild's facts."""
    rng = random.Random(seed)
    blocks = _home_blocks(rng, "dtag", False)
    rows, rid = [], 100
    day = START
    while day < DISPUTE_DAY - dt.timedelta(days=1):
        if rng.random() < 0.25:
            t = day + dt.timedelta(hours=rng.randrange(18, 21), minutes=rng.randrange(60))
            ip = f"{rng.choice(blocks)}{rng.randrange(2, 255)}"
            rows.append((t, "User Logged In", "Client", ip))
            rows.append((t + dt.timedelta(minutes=rng.randrange(2, 20)), "User Logged Out", "Client", ip))
        day += dt.timedelta(days=1)
    if variant == HOLDER:
        t = DISPUTE_DAY + dt.timedelta(hours=19, minutes=12)
        ip = f"{rng.choice(blocks)}{rng.randrange(2, 255)}"
    else:
        t = DISPUTE_DAY + dt.timedelta(hours=2, minutes=47)
        ip = _random_ip(rng, "digitalocean_sg")
    rows.append((t, "User Logged In", "Client", ip))
    action = t + dt.timedelta(minutes=4)
    rows.append((action, f"Module Rebuild Successful - Service ID: {SERVICE_ID}", "Client", ip))
    lines = ["id,date,description,user,userid,ipaddr"]
    for when, text, user, ip_ in sorted(rows):
        rid += 1
        lines.append(f"{rid},{_fmt(when)},{text},{user},{CLIENT_ID},{ip_}")
    (out / "activity.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Virtualizor's own record of the same rebuild (admin API userlogs, one record per
    # line as in virtualizor-logs-jsonl.toml's samples): it names its own user id (17),
    # joined to WHMCS's client id by the account map.
    record = {"actid": "212", "uid": "17", "vpsid": "3628", "action": "rebuildvs", "data": "osid=352",
              "time": str(int(action.timestamp()) + 2), "status": "1", "ip": ip, "email": "jsvoboda@example.cz"}
    (out / "virtualizor.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (out / "map.csv").write_text(f"field,value,account\naccount,17,{CLIENT_ID}\n", encoding="utf-8")
    build_geoip_databases(out, build_epoch=int(DISPUTE_DAY.timestamp()) + 86400 * 30)
    return {"account": CLIENT_ID, "action": "reinstall", "at": action, "ip": ip}


# --------------------------------------------------------------------------
# cPanel & WHM: login_log, session_log, access_log (cpsrvd), api_log and
# /var/cpanel/accounting.log, in the layouts of the shipped definitions'
# samples (cpanel-login-log.toml, cpanel-session-log.toml, cpanel-api-log.toml,
# cpanel-accounting.toml) and of cPanel's access_log (formats/access.py).
#
# The disputed action is a restore of the account's files from a backup
# (UAPI FileRestoration::restore_file, cPanel's "reinstall" of a shared
# account: the site as it was is overwritten), logged in api_log with the
# session's cpsess token.

CPANEL_USER = "tzimmer"
CPANEL_DOMAIN = "tzimmermann.example"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/118.0.0.0 Safari/537.36")


def _cp_ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S +0000")


def _cp_access(t: dt.datetime, ip: str, path: str, ua: str, method: str = "GET", status: int = 200,
               size: int = 0, referer: str = "") -> str:
    return (f'{ip} - {CPANEL_USER} [{t.strftime("%m/%d/%Y:%H:%M:%S")} -0000] "{method} {path} HTTP/1.1" '
            f'{status} {size} "{referer}" "{ua}" "s" "-" 2083')


def _cp_session(lines: dict, rng: random.Random, t: dt.datetime, ip: str, ua: str, api_calls=()) -> dt.datetime:
    """One cPanel web session: login, session, a few clicked pages, the API calls, logout."""
    token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
    cpsess = f"cpsess{rng.randrange(10**9, 10**10)}"
    lines["access_log"].append(_cp_access(t - dt.timedelta(seconds=2), ip, "/login/?login_only=1", ua, "POST"))
    lines["login_log"].append(f"[{_cp_ts(t)}] info [cpaneld] {ip} - {CPANEL_USER} - SUCCESS LOGIN cpaneld")
    lines["session_log"].append(
        f"[{_cp_ts(t)}] info [cpsrvd] {ip} NEW {CPANEL_USER}:{token} address={ip},app=cpaneld,"
        f"creator={CPANEL_USER},method=handle_form_login,path=form,possessed=0")
    now = t
    for page in ("/frontend/jupiter/index.html", "/frontend/jupiter/filemanager/index.html",
                 "/frontend/jupiter/backup/index.html"):
        now += dt.timedelta(seconds=rng.randrange(8, 40))
        lines["access_log"].append(_cp_access(now, ip, f"/{cpsess}{page}", ua, size=rng.randrange(20_000, 90_000)))
        for asset in ("/cPanel_magic_revision_1700000000/jupiter/css/master.css",
                      "/cPanel_magic_revision_1700000000/jupiter/js/master.js"):
            lines["access_log"].append(_cp_access(now + dt.timedelta(seconds=1), ip, f"/{cpsess}{asset}", ua,
                                                  size=rng.randrange(5_000, 40_000)))
    for call in api_calls:
        now += dt.timedelta(seconds=rng.randrange(20, 60))
        module, func = call.split("::")
        uri = f"/{cpsess}/execute/{module}/{func}"
        lines["access_log"].append(_cp_access(now, ip, uri, ua, "POST", size=312))
        lines["api_log"].append(f'[{_cp_ts(now)}] info [cpwrapd] api_version=uapi called_by={CPANEL_USER} '
                                f'{{"call":"{call}","uri":"{uri}"}}')
        if call == "FileRestoration::restore_file":
            lines["_action"] = (now, len(lines["api_log"]))
    end = now + dt.timedelta(seconds=rng.randrange(30, 120))
    lines["access_log"].append(_cp_access(end, ip, f"/{cpsess}/logout/?locale=en", ua))
    lines["session_log"].append(f"[{_cp_ts(end)}] info [cpsrvd] {ip} PURGE {CPANEL_USER}:{token} logout")
    return end


def cpanel_case(out: Path, variant: str, seed: int = 2) -> dict:
    """Write cPanel's `login_log`, `session_log`, `access_log`, `api_log`, `accounting.log` and the GeoIP databases.

    Holder: six months of evening sessions from the holder's Deutsche Telekom
    lines with his Firefox, then the restore from there.  Takeover: password
    guessing from a DigitalOcean address in Singapore (`FAILED LOGIN ... user
    password incorrect`), its success, and the restore minutes later from
    that address with another browser.
    """
    rng = random.Random(seed)
    blocks = _home_blocks(rng, "dtag", False)
    lines: dict = {k: [] for k in ("login_log", "session_log", "access_log", "api_log")}
    accounting = [f"{START.replace(hour=9, minute=12):%a %b %e %H:%M:%S %Y}:CREATE:root:root:"
                  f"{CPANEL_DOMAIN}:{CPANEL_USER}".replace("  ", "  ")]
    day = START + dt.timedelta(days=1)
    version = 128
    while day < DISPUTE_DAY - dt.timedelta(days=1):
        if rng.random() < 0.25:
            t = day + dt.timedelta(hours=rng.randrange(18, 21), minutes=rng.randrange(60))
            ip = f"{rng.choice(blocks)}{rng.randrange(2, 255)}"
            version = 128 + (day - START).days // 28
            _cp_session(lines, rng, t, ip, FIREFOX.format(v=version), api_calls=("Email::list_pops",))
        day += dt.timedelta(days=1)
    calls = ("Email::list_pops", "FileRestoration::restore_file")
    if variant == HOLDER:
        t = DISPUTE_DAY + dt.timedelta(hours=19, minutes=12)
        ip = f"{rng.choice(blocks)}{rng.randrange(2, 255)}"
        _cp_session(lines, rng, t, ip, FIREFOX.format(v=version), api_calls=calls)
    else:
        t = DISPUTE_DAY + dt.timedelta(hours=2, minutes=47)
        ip = _random_ip(rng, "digitalocean_sg")
        guess = t - dt.timedelta(minutes=9)
        for _ in range(14):
            guess += dt.timedelta(seconds=rng.randrange(20, 40))
            lines["login_log"].append(f"[{_cp_ts(guess)}] info [cpaneld] {ip} - {CPANEL_USER} - "
                                      "FAILED LOGIN cpaneld: user password incorrect")
        _cp_session(lines, rng, t, ip, CHROME_LINUX, api_calls=calls)
    for name, body in lines.items():
        if not name.startswith("_"):
            (out / name).write_text("\n".join(sorted(body) if name != "access_log" else body) + "\n", encoding="utf-8")
    (out / "accounting.log").write_text("\n".join(accounting) + "\n", encoding="utf-8")
    build_geoip_databases(out, build_epoch=int(DISPUTE_DAY.timestamp()) + 86400 * 30)
    action, _ = lines["_action"]
    files = [out / n for n in ("login_log", "session_log", "access_log", "api_log", "accounting.log")]
    return {"account": CPANEL_USER, "action": "restore", "at": action, "ip": ip, "files": files}


# --------------------------------------------------------------------------
# Proxmox VE: the node's syslog (pvedaemon's login lines and task start/end
# lines), the task index (/var/log/pve/tasks/index) and pveproxy's access
# log, in the layouts of the shipped definitions' samples (syslog.toml with
# proxmox.rules.toml, proxmox-tasks.toml, proxmox-pveproxy.toml).
#
# A hosting customer's "reinstall" on Proxmox VE is a restore of the guest
# from a template backup over the existing VM (qmrestore --force): the
# disputed action is that task.

PVE_USER = "jsvoboda@pve"
PVE_NODE = "pve1"
PVE_VMID = "101"


def _pve_upid(rng: random.Random, t: dt.datetime, task: str, vmid: str, user: str) -> str:
    return (f"UPID:{PVE_NODE}:{rng.randrange(0x100000, 0xFFFFFF):08X}:{rng.randrange(0x1000000, 0xFFFFFFF):08X}:"
            f"{int(t.timestamp()):08X}:{task}:{vmid}:{user}:")


def _syslog(t: dt.datetime, prog: str, pid: int, message: str) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S} {PVE_NODE} {prog}[{pid}]: {message}"


def _pveproxy(t: dt.datetime, ip: str, user: str, method: str, path: str, status: int = 200, size: int = 512) -> str:
    return f'::ffff:{ip} - {user} [{t:%d/%m/%Y:%H:%M:%S} +0000] "{method} {path} HTTP/1.1" {status} {size}'


def proxmox_case(out: Path, variant: str, seed: int = 3) -> dict:
    """Write the node's `syslog`, the task `index`, pveproxy's `access.log` and the GeoIP databases.

    The customer `jsvoboda@pve` has his own guest 101.  Holder: months of
    evening logins and reboots, then the restore.  Takeover: pvedaemon's
    `authentication failure; rhost=...` lines from a DigitalOcean address in
    Singapore, the successful auth, and the restore minutes later.
    pvedaemon's successful-auth line names no address (Proxmox logs the
    address only on failures and in pveproxy's access log).
    """
    rng = random.Random(seed)
    blocks = _home_blocks(rng, "o2_cz", False)
    syslog, index, access = [], [], []
    daemon_pid = 1432

    def session(t: dt.datetime, ip: str, task: str, status: str = "OK") -> tuple[dt.datetime, int]:
        access.append(_pveproxy(t - dt.timedelta(seconds=1), ip, "-", "POST", "/api2/json/access/ticket", size=745))
        syslog.append(_syslog(t, "pvedaemon", daemon_pid, f"<root@pam> successful auth for user '{PVE_USER}'"))
        now = t
        for path in ("/api2/json/cluster/resources", f"/api2/json/nodes/{PVE_NODE}/qemu/{PVE_VMID}/status/current",
                     f"/api2/json/nodes/{PVE_NODE}/storage/local/content"):
            now += dt.timedelta(seconds=rng.randrange(3, 30))
            access.append(_pveproxy(now, ip, PVE_USER, "GET", path, size=rng.randrange(300, 4000)))
        now += dt.timedelta(seconds=rng.randrange(20, 90))
        upid = _pve_upid(rng, now, task, PVE_VMID, PVE_USER)
        path = {"qmreboot": f"/api2/json/nodes/{PVE_NODE}/qemu/{PVE_VMID}/status/reboot",
                "qmrestore": f"/api2/json/nodes/{PVE_NODE}/qemu"}[task]
        access.append(_pveproxy(now, ip, PVE_USER, "POST", path, size=90))
        syslog.append(_syslog(now, "pvedaemon", daemon_pid + 1, f"<{PVE_USER}> starting task {upid}"))
        end = now + dt.timedelta(seconds=rng.randrange(20, 200))
        syslog.append(_syslog(end, "pvedaemon", daemon_pid + 1, f"<{PVE_USER}> end task {upid} {status}"))
        index.append(f"{upid} {int(end.timestamp()):08X} {status}")
        return now, len(index)

    day = START
    while day < DISPUTE_DAY - dt.timedelta(days=1):
        if rng.random() < 0.2:
            t = day + dt.timedelta(hours=rng.randrange(18, 21), minutes=rng.randrange(60))
            session(t, f"{rng.choice(blocks)}{rng.randrange(2, 255)}", "qmreboot")
        day += dt.timedelta(days=1)
    if variant == HOLDER:
        t = DISPUTE_DAY + dt.timedelta(hours=19, minutes=12)
        ip = f"{rng.choice(blocks)}{rng.randrange(2, 255)}"
    else:
        t = DISPUTE_DAY + dt.timedelta(hours=2, minutes=47)
        ip = _random_ip(rng, "digitalocean_sg")
        guess = t - dt.timedelta(minutes=6)
        for _ in range(12):
            guess += dt.timedelta(seconds=rng.randrange(15, 30))
            access.append(_pveproxy(guess, ip, "-", "POST", "/api2/json/access/ticket", status=401, size=50))
            syslog.append(_syslog(guess, "pvedaemon", daemon_pid,
                                  f"authentication failure; rhost=::ffff:{ip} user={PVE_USER} msg=Authentication failure"))
    action, _ = session(t, ip, "qmrestore")
    (out / "syslog").write_text("\n".join(syslog) + "\n", encoding="utf-8")
    (out / "index").write_text("\n".join(sorted(index, key=lambda u: u.split(":")[4])) + "\n", encoding="utf-8")
    (out / "access.log").write_text("\n".join(access) + "\n", encoding="utf-8")
    build_geoip_databases(out, build_epoch=int(DISPUTE_DAY.timestamp()) + 86400 * 30)
    files = [out / "syslog", out / "index", out / "access.log"]
    # the syslog is year-less: --year names the year of its first line
    return {"account": PVE_USER, "action": "restore", "at": action, "ip": ip, "files": files,
            "ingest_args": ("--year", str(START.year))}
