"""All log formats, in the order auto-detection tries them (most specific first).

* the native panel log (JSON Lines, CSV): its records are unmistakable;
* the shipped declarative definitions (cPanel login/session logs, Proxmox,
  WHMCS, journald, sshd-bearing syslog...) from `forensics.ingest.declarative`;
* the web access logs (cPanel `access_log` before the generic combined log);
* generic catch-all definitions (plain syslog) last.

`--format` takes a name from `forensics formats list` or the path of a `.toml`
definition file.
"""

from __future__ import annotations

from pathlib import Path

from forensics.errors import ForensicsError
from forensics.ingest.base import LogFormat
from forensics.ingest.formats import access, panel, plesk_xml

# Declarative definitions that accept lines of any program; tried after the
# specific formats, so that a web log is never read as "some syslog".
GENERIC_DEFINITIONS = ("syslog", "syslog-notime")


def _declarative():
    """The declarative module, or None while it is not part of this build."""
    try:
        from forensics.ingest import declarative
    except ModuleNotFoundError as exc:
        if exc.name == "forensics.ingest.declarative":
            return None
        raise
    return declarative


def all_formats() -> list[LogFormat]:
    """Every built-in format, in detection order."""
    declared = list(_declarative().builtin_definitions()) if _declarative() else []
    specific = [f for f in declared if f.name not in GENERIC_DEFINITIONS]
    generic = [f for f in declared if f.name in GENERIC_DEFINITIONS]
    return [*panel.FORMATS, *plesk_xml.FORMATS, *specific, *access.FORMATS, *generic]


def format_names() -> list[str]:
    return [f.name for f in all_formats()]


def get_format(name_or_path: str) -> LogFormat:
    """A built-in format by name, or a user's definition file (`*.toml`).

    Raises:
        ForensicsError: no such format (the message lists the known names).
    """
    for fmt in all_formats():
        if fmt.name == name_or_path:
            return fmt
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.exists():
        module = _declarative()
        if module is None:
            raise ForensicsError("format definition files are not supported by this build "
                                 "(forensics.ingest.declarative is missing)")
        if not path.is_file():
            raise ForensicsError(f"format definition file not found: {name_or_path}")
        return module.load_definition(path)
    raise ForensicsError(
        f"unknown format {name_or_path!r}; known formats: {', '.join(format_names())} "
        "(or give the path of a .toml definition)"
    )
