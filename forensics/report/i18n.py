"""The report's languages: gettext catalogs read with Babel.

English is the source language: the message ids in the templates and in
`forensics.report.context` are the English text.  German, Czech and Polish
translations live as gettext `.po` files in
`report_templates/locale/<lang>/LC_MESSAGES/report.po` (installed with the
templates).  They are compiled in memory with Babel when first needed, so
there is no build step and no `.mo` file to keep in sync.

Dates are not localised: every date and time stays ISO 8601 in every
language (see `forensics.timefmt`).
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from forensics.errors import ForensicsError
from forensics.resources import templates_dir

LANGUAGES = ("en", "de", "cs", "pl")
SOURCE_LANGUAGE = "en"
DOMAIN = "report"


def N_(message: str) -> str:
    """Mark a string for translation without translating it (gettext idiom)."""
    return message


def catalog_path(lang: str) -> Path:
    return templates_dir() / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str):
    """The Babel `Catalog` of one language (for tests and tools)."""
    with open(catalog_path(lang), "rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """gettext translations for `lang` (English: the identity)."""
    if lang not in LANGUAGES:
        raise ForensicsError(f"unsupported report language {lang!r} (choose one of: {', '.join(LANGUAGES)})")
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    catalog = read_catalog(lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def extract_messages() -> dict[str, list[str]]:
    """Every translatable message of the report: {msgid: [where, ...]}.

    Read with Babel's extractors from the templates (`{{ _("...") }}`) and
    from the Python modules that mark codes with `N_()`.  The catalog test
    checks each of them against every language's catalog.
    """
    from babel.messages.extract import extract_from_file

    found: dict[str, list[str]] = {}
    root = templates_dir()
    sources = [(p, "jinja2.ext:babel_extract") for p in sorted(root.glob("*.html"))]
    here = Path(__file__).parent
    sources += [(here / name, "python") for name in ("context.py", "svg_timeline.py")]
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    for path, method in sources:
        for lineno, message, _comments, _context in extract_from_file(
                method, str(path), keywords={"_": None, "N_": None, "gettext": None}, options=options):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                found.setdefault(message, []).append(f"{path.name}:{lineno}")
    return found
