"""The demo's GeoIP databases: two small MaxMind DB files built on the fly.

The sample case needs ISP ranges ("AS3320 Deutsche Telekom AG,
217.224.0.0/11, Germany") to show what enrichment adds, and the demo may not
download anything.  So `build_geoip_databases()` writes two databases with the
`mmdb-writer` library, in the same layout as MaxMind's own products, which
`geoip2` reads like the real ones:

* ``GeoLite2-ASN-demo.mmdb`` (metadata ``database_type = "GeoLite2-ASN"``):
  ``autonomous_system_number`` / ``autonomous_system_organization``;
* ``GeoLite2-City-demo.mmdb`` (``database_type = "GeoLite2-City"``): continent,
  country, registered country, city and location (coordinates, accuracy
  radius, time zone).

The networks are public allocations with the name of the network that holds
them, written down from memory of the registries' public data (not checked
against a live registry); the city of each /16 (IPv4) or /32 (IPv6) is made
up.  The files exist so that the demo shows ISP ranges: never use them for
real lookups.  The generator (`forensics.demo.generator`) takes every sample
address from these networks, so each one resolves.

The build date in the metadata is the sample's end date, not "now", so that
the same seed gives byte-identical files.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

ASN_DB_NAME = "GeoLite2-ASN-demo.mmdb"
CITY_DB_NAME = "GeoLite2-City-demo.mmdb"


@dataclass(frozen=True)
class Place:
    city: str | None          # None: the network is only located to its country
    latitude: float
    longitude: float
    accuracy_km: int


@dataclass(frozen=True)
class Network:
    """One holder's address ranges in the demo database.

    Attributes:
        key: the generator's name for it ("dtag", "attacker", ...).
        kind: home | mobile | hosting: how the generator uses it.
        asn / org: the autonomous system.
        country_iso / country_name / time_zone: where its addresses are.
        cidrs: its networks (IPv4 and IPv6).
        places: cities handed out to its /16 (v4) or /32 (v6) blocks in turn;
            a single place without a city locates the whole network to its
            country (mobile carriers' NAT addresses are not city-precise).
    """

    key: str
    kind: str
    asn: int
    org: str
    country_iso: str
    country_name: str
    time_zone: str
    cidrs: tuple[str, ...]
    places: tuple[Place, ...]


_DE_CITIES = (
    Place("Köln", 50.9333, 6.95, 20),
    Place("Berlin", 52.5244, 13.4105, 20),
    Place("Hamburg", 53.5507, 9.993, 20),
    Place("München", 48.1374, 11.5755, 20),
    Place("Frankfurt am Main", 50.1155, 8.6842, 20),
    Place("Stuttgart", 48.7823, 9.177, 20),
    Place("Leipzig", 51.3396, 12.3713, 20),
    Place("Hannover", 52.3705, 9.7332, 20),
    Place("Nürnberg", 49.4478, 11.0683, 20),
    Place("Dortmund", 51.5149, 7.466, 20),
)
_DE_COUNTRY = (Place(None, 51.2993, 9.491, 200),)

NETWORKS: tuple[Network, ...] = (
    # Home (fixed-line) ISPs
    Network("dtag", "home", 3320, "Deutsche Telekom AG", "DE", "Germany", "Europe/Berlin",
            ("217.224.0.0/11", "79.192.0.0/10", "2003::/19"), _DE_CITIES),
    Network("vodafone_de", "home", 3209, "Vodafone GmbH", "DE", "Germany", "Europe/Berlin",
            ("95.88.0.0/14", "178.24.0.0/14"), _DE_CITIES[3:] + _DE_CITIES[:3]),
    Network("telefonica_de", "home", 6805, "Telefonica Germany GmbH & Co.OHG", "DE", "Germany",
            "Europe/Berlin", ("77.176.0.0/12",), _DE_CITIES[6:] + _DE_CITIES[:6]),
    Network("o2_cz", "home", 5610, "O2 Czech Republic, a.s.", "CZ", "Czechia", "Europe/Prague",
            ("90.176.0.0/12",),
            (Place("Praha", 50.088, 14.4208, 20), Place("Brno", 49.1952, 16.608, 20),
             Place("Ostrava", 49.8347, 18.282, 20), Place("Plzeň", 49.7475, 13.3776, 20))),
    Network("orange_pl", "home", 5617, "Orange Polska Spolka Akcyjna", "PL", "Poland", "Europe/Warsaw",
            ("83.0.0.0/11",),
            (Place("Warszawa", 52.2298, 21.0118, 20), Place("Kraków", 50.0614, 19.9366, 20),
             Place("Wrocław", 51.1, 17.0333, 20), Place("Poznań", 52.4069, 16.9299, 20),
             Place("Gdańsk", 54.352, 18.6464, 20))),
    # Mobile carriers (carrier-grade NAT: located to the country only)
    Network("telekom_mobile", "mobile", 3320, "Deutsche Telekom AG", "DE", "Germany", "Europe/Berlin",
            ("80.187.0.0/16",), _DE_COUNTRY),
    Network("vodafone_mobile", "mobile", 3209, "Vodafone GmbH", "DE", "Germany", "Europe/Berlin",
            ("109.40.0.0/13",), _DE_COUNTRY),
    Network("o2_mobile_de", "mobile", 6805, "Telefonica Germany GmbH & Co.OHG", "DE", "Germany",
            "Europe/Berlin", ("176.0.0.0/13",), _DE_COUNTRY),
    # Hosting and transit networks: customers' API clients, bots, the attacker
    Network("hetzner", "hosting", 24940, "Hetzner Online GmbH", "DE", "Germany", "Europe/Berlin",
            ("88.198.0.0/16", "78.46.0.0/15"),
            (Place("Falkenstein", 50.4779, 12.3713, 20), Place("Nürnberg", 49.4478, 11.0683, 20))),
    Network("ovh", "hosting", 16276, "OVH SAS", "FR", "France", "Europe/Paris",
            ("51.75.0.0/16", "54.36.0.0/16"),
            (Place("Roubaix", 50.6942, 3.1746, 20), Place("Gravelines", 50.9865, 2.1281, 20))),
    Network("digitalocean_sg", "hosting", 14061, "DIGITALOCEAN-ASN", "SG", "Singapore", "Asia/Singapore",
            ("128.199.0.0/16",), (Place("Singapore", 1.2897, 103.8501, 5),)),
    Network("digitalocean_us", "hosting", 14061, "DIGITALOCEAN-ASN", "US", "United States",
            "America/New_York", ("167.99.0.0/16",), (Place("North Bergen", 40.8043, -74.0121, 10),)),
    Network("chinanet_js", "hosting", 4134, "CHINANET-BACKBONE", "CN", "China", "Asia/Shanghai",
            ("218.92.0.0/16", "222.186.0.0/16"), (Place("Nanjing", 32.0617, 118.7778, 50),)),
    Network("google", "hosting", 15169, "GOOGLE", "US", "United States", "America/Los_Angeles",
            ("66.249.64.0/19",), (Place("Mountain View", 37.4043, -122.0748, 1000),)),
    Network("ipvolume", "hosting", 202425, "IP Volume inc", "NL", "The Netherlands", "Europe/Amsterdam",
            ("80.82.64.0/20",), (Place(None, 52.3824, 4.8995, 100),)),
)

NETWORKS_BY_KEY = {n.key: n for n in NETWORKS}

_CONTINENTS = {
    "DE": ("EU", "Europe"), "CZ": ("EU", "Europe"), "PL": ("EU", "Europe"), "FR": ("EU", "Europe"),
    "NL": ("EU", "Europe"), "SG": ("AS", "Asia"), "CN": ("AS", "Asia"), "US": ("NA", "North America"),
}
# GeoNames ids of the countries (as in MaxMind's databases).
_COUNTRY_GEONAME = {
    "DE": 2921044, "CZ": 3077311, "PL": 798544, "FR": 3017382, "NL": 2750405,
    "SG": 1880251, "CN": 1814991, "US": 6252001,
}
_CONTINENT_GEONAME = {"EU": 6255148, "AS": 6255147, "NA": 6255149}


def blocks(network: Network, cidr: str) -> list[tuple[ipaddress._BaseNetwork, Place]]:
    """The network split into the blocks that carry one city each."""
    net = ipaddress.ip_network(cidr)
    if len(network.places) == 1:
        return [(net, network.places[0])]
    new_prefix = 16 if net.version == 4 else 32
    if net.prefixlen >= new_prefix:
        return [(net, network.places[0])]
    # A /11 has 32 /16s, an IPv6 /19 has 8192 /32s: hand the cities out over
    # the first blocks and leave the rest to the whole network's record.
    out = []
    for index, sub in enumerate(net.subnets(new_prefix=new_prefix)):
        if index >= 64:
            break
        out.append((sub, network.places[index % len(network.places)]))
    return out


def place_of(address: str) -> tuple[Network, Place] | None:
    """The network and place the demo databases give an address (for tests)."""
    ip = ipaddress.ip_address(address)
    for network in NETWORKS:
        for cidr in network.cidrs:
            if ip in ipaddress.ip_network(cidr):
                for block, place in blocks(network, cidr):
                    if ip in block:
                        return network, place
                return network, network.places[0]
    return None


def _names(text: str) -> dict[str, str]:
    return {"en": text}


def _city_record(network: Network, place: Place) -> dict:
    continent_code, continent_name = _CONTINENTS[network.country_iso]
    country = {
        "geoname_id": _COUNTRY_GEONAME[network.country_iso],
        "iso_code": network.country_iso,
        "names": _names(network.country_name),
    }
    record = {
        "continent": {"code": continent_code, "geoname_id": _CONTINENT_GEONAME[continent_code],
                      "names": _names(continent_name)},
        "country": country,
        "registered_country": dict(country),
        "location": {"accuracy_radius": place.accuracy_km, "latitude": place.latitude,
                     "longitude": place.longitude, "time_zone": network.time_zone},
    }
    if place.city:
        record["city"] = {"names": _names(place.city)}
    return record


def _writer_class():
    try:
        from mmdb_writer import MMDBWriter
    except ImportError as exc:  # pragma: no cover - install_requires has it
        from forensics.errors import ForensicsError

        raise ForensicsError(
            "the demo needs the mmdb-writer package to build its GeoIP database "
            "(pip install mmdb-writer)") from exc

    class FixedEpochWriter(MMDBWriter):
        """mmdb-writer stamps `time.time()` into the metadata; pin it."""

        build_epoch = 0

        def _build_meta(self):
            meta = super()._build_meta()
            meta["build_epoch"] = int(self.build_epoch)
            return meta

    return FixedEpochWriter


def build_geoip_databases(out_dir: str | Path, *, build_epoch: int) -> tuple[Path, Path]:
    """Write the demo's ASN and City databases into `out_dir`.

    Args:
        out_dir: existing directory.
        build_epoch: the metadata's build time (seconds since the epoch);
            the generator passes the sample's end so output is reproducible.

    Returns:
        (asn_db_path, city_db_path)
    """
    from netaddr import IPSet

    writer_cls = _writer_class()
    out_dir = Path(out_dir)
    asn_writer = writer_cls(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN",
                            languages=["en"], description="forensics demo ASN database (synthetic)")
    city_writer = writer_cls(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City",
                             languages=["en"], description="forensics demo City database (synthetic)")
    for writer in (asn_writer, city_writer):
        writer.build_epoch = build_epoch
    for network in NETWORKS:
        asn_record = {"autonomous_system_number": network.asn,
                      "autonomous_system_organization": network.org}
        for cidr in network.cidrs:
            asn_writer.insert_network(IPSet([cidr]), asn_record)
            # The whole network first, located to its country, then its city
            # blocks: mmdb-writer lets the more specific network override.
            first = network.places[0]
            whole = first if len(network.places) == 1 else Place(None, first.latitude, first.longitude, 500)
            city_writer.insert_network(IPSet([cidr]), _city_record(network, whole))
            for block, place in blocks(network, cidr):
                if block != ipaddress.ip_network(cidr):
                    city_writer.insert_network(IPSet([str(block)]), _city_record(network, place))
    asn_path = out_dir / ASN_DB_NAME
    city_path = out_dir / CITY_DB_NAME
    asn_writer.to_db_file(str(asn_path))
    city_writer.to_db_file(str(city_path))
    return asn_path, city_path
