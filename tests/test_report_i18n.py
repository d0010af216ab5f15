"""The report's message catalogs: every message in every language, both domains.

`report`: the templates and forensics/report (`%(name)s`); `investigation`:
every `msg(...)` in forensics/ (`{name}`).  A failure lists the message ids to
translate: run `python tools/update_catalogs.py`, then fill them in
report_templates/locale/<lang>/LC_MESSAGES/<domain>.po.
"""

import re

import pytest

from forensics.messages import msg
from forensics.report.i18n import (DOMAIN, INVESTIGATION, LANGUAGES, all_messages, country_name, number,
                                   read_catalog, translations)

MESSAGES = all_messages()
PLACEHOLDER = {DOMAIN: re.compile(r"%\((\w+)\)s"), INVESTIGATION: re.compile(r"\{(\w+)\}")}
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != "en"]


def test_messages_are_extracted_from_templates_and_code():
    report = MESSAGES[DOMAIN]
    where = {loc.split(":")[0] for m in report.values() for loc in m.locations}
    assert {"_cover.html", "_summary.html", "_action.html", "context.py", "svg_timeline.py"} <= where
    assert "The account holder" in report and "Disputed action %(n)s" in report
    assert report["%(num)s day off"].plural == "%(num)s days off"
    investigation = MESSAGES[INVESTIGATION]
    where = {loc.split(":")[0] for m in investigation.values() for loc in m.locations}
    assert {"forensics/investigate/claims.py", "forensics/investigate/coverage.py",
            "forensics/investigate/action/engine.py"} <= where
    late = investigation["{date}: no {action} that day; one on {found}, {n} day earlier"]
    assert late.plural == "{date}: no {action} that day; one on {found}, {n} days earlier"


@pytest.mark.parametrize("domain", [DOMAIN, INVESTIGATION])
@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_message_is_translated_in_every_catalog(lang, domain):
    catalog = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in read_catalog(lang, domain) if m.id}
    messages = MESSAGES[domain]

    def filled(m):
        return m is not None and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))

    missing = sorted(msgid for msgid in messages if not filled(catalog.get(msgid)))
    assert not missing, (f"{lang}/{domain}.po: {len(missing)} untranslated message ids (run "
                         f"tools/update_catalogs.py, then translate):\n  " + "\n  ".join(map(repr, missing)))
    fuzzy = sorted(msgid for msgid in messages if catalog[msgid].fuzzy)
    assert not fuzzy, f"{lang}: fuzzy translations are not used: {fuzzy}"
    unused = sorted(set(catalog) - set(messages))
    assert not unused, f"{lang}/{domain}.po: messages no longer used (run tools/update_catalogs.py): {unused}"
    rx = PLACEHOLDER[domain]
    for msgid, message in messages.items():
        strings = catalog[msgid].string if isinstance(catalog[msgid].string, tuple) else (catalog[msgid].string,)
        wanted = set(rx.findall(msgid)) | (set(rx.findall(message.plural)) if message.plural else set())
        for string in strings:
            assert set(rx.findall(string)) <= wanted and set(rx.findall(string)) >= set(rx.findall(msgid)) - {"n", "num"}, \
                (lang, msgid, string)
        if message.plural:
            assert isinstance(catalog[msgid].string, tuple), (lang, msgid, "needs its plural forms")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogs_load_and_translate(lang):
    gettext = translations(lang).gettext
    text = gettext("Summary")
    assert text == {"en": "Summary", "de": "Zusammenfassung", "cs": "Shrnutí", "pl": "Podsumowanie"}[lang]
    # formatting works with the translated placeholders
    assert "3" in gettext("Disputed action %(n)s") % {"n": 3}


@pytest.mark.parametrize("lang,one,two,five", [
    ("en", "1 day off", "2 days off", "5 days off"),
    ("de", "1 Tag Abstand", "2 Tage Abstand", "5 Tage Abstand"),
    ("cs", "rozdíl 1 den", "rozdíl 2 dny", "rozdíl 5 dnů"),
    ("pl", "różnica 1 dzień", "różnica 2 dni", "różnica 5 dni"),
])
def test_plural_forms_follow_each_language(lang, one, two, five):
    t = translations(lang)
    assert [t.ngettext("%(num)s day off", "%(num)s days off", n) % {"num": n} for n in (1, 2, 5)] == [one, two, five]


@pytest.mark.parametrize("lang,expected", [
    ("en", "2026-03-23: no reinstall that day; one on 2026-03-22, 1 day earlier"),
    ("de", "2026-03-23: an diesem Tag keine Aktion „Neuinstallation“; eine am 2026-03-22, 1 Tag früher"),
    ("cs", "2026-03-23: ten den žádná akce „reinstalace“; jedna 2026-03-22, o 1 den dříve"),
    ("pl", "2026-03-23: tego dnia brak akcji „ponowna instalacja”; jedna 2026-03-22, 1 dzień wcześniej"),
])
def test_an_investigation_message_renders_with_its_nested_message_and_plural(lang, expected):
    sentence = msg("{date}: no {action} that day; one on {found}, {n} day earlier",
                   "{date}: no {action} that day; one on {found}, {n} days earlier",
                   date="2026-03-22".replace("22", "23"), action=msg("reinstall"), found="2026-03-22", n=1)
    assert str(sentence) == "2026-03-23: no reinstall that day; one on 2026-03-22, 1 day earlier"
    rendered = sentence.render(translations(lang, INVESTIGATION) if lang != "en" else None, lang)
    assert rendered == expected


