"""Bring the report's message catalogs in line with the templates and code.

    python tools/update_catalogs.py

Extracts every message (forensics.report.i18n.extract_messages), adds the
new ones to report_templates/locale/<lang>/LC_MESSAGES/report.po with an
empty translation, drops the ones no longer used, and keeps every existing
translation.  tests/test_report_i18n.py fails until the empty ones are
translated.
"""

from __future__ import annotations

import datetime

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from forensics.report.i18n import LANGUAGES, SOURCE_LANGUAGE, catalog_path, extract_messages, read_catalog


def update(lang: str, messages: dict[str, list[str]], translations: dict[str, str] | None = None) -> int:
    path = catalog_path(lang)
    old = {}
    if path.exists():
        old = {m.id: m.string for m in read_catalog(lang) if m.id}
    if translations:
        old.update(translations)
    # fixed dates and fuzzy=False: the files change only when messages do
    stamp = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    catalog = Catalog(locale=lang, domain="report", project="forensics", version="1", charset="utf-8",
                      fuzzy=False, creation_date=stamp, revision_date=stamp,
                      last_translator="forensics maintainers", language_team=lang,
                      header_comment="# Messages of the forensics evidence report.\n"
                                     "# Dates are never translated: they stay ISO 8601.")
    missing = 0
    for msgid in sorted(messages):
        string = old.get(msgid, "")
        missing += not string
        catalog.add(msgid, string, locations=[tuple(loc.rsplit(":", 1)) for loc in messages[msgid]],
                    flags=("python-format",) if "%(" in msgid else ())
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    return missing


def main() -> None:
    messages = extract_messages()
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        missing = update(lang, messages)
        print(f"{lang}: {len(messages)} messages, {missing} untranslated")


if __name__ == "__main__":
    main()
