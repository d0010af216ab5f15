"""Plesk's Action Log as the XML API's `<event_log>` answer (issue 12).

Plesk keeps its Action Log in the `psa` database; the XML API (operator
`event_log`, operations `get` and `get_events`; Plesk 12.0 and later, XML
API 1.6.6.0 and later, "Retrieving Action Log Data" in Plesk's API-RPC
guide) hands it out as one `<event>` element per action:

    <packet>
    <event_log>
       <get_events>
       <result>
          <status>ok</status>
          <event>
          <id>177</id>
          <type>updated</type>
          <time>1165055109</time>
          <class>dns_zone</class>
          <obj_id>Mysite.com</obj_id>
          <user>myUser</user>
          <host>192.168.56.53</host>
          </event>
          ...

(the sample answer of Plesk 12.5's guide, "Retrieving Action Log Parts").
`type` is what happened (created, updated, deleted, status_changed, started,
stopped, installed, uninstalled, siteapp_added, siteapp_removed, expired,
terminated, exceeded, guid_changed), `time` a Unix time (UTC), `class` the
kind of object (client, domain, mailname, dns_zone, phosting, ...), `obj_id`
the object's unique field, `user` the Plesk login that acted and `host` the
address it acted from.

Lines and events.  The answer is read as written, one XML element per line
(Plesk's pretty-printed answer, or any answer after `xmllint --format`).
An `<event>` record becomes one event whose `line_no` (and `raw`) is the
record's first line, the `<event>` line; each other line of the record is a
reject that names that first line ("line 3 of the <event> record that starts
at line 5, read into that event"), so that every line of the file is an
event, a reject with its reason, or blank, and the record's text stays
whole in the case.  A record on one line (`<event><id>..</event>`) is one
event on that line.  The envelope (`<packet>`, `<event_log>`, `<result>`,
`<status>ok</status>`, ...) is rejected as envelope; an error answer
(`<status>error</status>`, `<errtext>`) says so in its reason.  A line with
several records (a compact answer on one line) cannot cite each of them as
file:line: it is rejected saying so (format the answer first).  A record
that is not closed before the next one starts, or before the file ends, is
rejected line by line, saying which record was cut.  A record that crosses
the engine's chunk boundary is carried into the next chunk whole
(`unfinished_tail`, used by `forensics.ingest.engine`).

Events: `created`/`deleted` of a customer, reseller, subscription or site
(`client`, `reseller`, `domain`, `site`) → `create`/`destroy`;
`domain_owner` `updated` → `owner_change`; everything else `plesk_action`
with `detail.type` and `detail.class`.  `target` = `obj_id`, `user` and
`account` = the acting login (as in `plesk-action-log`: the answer does not
say which customer an admin acted on), actor `staff` for `admin`,
`ip` = `host`, `detail.record_id` = `id`; result `success` (the Action Log
records what was done).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from forensics.ingest.base import CANONICAL_COLUMNS, IngestContext, ParsedBatch

if TYPE_CHECKING:   # pandas is loaded where a frame is built (not on the SQL paths)
    import pandas as pd

_OPEN = "<event>"
_CLOSE = "</event>"
# a record longer than this is not one of Plesk's (seven short children)
MAX_RECORD_LINES = 64
_CHILD = re.compile(r"<([A-Za-z_][\w.-]*)\s*>([^<]*)</\1\s*>|<([A-Za-z_][\w.-]*)\s*/>")
_ENVELOPE = re.compile(
    r"<\?xml[^>]*\?>|</?(?:packet|event_log|get_events|get|result)(?:\s[^>]*)?>|<status>ok</status>")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9A-Fa-f]+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_FIELDS = ("id", "type", "time", "class", "obj_id", "user", "host")
_CREATE_DESTROY = {"client", "reseller", "domain", "site"}


def _unescape(text: str) -> str:
    if "&" not in text:
        return text

    def one(m: re.Match) -> str:
        if m.group(1):
            return _NAMED[m.group(1)]
        code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return m.group(0)

    return _ENTITY.sub(one, text)


def _is_envelope(line: str) -> bool:
    return not _ENVELOPE.sub("", line).strip()


def _record(text: str) -> tuple[dict | None, str | None]:
    """The canonical row of one `<event>` record's text, or (None, reason)."""
    inner = text[text.index(_OPEN) + len(_OPEN):text.rindex(_CLOSE)]
    values: dict[str, str] = {}
    for m in _CHILD.finditer(inner):
        name = m.group(1) or m.group(3)
        if name in values:
            return None, f"<{name}> twice in one <event> record"
        values[name] = _unescape(m.group(2) or "").strip()
    rest = _CHILD.sub("", inner).strip()
    if rest:
        return None, f"unexpected text in the <event> record: {rest[:60]!r}"
    missing = [f for f in ("time", "type", "class") if not values.get(f)]
    if missing:
        return None, f"an <event> record without {', '.join('<' + f + '>' for f in missing)}"
    if not re.fullmatch(r"\d{1,12}", values["time"]):
        return None, f"<time> is not a Unix time: {values['time']!r}"
    ts = dt.datetime.fromtimestamp(int(values["time"]), tz=dt.timezone.utc)
    kind, cls = values["type"], values["class"]
    if kind in ("created", "deleted") and cls in _CREATE_DESTROY:
        event = "create" if kind == "created" else "destroy"
    elif cls == "domain_owner" and kind == "updated":
        event = "owner_change"
    else:
        event = "plesk_action"
    user = values.get("user") or None
    detail = {"record_id": values.get("id"), "type": kind, "class": cls}
    detail.update({k: v for k, v in values.items() if k not in _FIELDS})
    row = {"ts_raw": values["time"], "ts": ts, "ts_local": None, "source_kind": "panel", "event": event,
           "result": "success", "user": user, "account": user, "actor": "staff" if user == "admin" else None,
           "ip": values.get("host") or None, "target": values.get("obj_id") or None,
           "detail": {k: v for k, v in detail.items() if v not in (None, "")}}
    return row, None