def test_numbers_and_country_names_follow_the_language():
    assert [number(10.0, lang, 1) for lang in LANGUAGES] == ["10.0", "10,0", "10,0", "10,0"]
    assert number(147570, "de") == "147.570" and number(147570, "en") == "147,570"
    assert [country_name("DE", lang) for lang in LANGUAGES] == ["Germany", "Deutschland", "Německo", "Niemcy"]
    assert country_name("SG", "cs") == "Singapur" and country_name(None, "de", "") == ""


def test_redaction_keeps_messages_translatable():
    """The customer-facing version redacts the values inside a message and keeps
    the message, so that a redacted German report is still German."""
    import report_fixtures as fx

    from forensics.messages import Msg
    from forensics.report.redact import redact_investigation

    inv = fx.build_investigation()
    attacker = fx.ATTACKER_IP
    inv.notes = [msg("the action falls in a gap of the {log}: {start} to {end} ({path})", log=msg("sshd log"),
                     start="2025-03-22T14:00:00+00:00", end=attacker, path="auth.log")]
    [note] = redact_investigation(inv).notes
    assert isinstance(note, Msg) and attacker not in str(note) and attacker not in note.params["end"]
    german = note.render(translations("de", INVESTIGATION), "de")
    assert german.startswith("die Aktion fällt in eine Lücke im SSH-Server-Protokoll")


@pytest.mark.parametrize("lang,ssh,panel,unknown_user", [
    ("en", "SSH login failed", "login failed", "SSH login refused: unknown user"),
    ("de", "SSH-Anmeldung fehlgeschlagen", "Anmeldung fehlgeschlagen", "SSH-Anmeldung abgewiesen: unbekannter Benutzer"),
    ("cs", "Přihlášení SSH se nezdařilo", "přihlášení se nezdařilo", "Přihlášení SSH odmítnuto: neznámý uživatel"),
    ("pl", "Nieudane logowanie SSH", "nieudane logowanie", "Logowanie SSH odrzucone: nieznany użytkownik"),
])
def test_a_failed_event_is_never_named_like_its_success(lang, ssh, panel, unknown_user):
    import report_fixtures as fx

    from forensics.report.context import Builder, Limits

    b = Builder(fx.build_investigation(), translations(lang).gettext, None, None, Limits(), lang)
    assert b.event_name("ssh_login", "failure") == ssh
    assert b.event_name("login", "failure") == panel
    assert b.event_name("ssh_invalid_user", None) == unknown_user
    assert b.event_name("ssh_login", "success") != ssh and b.event_name("reboot", "failure").endswith(
        {"en": "failed", "de": "fehlgeschlagen", "cs": "neúspěšné", "pl": "nieudane"}[lang])


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_one_word_for_one_thing_across_the_two_catalogs(lang):
    """An English id in both domains (an event name) is translated the same way,
    so that the report does not call one action by two names."""
    report = {m.id: m.string for m in read_catalog(lang) if isinstance(m.id, str)}
    investigation = {m.id: m.string for m in read_catalog(lang, INVESTIGATION) if isinstance(m.id, str)}
    differ = {k: (report[k], investigation[k]) for k in set(report) & set(investigation) if k
              and report[k] != investigation[k]}
    assert not differ, differ


@pytest.mark.parametrize("lang,country,on,seconds", [("en", "Germany", "Firefox 149 on Windows 10, pc", "10.0 s"),
                                                     ("de", "Deutschland", "Firefox 149 unter Windows 10, Computer", "10,0 s"),
                                                     ("cs", "Německo", "Firefox 149 v systému Windows 10, počítač", "10,0 s"),
                                                     ("pl", "Niemcy", "Firefox 149 w systemie Windows 10, komputer", "10,0 s")])
def test_network_and_browser_labels_and_numbers_render_in_the_language(lang, country, on, seconds):
    """The investigation's labels are messages: the country from CLDR, the
    connecting words and device class from the catalog, a fixed-decimal
    number in the locale's format; address, ASN and versions stay as logged."""
    from forensics.investigate.evidence import network_label
    from forensics.investigate.model import BrowserFacts, IpFacts
    from forensics.messages import Msg, Number

    facts = IpFacts(ip="217.235.87.31", asn=3320, as_org="Deutsche Telekom AG", network="217.224.0.0/11",
                    country_iso="DE", country_name="Germany")
    label = network_label(facts)
    assert str(label) == "217.235.87.31, AS3320 Deutsche Telekom AG, 217.224.0.0/11, Germany"   # text output unchanged
    gettext = translations(lang, INVESTIGATION)
    assert label.render(gettext, lang) == f"217.235.87.31, AS3320 Deutsche Telekom AG, 217.224.0.0/11, {country}"
    browser = BrowserFacts(user_agent="Mozilla/5.0", browser_family="Firefox", browser_major="149", os_family="Windows", os_version="10",
                           device_class="pc")
    assert browser.label.render(gettext, lang) == on
    assert Msg("{s}", s=Number(10.04, 1, " s")).render(gettext, lang) == seconds
