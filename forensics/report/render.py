"""Rendering: Jinja2 templates → HTML → WeasyPrint → PDF/A-3b.

Safety: log content is hostile.  The Jinja2 environment autoescapes every
value, so a User-Agent such as `<img src="file:///etc/passwd">` is printed
as text and never becomes an element; before that, its `finalize` hook
(`shown`) passes every value that is not the templates' own markup through
`forensics.visible.visible`, so control and direction characters are printed
as escapes (`RED\u202eevil`, not "REDlive"), and cuts it to
`[report] max_cell_chars` with a note saying how much is left out (the
attachments hold it whole): a 1 MB User-Agent costs one cell, not a hundred
pages.  Where such a value is quoted (appendix B's raw lines, the
investigation's sentences) it is cut shorter, to `[report]
max_value_in_line_chars`, where it stands, with the whole value's SHA-256
(`context.Builder.raw_line`, `value_cut`).  WeasyPrint gets a URL fetcher
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
import functools
import gc
import hashlib
import os
import threading
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# paused while a report is laid out (WeasyPrint keeps every box alive until the document is done)
from forensics.collector import paused as collector_paused
from forensics.errors import ForensicsError
from forensics.files import write_atomically
from forensics.investigate.model import Investigation
from forensics.resources import templates_dir

PDF_VARIANT = "pdf/a-3b"
# zlib level of the embedded evidence files (pydyf compresses every stream at
# 9).  Level 6, zlib's default, gives the same size within 1 % in 40-45 % less
# time; it matters when a hostile value is repeated across the attachments (a
# 1 MB User-Agent: 240 MB of JSON and CSV, compressed 32 KB window at a time).
ATTACHMENT_ZLIB_LEVEL = 6
PAGE_BUDGET_STEPS = 3    # halvings of the lists before a report may exceed [report] max_pages
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
    page_budget: int | None = None   # [report] max_pages

    @property
    def over_budget(self) -> bool:
        """More pages than the budget even with every list cut (many disputed actions)."""
        return self.page_budget is not None and self.pages > self.page_budget


SYSTEM_LIBRARIES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


def require_weasyprint():
    """WeasyPrint, or one sentence naming the system packages it needs.

    WeasyPrint loads Pango through cffi when imported; on a machine without
    it the import fails with `OSError: cannot load library ...`.  `report`
    and `demo` call this first, so they stop before any work.

    Raises:
        ForensicsError: the libraries cannot be loaded.
    """
    try:
        return import_module("weasyprint")
    except OSError as exc:
        raise ForensicsError(
            f"the PDF renderer (WeasyPrint) cannot load its system libraries ({exc}); on Debian/Ubuntu "
            f"install them with: apt-get install {SYSTEM_LIBRARIES}") from None


def _asset_fetcher_class():
    weasyprint = require_weasyprint()

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


def clip(text: str, limit: int, gettext) -> str:
    """`text` cut to `limit` characters, with a note of how many are left out."""
    if len(text) <= limit:
        return text
    from forensics.report.context import CLIP_NOTE

    note = gettext(CLIP_NOTE) % {"n": len(text) - limit}
    return f"{text[:limit]} {note}"


def shown(value: Any, *, max_chars: int, gettext) -> Any:
    """What a `{{ value }}` of the templates prints (the environment's finalize hook).

    Markup (the templates' own translated text, SVG figures, CSS strings) is
    printed as it is; so the templates print lists item by item, never with
    `|join` (whose result is Markup).  Any other text may come from a log: cut to `max_chars`
    (`clip`), its control and direction characters shown as escapes
    (`visible`); autoescaping then makes it text, never markup.
    """
    from markupsafe import Markup

    from forensics.visible import visible

    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible(clip(value, max_chars, gettext))


def underscore_breaks(value, *, max_chars: int = 500, gettext=None):
    """A code such as `foreign_network` that may wrap only after its
    underscores: shown as its bytes (like every value), escaped, with <wbr>
    after each "_"."""
    from markupsafe import Markup, escape

    if value is None:
        return ""
    text = str(shown(value, max_chars=max_chars, gettext=gettext or (lambda s: s)))
    return Markup("_<wbr>").join(escape(part) for part in text.split("_"))


def make_environment(lang: str, *, max_chars: int = 500):
    """The Jinja2 environment: packaged templates, autoescape on, every value
    shown as its bytes and cut to `max_chars` (`shown`), gettext installed,
    `num` formats a number for the language.  One per (language, cell size)
    and process: its compiled templates are reused by every later report."""
    return _environment(lang, int(max_chars))


@functools.lru_cache(maxsize=None)
def _environment(lang: str, max_chars: int):

    import jinja2

    from forensics.report.i18n import number, translations

    gettext = translations(lang).gettext
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,  # every template, whatever its name: log content is hostile
        finalize=functools.partial(shown, max_chars=max_chars, gettext=gettext),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.filters["css_string"] = css_string
    env.filters["underscore_breaks"] = functools.partial(underscore_breaks, max_chars=max_chars, gettext=gettext)
    env.filters["num"] = lambda value, digits=None: value if isinstance(value, str) else number(value, lang, digits)
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
                  fetcher=None, output_format: str = "pdf") -> ReportResult:
    """Render an investigation as the PDF/A-3b evidence report (or as one HTML file).

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
            row and cell limits, the page budget and the redaction prefix
            lengths.
        fetcher: a URL fetcher from `make_fetcher()` (tests inspect it).
        output_format: "pdf" (PDF/A-3b, the evidence attached) or "html"
            (one self-contained file: the stylesheet inlined, the same
            attachments as `data:` downloads; for ticket systems and e-mail).

    Returns:
        ReportResult with the path, the PDF's SHA-256, page count and size.

    Raises:
        ForensicsError: unknown language or zone, bad date, unwritable path,
            WeasyPrint's system libraries missing (`require_weasyprint`).

    Example:
        >>> result = render_report(inv, "dispute-4711.pdf", lang="de", report_date="2025-04-02")
        >>> result.sha256
    """
    with collector_paused():
        return _render_report(investigation, out_path, case=case, lang=lang, tz=tz, redact=redact,
                              reference=reference, report_date=report_date, provider=provider,
                              command_line=command_line, config=config, fetcher=fetcher,
                              output_format=output_format)


def _render_report(investigation, out_path, *, case, lang, tz, redact, reference, report_date, provider,
                   command_line, config, fetcher, output_format) -> ReportResult:
    import time

    from forensics.config import load_config
    from forensics.report.attachments import build_attachments
    from forensics.report.context import Limits, build_context, without_noise
    from forensics.report.i18n import LANGUAGES, translations
    from forensics.report.kinds import dispute_kind, kind_section
    from forensics.report.redact import redact_investigation
    from forensics.report.svg_timeline import render_overview_svg, render_timeline_svg
    from forensics.timefmt import zone

    started = time.perf_counter()
    if output_format not in ("pdf", "html"):
        raise ForensicsError(f"unknown report format {output_format!r} (choose pdf or html)")
    weasyprint = require_weasyprint() if output_format == "pdf" else None
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
    svgs = [render_timeline_svg(without_noise(inv, f), inv.sessions, gettext=gettext, tz=tzinfo) for f in inv.findings]
    # A dispute kind other than `action` renders its own section
    # (forensics.report.kinds); the shared parts (cover, coverage, method,
    # appendix) see the investigation without that kind's claims.
    extra, shared_inv = kind_section(inv, lang=lang, gettext=gettext, config=config)
    meta = {
        "provider": provider or "", "reference": reference, "case": case_label or "",
        "report_date": date.isoformat(), "created": created.isoformat(), "command_line": command_line or "",
        "manifest_sha256": manifest.sha256, "redacted": bool(redact), "tz_source": tz_source,
        "overview_svg": render_overview_svg(inv, gettext=gettext) if dispute_kind(inv) == "action" else "",
        "attachments": [{"name": f.name, "sha256": f.sha256, "bytes": len(f.data), "description": f.description,
                         "href": _data_uri(f) if output_format == "html" else ""}
                        for f in files],
        "html": output_format == "html",
        "css": (templates_dir() / "report.css").read_text(encoding="utf-8") if output_format == "html" else "",
    }
    fetcher = fetcher or make_fetcher()
    base_url = templates_dir().resolve().as_uri() + "/"
    # The page budget: over [report] max_pages, the lists and cells are cut
    # to half (the text says how many rows it shows; the attachments hold
    # all) and the report laid out again, at most PAGE_BUDGET_STEPS times.
    limits = Limits.from_config(config)
    if output_format == "html":   # no pages: the whole report, cells cut as in the PDF
        context = build_context(shared_inv, gettext=gettext, lang=lang, tz_name=tz_name, limits=limits, svgs=svgs,
                                meta=meta, extra=extra)
        html = make_environment(lang, max_chars=limits.cell_chars).get_template("report.html").render(**context)
        data = html.encode("utf-8")
        write_atomically(out_path, data)
        return ReportResult(path=out_path, sha256=hashlib.sha256(data).hexdigest(), pages=0, size=len(data),
                            manifest_sha256=manifest.sha256, seconds=time.perf_counter() - started)
    font_config = font_configuration()
    for step in range(PAGE_BUDGET_STEPS + 1):
        context = build_context(shared_inv, gettext=gettext, lang=lang, tz_name=tz_name, limits=limits, svgs=svgs,
                                meta=meta, extra=extra)
        html = make_environment(lang, max_chars=limits.cell_chars).get_template("report.html").render(**context)
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config)
        if len(document.pages) <= limits.pages or step == PAGE_BUDGET_STEPS:
            break
        limits = limits.halved()
        document = None
        gc.collect()    # the discarded layout, before the next one (the collector is paused)
    attachments = [
        weasyprint.Attachment(string=f.data, name=f.name, description=f.description, created=created,
                              modified=created, relationship="Supplement" if f.name == "manifest.json" else "Data",
                              url_fetcher=fetcher)
        for f in files
    ]
    with _source_date_epoch(created):
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments,
                                 pdf_identifier=_identifier(manifest.sha256, lang, redact),
                                 finisher=_finish_pdf)
    write_atomically(out_path, pdf)
    return ReportResult(path=out_path, sha256=hashlib.sha256(pdf).hexdigest(), pages=len(document.pages),
                        size=len(pdf), manifest_sha256=manifest.sha256, seconds=time.perf_counter() - started,
                        page_budget=limits.pages)


def _data_uri(file):
    """An attachment as a `data:` URI (the HTML version's download link).

    Markup, so that the templates' finalize hook (`shown`) prints it whole
    instead of cutting it to `max_cell_chars` like a log value: it holds only
    our own MIME type and base64 characters, nothing from a log.
    """
    import base64

    from markupsafe import Markup

    return Markup(f"data:{file.mime_type};base64,{base64.b64encode(file.data).decode('ascii')}")


_fonts = threading.local()


def font_configuration():
    """The WeasyPrint font configuration of this thread, made once.

    A new `FontConfiguration` reloads fontconfig's configuration and font
    list and starts with a cold Pango font map (font lookups, glyph metrics,
    line struts); one per thread and process serves every later report.  The
    PDF does not depend on it: each document gathers and subsets its own
    fonts.  Pango is not thread-safe, hence one per thread; the process id
    keeps a forked renderer from using its parent's.
    """
    key = os.getpid()
    cached = getattr(_fonts, "config", None)
    if cached is None or cached[0] != key:
        from weasyprint.text.fonts import FontConfiguration

        cached = _fonts.config = (key, FontConfiguration())
    return cached[1]


# A page with what a report's first layout loads once per process: the
# stylesheet, the three faces (DejaVu Sans, its bold, Sans Mono), a table, an
# inline SVG figure and the running header and footer.
_WARM_UP_HTML = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<link rel="stylesheet" href="report.css"></head><body>
<div class="running-header">warm-up</div><div class="running-footer"><span class="hash">0123abcd</span></div>
<section class="cover"><h1>Ärger 2026-03-22T20:09:38+00:00</h1><h2>Zł</h2><p>Text <strong>bold</strong> řž</p>
<table class="data"><thead><tr><th class="c-time">a</th><th>b</th></tr></thead><tbody>
<tr><td class="c-time"><span class="utc">2026-03-22T20:09:38+00:00</span></td><td><span class="mono">10.0.0.1</span>
<span class="ua">Mozilla/5.0</span></td></tr></tbody></table>
<figure class="timeline"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10" height="10">
<rect x="1" y="1" width="5" height="5" fill="#b3261e"/><text x="1" y="9" font-size="3">t</text></svg></figure>
</section></body></html>"""


def warm_up(lang: str = "en", config: dict | None = None) -> None:
    """Pay a renderer process's one-time costs before its first report.

    Reads the language's catalogs and locale data, compiles the templates
    for `lang` (at the configured cell size), makes
    the process's font configuration and lays out and writes one small page
    with the report's stylesheet and faces, so that fontconfig, Pango's
    fonts and WeasyPrint's lazily loaded parts are ready.  `forensics demo`
    calls it in its renderers while the pipeline still ingests; no report
    depends on it (the same investigation gives the same bytes either way).
    """
    from forensics.config import load_config
    from forensics.report.context import Limits
    from forensics.report.i18n import INVESTIGATION, country_name, number, translations

    weasyprint = require_weasyprint()
    limits = Limits.from_config(config if config is not None else load_config())
    # the catalogs (read with Babel at run time) and the locale's CLDR data
    translations(lang, INVESTIGATION)
    number(1234.5, lang, 1)
    country_name("DE", lang)
    environment = make_environment(lang, max_chars=limits.cell_chars)
    for name in environment.list_templates(filter_func=lambda n: n.endswith(".html")):
        environment.get_template(name)
    with collector_paused():
        html = weasyprint.HTML(string=_WARM_UP_HTML.format(lang=lang), url_fetcher=make_fetcher(),
                               base_url=templates_dir().resolve().as_uri() + "/")
        document = html.render(font_config=font_configuration())
        document.write_pdf(pdf_variant=PDF_VARIANT)


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


def _finish_pdf(document, pdf) -> None:
    """WeasyPrint's finisher: run just before the PDF is written."""
    _dedupe_associated_files(document, pdf)
    _compress_embedded_files(pdf)


def _compress_embedded_files(pdf) -> None:
    """Each embedded file's stream compressed here at ATTACHMENT_ZLIB_LEVEL
    instead of by pydyf at level 9 while writing: the same /FlateDecode
    stream, so a reader extracts the same bytes (the /CheckSum and /Size
    WeasyPrint wrote stay those of the file)."""
    import zlib

    import pydyf

    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Stream) and obj.compress and obj.extra.get("Type") == "/EmbeddedFile"):
            continue
        data = b"\n".join(obj.stream)   # as pydyf joins them (WeasyPrint gives one bytes item)
        compressor = zlib.compressobj(level=ATTACHMENT_ZLIB_LEVEL)
        obj.stream = [compressor.compress(data) + compressor.flush()]
        obj.compress = False
        obj.extra["Filter"] = "/FlateDecode"


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

