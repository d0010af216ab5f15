"""The evidence embedded in the PDF/A-3 report.

* `findings.json`: the whole investigation (every session, every indicator,
  every cited event), i.e. everything the PDF text shortens;
* `cited-events.csv`: every event the investigation refers to, one row each,
  with `path:line`, the UTC time and the raw line;
* `manifest.json`: the inputs with their SHA-256 and line counts, the GeoIP
  databases, the tool version, the report's parameters, and the SHA-256 of
  the two files above.  The manifest's own SHA-256 is printed in every
  page footer, so a printed page points to the exact evidence set.

All three are produced byte-for-byte reproducibly (sorted keys, fixed line
endings, no wall-clock time), so that the same inputs give the same PDF.
Values are written as they were logged: open the CSV as text, not as a
spreadsheet formula source.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from forensics.investigate.model import Investigation, all_event_refs
from forensics.timefmt import iso

CSV_COLUMNS = [
    "citation", "path", "line_no", "ts_utc", "source_id", "source_kind", "event", "result", "account", "actor",
    "user", "auth", "session", "ip", "user_agent", "method", "http_path", "status", "referrer", "target",
    "detail", "integrity", "raw",
]


@dataclass
class EmbeddedFile:
    name: str
    data: bytes
    mime_type: str
    description: str

    @cached_property
    def sha256(self) -> str:
        # once per file: the manifest and the report's attachment table both
        # read it (findings.json with a 1 MB User-Agent is ~180 MB to hash)
        return hashlib.sha256(self.data).hexdigest()


def findings_json(data: dict[str, Any], report_parameters: dict[str, Any]) -> EmbeddedFile:
    """`data` is `Investigation.to_dict()` (computed once: it is the slow part)."""
    data = dict(data, report=report_parameters)
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return EmbeddedFile("findings.json", text.encode("utf-8"), "application/json",
                        "The investigation's complete result (every session, indicator and cited event).")


def cited_events_csv(inv: Investigation) -> EmbeddedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for ref in all_event_refs(inv):
        detail = ref.detail
        if isinstance(detail, (dict, list)):
            detail = json.dumps(detail, sort_keys=True, ensure_ascii=False)
        row = {
            "citation": ref.citation, "path": ref.path, "line_no": ref.line_no, "ts_utc": iso(ref.ts),
            "source_id": ref.source_id, "source_kind": ref.source_kind, "event": ref.event, "result": ref.result,
            "account": ref.account, "actor": ref.actor, "user": ref.user, "auth": ref.auth, "session": ref.session,
            "ip": ref.ip, "user_agent": ref.user_agent, "method": ref.method, "http_path": ref.http_path,
            "status": ref.status, "referrer": ref.referrer, "target": ref.target, "detail": detail,
            "integrity": ref.integrity, "raw": ref.raw,
        }
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return EmbeddedFile("cited-events.csv", buffer.getvalue().encode("utf-8"), "text/csv",
                        "Every event the investigation refers to, with file:line and the raw log line.")


def manifest_json(inv: Investigation, data: dict[str, Any], report_parameters: dict[str, Any],
                  files: list[EmbeddedFile]) -> EmbeddedFile:
    manifest = {
        "tool": "forensics",
        "tool_version": inv.tool_version,
        "account": inv.account,
        "parameters": report_parameters,
        "investigation_parameters": data["parameters"],
        "inputs": [
            {"path": s.path, "sha256": s.sha256, "format": s.format, "source_kind": s.source_kind,
             "lines_read": s.lines_read, "events_parsed": s.events_parsed, "lines_rejected": s.lines_rejected,
             "first_ts": iso(s.first_ts) if s.first_ts else None, "last_ts": iso(s.last_ts) if s.last_ts else None,
             "tz_decision": s.tz_decision, "year_decision": s.year_decision}
            for s in inv.coverage
        ],
        "geoip_databases": data["geoip_databases"],
        "queries_used": list(inv.queries_used),
        "thresholds": inv.thresholds,
        "attachments": [{"name": f.name, "sha256": f.sha256, "bytes": len(f.data)} for f in files],
    }
    text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return EmbeddedFile("manifest.json", text.encode("utf-8"), "application/json",
                        "Inputs with SHA-256 and line counts, tool version, parameters, attachment hashes.")


def build_attachments(inv: Investigation, report_parameters: dict[str, Any]) -> list[EmbeddedFile]:
    """[findings.json, cited-events.csv, manifest.json] (the manifest last: it hashes the others)."""
    data = inv.to_dict()
    files = [findings_json(data, report_parameters), cited_events_csv(inv)]
    files.append(manifest_json(inv, data, report_parameters, files))
    return files
