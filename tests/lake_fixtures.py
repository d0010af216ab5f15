"""The demo sample at small volume, ingested directly, for the lake and export tests."""

from __future__ import annotations

from pathlib import Path

from forensics.case import Case
from forensics.demo.generator import generate_sample


def strip_ids(doc):
    """An investigation document without what differs between two case files of
    the same evidence: case-local ids and the time it was generated."""
    if isinstance(doc, dict):
        return {k: strip_ids(v) for k, v in doc.items() if k not in ("event_id", "source_id", "generated_at")}
    if isinstance(doc, list):
        return [strip_ids(v) for v in doc]
    return doc


def build_direct(directory: Path, accounts: int = 3):
    """(manifest, direct case path): the sample ingested as `forensics demo` does."""
    manifest = generate_sample(directory / "logs", accounts=accounts)
    case_path = directory / "direct.duckdb"
    with Case.open(case_path) as case:
        case.ingest([manifest.panel_log, manifest.access_log])
        case.ingest([manifest.auth_log], tz=manifest.auth_log_tz, host=manifest.auth_log_host)
        case.enrich(geoip_paths=list(manifest.geoip_db))
    return manifest, case_path


def investigate(case_path, dispute):
    with Case.open(case_path, read_only=True) as case:
        return case.investigate(dispute.account, action=dispute.action, target=dispute.target,
                                since=dispute.since, until=dispute.until, claims=dispute.claims, tz=dispute.tz)


def cited_lines(doc, by_name: bool = False) -> list[str]:
    """Every `file:line` an investigation document cites, in order (the action,
    the indicators' evidence, the timeline, the claims' events)."""
    out = []
    if isinstance(doc, dict):
        if isinstance(doc.get("path"), str) and isinstance(doc.get("line_no"), int):
            path = Path(doc["path"]).name if by_name else doc["path"]
            out.append(f"{path}:{doc['line_no']}")
        for value in doc.values():
            out += cited_lines(value, by_name)
    elif isinstance(doc, list):
        for value in doc:
            out += cited_lines(value, by_name)
    return out


def demo_inputs(manifest) -> list:
    """Every log of the demo with the options `forensics demo` ingests it with,
    as `(path, options)` inputs of one `ingest_to_lake` call."""
    inputs = [str(manifest.panel_log), str(manifest.access_log),
              (str(manifest.auth_log), {"tz": manifest.auth_log_tz, "host": manifest.auth_log_host})]
    inputs += [(str(p), {"tz": manifest.mail_log_tz}) for p in manifest.contact_files]
    inputs += [(str(p), {"host": host}) for p, host in manifest.story_logs]
    return inputs


def build_demo_case(directory: Path, accounts: int):
    """(manifest, direct case path): every log of the sample ingested as `forensics demo` does
    (`forensics.demo.runner.run_demo`)."""
    manifest = generate_sample(directory / "logs", accounts=accounts)
    case_path = directory / "demo.duckdb"
    with Case.open(case_path) as case:
        case.ingest([manifest.panel_log, manifest.access_log])
        case.ingest([manifest.auth_log], tz=manifest.auth_log_tz, host=manifest.auth_log_host)
        if manifest.contact_files:
            case.ingest(manifest.contact_files, tz=manifest.mail_log_tz)
        for path, host in manifest.story_logs:
            case.ingest([path], host=host)
        case.enrich(geoip_paths=list(manifest.geoip_db))
    return manifest, case_path


def investigate_any(case_path, dispute):
    """The investigation of any demo dispute (action, outage, notices) as `forensics demo` runs it."""
    with Case.open(case_path, read_only=True) as case:
        if getattr(dispute, "kind", None) == "outage":
            from forensics.investigate.outage import investigate_outage

            return investigate_outage(case, dispute.account, target=dispute.target, aliases=dispute.aliases,
                                      since=dispute.since.date().isoformat(), until=dispute.until.date().isoformat(),
                                      claims=dispute.claims, tz=dispute.tz)
        if not hasattr(dispute, "kind"):      # story_notices.NoticeDispute
            return case.investigate_notices(dispute.account, since=dispute.since, until=dispute.until,
                                            claims=dispute.claims, tz=dispute.tz)
        return case.investigate(dispute.account, action=dispute.action, target=dispute.target,
                                since=dispute.since, until=dispute.until, claims=dispute.claims, tz=dispute.tz)
