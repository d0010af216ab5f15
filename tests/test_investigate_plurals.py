"""The investigation's sentences count in words, not with "(s)": "1 earlier
session", "3 earlier sessions"; in Czech and Polish with their three plural
forms (1 / 2-4 / 5+), a count inside a sentence ("from 3 addresses") with its
own forms."""

from __future__ import annotations

import re

import pytest

from forensics.investigate.action.indicators import _against_accounts, _from_addresses
from forensics.messages import msg
from forensics.report.i18n import INVESTIGATION, extract_investigation_messages, read_catalog, translations


def test_no_message_says_s_in_brackets():
    found = extract_investigation_messages()
    bracketed = [m for m in found if re.search(r"\w\((s|es)\)", m) or (found[m].plural and
                                                                        re.search(r"\w\((s|es)\)", found[m].plural))]
    assert bracketed == []
    assert sum(1 for m in found.values() if m.plural) >= 30


def _rendered(message, lang):
    return message.render(None if lang == "en" else translations(lang, INVESTIGATION), lang)


@pytest.mark.parametrize("lang, forms", [
    ("en", ["1 failed login against 1 other account from 1 address",
            "3 failed logins against 3 other accounts from 3 addresses",
            "5 failed logins against 5 other accounts from 5 addresses"]),
    ("de", ["1 fehlgeschlagene Anmeldung bei 1 anderen Konto von 1 Adresse",
            "3 fehlgeschlagene Anmeldungen bei 3 anderen Konten von 3 Adressen",
            "5 fehlgeschlagene Anmeldungen bei 5 anderen Konten von 5 Adressen"]),
    ("cs", ["1 neúspěšné přihlášení u 1 jiného účtu z 1 adresy",
            "3 neúspěšná přihlášení u 3 jiných účtů z 3 adres",
            "5 neúspěšných přihlášení u 5 jiných účtů z 5 adres"]),
    ("pl", ["1 nieudane logowanie do 1 innego konta z 1 adresu",
            "3 nieudane logowania do 3 innych kont z 3 adresów",
            "5 nieudanych logowań do 5 innych kont z 5 adresów"]),
])
def test_counts_inside_a_sentence_take_their_own_plural_forms(lang, forms):
    for n, expected in zip((1, 3, 5), forms):
        m = msg("{n} failed login {against_accounts} {from_addresses}, {first} to {last}",
                "{n} failed logins {against_accounts} {from_addresses}, {first} to {last}", n=n,
                against_accounts=_against_accounts(n), from_addresses=_from_addresses(n),
                first="2026-04-02T02:51:24+00:00", last="2026-04-02T02:53:01+00:00")
        assert _rendered(m, lang).startswith(expected + ", ")


def test_english_singular_and_plural():
    one = msg("The same address as {n} earlier session.", "The same address as {n} earlier sessions.", n=1)
    three = msg("The same address as {n} earlier session.", "The same address as {n} earlier sessions.", n=3)
    assert (str(one), str(three)) == ("The same address as 1 earlier session.", "The same address as 3 earlier sessions.")
    # the JSON keeps the English sentence as text; its id and count are there for a consumer that translates
    assert three.to_json() == {"msgid": "The same address as {n} earlier session.",
                               "plural": "The same address as {n} earlier sessions.", "params": {"n": 3}}


@pytest.mark.parametrize("lang, forms", [("de", 2), ("cs", 3), ("pl", 3)])
def test_every_plural_message_has_all_its_forms_translated(lang, forms):
    found = {k: v for k, v in extract_investigation_messages().items() if v.plural}
    catalog = {m.id[0]: m for m in read_catalog(lang, INVESTIGATION) if m.id and isinstance(m.id, tuple)}
    for msgid, message in found.items():
        entry = catalog[msgid]
        assert entry.id[1] == message.plural, msgid
        assert len(entry.string) == forms and all(entry.string), msgid
        fields = set(re.findall(r"\{(\w+)\}", msgid + message.plural))
        for text in entry.string:
            assert set(re.findall(r"\{(\w+)\}", text)) <= fields, (lang, msgid, text)


def test_czech_and_polish_use_three_different_forms():
    m = lambda n: msg("{n} earlier session to compare with: enough for the comparisons above.",  # noqa: E731
                      "{n} earlier sessions to compare with: enough for the comparisons above.", n=n)
    cs = [_rendered(m(n), "cs").split(" ke ")[0] for n in (1, 3, 5)]
    pl = [_rendered(m(n), "pl").split(" do ")[0] for n in (1, 3, 22, 5, 12)]
    assert cs == ["1 dřívější relace", "3 dřívější relace", "5 dřívějších relací"]
    assert pl == ["1 wcześniejsza sesja", "3 wcześniejsze sesje", "22 wcześniejsze sesje", "5 wcześniejszych sesji",
                  "12 wcześniejszych sesji"]
