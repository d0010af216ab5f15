"""enrich_case on small cases, with MaxMind's test databases.

The expected values come from the JSON sources beside the databases
(realdata/maxmind/source-data/*.json).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import pytest

from forensics.enrich import configured_geoip_paths, enrich_case
from forensics.enrich.engine import NO_DATABASE_NOTE
from forensics.errors import ForensicsError

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.109 Safari/537.36"
)
ENRICH_TABLES = ("user_agents", "ip_info", "geoip_databases", "enrich_runs")


@pytest.fixture(scope="session")
def mmdb(realdata):
    return realdata / "maxmind" / "test-data"


def add_events(case, rows):
    """Insert (ip, user_agent) events the way ingest stores them."""
    start = case.con.execute("SELECT coalesce(max(event_id), 0) FROM events").fetchone()[0]
    case.con.executemany(
        "INSERT INTO event_rows (event_id, source_id, line_no, source_kind, ip, user_agent) VALUES (?, 1, ?, 'http', ?, ?)",
        [(start + i + 1, start + i + 1, ip, ua) for i, (ip, ua) in enumerate(rows)],
    )


def ip_row(case, ip):
    """The ip_info row as plain Python values (None for NULL)."""
    # (timestamps left out: fetching TIMESTAMPTZ as Python needs pytz)
    cursor = case.con.execute("SELECT * EXCLUDE (enriched_at) FROM ip_info WHERE ip = $ip", {"ip": ip})
    rows = cursor.fetchall()
    assert len(rows) == 1, f"{ip} not enriched"
    return dict(zip([d[0] for d in cursor.description], rows[0]))


def db_id_of(case, database_type):
    return case.con.execute(
        "SELECT db_id FROM geoip_databases WHERE database_type = $t", {"t": database_type}
    ).fetchone()[0]


def counts(case):
    return {t: case.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ENRICH_TABLES}


def test_asn_database_answers_with_network_and_provenance(new_case, mmdb):
    add_events(new_case, [("1.128.0.1", CHROME)])
    result = enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb"])
    row = ip_row(new_case, "1.128.0.1")
    assert (row["asn"], row["as_org"], row["asn_network"]) == (1221, "Telstra Pty Ltd", "1.128.0.0/11")
    asn_db = db_id_of(new_case, "GeoLite2-ASN")
    assert row["asn_db_id"] == asn_db
    cursor = new_case.con.execute(
        "SELECT * EXCLUDE (build_date, added_at), epoch(build_date) AS build_date_epoch FROM geoip_databases"
    )
    db = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    path = mmdb / "GeoLite2-ASN-Test.mmdb"
    assert db["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert db["build_epoch"] == 1770245369
    assert db["build_date_epoch"] == dt.datetime(2026, 2, 4, 22, 49, 29, tzinfo=dt.timezone.utc).timestamp()
    assert db["path"] == str(path)
    assert result.databases[0].label() == "GeoLite2-ASN built 2026-02-04"
    assert (result.new_user_agents, result.new_ips, result.invalid_ips) == (1, 1, 0)
    # one ASN database and no location database: the run says what is missing
    assert result.note == "locations unavailable for 1 of 1 addresses (looked up in no City/Country database)"


def test_city_database(new_case, mmdb):
    add_events(new_case, [("81.2.69.142", CHROME), ("2001:218::1", None)])
    enrich_case(new_case, [mmdb / "GeoIP2-City-Test.mmdb"])
    row = ip_row(new_case, "81.2.69.142")
    assert (row["country_iso"], row["country_name"], row["city"]) == ("GB", "United Kingdom", "London")
    assert (row["latitude"], row["longitude"], row["accuracy_radius"]) == (51.5142, -0.0931, 10)
    assert row["time_zone"] == "Europe/London"
    assert row["geo_network"] == "81.2.69.142/31"
    assert row["geo_db_id"] == db_id_of(new_case, "GeoIP2-City")
    japan = ip_row(new_case, "2001:218::1")
    assert (japan["ip_version"], japan["country_iso"], japan["geo_network"]) == (6, "JP", "2001:218::/32")


def test_isp_database_gives_isp_and_asn(new_case, mmdb):
    add_events(new_case, [("149.101.100.0", CHROME)])
    enrich_case(new_case, [mmdb / "GeoIP2-ISP-Test.mmdb"])
    row = ip_row(new_case, "149.101.100.0")
    isp_db = db_id_of(new_case, "GeoIP2-ISP")
    assert (row["isp"], row["organization"], row["isp_network"]) == (
        "Verizon Wireless",
        "Verizon Wireless",
        "149.101.100.0/28",
    )
    # without an ASN database the ISP database's ASN is used, and says so
    assert (row["asn"], row["as_org"], row["asn_db_id"], row["isp_db_id"]) == (6167, "CELLCO-PART", isp_db, isp_db)


def test_specialised_database_wins(new_case, mmdb):
    add_events(new_case, [("1.128.0.1", CHROME)])
    enrich_case(new_case, [mmdb / "GeoIP2-ISP-Test.mmdb", mmdb / "GeoLite2-ASN-Test.mmdb"])
    row = ip_row(new_case, "1.128.0.1")
    assert row["asn_db_id"] == db_id_of(new_case, "GeoLite2-ASN")
    assert row["isp_db_id"] == db_id_of(new_case, "GeoIP2-ISP")
    assert (row["asn"], row["isp"], row["isp_network"]) == (1221, "Telstra Internet", "1.128.0.0/11")


def test_anonymous_ip_flags(new_case, mmdb):
    add_events(new_case, [("1.124.213.1", None), ("71.160.223.7", None), ("9.9.9.9", None)])
    enrich_case(new_case, [mmdb / "GeoIP2-Anonymous-IP-Test.mmdb"])
    anon_db = db_id_of(new_case, "GeoIP2-Anonymous-IP")
    tor = ip_row(new_case, "1.124.213.1")
    assert (tor["is_anonymous"], tor["is_anonymous_vpn"], tor["is_tor_exit_node"]) == (True, True, True)
    assert (tor["is_hosting_provider"], tor["is_public_proxy"], tor["is_residential_proxy"]) == (False, False, False)
    assert (tor["anon_network"], tor["anon_db_id"]) == ("1.124.213.1/32", anon_db)
    hosting = ip_row(new_case, "71.160.223.7")
    assert (hosting["is_hosting_provider"], hosting["is_anonymous_vpn"], hosting["anon_network"]) == (
        True,
        False,
        "71.160.223.0/24",
    )
    # not listed: no flags, no answering database, but the lookup is recorded
    clean = ip_row(new_case, "9.9.9.9")
    assert (clean["anon_db_id"], clean["is_anonymous"], clean["anon_network"]) == (None, None, None)
    assert clean["looked_up_db_ids"] == [anon_db]


def test_enterprise_database(new_case, mmdb):
    add_events(new_case, [("74.209.24.0", None)])
    enrich_case(new_case, [mmdb / "GeoIP2-Enterprise-Test.mmdb"])
    row = ip_row(new_case, "74.209.24.0")
    ent = db_id_of(new_case, "GeoIP2-Enterprise")
    assert (row["city"], row["isp"], row["asn"], row["asn_network"]) == (
        "Chatham",
        "Fairpoint Communications",
        14671,
        "74.209.16.0/20",
    )
    assert (row["geo_db_id"], row["isp_db_id"], row["asn_db_id"]) == (ent, ent, ent)


def test_database_type_comes_from_metadata_not_file_name(new_case, mmdb, tmp_path):
    misnamed = tmp_path / "GeoIP2-City.mmdb"
    shutil.copyfile(mmdb / "GeoLite2-ASN-Test.mmdb", misnamed)
    add_events(new_case, [("1.128.0.1", None)])
    result = enrich_case(new_case, [misnamed])
    assert result.databases[0].database_type == "GeoLite2-ASN"
    row = ip_row(new_case, "1.128.0.1")
    assert row["asn"] == 1221 and row["city"] is None


def test_without_databases_prefixes_flags_and_a_note(new_case, monkeypatch):
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    add_events(new_case, [("81.2.69.142", CHROME), ("192.168.1.20", CHROME), ("2a02:8108:1:2::1", None)])
    result = enrich_case(new_case, [], config={"enrich": {"ipv4_prefix": 24, "ipv6_prefix": 48, "geoip": []}})
    assert result.note == NO_DATABASE_NOTE
    assert result.databases == []
    run = new_case.con.execute("SELECT note, new_ips, new_user_agents, geoip_db_ids FROM enrich_runs").fetchone()
    assert run == (NO_DATABASE_NOTE, 3, 1, None)
    assert ip_row(new_case, "81.2.69.142")["prefix"] == "81.2.69.0/24"
    home = ip_row(new_case, "192.168.1.20")
    assert (home["is_private"], home["prefix"], home["asn"]) == (True, "192.168.1.0/24", None)
    assert ip_row(new_case, "2a02:8108:1:2::1")["prefix"] == "2a02:8108:1::/48"
    assert counts(new_case)["geoip_databases"] == 0


def test_invalid_addresses_are_counted_not_enriched(new_case, mmdb):
    add_events(new_case, [("unknown", CHROME), ("999.1.1.1", None), ("1.128.0.1", None), (None, "-")])
    result = enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb"])
    assert (result.new_ips, result.invalid_ips) == (3, 2)
    bad = ip_row(new_case, "unknown")
    assert (bad["is_valid"], bad["address"], bad["prefix"], bad["asn"]) == (False, None, None, None)
    assert bad["looked_up_db_ids"] == []
    assert new_case.con.execute("SELECT invalid_ips FROM enrich_runs").fetchone()[0] == 2
    # NULL user agents are absent, not a value; "-" is the empty class
    assert new_case.con.execute("SELECT automation_class FROM user_agents WHERE user_agent = '-'").fetchone() == ("empty",)


def test_second_run_looks_up_only_new_values(new_case, mmdb):
    asn = mmdb / "GeoLite2-ASN-Test.mmdb"
    add_events(new_case, [("1.128.0.1", CHROME), ("1.128.0.1", CHROME), ("81.2.69.142", "curl/8.4.0")])
    first = enrich_case(new_case, [asn])
    assert (first.new_user_agents, first.new_ips) == (2, 2)  # distinct values only
    add_events(new_case, [("1.128.0.1", CHROME), ("149.101.100.0", "python-requests/2.31.0")])
    second = enrich_case(new_case, [asn])
    assert (second.new_user_agents, second.new_ips, second.updated_ips) == (1, 1, 0)
    assert second.databases[0].db_id == first.databases[0].db_id  # same file: same provenance row
    third = enrich_case(new_case, [asn])
    assert (third.new_user_agents, third.new_ips, third.updated_ips) == (0, 0, 0)
    assert counts(new_case) == {"user_agents": 3, "ip_info": 3, "geoip_databases": 1, "enrich_runs": 3}


def test_database_added_later_fills_known_addresses_and_keeps_the_rest(new_case, mmdb, monkeypatch):
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    add_events(new_case, [("1.128.0.1", None), ("81.2.69.142", None), ("bogus", None)])
    enrich_case(new_case, [], config={"enrich": {"ipv4_prefix": 24, "ipv6_prefix": 48, "geoip": []}})
    with_asn = enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb"])
    assert (with_asn.new_ips, with_asn.updated_ips) == (0, 2)  # the invalid one is not looked up
    assert ip_row(new_case, "1.128.0.1")["asn"] == 1221
    with_city = enrich_case(new_case, [mmdb / "GeoIP2-City-Test.mmdb"])
    assert with_city.updated_ips == 2
    london = ip_row(new_case, "81.2.69.142")
    telstra = ip_row(new_case, "1.128.0.1")
    assert london["city"] == "London"
    # the City run did not erase what the ASN run found
    assert (telstra["asn"], telstra["asn_db_id"]) == (1221, db_id_of(new_case, "GeoLite2-ASN"))
    assert sorted(telstra["looked_up_db_ids"]) == sorted(
        [db_id_of(new_case, "GeoLite2-ASN"), db_id_of(new_case, "GeoIP2-City")]
    )
    assert telstra["run_id"] == 3


def test_same_file_twice_is_recorded_once(new_case, mmdb):
    add_events(new_case, [("1.128.0.1", None)])
    result = enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb", mmdb / "GeoLite2-ASN-Test.mmdb"])
    assert len(result.databases) == 1
    assert counts(new_case)["geoip_databases"] == 1


BAD_DATABASES = [
    # opens, fails on lookup of 81.2.69.142 (data section damaged)
    ("GeoIP2-City-Test-Broken-Double-Format.mmdb", "is damaged"),
    # metadata type "Test": not a GeoIP kind (and its search tree is broken)
    ("MaxMind-DB-test-broken-search-tree-24.mmdb", "database type 'Test'"),
    ("README.md", "not a readable MaxMind DB file"),
    ("missing.mmdb", "not found"),
]


@pytest.mark.parametrize("name,message", BAD_DATABASES, ids=[n for n, _ in BAD_DATABASES])
def test_bad_database_is_refused_and_nothing_is_written(new_case, mmdb, name, message):
    add_events(new_case, [("81.2.69.142", CHROME)])
    enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb"])
    add_events(new_case, [("81.2.69.160", "curl/8.4.0"), ("216.160.83.56", None)])
    before = counts(new_case)
    with pytest.raises(ForensicsError) as info:
        enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb", mmdb / name])
    assert name in str(info.value) and message in str(info.value)
    assert counts(new_case) == before


@pytest.mark.parametrize("content", [b"", b"not a database\n" * 100, "truncated"])
def test_damaged_files_are_refused(new_case, mmdb, tmp_path, content):
    path = tmp_path / "damaged.mmdb"
    if content == "truncated":
        content = (mmdb / "GeoIP2-City-Test.mmdb").read_bytes()[:12000]
    path.write_bytes(content)
    add_events(new_case, [("81.2.69.142", CHROME)])
    with pytest.raises(ForensicsError, match="damaged.mmdb"):
        enrich_case(new_case, [path])
    assert counts(new_case) == dict.fromkeys(ENRICH_TABLES, 0)


def test_directory_is_refused(new_case, tmp_path):
    with pytest.raises(ForensicsError, match="not a file"):
        enrich_case(new_case, [tmp_path])


def test_geoip_paths_order(monkeypatch, tmp_path):
    config = {"enrich": {"geoip": [str(tmp_path / "from-config.mmdb")]}}
    monkeypatch.setenv("FORENSICS_GEOIP", f"{tmp_path / 'a.mmdb'}:{tmp_path / 'b.mmdb'}:")
    assert [p.name for p in configured_geoip_paths(["cli.mmdb"], config)] == ["cli.mmdb"]
    assert [p.name for p in configured_geoip_paths([], config)] == ["a.mmdb", "b.mmdb"]
    monkeypatch.delenv("FORENSICS_GEOIP")
    assert [p.name for p in configured_geoip_paths(None, config)] == ["from-config.mmdb"]
    assert configured_geoip_paths(None, {"enrich": {"geoip": []}}) == []


def test_geoip_from_config_file(monkeypatch, tmp_path, mmdb, new_case):
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[enrich]\ngeoip = ["{mmdb / "GeoLite2-ASN-Test.mmdb"}"]\n', encoding="utf-8")
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    monkeypatch.setenv("FORENSICS_CONFIG", str(settings))
    add_events(new_case, [("1.128.0.1", None)])
    result = enrich_case(new_case)
    assert [db.database_type for db in result.databases] == ["GeoLite2-ASN"]
    assert ip_row(new_case, "1.128.0.1")["asn"] == 1221


def test_note_describes_the_whole_case_after_each_run(new_case, mmdb, monkeypatch):
    monkeypatch.delenv("FORENSICS_GEOIP", raising=False)
    no_db = {"enrich": {"ipv4_prefix": 24, "ipv6_prefix": 48, "geoip": []}}
    add_events(new_case, [("1.128.0.1", None), ("81.2.69.142", None)])
    assert enrich_case(new_case, [], config=no_db).note == NO_DATABASE_NOTE
    full = enrich_case(new_case, [mmdb / "GeoLite2-ASN-Test.mmdb", mmdb / "GeoIP2-City-Test.mmdb"])
    assert full.note is None  # every address now looked up in an ASN and a City database
    add_events(new_case, [("149.101.100.0", None)])
    later = enrich_case(new_case, [], config=no_db)
    assert later.note == (
        "ISP/ASN data unavailable for 1 of 3 addresses (looked up in no ASN/ISP database): compare their prefixes only; "
        "locations unavailable for 1 of 3 addresses (looked up in no City/Country database)"
    )
    notes = [row[0] for row in new_case.con.execute("SELECT note FROM enrich_runs ORDER BY run_id").fetchall()]
    assert notes == [NO_DATABASE_NOTE, None, later.note]
