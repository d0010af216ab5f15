"""Claims in English, German, Czech and Polish: dates and actions out, matched in every year."""

import datetime as dt

import pytest

import casebuilder as cb
from forensics.investigate import investigate, reconcile_claims
from forensics.investigate.claims import parse_claim


@pytest.mark.parametrize("text,language,action,dates", [
    # German, the founding story's words
    ("19.03. Rettungssystem unbefugt benutzt", "de", "rescue_enable", [(19, 3, None)]),
    ("20.03. SUSE neu installiert", "de", "reinstall", [(20, 3, None)]),
    ("23.03. CentOS installiert", "de", "reinstall", [(23, 3, None)]),
    ("Am 19. März 2025 wurde ohne meine Genehmigung das Rettungssystem benutzt", "de", "rescue_enable", [(19, 3, 2025)]),
    ("Server wurde am 22.03.2026 neu aufgesetzt", "de", "reinstall", [(22, 3, 2026)]),
    # English
    ("on 23 March CentOS was installed", "en", "reinstall", [(23, 3, None)]),
    ("March 22nd, 2026 my server was reinstalled without permission", "en", "reinstall", [(22, 3, 2026)]),
    ("the rescue system was used on the 19th of March", "en", "rescue_enable", [(19, 3, None)]),
    ("2026-03-22 reinstall", "en", "reinstall", [(22, 3, 2026)]),
    # Czech, inflected month names
    ("23.3. přeinstalace serveru", "cs", "reinstall", [(23, 3, None)]),
    ("19. března byl bez souhlasu použit záchranný systém", "cs", "rescue_enable", [(19, 3, None)]),
    ("20. března 2025 byl server přeinstalován na SUSE", "cs", "reinstall", [(20, 3, 2025)]),
    # Polish, inflected month names
    ("19 marca użyto systemu ratunkowego bez mojej zgody", "pl", "rescue_enable", [(19, 3, None)]),
    ("Serwer został przeinstalowany 23 marca 2026", "pl", "reinstall", [(23, 3, 2026)]),
    ("22.03. zainstalowano CentOS", "pl", "reinstall", [(22, 3, None)]),
])
def test_parse_claims_in_four_languages(text, language, action, dates):
    parsed = parse_claim(text)
    assert (parsed["language"], parsed["action"], parsed["dates"]) == (language, action, dates)


def test_times_of_day_and_slashed_dates():
    assert parse_claim("am 22.03. um 10.05 Uhr neu installiert")["dates"] == [(22, 3, None)]
    assert parse_claim("22.03. o 10.05 godz. zainstalowano")["dates"] == [(22, 3, None)]
    assert parse_claim("on 19/03/2025 the rescue system was used")["dates"] == [(19, 3, 2025)]
    assert parse_claim("on 03/19/2025 the rescue system was used")["dates"] == [(19, 3, 2025)]


def test_os_names_are_kept_as_details():
    assert parse_claim("20.03. SUSE neu installiert")["details"] == ["suse"]
    assert parse_claim("on 23 March CentOS was installed")["details"] == ["centos"]


def test_several_dates_and_impossible_ones():
    assert parse_claim("Rettungssystem am 19.03. und am 20.03. benutzt")["dates"] == [(19, 3, None), (20, 3, None)]
    assert parse_claim("am 31.02. neu installiert")["dates"] == []          # no such day
    assert parse_claim("Firefox 124.0 neu installiert")["dates"] == []      # a version number is no date


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    case = cb.founding_story(tmp_path_factory.mktemp("claims") / "case.duckdb")
    yield case
    case.close()


def _claim(case, text, **kw):
    return reconcile_claims(case, cb.HOLDER, [text], **kw)[0]


@pytest.mark.parametrize("text", [
    "19.03. Rettungssystem unbefugt benutzt",
    "the rescue system was used on 19 March without my permission",
    "19. března byl bez souhlasu použit záchranný systém",
    "19 marca użyto systemu ratunkowego",
])
def test_one_year_earlier_in_every_language(story, text):
    c = _claim(story, text)
    assert c.classification == "different_year"
    assert c.assumed_year == 2026 and c.dates == [dt.date(2026, 3, 19)]
    assert [(m.year, m.event.event, m.event.ts.date()) for m in c.matches] == [(2025, "rescue_enable", dt.date(2025, 3, 19))]
    assert c.matches[0].event.citation.startswith("panel-audit.jsonl:")


@pytest.mark.parametrize("text", [
    "23.03. CentOS installiert",
    "on 23 March CentOS was installed",
    "23.3. přeinstalace serveru",
    "Serwer został przeinstalowany 23 marca",
])
def test_one_day_off_in_every_language(story, text):
    c = _claim(story, text)
    assert c.classification == "off_by_days"
    [m] = c.matches
    assert (m.days_off, m.signed_days, m.event.ts.date()) == (1, -1, dt.date(2026, 3, 22))


def test_year_given_exact_and_different_year(story):
    exact = _claim(story, "Am 22.03.2026 wurde CentOS installiert")
    assert exact.classification == "exact" and exact.year_given and exact.matches[0].days_off == 0
    other = _claim(story, "20. března 2026 byl server přeinstalován na SUSE")
    assert other.classification == "different_year" and other.matches[0].year == 2025
    iso = _claim(story, "2025-03-20 reinstall")
    assert iso.classification == "exact"


