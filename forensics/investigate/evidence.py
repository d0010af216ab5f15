"""Turning query rows into citable evidence and enrichment facts.

Every fact the investigation states comes from a row of a named query; this
module converts those rows into `EventRef` (path:line + raw text) and looks
up what enrichment knows about addresses and browsers, once per value.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from forensics.investigate.model import BrowserFacts, EventRef, IpFacts
from forensics.messages import Country, Msg, join, msg
from forensics.timefmt import as_utc


def _clean(value):
    """A query value as Python: NaN -> None; from a DataFrame, pandas NA/NaT -> None
    and numpy scalars -> Python.  Rows of `query_rows` are Python already."""
    if value is None or type(value) is str or type(value) is int:
        return value
    if type(value) is float:
        return None if value != value else value
    if not type(value).__module__.startswith(("pandas", "numpy")):
        return value
    import pandas as pd   # only a DataFrame's values come here, so pandas is loaded already

    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def as_rows(data) -> list[dict]:
    """Query rows as dicts of Python values: a list (`query_rows`) as it is; a
    pandas DataFrame (a notebook's `Case.query`) converted row by row."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    return [{k: _clean(v) for k, v in r.items()} for r in data.to_dict("records")]


def parse_detail(text):
    """The `detail` column (JSON text) as a dict or string."""
    text = _clean(text)
    if text is None:
        return None
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def ref(row) -> EventRef:
    """An `EventRef` from a row of the event queries (see queries/account_events.sql)."""
    get = row.get if isinstance(row, dict) else (lambda k, d=None: row[k] if k in row.index else d)
    status = _clean(get("status"))
    return EventRef(
        event_id=int(_clean(get("event_id")) or 0),
        ts=as_utc(get("ts")),
        source_id=int(_clean(get("source_id"))),
        path=_clean(get("path")),
        line_no=int(_clean(get("line_no"))),
        # a row read without its text (`account_events`) leaves it to `fill_raw`
        raw=(_clean(get("raw")) or "") if not isinstance(row, dict) or "raw" in row else None,
        source_kind=_clean(get("source_kind")),
        event=_clean(get("event")),
        result=_clean(get("result")),
        account=_clean(get("account")),
        actor=_clean(get("actor")),
        user=_clean(get("user")),
        auth=_clean(get("auth")),
        session=_clean(get("session")),
        ip=_clean(get("ip")),
        user_agent=_clean(get("user_agent")),
        method=_clean(get("method")),
        http_path=_clean(get("http_path")),
        status=int(status) if status is not None else None,
        referrer=_clean(get("referrer")),
        target=_clean(get("target")),
        detail=parse_detail(get("detail")),
        integrity=_clean(get("integrity")),
    )


def refs(rows) -> list[EventRef]:
    return [ref(row) for row in rows]


def fill_raw(case, result):
    """Give every `EventRef` in `result` (an investigation: dataclasses, lists,
    dicts) that was made from a row read without its text the line's raw text,
    in one query (`event_raw`) for all of them; returns `result`.

    The account's events are read without `raw` (queries/account_events.sql
    through `run.account_events`): on a provider's case the account's lines lie
    in hundreds of compressed blocks, and the text of the few that are cited is
    half the cost of the whole query (0.19 -> 0.10 CPU-s an account on 26.6 M
    events).  Only the cited lines' text is read, once, here."""
    import dataclasses

    pending: dict[int, list[EventRef]] = {}
    seen: set[int] = set()
    stack = [result]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (str, bytes, int, float, bool, type(None), dt.datetime, dt.date)) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, EventRef):
            if obj.raw is None:
                pending.setdefault(obj.event_id, []).append(obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
    if pending:
        from forensics.named_queries import query_rows

        texts = {int(r["event_id"]): r["raw"] for r in
                 query_rows(case, "event_raw", {"event_ids": sorted(pending)})}
        for event_id, found in pending.items():
            for r in found:
                r.raw = _clean(texts.get(event_id)) or ""
    return result


class Facts:
    """Enrichment facts for the addresses and browsers of one investigation."""

    def __init__(self, case, ips, user_agents):
        from forensics.named_queries import query_rows

        ips = sorted({i for i in ips if i})
        uas = sorted({u for u in user_agents if u})
        self.queries = ["ip_facts", "browser_facts"]
        ip_rows = query_rows(case, "ip_facts", {"ips": ips})
        ua_rows = query_rows(case, "browser_facts", {"user_agents": uas})
        self.ip: dict[str, IpFacts] = {}
        for r in ip_rows:
            anon = [name for name, col in (("vpn", "is_anonymous_vpn"), ("hosting", "is_hosting_provider"),
                                           ("tor", "is_tor_exit_node"), ("proxy", "is_public_proxy"),
                                           ("residential proxy", "is_residential_proxy"))
                    if _clean(r.get(col))]
            asn = _clean(r.get("asn"))
            self.ip[r["ip"]] = IpFacts(
                ip=r["ip"], prefix=_clean(r.get("prefix")), asn=int(asn) if asn is not None else None,
                as_org=_clean(r.get("as_org")),
                network=_clean(r.get("isp_network")) or _clean(r.get("asn_network")),
                isp=_clean(r.get("isp")), country_iso=_clean(r.get("country_iso")),
                country_name=_clean(r.get("country_name")), city=_clean(r.get("city")),
                latitude=_clean(r.get("latitude")), longitude=_clean(r.get("longitude")),
                accuracy_radius=_clean(r.get("accuracy_radius")), time_zone=_clean(r.get("time_zone")),
                is_private=_clean(r.get("is_private")), anonymiser=anon)
        self.ua: dict[str, BrowserFacts] = {}
        for r in ua_rows:
            self.ua[r["user_agent"]] = BrowserFacts(
                user_agent=r["user_agent"], browser_family=_clean(r.get("browser_family")),
                browser_major=_clean(r.get("browser_major")), browser_version=_clean(r.get("browser_version")),
                os_family=_clean(r.get("os_family")), os_version=_clean(r.get("os_version")),
                device_class=_clean(r.get("device_class")), automation_class=_clean(r.get("automation_class")),
                automation_tool=_clean(r.get("automation_tool")),
                fingerprint_family=_clean(r.get("fingerprint_family")))

    def ip_facts(self, ip) -> IpFacts | None:
        if not ip:
            return None
        return self.ip.get(ip) or IpFacts(ip=ip)

    def browser(self, ua) -> BrowserFacts | None:
        if ua is None:
            return None
        return self.ua.get(ua) or BrowserFacts(user_agent=ua)


def network_key(facts: IpFacts | None) -> str | None:
    """The "ISP range" of an address: matched network, else AS number."""
    if facts is None:
        return None
    if facts.network:
        return facts.network
    if facts.asn:
        return f"AS{facts.asn}"
    return None


def network_label(facts: IpFacts | None) -> Msg:
    """"217.235.87.31, AS3320 Deutsche Telekom AG, 217.224.0.0/11, Germany": a
    message, so that the report states the connecting words and the country
    in its own language (the address, ASN, organisation and network stay as
    logged)."""
    if facts is None:
        return msg("no address")
    parts: list[Msg] = [Msg("{text}", text=facts.ip)]
    org = facts.isp or facts.as_org
    if facts.asn or org:
        parts.append(Msg("{text}", text=" ".join(p for p in (f"AS{facts.asn}" if facts.asn else None, org) if p)))
    if facts.network:
        parts.append(Msg("{text}", text=facts.network))
    elif facts.prefix:
        parts.append(msg("prefix {prefix}", prefix=facts.prefix))
    if facts.country_iso:
        parts.append(Msg("{text}", text=Country(facts.country_iso, facts.country_name)))
    if facts.anonymiser:
        parts.append(msg("flagged: {flags}", flags="/".join(facts.anonymiser)))
    return join(parts, ", ")


def km_between(a: IpFacts, b: IpFacts) -> float | None:
    """Great-circle distance between two geolocated addresses."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
