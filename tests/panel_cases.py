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