def test_not_found_says_whether_logs_cover_the_date(story):
    covered = _claim(story, "am 05.02.2026 neu gestartet")
    assert covered.classification == "not_found" and covered.covered is True
    assert "covers this date and shows no reboot" in covered.explanation
    outside = _claim(story, "on 3 June 2024 the server was rebooted")
    assert outside.classification == "not_found" and outside.covered is False
    assert "does not cover this date" in outside.explanation and "2025-01-01" in outside.explanation


def test_claim_in_a_gap_names_the_gap(tmp_path):
    with cb.login_in_gap(tmp_path / "case.duckdb") as case:
        c = _claim(case, "18.03.2026 neu gestartet")
        earlier = _claim(case, "19.03.2026 Rettungssystem benutzt")
    assert c.classification == "not_found" and c.covered is False
    assert "inconclusive, the date falls in a gap" in c.explanation
    assert "panel-audit.jsonl.1 -> panel-audit.jsonl" in c.explanation
    # a match in another year does not hide that the claimed day itself is not in the logs
    assert earlier.classification == "different_year" and earlier.covered is False
    assert "2026-03-19 itself falls in a gap" in earlier.explanation


def test_local_zone_decides_the_calendar_day(tmp_path):
    b = cb.CaseBuilder(tmp_path / "case.duckdb")
    cb.filler(b, start="2026-03-01", end="2026-03-31")
    b.panel("2026-03-22T23:30:00+00:00", cb.HOLDER, "reboot", user=cb.HOLDER_USER, ip="84.132.10.7")
    with b.build() as case:
        utc = _claim(case, "23.03. neu gestartet")
        berlin = _claim(case, "23.03. neu gestartet", tz="Europe/Berlin")
        # the same through investigate()
        assert investigate(case, cb.HOLDER, claims=["23.03. neu gestartet"]).claims[0].classification == "off_by_days"
    assert utc.classification == "off_by_days"      # 22 March in UTC
    assert berlin.classification == "exact"         # 23 March 00:30 in Berlin


FOUNDING_SENTENCE = "am 19.03. Rettungssystem unbefugt benutzt, am 2o. Suse neuinstalliert, am 23 Cent OS installiert"


def test_the_founding_sentence_in_full_typos_included(story):
    """One sentence, three actions: split per action; "2o." is 20 (a letter o for the zero);
    "am 23" takes the month of the date before it; "Cent OS" is CentOS."""
    rescue, suse, centos = reconcile_claims(story, cb.HOLDER, [FOUNDING_SENTENCE])
    assert [c.text for c in (rescue, suse, centos)] == [
        "am 19.03. Rettungssystem unbefugt benutzt", "am 2o. Suse neuinstalliert", "am 23 Cent OS installiert"]
    assert {c.sentence for c in (rescue, suse, centos)} == {FOUNDING_SENTENCE}
    assert (rescue.action, rescue.classification, rescue.matches[0].year) == ("rescue_enable", "different_year", 2025)
    assert (suse.action, suse.classification, suse.details) == ("reinstall", "different_year", ["suse"])
    assert suse.dates == [dt.date(2026, 3, 20)] and suse.matches[0].event.ts.date() == dt.date(2025, 3, 20)
    assert "takes the month of the date before it" in suse.explanation
    assert (centos.classification, centos.details, centos.dates) == ("off_by_days", ["centos"], [dt.date(2026, 3, 23)])
    [m] = centos.matches
    assert (m.event.ts.date(), m.signed_days) == (dt.date(2026, 3, 22), -1)
    assert "1 day earlier" in centos.explanation and "1 days" not in centos.explanation


def test_one_action_with_two_dates_stays_one_claim(story):
    [c] = reconcile_claims(story, cb.HOLDER, ["Rettungssystem am 19.03. und am 20.03. benutzt"])
    assert c.dates == [dt.date(2026, 3, 19), dt.date(2026, 3, 20)] and c.sentence is None


@pytest.mark.parametrize("text", ["yesterday my server was reinstalled", "gestern wurde mein Server neu installiert",
                                  "včera byl server přeinstalován", "wczoraj serwer został przeinstalowany"])
def test_relative_days_count_from_the_letter(story, text):
    c = _claim(story, text, claim_date="2026-03-23")
    assert c.classification == "exact" and c.dates == [dt.date(2026, 3, 22)]
    assert "counted from the date of the customer's letter, 2026-03-23" in c.explanation
    # the customer's own word is quoted, with its diacritics
    assert text.split()[0].lower() in c.explanation


def test_ordinal_day_without_month_takes_the_letters_month(story):
    c = _claim(story, "on the 23rd my server was reinstalled", claim_date="2026-03-25")
    assert c.classification == "off_by_days" and c.dates == [dt.date(2026, 3, 23)]
    # a year-less date lies on or before the letter, and the report says where that date comes from
    c = _claim(story, "20.03. SUSE neu installiert", claim_date="2026-03-25")
    assert "on or before 2026-03-25 (the date of the customer's letter, given with --claim-date)" in c.explanation
    c = _claim(story, "20.03. SUSE neu installiert", until="2026-03-29")
    assert "on or before 2026-03-29 (the end of the period examined, given with --until)" in c.explanation


def test_a_claim_without_a_readable_date_is_unreadable_not_not_found(story):
    c = _claim(story, "Server neu installiert, ich weiß nicht wann")
    assert c.classification == "unreadable" and c.matches == [] and c.dates == []
    assert c.explanation.startswith("date not readable")
    assert "logs show" not in c.explanation
    # a relative day without the letter's date cannot be read either, and says why
    c = _claim(story, "gestern neu installiert")
    assert c.classification == "unreadable" and "--claim-date" in c.explanation
