"""The report's languages: gettext catalogs read with Babel.

English is the source language: the message ids are the English text.  Two
gettext domains, both as `.po` files beside the templates
(`report_templates/locale/<lang>/LC_MESSAGES/<domain>.po`):

* `report`: the report's own words, from the templates (`_()`,
  `ngettext()`) and from `forensics.report` (`N_()`), `%(name)s`
  placeholders;
* `investigation`: the sentences the investigation states
  (`forensics.messages.msg(...)` anywhere in `forensics/`), `{name}`
  placeholders, plural forms where the message has one.

Catalogs are compiled in memory with Babel when first needed, so there is no
build step and no `.mo` file to keep in sync.  Plural rules come from CLDR
(Czech and Polish have three forms).

Dates are not localised: every date and time stays ISO 8601 in every
language (see `forensics.timefmt`).  Numbers are (`number()`), and country
names come from CLDR (`country_name()`).
"""

from __future__ import annotations

import ast
import io
from dataclasses import dataclass, field
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
INVESTIGATION = "investigation"
DOMAINS = (DOMAIN, INVESTIGATION)


def N_(message: str) -> str:
    """Mark a string for translation without translating it (gettext idiom)."""
    return message


@dataclass
class Message:
    """One message to translate: its id, plural id (or None) and where it is used."""

    id: str
    plural: str | None = None
    locations: list[str] = field(default_factory=list)


def catalog_path(lang: str, domain: str = DOMAIN) -> Path:
    return templates_dir() / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(lang: str, domain: str = DOMAIN):
    """The Babel `Catalog` of one language and domain (for tests and tools)."""
    with open(catalog_path(lang, domain), "rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ForensicsError(f"unsupported report language {lang!r} (choose one of: {', '.join(LANGUAGES)})")


@lru_cache(maxsize=None)
def translations(lang: str, domain: str = DOMAIN) -> NullTranslations:
    """gettext translations for `lang` in `domain` (English: the identity)."""
    _check(lang)
    if lang == SOURCE_LANGUAGE or not catalog_path(lang, domain).exists():
        return NullTranslations()
    catalog = read_catalog(lang, domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


def number(value, lang: str, digits: int | None = None) -> str:
    """A number in the language's format ("10,0" in German, "1 234" in Czech).

    Args:
        value: int or float.
        lang: report language.
        digits: fixed number of decimals (None: as many as the value has).
    """
    from babel.numbers import format_decimal

    if value is None:
        return "–"
    if digits is not None:
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=lang)
    return format_decimal(value, locale=lang, decimal_quantization=False)


@lru_cache(maxsize=None)
def _territories(lang: str) -> dict:
    from babel import Locale

    return dict(Locale.parse(lang).territories)


def country_name(iso_code: str | None, lang: str, fallback: str | None = None) -> str:
    """The country's name in the report's language (CLDR), else `fallback`."""
    if not iso_code:
        return fallback or ""
    return _territories(lang).get(iso_code.upper(), fallback or iso_code)


def extract_messages() -> dict[str, Message]:
    """Every message of the `report` domain: {msgid: Message}.

    Read with Babel's extractors from the templates (`{{ _("...") }}`,
    `ngettext(...)`) and from the Python modules of `forensics.report` that
    mark codes with `N_()`.  The catalog test checks each of them against
    every language's catalog.
    """
    from babel.messages.extract import extract_from_file

    found: dict[str, Message] = {}
    root = templates_dir()
    sources = [(p, "jinja2.ext:babel_extract") for p in sorted(root.glob("*.html"))]
    here = Path(__file__).parent
    sources += [(here / name, "python") for name in ("context.py", "svg_timeline.py", "notices.py",
                                                     "svg_notices.py", "outage.py")]
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "_plural": (1, 2)}
    for path, method in sources:
        for lineno, message, _comments, _context in extract_from_file(method, str(path), keywords=keywords,
                                                                        options=options):
            plural = None
            if isinstance(message, tuple):
                message, plural = message[0], (message[1] if len(message) > 1 else None)
            if message:
                entry = found.setdefault(message, Message(message, plural))
                entry.plural = entry.plural or plural
                entry.locations.append(f"{path.name}:{lineno}")
    return found


def extract_investigation_messages(root: Path | None = None) -> dict[str, Message]:
    """Every `msg("...")` / `msg("...", "...plural")` call in `forensics/`.

    Read from the syntax tree (only literal ids count: an id built at run
    time could not be in a catalog, and `Msg("{text}", ...)` wrappers are
    not messages).
    """
    root = root or Path(__file__).resolve().parent.parent
    found: dict[str, Message] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            if name != "msg":
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)) or not first.value:
                continue
            plural = None
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                plural = node.args[1].value
            entry = found.setdefault(first.value, Message(first.value, plural))
            entry.plural = entry.plural or plural
            entry.locations.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def all_messages() -> dict[str, dict[str, Message]]:
    """{domain: {msgid: Message}} for both domains."""
    return {DOMAIN: extract_messages(), INVESTIGATION: extract_investigation_messages()}