class PleskEventLogXml:
    """Plesk's Action Log as the XML API's `<event_log>` answer, one element per line."""

    name = "plesk-event-log-xml"
    source_kind = "panel"
    description = ("Plesk Action Log as the XML API's <event_log> get/get_events answer "
                   "(<event> records: id, type, time, class, obj_id, user, host), one element per line")
    default_tz = None

    def sniff(self, lines: list[str]) -> bool:
        return self.sniff_score(lines) > 0

    def sniff_score(self, lines: list[str]) -> int:
        """The sample's lines that belong to an `<event_log>` answer, when it is one.

        Only a sample with `<event_log>` or an `<event>` with an `<obj_id>` in it
        is one: other XML (and a lone `<event>`) is not claimed.
        """
        text = "\n".join(lines)
        if "<event_log" not in text and not (_OPEN in text and "<obj_id>" in text):
            return 0
        score, inside = 0, False
        for line in lines:
            stripped = line.strip()
            if _OPEN in stripped:
                inside = _CLOSE not in stripped
                score += 1
            elif inside:
                score += 1
                inside = _CLOSE not in stripped
            elif _is_envelope(stripped):
                score += 1
        return score

    def unfinished_tail(self, lines: list[str]) -> int | None:
        """Where the record that `lines` end inside begins (its index), or None.

        The engine holds those lines back and gives them again with the next
        chunk's lines, so that a record is never cut by a chunk boundary.
        """
        for back in range(1, min(len(lines), MAX_RECORD_LINES) + 1):
            line = lines[-back]
            if _CLOSE in line:
                return None
            if _OPEN in line:
                return len(lines) - back
        return None

    def parse(self, lines: list[str], line_nos: list[int], ctx: IngestContext | None = None) -> ParsedBatch:
        rows: list[dict] = []
        rejects: list[tuple[int, str]] = []
        record: list[int] = []          # indexes of the open record's lines

        def cut(reason: str) -> None:
            first = line_nos[record[0]]
            rejects.append((first, f"an <event> record that is not closed: {reason}"))
            for k in record[1:]:
                rejects.append((line_nos[k], f"part of the <event> record that starts at line {first}, "
                                             f"which is not closed: {reason}"))
            record.clear()

        for i, line in enumerate(lines):
            opens, closes = line.count(_OPEN), line.count(_CLOSE)
            if record:
                if opens:
                    cut(f"a new record starts at line {line_nos[i]}")
                elif len(record) >= MAX_RECORD_LINES:
                    cut(f"no </event> within {MAX_RECORD_LINES} lines")
                else:
                    record.append(i)
                    if closes:
                        self._close(record, lines, line_nos, rows, rejects)
                        record.clear()
                    continue
            if opens > 1:
                rejects.append((line_nos[i], f"{opens} <event> records on one line: each record needs a line "
                                             "of its own to be cited as file:line; format the answer with "
                                             "one element per line (xmllint --format) and ingest that"))
            elif opens == 1:
                if closes and line.index(_CLOSE) > line.index(_OPEN):
                    row, reason = _record(line)
                    if row is None:
                        rejects.append((line_nos[i], reason))
                    else:
                        row["line_no"] = line_nos[i]
                        rows.append(row)
                else:
                    record.append(i)
            elif "<status>error</status>" in line or "<errtext>" in line or "<errcode>" in line:
                rejects.append((line_nos[i], "the API answered with an error, not an action: "
                                             + _unescape(re.sub(r"<[^>]*>", " ", line)).strip()))
            elif _is_envelope(line):
                rejects.append((line_nos[i], "the XML envelope of the <event_log> answer (no action)"))
            elif closes:
                rejects.append((line_nos[i], "</event> without its <event>"))
            else:
                rejects.append((line_nos[i], "not part of a Plesk <event_log> answer"))
        if record:
            cut("the file ends inside it (or a chunk does, where the record could not be carried over)")
        return ParsedBatch(events=_frame(rows), rejects=rejects)

    @staticmethod
    def _close(record, lines, line_nos, rows, rejects) -> None:
        first = line_nos[record[0]]
        row, reason = _record("\n".join(lines[k] for k in record))
        if row is None:
            rejects.append((first, reason))
            follow = f"part of the <event> record that starts at line {first} (rejected there)"
        else:
            row["line_no"] = first
            rows.append(row)
            follow = f"part of the <event> record that starts at line {first}, read into that event"
        for n, k in enumerate(record[1:], start=2):
            rejects.append((line_nos[k], f"line {n} of {len(record)}: {follow}"))


def _frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd
    frame = pd.DataFrame(rows, columns=["line_no", "ts_raw", "ts", "ts_local", *CANONICAL_COLUMNS])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["ts_local"] = pd.to_datetime(frame["ts_local"])
    return frame


FORMATS = [PleskEventLogXml()]
