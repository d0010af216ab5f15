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
