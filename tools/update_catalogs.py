"""Bring the report's message catalogs in line with the templates and code.

    python tools/update_catalogs.py

Two domains (see forensics/report/i18n.py): `report` (the templates and
forensics/report/*.py) and `investigation` (every `msg(...)` in forensics/).
For each language the messages are extracted, new ones are added to
report_templates/locale/<lang>/LC_MESSAGES/<domain>.po with an empty
translation, the ones no longer used are dropped, and every existing
translation is kept.  It prints, per language and domain, the message ids
still untranslated; tests/test_report_i18n.py fails until they are.
"""

from __future__ import annotations

import datetime

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from forensics.report.i18n import (DOMAIN, DOMAINS, LANGUAGES, SOURCE_LANGUAGE, Message, all_messages, catalog_path,
                                   read_catalog)

HEADERS = {
    DOMAIN: "# Messages of the forensics evidence report.\n# Dates are never translated: they stay ISO 8601.",
    "investigation": "# Sentences the investigation states (forensics.messages.msg), {name} placeholders.\n"
                     "# Log values are parameters and stay verbatim; dates stay ISO 8601.",
}


def _filled(string) -> bool:
    if isinstance(string, (tuple, list)):
        return bool(string) and all(string)
    return bool(string)


def update(lang: str, messages: dict[str, Message], translations: dict | None = None,
           domain: str = DOMAIN) -> list[str]:
    """Rewrite one catalog; returns the ids still untranslated.

    `translations` ({msgid: text, or a tuple of plural forms}) are merged
    over the existing ones (tools and one-off scripts add translations so).
    """
    path = catalog_path(lang, domain)
    old = {}
    if path.exists():
        old = {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in read_catalog(lang, domain) if m.id}
    if translations:
        old.update(translations)
    # fixed dates and fuzzy=False: the files change only when messages do
    stamp = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    catalog = Catalog(locale=lang, domain=domain, project="forensics", version="1", charset="utf-8",
                      fuzzy=False, creation_date=stamp, revision_date=stamp,
                      last_translator="forensics maintainers", language_team=lang,
                      header_comment=HEADERS[domain])
    missing = []
    forms = catalog.num_plurals
    for msgid in sorted(messages):
        message = messages[msgid]
        string = old.get(msgid, "")
        if message.plural:
            if isinstance(string, str):
                string = (string,) * forms if string else ("",) * forms
            string = tuple(string)[:forms] + ("",) * max(0, forms - len(string))
            key = (msgid, message.plural)
        else:
            if isinstance(string, (tuple, list)):
                string = string[0]
            key = msgid
        if not _filled(string):
            missing.append(msgid)
        flags = ("python-format",) if "%(" in msgid else (("python-brace-format",) if "{" in msgid else ())
        catalog.add(key, string, flags=flags)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    return missing


def main() -> None:
    messages = all_messages()
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        for domain in DOMAINS:
            missing = update(lang, messages[domain], domain=domain)
            print(f"{lang} {domain}: {len(messages[domain])} messages, {len(missing)} untranslated")
            for msgid in missing:
                print(f"    {msgid!r}  ({', '.join(messages[domain][msgid].locations[:2])})")


if __name__ == "__main__":
    main()
