"""Rendering: Jinja2 templates → HTML → WeasyPrint → PDF/A-3b.

Safety: log content is hostile.  The Jinja2 environment autoescapes every
value, so a User-Agent such as `<img src="file:///etc/passwd">` is printed
as text and never becomes an element; and WeasyPrint gets a URL fetcher
(`AssetFetcher`) that serves only files inside the packaged
`report_templates/` directory and refuses everything else: no other file,
no network, no `data:` URL.

Determinism: the PDF's creation and modification dates, the attachments'
dates and the document identifier all derive from the report date and the
content, so the same investigation and `--date` give the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from forensics.errors import ForensicsError
from forensics.investigate.model import Investigation
from forensics.resources import templates_dir

PDF_VARIANT = "pdf/a-3b"
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".ttf": "font/ttf",
              ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}


@dataclass
class ReportResult:
    """What `render_report` wrote."""

    path: Path
    sha256: str
    pages: int
    size: int
    manifest_sha256: str = ""
    seconds: float = 0.0


def _asset_fetcher_class():
    import weasyprint

    class AssetFetcher(weasyprint.URLFetcher):
        """Serves the packaged report assets, refuses every other URL.

        `requested` lists every URL WeasyPrint asked for, `refused` the ones
        turned down (the safe-rendering tests read both).
        """

        def __init__(self, root: Path):
            super().__init__(allowed_protocols=["file"], allow_redirects=False)
            self.root = root.resolve()
            self.requested: list[str] = []
            self.refused: list[str] = []

        def _refuse(self, url: str, why: str):
            self.refused.append(url)
            raise ValueError(f"refused by the report's URL fetcher ({why}): only packaged report assets load")

        def fetch(self, url, headers=None):
            self.requested.append(url)
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
                self._refuse(url, "not a local asset")
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(self.root) or not path.is_file():
                self._refuse(url, "outside the report templates")
            if path.suffix.lower() not in MIME_TYPES:
                self._refuse(url, "not an asset type")
            return weasyprint.urls.URLFetcherResponse(
                url=path.as_uri(), body=path.read_bytes(),
                headers={"Content-Type": MIME_TYPES[path.suffix.lower()]})

    return AssetFetcher


def make_fetcher(root: Path | None = None):
    """A new URL fetcher limited to `root` (default: the packaged templates)."""
    return _asset_fetcher_class()(root or templates_dir())


def css_string(value: Any):
    """A CSS string literal whose every non-alphanumeric character is escaped.

    Returned as Markup: the result contains only ASCII letters, digits,
    backslash escapes and the two quotes, so it is safe inside `<style>`,
    where HTML entities would not be decoded.
    """
    from markupsafe import Markup

    text = str(value)
    escaped = "".join(ch if ch.isalnum() and ch.isascii() else f"\\{ord(ch):06x}" for ch in text)
    return Markup(f'"{escaped}"')


def make_environment(lang: str):
    """The Jinja2 environment: packaged templates, autoescape on, gettext installed."""
    import jinja2

    from forensics.report.i18n import translations

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,  # every template, whatever its name: log content is hostile
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.filters["css_string"] = css_string
    return env


def _report_date(value) -> dt.date:
    if value is None:
        return dt.datetime.now(dt.timezone.utc).date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ForensicsError(f"report date {value!r} is not an ISO date (YYYY-MM-DD)") from None


def render_report(investigation: Investigation, out_path: str | os.PathLike, *, case: str | os.PathLike | None = None,
                  lang: str = "en", tz: str | None = None, redact: bool = False, reference: str | None = None,
                  report_date: str | dt.date | None = None, provider: str | None = None,
                  command_line: str | None = None, config: dict | None = None,
                  fetcher=None) -> ReportResult:
    """Render an investigation as the PDF/A-3b evidence report.

    Args:
        investigation: the result of `forensics.investigate.investigate()`.
        out_path: the PDF file to write (replaced atomically).
        case: the case (a `Case` or its file's path), shown on the cover and
            in the manifest.
        lang: report language: en, de, cs or pl.
        tz: IANA zone for local times beside UTC (default: the
            investigation's `tz` parameter, else UTC only).
        redact: the customer-facing version (see `forensics.report.redact`).
        reference: the case reference in the running header (default: the
            account).
        report_date: the report's date (ISO date); fixes the PDF's dates, so
            the same inputs and date give a byte-identical file.  Default:
            today (UTC).
        provider: the provider's name on the cover.
        command_line: the command that produced the report (provenance).
        config: the settings in force (default: `load_config()`), for the
            row limits and the redaction prefix lengths.
        fetcher: a URL fetcher from `make_fetcher()` (tests inspect it).

    Returns:
        ReportResult with the path, the PDF's SHA-256, page count and size.

    Raises:
        ForensicsError: unknown language or zone, bad date, unwritable path.

    Example:
        >>> result = render_report(inv, "dispute-4711.pdf", lang="de", report_date="2025-04-02")
        >>> result.sha256
    """
    import time

    import weasyprint

    from forensics.config import load_config
    from forensics.report.attachments import build_attachments
    from forensics.report.context import Limits, build_context
    from forensics.report.i18n import LANGUAGES, translations
    from forensics.report.redact import redact_investigation
    from forensics.report.svg_timeline import render_overview_svg, render_timeline_svg
    from forensics.timefmt import zone

    started = time.perf_counter()
    if lang not in LANGUAGES:
        raise ForensicsError(f"unsupported report language {lang!r} (choose one of: {', '.join(LANGUAGES)})")
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise ForensicsError(f"directory does not exist: {out_path.parent}")
    config = config if config is not None else load_config()
    date = _report_date(report_date)
    tz_name, tz_source = local_zone(investigation, tz)
    tzinfo = zone(tz_name) if tz_name else None

    inv = investigation
    if redact:
        enrich = config.get("enrich", {})
        inv = redact_investigation(inv, ipv4_prefix=int(enrich.get("ipv4_prefix", 24)),
                                   ipv6_prefix=int(enrich.get("ipv6_prefix", 48)))
    # The report date stands for the investigation's own clock, so that the
    # same case and --date give the same bytes (see README).
    created = dt.datetime.combine(date, dt.time(0, 0), tzinfo=dt.timezone.utc)
    inv = _with_generated_at(inv, created)

    reference = reference or inv.account
    case_label = str(getattr(case, "path", case)) if case is not None else None  # a Case or a path
    report_parameters = {
        "account": inv.account, "case": case_label, "lang": lang, "tz": tz_name, "tz_source": tz_source,
        "redact": bool(redact), "reference": reference, "report_date": date.isoformat(), "provider": provider,
        "command_line": command_line,
    }
    files = build_attachments(inv, report_parameters)
    manifest = files[-1]

    gettext = translations(lang).gettext
    svgs = [render_timeline_svg(f, inv.sessions, gettext=gettext, tz=tzinfo) for f in inv.findings]
    meta = {
        "provider": provider or "", "reference": reference, "case": case_label or "",
        "report_date": date.isoformat(), "created": created.isoformat(), "command_line": command_line or "",
        "manifest_sha256": manifest.sha256, "redacted": bool(redact), "tz_source": tz_source,
        "overview_svg": render_overview_svg(inv, gettext=gettext),
        "attachments": [{"name": f.name, "sha256": f.sha256, "bytes": len(f.data), "description": f.description}
                        for f in files],
    }
    context = build_context(inv, gettext=gettext, lang=lang, tz_name=tz_name, limits=Limits.from_config(config),
                            svgs=svgs, meta=meta)
    html = make_environment(lang).get_template("report.html").render(**context)

    fetcher = fetcher or make_fetcher()
    base_url = templates_dir().resolve().as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    attachments = [
        weasyprint.Attachment(string=f.data, name=f.name, description=f.description, created=created,
                              modified=created, relationship="Supplement" if f.name == "manifest.json" else "Data",
                              url_fetcher=fetcher)
        for f in files
    ]
    with _source_date_epoch(created):
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments,
                                 pdf_identifier=_identifier(manifest.sha256, lang, redact),
                                 finisher=_dedupe_associated_files)
    tmp = out_path.with_name(out_path.name + ".part")
    try:
        tmp.write_bytes(pdf)
        tmp.replace(out_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ForensicsError(f"cannot write {out_path}: {exc.strerror}") from None
    return ReportResult(path=out_path, sha256=hashlib.sha256(pdf).hexdigest(), pages=len(document.pages),
                        size=len(pdf), manifest_sha256=manifest.sha256, seconds=time.perf_counter() - started)


@contextlib.contextmanager
def _source_date_epoch(when: dt.datetime):
    """fontTools stamps each embedded font subset with "now" unless
    SOURCE_DATE_EPOCH is set (the reproducible-builds convention): pin it to
    the report date while the PDF is written."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _dedupe_associated_files(document, pdf) -> None:
    """WeasyPrint 70 lists each PDF/A-3 associated file twice in the catalog's
    /AF array (once from the name tree, once from the file specifications);
    keep each reference once."""
    import pydyf

    associated = pdf.catalog.get("AF")
    if associated:
        unique = []
        for reference in associated:
            if reference not in unique:
                unique.append(reference)
        pdf.catalog["AF"] = pydyf.Array(unique)


def local_zone(inv: Investigation, tz: str | None) -> tuple[str | None, str | None]:
    """The zone for local times and where it came from.

    `tz` (the --tz option) wins, then the investigation's own `tz` parameter,
    then the account's time zone: the GeoIP zone of the addresses of the
    holder's own sessions, when one zone covers most of them (an assumption
    the report states).  UTC or nothing known: (None, None), UTC only.
    """
    from collections import Counter

    if tz:
        name, source = tz, "option"
    elif (inv.parameters or {}).get("tz"):
        name, source = inv.parameters["tz"], "investigation"
    else:
        foreign = {f.session.session_id for f in inv.findings
                   if f.session is not None and f.assessment == "compromise_suspected"}
        zones = Counter(s.ip_facts.time_zone for s in inv.sessions
                        if s.actor == "customer" and s.session_id not in foreign
                        and s.ip_facts is not None and s.ip_facts.time_zone)
        if not zones:
            return None, None
        name, count = zones.most_common(1)[0]
        if count * 2 <= sum(zones.values()):
            return None, None     # no zone for most of the sessions: do not guess
        source = "geoip"
    if name.upper() == "UTC":
        return None, None
    return name, source


def _identifier(manifest_sha256: str, lang: str, redact: bool) -> bytes:
    # The PDF's permanent /ID: derived from the evidence set, not random.
    return hashlib.md5(f"{manifest_sha256}:{lang}:{redact}".encode(), usedforsecurity=False).hexdigest().encode()


def _with_generated_at(inv: Investigation, when: dt.datetime) -> Investigation:
    import dataclasses

    return dataclasses.replace(inv, generated_at=when)

