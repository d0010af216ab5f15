"""The report's message catalogs: every message in every language."""

import re

import pytest

from forensics.report.i18n import LANGUAGES, extract_messages, read_catalog, translations

MESSAGES = extract_messages()
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_messages_are_extracted_from_templates_and_code():
    where = {loc.split(":")[0] for locs in MESSAGES.values() for loc in locs}
    assert {"_cover.html", "_summary.html", "_action.html", "context.py", "svg_timeline.py"} <= where
    assert "The account holder" in MESSAGES and "Disputed action %(n)s" in MESSAGES


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated_in_every_catalog(lang):
    catalog = {m.id: m for m in read_catalog(lang) if m.id}
    missing = sorted(msgid for msgid in MESSAGES if not (catalog.get(msgid) and catalog[msgid].string))
    assert not missing, f"{lang}: untranslated (run tools/update_catalogs.py and translate): {missing}"
    fuzzy = sorted(msgid for msgid in MESSAGES if catalog[msgid].fuzzy)
    assert not fuzzy, f"{lang}: fuzzy translations are not used: {fuzzy}"
    unused = sorted(set(catalog) - set(MESSAGES))
    assert not unused, f"{lang}: messages no longer used (run tools/update_catalogs.py): {unused}"
    for msgid in MESSAGES:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(catalog[msgid].string)), (lang, msgid)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogs_load_and_translate(lang):
    gettext = translations(lang).gettext
    text = gettext("Summary")
    assert text == {"en": "Summary", "de": "Zusammenfassung", "cs": "Shrnutí", "pl": "Podsumowanie"}[lang]
    # formatting works with the translated placeholders
    assert "3" in gettext("Disputed action %(n)s") % {"n": 3}
