"""Turning an `Investigation` into the report templates' context.

The templates only lay out what this module prepares: every time is already
an ISO 8601 string (UTC, and local where a zone is known), every code is
already translated, long lists are already cut to the limits of `[report]`
in thresholds.toml (with the number left out, for the note that points to
the attachments).  Every event shown is registered with `Citations`, which
numbers it for the appendix of raw lines.

Values from the logs stay plain `str`: the Jinja2 environment autoescapes
them, so hostile log content is printed, never interpreted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from forensics.investigate.model import ActionFinding, EventRef, Investigation, Session
from forensics.report.i18n import N_
from forensics.timefmt import as_utc, iso, zone

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
}
SAMENESS = {"same": N_("same"), "partial": N_("partial"), "new": N_("new"), "unknown": N_("unknown")}
INDICATOR_NAMES = {   # the codes of forensics/investigate/indicators.py
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
    "http_request": N_("web request"), "ssh_login": N_("SSH login"), "ssh_invalid_user": N_("SSH: unknown user"),
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
END_REASONS = {"logout": N_("logout"), "idle_timeout": N_("idle timeout"), "open": N_("still open at the end of the log")}
ACTORS = {"customer": N_("customer"), "staff": N_("staff"), "api": N_("API"), "system": N_("system")}
CLICK_VERDICTS = {"human": N_("human navigation"), "automated": N_("automated requests"), "unknown": N_("undetermined")}
SOURCE_KINDS = {"panel": N_("control panel"), "http": N_("web access"), "ssh": N_("SSH server"), "syslog": N_("system log")}


@dataclass
class Limits:
    """Row limits of the PDF text (`[report]` in thresholds.toml)."""

    history: int = 10
    clickstream: int = 20
    timeline: int = 24
    events: int = 12
    appendix: int = 120

    @classmethod
    def from_config(cls, config: dict) -> "Limits":
        section = config.get("report", {})
        return cls(
            history=int(section.get("max_history_rows", cls.history)),
            clickstream=int(section.get("max_clickstream_rows", cls.clickstream)),
            timeline=int(section.get("max_timeline_rows", cls.timeline)),
            events=int(section.get("max_event_rows", cls.events)),
            appendix=int(section.get("max_appendix_lines", cls.appendix)),
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
                 tz_name: str | None, limits: Limits):
        self.inv = inv
        self._ = gettext
        self.tz = tz
        self.tz_name = tz_name
        self.limits = limits
        self.citations = Citations()

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

    def event_name(self, value: str | None) -> str:
        return self.code(EVENTS, value)

    def event_row(self, ref: EventRef) -> dict[str, Any]:
        return {
            "when": self.when(ref.ts),
            "event": self.event_name(ref.event),
            "result": ref.result or "",
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
        out["country"] = " ".join(p for p in (facts.country_iso, facts.country_name) if p)
        out["anonymiser"] = ", ".join(facts.anonymiser)
        return out

    def browser_text(self, session: Session | None) -> str:
        if session is None or session.browser is None:
            return (session.user_agent if session else None) or "–"
        return session.browser.label

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
            "reason": finding.reason,
            "key_facts": list(finding.key_facts),
            "missing": list(finding.missing),
            "citation": self.citations.add(action),
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
            "login": self.event_row(session.login) if session.login else None,
            "n_actions": len(session.actions),
        }

    def history_block(self, finding: ActionFinding) -> dict[str, Any]:
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
        counts = {}
        for key in ("same_ip", "same_network", "same_browser", "same_country"):
            counts[key] = {v: sum(1 for r in rows if getattr(r, key) == v) for v in ("same", "partial", "new", "unknown")}
        this = None
        if finding.session is not None:
            address = self.ip_text(finding.session)
            this = {"start": self.when(finding.session.start), "ip": address["ip"],
                    "network": address["isp"] or address["network"], "browser": self.browser_text(finding.session),
                    "country": address["country"]}
        return {"rows": out, "total": len(rows), "omitted": len(rows) - len(shown), "counts": counts, "this": this}

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
            row["think"] = "" if click.think_time_s is None else f"{click.think_time_s:.1f} s"
            row["asset"] = click.is_asset
            rows.append(row)
        pages = [c for c in clicks if not c.is_asset and c.think_time_s is not None]
        thinks = sorted(c.think_time_s for c in pages)
        median = thinks[len(thinks) // 2] if thinks else None
        return {
            "rows": rows, "total": len(clicks), "omitted": len(clicks) - len(shown),
            "verdict": self.code(CLICK_VERDICTS, finding.clickstream_verdict), "verdict_code": finding.clickstream_verdict,
            "median_think": f"{median:.1f} s" if median is not None else "–",
            "assets": sum(1 for c in clicks if c.is_asset),
        }

    def indicator_rows(self, finding: ActionFinding) -> list[dict[str, Any]]:
        rows = []
        for ind in finding.indicators:
            rows.append({
                "name": self.code(INDICATOR_NAMES, ind.name, ind.label),
                "code": ind.name,
                "observed": _clip(ind.observed), "baseline": _clip(ind.baseline),
                "result_code": ind.result, "result": self.code(RESULTS, ind.result),
                "direction_code": ind.direction, "direction": self.code(DIRECTIONS, ind.direction),
                "explanation": ind.explanation,
                "citations": [self.citations.add(ref) for ref in ind.evidence[:3]],
                "more_evidence": max(0, len(ind.evidence) - 3),
            })
        return rows

    def timeline_block(self, finding: ActionFinding, skip: set[tuple[str, int]] = frozenset()) -> dict[str, Any]:
        """The merged timeline; `skip`: rows already printed in the click-stream."""
        refs = sorted((r for r in finding.timeline if (r.path, r.line_no) not in skip),
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
        return {"rows": rows, "total": len(refs), "omitted": len(refs) - len(shown)}

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
            "dates": [d.isoformat() for d in claim.dates],
            "year_given": claim.year_given,
            "action": self.event_name(claim.action) if claim.action else "",
            "classification_code": claim.classification,
            "classification": self.code(CLAIM_CLASSES, claim.classification),
            "matches": matches,
            "covered": claim.covered,
            "explanation": claim.explanation,
        }

    def coverage(self) -> list[dict[str, Any]]:
        rows = []
        for source in self.inv.coverage:
            rows.append({
                "path": source.path, "kind": self.code(SOURCE_KINDS, source.source_kind) if source.source_kind else "",
                "format": source.format, "sha256": source.sha256,
                "first": self.when(source.first_ts), "last": self.when(source.last_ts),
                "gaps": [{"start": self.when(g.start), "end": self.when(g.end),
                          "hours": round((as_utc(g.end) - as_utc(g.start)).total_seconds() / 3600, 1)}
                         for g in source.gaps],
                "tz_decision": source.tz_decision or "", "year_decision": source.year_decision or "",
                "lines_read": source.lines_read, "events_parsed": source.events_parsed,
                "lines_rejected": source.lines_rejected,
            })
        return rows


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
                  limits: Limits, svgs: list[str], meta: dict[str, Any]) -> dict[str, Any]:
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
    """
    tz = zone(tz_name) if tz_name else None
    b = Builder(inv, gettext, tz, tz_name, limits)
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
    periods = [(s.first_ts, s.last_ts) for s in inv.coverage if s.first_ts and s.last_ts]
    cited = b.citations.ordered()
    appendix = cited[: limits.appendix]
    params = inv.parameters or {}
    return {
        "lang": lang,
        "tz_name": tz_name or "",
        "meta": meta,
        "account": inv.account,
        "tool_version": inv.tool_version,
        "findings": findings,
        "claims": claims,
        "coverage": b.coverage(),
        "period": {"start": b.when(min(p[0] for p in periods)), "end": b.when(max(p[1] for p in periods))} if periods else None,
        "geoip": [
            {"type": g.get("type") or g.get("database_type") or "", "build_date": _iso_or_text(g.get("build_date")),
             "sha256": g.get("sha256") or "", "path": g.get("path") or ""}
            for g in inv.geoip_databases
        ],
        "isp_data_available": inv.isp_data_available,
        "thresholds": flatten_thresholds(inv.thresholds or {}),
        "queries": list(inv.queries_used),
        "parameters": [(k, _param_text(v)) for k, v in sorted(params.items()) if k != "claims"],
        "notes": list(inv.notes),
        "appendix": [{"citation": r.citation, "when": b.when(r.ts), "raw": r.raw} for r in appendix],
        "appendix_total": len(cited),
        "appendix_omitted": len(cited) - len(appendix),
        "sessions_total": len(inv.sessions),
    }


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
