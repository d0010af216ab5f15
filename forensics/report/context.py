"""Turning an `Investigation` into the report templates' context.

The templates only lay out what this module prepares: every time is already
an ISO 8601 string (UTC, and local where a zone is known), every code is
already translated, long lists are already cut to the limits of `[report]`
in thresholds.toml (with the number left out, for the note that points to
the attachments).  Every event shown is registered with `Citations`, which
numbers it for the appendix of raw lines.

Values from the logs stay plain `str`: the Jinja2 environment autoescapes
them, so hostile log content is printed, never interpreted.

Language: the report's own words come from the `report` catalog (`N_()`
here, `_()` in the templates); the investigation's sentences are
`forensics.messages.Msg` and are rendered through the `investigation`
catalog (`Builder.say`), numbers in the locale's format, country names
from CLDR.  Log values, the customer's quotations and raw lines are never
translated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from forensics.investigate.coverage import decision_message
from forensics.investigate.model import ActionFinding, EventRef, Investigation, Session
from forensics.messages import Msg
from forensics.report.i18n import INVESTIGATION, N_, country_name, number, translations
from forensics.report.kinds import dispute_kind
from forensics.timefmt import as_utc, iso, iso_date, zone

ASSESSMENTS = {
    "account_holder": N_("The account holder"),
    "account_holder_automation": N_("The account holder's own automation"),
    "staff": N_("Provider staff"),
    "system": N_("The system (automatic or scheduled)"),
    "compromise_suspected": N_("Compromise suspected: a third party"),
    "inconclusive": N_("Inconclusive"),
}
ASSESSMENT_MEANING = {
    "account_holder": N_("The logs show the action was performed in a session of the account holder's own."),
    "account_holder_automation": N_("The logs show the action was performed by the account holder's own automation (API key or script)."),
    "staff": N_("The logs show the action was performed by a member of the provider's staff."),
    "system": N_("The logs show the action was performed automatically by the system."),
    "compromise_suspected": N_("The logs show signs that a third party used the account: the action should be treated as a possible account takeover."),
    "inconclusive": N_("The logs available do not allow a reliable attribution of the action."),
}
RESULTS = {
    "match": N_("match"), "partial": N_("partial match"), "mismatch": N_("mismatch"),
    "absent": N_("not observed"), "unknown": N_("unknown"),
}
DIRECTIONS = {
    "holder": N_("points to the account holder"), "other": N_("points to someone else"), "neutral": N_("neutral"),
}
CLAIM_CLASSES = {
    "exact": N_("matches the logs"),
    "off_by_days": N_("different day"),
    "different_year": N_("different year"),
    "not_found": N_("not found in the logs"),
    "unreadable": N_("date not readable"),
}
WEIGHTS = {   # forensics/investigate/action/evidence_model.py, `weight`
    "strong": N_("strong"), "weak": N_("weak"), "hint": N_("hint"), "hard": N_("decisive"),
    "supporting": N_("supporting"), "staff": N_("staff"),   # "none" rows are not printed
}
SAMENESS = {"same": N_("same"), "partial": N_("similar"), "new": N_("new"), "unknown": N_("unknown")}
INDICATOR_NAMES = {   # the codes of forensics/investigate/action/indicators.py
    "credential": N_("Credential used"),
    "failed_logins": N_("Failed logins before the session"),
    "account_changes": N_("Account changes before the action"),
    "browser_fingerprint": N_("Browser"),
    "network": N_("Address and network"),
    "anonymiser": N_("VPN, proxy or hosting network"),
    "travel": N_("Travel speed since the previous login"),
    "prior_activity": N_("Earlier undisputed activity"),
    "clickstream": N_("Click-stream"),
    "session_consistency": N_("Session consistency"),
    "staff_activity": N_("Staff activity"),
    "baseline_size": N_("Size of the history"),
    "api_key_usage": N_("API key usage"),
    "fleet_failures": N_("Failed logins against other accounts"),
    "version_timeline": N_("Browser version against the holder's updates"),
    "network_continuity": N_("Network continuity with the holder's history"),
    "hour_of_day": N_("Hour of day against the holder's activity"),
}
EVENTS = {   # the canonical event vocabulary (README, "The case file")
    "login": N_("login"), "logout": N_("logout"),
    "password_change": N_("password changed"), "password_reset_request": N_("password reset requested"),
    "password_reset": N_("password reset"), "email_change": N_("e-mail address changed"),
    "contact_update": N_("contact data changed"), "mfa_enable": N_("two-factor authentication enabled"),
    "mfa_disable": N_("two-factor authentication disabled"), "api_key_create": N_("API key created"),
    "api_key_revoke": N_("API key revoked"), "impersonate_start": N_("staff impersonation started"),
    "impersonate_end": N_("staff impersonation ended"), "rescue_enable": N_("rescue system enabled"),
    "rescue_disable": N_("rescue system disabled"), "reinstall": N_("reinstall"), "reboot": N_("reboot"),
    "power_off": N_("power off"), "power_on": N_("power on"), "notification_sent": N_("notification sent"),
    "http_request": N_("web request"), "ssh_login": N_("SSH login"), "ssh_invalid_user": N_("SSH login refused: unknown user"),
    "ssh_auth_failure": N_("failed SSH login"), "ssh_denied": N_("SSH login refused"),
    "ssh_connect": N_("SSH connection"), "ssh_connection_closed": N_("SSH connection closed"),
    "ssh_disconnect": N_("SSH disconnect"), "ssh_session_open": N_("SSH session opened"),
    "ssh_session_close": N_("SSH session closed"),
    # provider-specific names seen in panels (kept as written when unknown)
    "ssh_key_add": N_("SSH key added"), "account_view": N_("account viewed"),
}
AUTH = {
    "password": N_("password (single factor)"),
    "password+mfa": N_("password and one-time code (two factors)"),
    "api_key": N_("API key"),
    "sso": N_("single sign-on"),
    "impersonation": N_("staff impersonation"),
    "publickey": N_("SSH key"),
}
AUTH_STRENGTH = {
    "password": N_("single factor"), "password+mfa": N_("two factors"), "api_key": N_("secret key"),
    "sso": N_("depends on the identity provider"), "impersonation": N_("staff access"), "publickey": N_("key pair"),
}
END_REASONS = {"logout": N_("ended by logout"), "idle_timeout": N_("ended by idle timeout"),
               "open": N_("still open at the end of the log")}
ACTORS = {"customer": N_("customer"), "staff": N_("staff"), "api": N_("API"), "system": N_("system")}
CLICK_VERDICTS = {"human": N_("human navigation"), "automated": N_("automated requests"), "unknown": N_("undetermined")}
# The note after a value cut to [report] max_cell_chars (render.clip).
CLIP_NOTE = N_("[… %(n)s more characters: complete in the attached files]")
# The note after a long value cut where it stands in a raw line of appendix B
# or in a sentence (Builder.value_cut): the whole value's SHA-256, first 16 hex digits.
VALUE_CUT_NOTE = N_("[… %(n)s more characters, SHA-256 %(sha256)s…]")
SOURCE_KINDS = {"panel": N_("control panel"), "http": N_("web access"), "ssh": N_("SSH server"), "syslog": N_("system log")}
# An event that failed is named as failed, never like its success.
FAILED = {
    "login": N_("login failed"), "ssh_login": N_("SSH login failed"), "password_reset": N_("password reset failed"),
    "password_change": N_("password change failed"), "reinstall": N_("reinstall failed"),
}
FAILED_OTHER = N_("%(event)s: failed")
FAILURE_RESULTS = {"failure", "failed", "denied", "refused", "error", "invalid"}
BROWSER_ON = N_("%(browser)s on %(os)s")
UNKNOWN_BROWSER = N_("unknown browser")
DEVICES = {"pc": N_("computer"), "mobile": N_("mobile phone"), "tablet": N_("tablet"), "bot": N_("bot"),
           "other": N_("other device")}
# The opening sentence of the summary: the answer, per assessment.
ANSWERS = {
    "account_holder": N_("The %(action)s of %(date)s was done in a session opened with the account's own "
                         "credentials and consistent with the holder's earlier sessions."),
    "account_holder_automation": N_("The %(action)s of %(date)s was done by the account holder's own automation "
                                    "(API key), as it was used before."),
    "staff": N_("The %(action)s of %(date)s was done by the provider's staff."),
    "system": N_("The %(action)s of %(date)s was done automatically by the provider's system."),
    "compromise_suspected": N_("The %(action)s of %(date)s was most likely done by someone other than the account "
                               "holder, who had taken over the account."),
    "inconclusive": N_("Who did the %(action)s of %(date)s cannot be decided from the logs available."),
}
CLAIM_ANSWERS = {
    "different_year": N_("The %(action)s the customer names for %(claimed)s took place on %(found)s: in %(year)s, "
                         "not in %(claimed_year)s."),
    "off_by_days": N_("The %(action)s the customer names for %(claimed)s took place on %(found)s."),
    "exact": N_("The %(action)s the customer names for %(claimed)s is logged on that day (%(found)s)."),
    "not_found": N_("For the %(action)s the customer names for %(claimed)s the logs show no matching action."),
    "unreadable": N_("No date could be read in the customer's words “%(words)s”."),
}
ACTION_WORD = N_("action")
OUTWEIGHED = N_("Why this does not outweigh the rest: someone who has the account's password can show the same; "
                "it does not explain what points to someone else (%(names)s).")
# ngettext pairs, written as calls so that the extractor finds their plural forms
def _plural(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


AFTER_MINUTES = _plural("%(num)s minute later", "%(num)s minutes later")
AFTER_HOURS = _plural("%(num)s hour later", "%(num)s hours later")
AFTER_DAYS = _plural("%(num)s day later", "%(num)s days later")
OWN_USER = N_("logged as done by the account's own user %(user)s")
SAME_AS = {"same_ip": N_("same address as the disputed session"),
           "same_network": N_("same network as the disputed session"),
           "history_network": N_("another network, used in the account's earlier sessions"),
           "other": N_("another network")}


def account_addresses(inv: Investigation, finding: ActionFinding) -> set[str]:
    """Addresses the account itself used (its sessions, its history, the disputed session)."""
    ips = {s.ip for s in inv.sessions if s.ip}
    ips |= {h.session.ip for h in finding.history if h.session.ip}
    if finding.session is not None and finding.session.ip:
        ips.add(finding.session.ip)
    return ips


def is_bot_noise(ref: EventRef, own_ips: set[str]) -> bool:
    """An sshd event from an address the account never used that is not a
    successful login: the bots that knock on every server all day.  Left out
    of the timeline table and figure (counted in a note), kept in the
    attachments."""
    if ref.source_kind != "ssh" or (ref.ip and ref.ip in own_ips):
        return False
    failed = (ref.result is not None and str(ref.result).lower() in FAILURE_RESULTS) or ref.event in (
        "ssh_auth_failure", "ssh_invalid_user", "ssh_denied")
    return not (ref.event in ("ssh_login", "ssh_session_open") and not failed)


def without_noise(inv: Investigation, finding: ActionFinding) -> ActionFinding:
    """The finding with the bot noise left out of its timeline (for the figure)."""
    import dataclasses

    own = account_addresses(inv, finding)
    return dataclasses.replace(finding, timeline=[r for r in finding.timeline if not is_bot_noise(r, own)])


@dataclass
class Limits:
    """Row limits of the PDF text (`[report]` in thresholds.toml)."""

    history: int = 10
    clickstream: int = 20
    timeline: int = 24
    events: int = 12
    appendix: int = 120
    cell_chars: int = 500
    line_value_chars: int = 80
    pages: int = 40

    def halved(self) -> "Limits":
        """Half of every list and cell (at least 1 row, 80 characters): the
        next try when a report exceeds its page budget."""
        return Limits(history=max(1, self.history // 2), clickstream=max(1, self.clickstream // 2),
                      timeline=max(1, self.timeline // 2), events=max(1, self.events // 2),
                      appendix=max(1, self.appendix // 2), cell_chars=max(80, self.cell_chars // 2),
                      line_value_chars=max(40, self.line_value_chars // 2), pages=self.pages)

    @classmethod
    def from_config(cls, config: dict) -> "Limits":
        section = config.get("report", {})
        return cls(
            history=int(section.get("max_history_rows", cls.history)),
            clickstream=int(section.get("max_clickstream_rows", cls.clickstream)),
            timeline=int(section.get("max_timeline_rows", cls.timeline)),
            events=int(section.get("max_event_rows", cls.events)),
            appendix=int(section.get("max_appendix_lines", cls.appendix)),
            cell_chars=int(section.get("max_cell_chars", cls.cell_chars)),
            line_value_chars=int(section.get("max_value_in_line_chars", cls.line_value_chars)),
            pages=int(section.get("max_pages", cls.pages)),
        )


@dataclass
class Citations:
    """The events cited in the text, numbered for the appendix."""

    refs: dict[tuple[str, int], EventRef] = field(default_factory=dict)

    def add(self, ref: EventRef | None) -> str:
        if ref is None:
            return ""
        self.refs.setdefault((ref.path, ref.line_no), ref)
        return ref.citation

    def ordered(self) -> list[EventRef]:
        return sorted(self.refs.values(), key=lambda r: (r.path, r.line_no))


class Builder:
    """Builds the context of one report (one language, one zone)."""

    def __init__(self, inv: Investigation, gettext: Callable[[str], str], tz: dt.tzinfo | None,
                 tz_name: str | None, limits: Limits, lang: str = "en"):
        self.inv = inv
        self._ = gettext
        self.tz = tz
        self.tz_name = tz_name
        self.limits = limits
        self.lang = lang
        self.ngettext = translations(lang).ngettext
        self.messages = translations(lang, INVESTIGATION)
        self.citations = Citations()
        self.hours_around = float((inv.thresholds or {}).get("timeline", {}).get("hours_around_action", 2))

    def say(self, value):
        """An investigation sentence in the report's language (a `Msg`), or the value as it is."""
        if isinstance(value, Msg):
            return value.render(self.messages, self.lang)
        return value if value is not None else ""

    def prose(self, value):
        """An investigation sentence for a table cell: rendered like `say`,
        cut at four times `max_cell_chars` (not at one, as a log value is, so
        that a sentence that quotes a few values is not cut mid-word), control
        characters made visible, escaped, and marked as safe for the
        templates' finalize hook.  A log value quoted in the sentence that
        is longer than `max_cell_chars` is cut to `max_value_in_line_chars`
        with the note of `raw_line` (a 1 MB User-Agent quoted in the
        summary's reasons takes one line there, not six)."""
        from markupsafe import Markup, escape

        from forensics.report.render import clip
        from forensics.visible import visible

        limit = self.limits.cell_chars
        text = self.say(_clip_params(value, lambda v: v if len(v) <= limit else self.value_cut(v)))
        if not text:
            return ""
        return Markup(escape(visible(clip(str(text), 4 * limit, self._))))

    def value_cut(self, value: str) -> str:
        """`value` cut to `max_value_in_line_chars`, with the note of how many
        characters are left out and the first 16 hex digits of the whole
        value's SHA-256 (the attachments hold it whole)."""
        keep = self.limits.line_value_chars
        if len(value) <= keep:
            return value
        return f"{value[:keep]} {self.value_cut_note(value)}"

    def value_cut_note(self, value: str) -> str:
        return self._(VALUE_CUT_NOTE) % {"n": self.num(len(value) - self.limits.line_value_chars),
                                         "sha256": _sha256(value)[:16]}

    def raw_line(self, ref: EventRef):
        """A cited line as appendix B prints it.

        A line longer than `max_cell_chars` is long because of a hostile
        value in it, as a rule: a 1 MB User-Agent, repeated in every line
        of its session.  Cut at `max_cell_chars`, each such line would fill
        five printed lines of that value's first characters (the report
        grew by two pages with one).  Instead, the event's own values in the
        line (User-Agent, referrer, path), longest first and only as many as
        needed to bring the line under `max_cell_chars`, are cut where they
        stand to `max_value_in_line_chars`, with a note of how many
        characters are left out and the first 16 hex digits of the whole
        value's SHA-256 (the same value has the same digits in every line;
        cited-events.csv has it whole).  The rest of the line stays as
        logged.  Returned as Markup (each part made visible and escaped, the
        notes set apart from the log's bytes); a line that is still too long,
        or has none of these values in it, is returned as it is and cut like
        any value by the templates' finalize hook.
        """
        from markupsafe import Markup, escape

        from forensics.visible import visible

        raw = ref.raw
        limit = self.limits.cell_chars
        if not raw or len(raw) <= limit:
            return raw
        keep = self.limits.line_value_chars
        values = sorted({v for v in (ref.user_agent, ref.referrer, ref.http_path)
                         if isinstance(v, str) and len(v) > keep and v in raw}, key=len, reverse=True)
        cut: list[str] = []
        length = len(raw)
        for value in values:
            if length <= limit:
                break
            length -= raw.count(value) * (len(value) - keep)
            cut.append(value)
        if not cut or length > limit:
            return raw
        parts = []
        pos = 0
        while True:
            hits = [(i, v) for i, v in ((raw.find(v, pos), v) for v in cut) if i >= 0]
            if not hits:
                break
            start, value = min(hits, key=lambda hit: (hit[0], -len(hit[1])))
            parts += [escape(visible(raw[pos:start] + value[:keep])),
                      Markup(' <span class="cut-note">%s</span>') % self.value_cut_note(value)]
            pos = start + len(value)
        parts.append(escape(visible(raw[pos:])))
        return Markup("").join(parts)

    def num(self, value, digits: int | None = None) -> str:
        return number(value, self.lang, digits)

    def country(self, facts) -> str:
        if facts is None or not (facts.country_iso or facts.country_name):
            return ""
        name = country_name(facts.country_iso, self.lang, facts.country_name)
        return f"{name} ({facts.country_iso})" if facts.country_iso and name != facts.country_iso else name

    # -- small formatters ------------------------------------------------------
    def when(self, ts) -> dict[str, str] | None:
        """{"utc": ISO UTC, "local": ISO local or ""}."""
        if ts is None:
            return None
        utc = iso(ts)
        local = iso(ts, self.tz) if self.tz is not None else ""
        return {"utc": utc, "local": local if local != utc else ""}

    def code(self, table: dict[str, str], value: str | None, fallback: str | None = None) -> str:
        if value is None:
            return "–"
        if value in table:
            return self._(table[value])
        return fallback or value

    def event_name(self, value: str | None, result: str | None = None) -> str:
        """The event in words; a failed one says so ("SSH login failed", never "SSH login")."""
        if result is not None and str(result).lower() in FAILURE_RESULTS:
            if value in FAILED:
                return self._(FAILED[value])
            if value in ("ssh_auth_failure", "ssh_invalid_user", "ssh_denied"):
                return self.code(EVENTS, value)
            return self._(FAILED_OTHER) % {"event": self.code(EVENTS, value)}
        return self.code(EVENTS, value)

    def failed(self, ref: EventRef) -> bool:
        return (ref.result is not None and str(ref.result).lower() in FAILURE_RESULTS) or ref.event in (
            "ssh_auth_failure", "ssh_invalid_user", "ssh_denied")

    def event_row(self, ref: EventRef) -> dict[str, Any]:
        known = ref.result is None or str(ref.result).lower() in FAILURE_RESULTS | {"success", "ok"}
        return {
            "when": self.when(ref.ts),
            "event": self.event_name(ref.event, ref.result),
            "failed": self.failed(ref),
            "result": "" if known else ref.result,
            "user": ref.user or "",
            "actor": self.code(ACTORS, ref.actor) if ref.actor else "",
            "ip": ref.ip or "",
            "target": ref.target or "",
            "session": ref.session or "",
            "source": self.code(SOURCE_KINDS, ref.source_kind) if ref.source_kind else "",
            "request": " ".join(p for p in (ref.method, ref.http_path) if p),
            "status": ref.status if ref.status is not None else "",
            "detail": _detail_text(ref.detail),
            "citation": self.citations.add(ref),
        }

    def ip_text(self, session: Session | None) -> dict[str, str]:
        facts = session.ip_facts if session else None
        out = {"ip": (session.ip if session else None) or "–", "network": "", "isp": "", "country": "", "anonymiser": ""}
        if facts is None:
            return out
        asn = f"AS{facts.asn}" if facts.asn is not None else ""
        out["isp"] = ", ".join(p for p in (asn, facts.as_org or facts.isp) if p)
        out["network"] = facts.network or facts.prefix or ""
        out["country"] = self.country(facts)
        out["anonymiser"] = ", ".join(facts.anonymiser)
        return out

    def browser_text(self, session: Session | None) -> str:
        if session is None or session.browser is None:
            return (session.user_agent if session else None) or "–"
        b = session.browser
        name = " ".join(p for p in (b.browser_family, b.browser_major) if p) or self._(UNKNOWN_BROWSER)
        os_part = " ".join(p for p in (b.os_family, b.os_version) if p)
        text = self._(BROWSER_ON) % {"browser": name, "os": os_part} if os_part else name
        if b.device_class:
            text += ", " + self.code(DEVICES, b.device_class)
        return text

    # -- sections ------------------------------------------------------------
    def summary(self, finding: ActionFinding) -> dict[str, Any]:
        action = finding.action
        return {
            "event": self.event_name(action.event),
            "target": action.target or "",
            "when": self.when(action.ts),
            "assessment_code": finding.assessment,
            "assessment": self.code(ASSESSMENTS, finding.assessment),
            "meaning": self.code(ASSESSMENT_MEANING, finding.assessment, ""),
            "reason": self.prose(finding.reason),
            "key_facts": [self.prose(f) for f in finding.key_facts],
            "missing": [self.prose(m) for m in finding.missing],
            "holder_evidence": [self.code(INDICATOR_NAMES, n, n) for n in finding.holder_evidence],
            "citation": self.citations.add(action),
            "answer": self._(ANSWERS.get(finding.assessment, ANSWERS["inconclusive"])) % {
                "action": self.event_name(action.event), "date": iso_date(action.ts)},
        }

    def session_block(self, session: Session | None) -> dict[str, Any] | None:
        if session is None:
            return None
        return {
            "id": session.session_id or "–",
            "user": session.user or "–",
            "actor": self.code(ACTORS, session.actor),
            "start": self.when(session.start),
            "end": self.when(session.end),
            "end_reason": self.code(END_REASONS, session.end_reason),
            "auth": self.code(AUTH, session.auth),
            "strength": self.code(AUTH_STRENGTH, session.auth, ""),
            "address": self.ip_text(session),
            "browser": self.browser_text(session),
            "automation": (session.browser.automation_class if session.browser else None) or "",
            "user_agent": session.user_agent or "",
            # a User-Agent cut in the cell (`shown`): the whole value's hash below it
            "user_agent_sha256": (_sha256(session.user_agent)[:16]
                                  if session.user_agent and len(session.user_agent) > self.limits.cell_chars else ""),
            "login": self.event_row(session.login) if session.login else None,
            # the web server's lines that gave the session its address and
            # browser, where the panel's own lines name none (cPanel's
            # cpsess token, Proxmox's login ticket request: sessions.join_addresses)
            "joined": [self.event_row(ref) for ref in session.joined],
            "n_actions": len(session.actions),
        }

    def history_block(self, finding: ActionFinding) -> dict[str, Any]:
        """The earlier sessions: the most recent as rows, the counts over all of them.

        Every count comes from the investigation's own numbers (the size of
        the baseline and the indicators' counts), so the table, its note and
        the indicators cannot disagree."""
        rows = sorted(finding.history, key=lambda r: r.session.start, reverse=True)
        shown = rows[: self.limits.history]
        out = []
        for row in shown:
            s = row.session
            address = self.ip_text(s)
            out.append({
                "start": self.when(s.start), "ip": address["ip"], "network": address["isp"] or address["network"],
                "browser": self.browser_text(s), "country": address["country"],
                "same_ip": row.same_ip, "same_network": row.same_network, "same_browser": row.same_browser,
                "same_country": row.same_country,
                "same_ip_text": self.code(SAMENESS, row.same_ip), "same_network_text": self.code(SAMENESS, row.same_network),
                "same_browser_text": self.code(SAMENESS, row.same_browser),
                "same_country_text": self.code(SAMENESS, row.same_country),
                "citation": self.citations.add(s.login),
            })
        by = {i.name: i for i in finding.indicators}
        baseline = by.get("baseline_size")
        total = int(baseline.data.get("sessions", len(rows))) if baseline is not None else len(rows)
        net = by.get("network").data if by.get("network") is not None else {}
        browser = by.get("browser_fingerprint").data if by.get("browser_fingerprint") is not None else {}

        def count(data, key, fallback):
            value = data.get(key)
            return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else fallback

        counts = {
            "same_ip": count(net, "same_ip", sum(r.same_ip == "same" for r in rows)),
            "same_prefix": count(net, "same_prefix", sum(r.same_ip == "partial" for r in rows)),
            "same_network": count(net, "same_network", sum(r.same_network == "same" for r in rows)),
            "same_country": count(net, "same_country", sum(r.same_country == "same" for r in rows)),
            "same_browser": count(browser, "exact", sum(r.same_browser == "same" for r in rows)),
            "browser_family": count(browser, "family", sum(r.same_browser in ("same", "partial") for r in rows)),
        }
        this = None
        if finding.session is not None:
            address = self.ip_text(finding.session)
            this = {"start": self.when(finding.session.start), "ip": address["ip"],
                    "network": address["isp"] or address["network"], "browser": self.browser_text(finding.session),
                    "country": address["country"]}
        first = min((r.session.start for r in finding.history), default=None)
        return {"rows": out, "total": total, "listed": len(rows), "shown": len(out),
                "omitted": len(rows) - len(out), "counts": counts, "this": this,
                "first": self.when(first) if first else None}

    def events_block(self, refs: list[EventRef], limit: int | None = None) -> dict[str, Any]:
        limit = self.limits.events if limit is None else limit
        refs = sorted(refs, key=lambda r: (as_utc(r.ts), r.path, r.line_no))
        shown = refs[:limit]
        return {"rows": [self.event_row(r) for r in shown], "total": len(refs), "omitted": len(refs) - len(shown)}

    def clickstream_block(self, finding: ActionFinding) -> dict[str, Any]:
        clicks = finding.clickstream
        shown = clicks[: self.limits.clickstream]
        rows = []
        for click in shown:
            row = self.event_row(click.ref)
            row["think"] = "" if click.think_time_s is None else f"{self.num(click.think_time_s, 1)} s"
            row["asset"] = click.is_asset
            rows.append(row)
        pages = [c for c in clicks if not c.is_asset and c.think_time_s is not None]
        thinks = sorted(c.think_time_s for c in pages)
        median = thinks[len(thinks) // 2] if thinks else None
        return {
            "rows": rows, "total": len(clicks), "omitted": len(clicks) - len(shown),
            "verdict": self.code(CLICK_VERDICTS, finding.clickstream_verdict), "verdict_code": finding.clickstream_verdict,
            "median_think": f"{self.num(median, 1)} s" if median is not None else "–",
            "assets": sum(1 for c in clicks if c.is_asset),
        }

    def indicator_rows(self, finding: ActionFinding) -> list[dict[str, Any]]:
        rows = []
        others = [i for i in finding.indicators if i.direction == "other"]
        for ind in finding.indicators:
            outweighed = ""
            if finding.assessment == "compromise_suspected" and ind.direction == "holder" and others:
                # a takeover report never lists a holder-pointing fact without saying why it does not carry
                outweighed = self._(OUTWEIGHED) % {
                    "names": ", ".join(self.code(INDICATOR_NAMES, o.name, o.label) for o in others)}
            rows.append({
                "name": self.code(INDICATOR_NAMES, ind.name, ind.label),
                "code": ind.name,
                "observed": _clip(self.say(ind.observed)), "baseline": _clip(self.say(ind.baseline)),
                "result_code": ind.result, "result": self.code(RESULTS, ind.result),
                "direction_code": ind.direction, "direction": self.code(DIRECTIONS, ind.direction),
                "explanation": self.prose(ind.explanation),
                "outweighed": outweighed,
                "citations": [self.citations.add(ref) for ref in ind.evidence[:3]],
                "more_evidence": max(0, len(ind.evidence) - 3),
            })
        return rows

    def evidence_row(self, row: dict) -> dict[str, Any]:
        """A row of the evidence model (method appendix): its sentence in the
        report's language, the indicator and weight in words, the conclusion
        as its code."""
        return {**row, "indicator": self.code(INDICATOR_NAMES, row.get("indicator")),
                "weight": self.code(WEIGHTS, row.get("weight")), "weight_code": row.get("weight"),
                "why": self.say(row.get("why"))}

    def account_addresses(self, finding: ActionFinding) -> set[str]:
        return account_addresses(self.inv, finding)

    def is_noise(self, ref: EventRef, own_ips: set[str]) -> bool:
        return is_bot_noise(ref, own_ips)

    def timeline_block(self, finding: ActionFinding, skip: set[tuple[str, int]] = frozenset()) -> dict[str, Any]:
        """The merged timeline; `skip`: rows already printed in the click-stream.
        Bot noise on the server's sshd stays in the attachments only."""
        own_ips = self.account_addresses(finding)
        every = [r for r in finding.timeline if (r.path, r.line_no) not in skip]
        noise = [r for r in every if self.is_noise(r, own_ips)]
        refs = sorted((r for r in every if not self.is_noise(r, own_ips)),
                      key=lambda r: (as_utc(r.ts), r.path, r.line_no))
        limit = self.limits.timeline
        if len(refs) > limit:
            # keep the rows nearest the disputed action, in time order
            target = as_utc(finding.action.ts)
            nearest = sorted(refs, key=lambda r: abs((as_utc(r.ts) - target).total_seconds()))[:limit]
            keep = {(r.path, r.line_no) for r in nearest}
            shown = [r for r in refs if (r.path, r.line_no) in keep]
        else:
            shown = refs
        rows = []
        for ref in shown:
            row = self.event_row(ref)
            row["is_action"] = (ref.path, ref.line_no) == (finding.action.path, finding.action.line_no)
            rows.append(row)
        return {"rows": rows, "total": len(refs), "omitted": len(refs) - len(shown), "noise": len(noise),
                "noise_addresses": len({r.ip for r in noise if r.ip})}

    def after_block(self, finding: ActionFinding) -> dict[str, Any]:
        """What the account did after the action, and from where: the holder's
        own later logins (panel sessions in the period examined, SSH to the
        server in the hours after the action) tie an action to him; after a
        takeover they show him coming back from his usual network, and his
        failed logins and password reset (`finding.after_action`) show him
        locked out first."""
        action_ts = as_utc(finding.action.ts)
        session = finding.session
        own_ips = self.account_addresses(finding)
        later = {(r.path, r.line_no): r for r in finding.timeline if as_utc(r.ts) > action_ts
                 and ((r.source_kind == "panel" and r.event == "login")
                      or (r.source_kind == "ssh" and r.event in ("ssh_login", "ssh_auth_failure", "ssh_denied",
                                                                  "ssh_invalid_user")
                          and not self.is_noise(r, own_ips)))}
        for r in getattr(finding, "after_action", ()):
            later.setdefault((r.path, r.line_no), r)
        for s in sorted(self.inv.sessions, key=lambda s: as_utc(s.start)):
            if s.login is not None and as_utc(s.start) > action_ts and s.actor in ("customer", None) \
                    and (session is None or s.key != session.key):
                later.setdefault((s.login.path, s.login.line_no), s.login)
        ordered = sorted(later.values(), key=lambda r: (as_utc(r.ts), r.path, r.line_no))
        networks = {s.ip: s.ip_facts.network for s in self.inv.sessions if s.ip and s.ip_facts is not None}
        own_network = session.ip_facts.network if session is not None and session.ip_facts is not None else None
        history_networks = {h.session.ip_facts.network for h in finding.history
                            if h.session.ip_facts is not None and h.session.ip_facts.network}
        rows = []
        for r in ordered[: self.limits.events]:
            row = self.event_row(r)
            row["after"] = self.after_text((as_utc(r.ts) - action_ts).total_seconds())
            if session is not None and r.ip and r.ip == session.ip:
                row["same"] = "same_ip"
            elif r.ip and own_network and networks.get(r.ip) == own_network:
                row["same"] = "same_network"
            elif r.ip and networks.get(r.ip) and networks.get(r.ip) in history_networks:
                row["same"] = "history_network"
            else:
                row["same"] = "other"
            row["same_text"] = self._(SAME_AS[row["same"]])
            rows.append(row)
        return {"rows": rows, "total": len(ordered), "omitted": max(0, len(ordered) - len(rows)),
                "hours": self.num(self.hours_around)}

    def after_text(self, seconds: float) -> str:
        minutes = seconds / 60
        if minutes < 120:
            n = max(1, round(minutes))
            return self.ngettext(AFTER_MINUTES[0], AFTER_MINUTES[1], n) % {"num": self.num(n)}
        if minutes < 48 * 60:
            n = round(minutes / 60)
            return self.ngettext(AFTER_HOURS[0], AFTER_HOURS[1], n) % {"num": self.num(n)}
        n = round(minutes / 1440)
        return self.ngettext(AFTER_DAYS[0], AFTER_DAYS[1], n) % {"num": self.num(n)}

    def finding(self, index: int, finding: ActionFinding, svg: str) -> dict[str, Any]:
        return {
            "index": index,
            "anchor": f"action-{index}",
            "summary": self.summary(finding),
            "action": self.event_row(finding.action),
            "session": self.session_block(finding.session),
            "history": self.history_block(finding),
            "failed_logins": self.events_block(finding.failed_logins),
            "account_changes": self.events_block(finding.account_changes),
            "staff_activity": self.events_block(finding.staff_activity),
            "clickstream": self.clickstream_block(finding),
            "indicators": self.indicator_rows(finding),
            "timeline": self.timeline_block(finding, skip={
                (c.ref.path, c.ref.line_no) for c in finding.clickstream[: self.limits.clickstream]}),
            "after": self.after_block(finding),
            "svg": svg,
            "missing": list(finding.missing),
        }

    def claim(self, claim) -> dict[str, Any]:
        matches = []
        for match in claim.matches:
            matches.append({
                "when": self.when(match.event.ts),
                "event": self.event_name(match.event.event),
                "classification": self.code(CLAIM_CLASSES, match.classification),
                "days_off": match.days_off,
                "citation": self.citations.add(match.event),
            })
        return {
            "text": claim.text,
            "sentence": getattr(claim, "sentence", None) or "",
            "dates": [d.isoformat() for d in claim.dates],
            "year_given": claim.year_given,
            "action": self.event_name(claim.action) if claim.action else "",
            "classification_code": claim.classification,
            "classification": self.code(CLAIM_CLASSES, claim.classification),
            "matches": matches,
            "covered": claim.covered,
            "explanation": self.prose(claim.explanation),
        }

    def claim_answer(self, claim) -> str:
        """One sentence per claim for the summary's opening."""
        template = CLAIM_ANSWERS.get(claim.classification, CLAIM_ANSWERS["not_found"])
        found = sorted({iso_date(m.event.ts) for m in claim.matches})
        years = sorted({str(m.year or as_utc(m.event.ts).year) for m in claim.matches})
        text = self._(template) % {
            "words": claim.text, "found": ", ".join(found),
            "action": self.event_name(claim.action) if claim.action else self._(ACTION_WORD), "year": ", ".join(years),
            "claimed_year": ", ".join(sorted({str(d.year) for d in claim.dates})),
            "claimed": ", ".join(d.isoformat() for d in claim.dates)}
        disputed = {(f.action.path, f.action.line_no) for f in self.inv.findings}
        # the disputed action itself is answered by its finding, not by the user name it was logged with
        users = sorted({m.event.user for m in claim.matches if m.event.actor in ("customer", None) and m.event.user
                        and (m.event.path, m.event.line_no) not in disputed})
        if users and claim.classification in ("different_year", "off_by_days", "exact"):
            text = text.rstrip(".") + ", " + self._(OWN_USER) % {"user": ", ".join(users)} + "."
        return text

    def coverage(self) -> list[dict[str, Any]]:
        rows = []
        for source in self.inv.coverage:
            rows.append({
                "path": source.path, "kind": self.code(SOURCE_KINDS, source.source_kind) if source.source_kind else "",
                "format": source.format, "sha256": source.sha256,
                "first": self.when(source.first_ts), "last": self.when(source.last_ts),
                "gaps": [{"start": self.when(g.start), "end": self.when(g.end),
                          "hours": self.num(round((as_utc(g.end) - as_utc(g.start)).total_seconds() / 3600, 1))}
                         for g in source.gaps],
                "tz_decision": self.say(decision_message(source.tz_decision, "tz")) or "",
                "year_decision": self.say(decision_message(source.year_decision, "year")) or "",
                "lines_read": self.num(source.lines_read) if source.lines_read is not None else None,
                "events_parsed": self.num(source.events_parsed) if source.events_parsed is not None else None,
                "lines_rejected": self.num(source.lines_rejected) if source.lines_rejected is not None else None,
            })
        return rows


def _clip_params(value, cut):
    """The message with each log value among its parameters (a plain string:
    a User-Agent, a path) cut by `cut`, as the finalize hook cuts a value
    printed on its own; the sentence's own words are not cut."""
    if not isinstance(value, Msg):
        return value
    params = {k: (_clip_params(v, cut) if isinstance(v, Msg)
                  else cut(v) if isinstance(v, str) and not hasattr(v, "render") else v)
              for k, v in value.params.items()}
    return Msg(value.msgid, value.plural, **params)


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clip(text: str | None, limit: int = 260) -> str:
    """Long observed/baseline texts (lists of earlier sessions) are cut at a
    word boundary; findings.json has them whole."""
    if not text or len(text) <= limit:
        return text or ""
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " … [findings.json]"


def _detail_text(detail) -> str:
    if detail is None or detail == {}:
        return ""
    if isinstance(detail, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(detail.items()))
    return str(detail)


# Settings sections that only one dispute kind (or no report) reads.
# Which dispute kinds read a section of thresholds.toml.  The input side
# (ingest, enrich, coverage of the logs) and the report's own limits hold for
# every report; every other section is read by the disputed-action rules only.
SHARED_SECTIONS = {"ingest", "enrich", "coverage", "report"}
KIND_SECTIONS = {"notices": "notices", "sla": "outage", "lake": None}


def _in_force(thresholds: dict[str, Any], kind: str) -> dict[str, Any]:
    """The settings this report's kind reads: the sections of the other
    dispute kinds and of the lake are left out of the table (they are in
    findings.json with the rest)."""
    def read(section: str) -> bool:
        if section in SHARED_SECTIONS:
            return True
        return KIND_SECTIONS.get(section, "action") == kind

    return {k: v for k, v in thresholds.items() if read(k)}


def flatten_thresholds(thresholds: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """`{"enrich": {"ipv4_prefix": 24}}` -> `[("enrich.ipv4_prefix", "24")]`."""
    rows = []
    for key, value in sorted(thresholds.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += flatten_thresholds(value, name + ".")
        else:
            rows.append((name, str(value)))
    return rows


def build_context(inv: Investigation, *, gettext: Callable[[str], str], lang: str, tz_name: str | None,
                  limits: Limits, svgs: list[str], meta: dict[str, Any],
                  extra: Callable[["Builder"], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The whole template context (see module docstring).

    Args:
        inv: the (possibly redacted) investigation.
        gettext: the report language's translation function.
        lang: language code, for `<html lang>`.
        tz_name: the zone for local times (IANA name), or None for UTC only.
        limits: row limits.
        svgs: one timeline figure (SVG markup) per finding.
        meta: cover and provenance values (provider, reference, report date,
            command line, manifest hash, case path, redacted flag).
        extra: a dispute kind's own section: called with the `Builder` (so
            its citations join the appendix); its dict is merged into the
            context (e.g. `{"notices": ...}`; see `forensics.report.kinds`).
    """
    tz = zone(tz_name) if tz_name else None
    b = Builder(inv, gettext, tz, tz_name, limits, lang)
    findings = []
    seen_sessions: dict[str, int] = {}
    for i, f in enumerate(inv.findings):
        block = b.finding(i + 1, f, svgs[i])
        # Two disputed actions of one session share login, history and
        # click-stream: print them once and refer back (keeps the report short).
        key = f.session.session_id if f.session is not None and f.session.session_id else None
        block["same_session_as"] = seen_sessions.get(key) if key else None
        if key and key not in seen_sessions:
            seen_sessions[key] = i + 1
        findings.append(block)
    claims = [b.claim(c) for c in inv.claims]
    seen_sentences = set()
    for c in claims:   # a sentence split into clauses is quoted whole once, at its first clause
        c["sentence_first"] = bool(c["sentence"]) and c["sentence"] not in seen_sentences
        seen_sentences.add(c["sentence"])
    answers = [f["summary"]["answer"] for f in findings] + [b.claim_answer(c) for c in inv.claims]
    kind_values = extra(b) if extra is not None else {}
    periods = [(s.first_ts, s.last_ts) for s in inv.coverage if s.first_ts and s.last_ts]
    cited = b.citations.ordered()
    appendix = cited[: limits.appendix]
    params = inv.parameters or {}
    return {
        "dispute": dispute_kind(inv),
        "lang": lang,
        "tz_name": tz_name or "",
        "meta": meta,
        "account": inv.account,
        "tool_version": inv.tool_version,
        "findings": findings,
        "claims": claims,
        "answers": answers,
        "cover_answers": [f["summary"]["answer"] for f in findings],
        "coverage": b.coverage(),
        "period": {"start": b.when(min(p[0] for p in periods)), "end": b.when(max(p[1] for p in periods))} if periods else None,
        "examined": _examined(params, periods),
        "baseline": _baseline_window(inv, b),
        "geoip": [
            {"type": g.get("type") or g.get("database_type") or "", "build_date": _iso_or_text(g.get("build_date")),
             "sha256": g.get("sha256") or "", "path": g.get("path") or ""}
            for g in inv.geoip_databases
        ],
        "isp_data_available": inv.isp_data_available,
        "thresholds": flatten_thresholds(_in_force(inv.thresholds or {}, dispute_kind(inv))),
        "thresholds_elsewhere_text": ", ".join(sorted(set(inv.thresholds or {}) - set(_in_force(inv.thresholds or {},
                                                                                   dispute_kind(inv))))),
        "queries": list(inv.queries_used),
        "evidence_model": [b.evidence_row(r) for r in getattr(inv, "evidence_model", ())],
        "parameters": [(k, _param_text(v)) for k, v in sorted(params.items()) if k != "claims"],
        "notes": [b.prose(n) for n in inv.notes],
        "appendix": [{"citation": r.citation, "when": b.when(r.ts), "raw": b.raw_line(r), "integrity": r.integrity}
                     for r in appendix],
        # lines of a damaged archive, flagged wherever cited and explained in appendix B
        "integrity": {r.citation: r.integrity for r in cited if r.integrity},
        "integrity_flags": sorted({r.integrity for r in cited if r.integrity}),
        "appendix_total": len(cited),
        "appendix_omitted": len(cited) - len(appendix),
        "cell_chars": limits.cell_chars,
        "sessions_total": len(inv.sessions),
        "notices": None,
        "outage": None,
        **kind_values,
    }


def _examined(params: dict, periods) -> dict[str, Any] | None:
    """The window the disputed actions were looked for in, and where each end comes from."""
    since, until = params.get("since"), params.get("until")
    if not periods and not (since and until):
        return None
    first = min(p[0] for p in periods) if periods else None
    last = max(p[1] for p in periods) if periods else None
    start = dt.datetime.fromisoformat(since) if since else first
    # --until is the first instant after the period (stated as such on the cover)
    end = dt.datetime.fromisoformat(until) if until else last
    return {"start": iso(start) if start else "–", "end": iso(end) if end else "–",
            "since_given": bool(since), "until_given": bool(until)}


def _baseline_window(inv: Investigation, b: Builder) -> dict[str, Any] | None:
    """The account's history the disputed sessions were compared with."""
    rows = [h for f in inv.findings for h in f.history]
    totals = [int(i.data.get("sessions", 0)) for f in inv.findings for i in f.indicators if i.name == "baseline_size"]
    if not rows and not totals:
        return None
    firsts = [f.session.start for f in inv.findings if f.session is not None]
    panel = [s.first_ts for s in inv.coverage if s.source_kind == "panel" and s.first_ts]
    return {"sessions": b.num(max(totals) if totals else len(rows)),
            "start": iso_date(min(panel)) if panel else (iso_date(min(h.session.start for h in rows)) if rows else "–"),
            "end": iso_date(min(firsts)) if firsts else "–"}


def _iso_or_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return iso(value)
    return str(value)


def _param_text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, (dt.datetime, dt.date)):
        return _iso_or_text(value) if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_param_text(v) for v in value) or "–"
    return str(value)
