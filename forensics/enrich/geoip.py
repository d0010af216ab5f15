"""MaxMind DB files: which ones to use, what they are, what they say.

A database's kind comes from its metadata (``database_type``), never from
its file name.  Each kind answers one or more *families* of ``ip_info``
columns:

* ``asn``:  ASN, AS organisation, matched network (GeoLite2-ASN, GeoIP2-ISP, Enterprise)
* ``isp``:  ISP, organisation, matched network (GeoIP2-ISP, Enterprise)
* ``geo``:  country, city, coordinates, accuracy radius, time zone (City, Country, Enterprise)
* ``anon``: VPN / hosting / Tor / proxy flags (GeoIP2-Anonymous-IP, Anonymous-Plus)

When several databases answer a family, the specialised one wins (an ASN
database over the ISP database for the ASN, City over Country).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import geoip2.database
import geoip2.errors
import maxminddb

from forensics.errors import CorruptInputError, ForensicsError

FAMILIES = ("asn", "isp", "geo", "anon")

# (substring of metadata database_type, geoip2 Reader method, families in
# precedence order of this kind).  The substrings are geoip2's own test (its
# Reader methods accept a type when the substring occurs), which also admits
# compatible third-party files ("DBIP-ASN-Lite (compat=GeoLite2-ASN)").
KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Enterprise", "enterprise", ("geo", "isp", "asn")),
    ("City", "city", ("geo",)),
    ("Country", "country", ("geo",)),
    ("GeoIP2-ISP", "isp", ("isp", "asn")),
    ("GeoLite2-ASN", "asn", ("asn",)),
    ("GeoIP2-Anonymous-IP", "anonymous_ip", ("anon",)),
    ("GeoIP-Anonymous-Plus", "anonymous_plus", ("anon",)),
)

# Per family: kinds (by Reader method) from most to least specialised.
PRECEDENCE = {
    "asn": ("asn", "isp", "enterprise"),
    "isp": ("isp", "enterprise"),
    "geo": ("enterprise", "city", "country"),
    "anon": ("anonymous_ip", "anonymous_plus"),
}

# Columns each family fills in ip_info (besides its *_db_id column).
FAMILY_COLUMNS = {
    "asn": ("asn", "as_org", "asn_network"),
    "isp": ("isp", "organization", "isp_network"),
    "geo": (
        "country_iso",
        "country_name",
        "city",
        "latitude",
        "longitude",
        "accuracy_radius",
        "time_zone",
        "geo_network",
    ),
    "anon": (
        "is_anonymous",
        "is_anonymous_vpn",
        "is_hosting_provider",
        "is_tor_exit_node",
        "is_public_proxy",
        "is_residential_proxy",
        "anon_network",
    ),
}
FAMILY_DB_COLUMN = {"asn": "asn_db_id", "isp": "isp_db_id", "geo": "geo_db_id", "anon": "anon_db_id"}


def families_of_type(database_type: str) -> tuple[str, ...]:
    """The ip_info families a database of this metadata type answers (empty if none)."""
    for needle, _, families in KINDS:
        if needle in database_type:
            return families
    return ()


def configured_geoip_paths(cli_paths=None, config: dict | None = None) -> list[Path]:
    """The GeoIP database files to use, from the first place that names any.

    Order: ``cli_paths`` (``--geoip``), else the ``FORENSICS_GEOIP``
    environment variable (paths separated by ``os.pathsep``), else
    ``[enrich] geoip = [...]`` in the settings (the FORENSICS_CONFIG file
    or ``--config``; see `forensics.config.load_config`).

    Args:
        cli_paths: paths given on the command line (may be empty or None).
        config: settings from `load_config()`; loaded when None.

    Returns:
        The paths, ``~`` expanded; an empty list when none are configured.
    """
    if cli_paths:
        return [Path(p).expanduser() for p in cli_paths]
    env = os.environ.get("FORENSICS_GEOIP", "")
    from_env = [part for part in env.split(os.pathsep) if part.strip()]
    if from_env:
        return [Path(p).expanduser() for p in from_env]
    if config is None:
        from forensics.config import load_config

        config = load_config()
    listed = config.get("enrich", {}).get("geoip", [])
    if isinstance(listed, str):
        listed = [listed]
    return [Path(p).expanduser() for p in listed if str(p).strip()]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class GeoIPDatabase:
    """One opened MaxMind DB file with its provenance.

    Attributes:
        path: the file as given.
        database_type: from the file's metadata, e.g. ``GeoLite2-ASN``.
        build_epoch: metadata build time (seconds since 1970, UTC).
        sha256: of the file's bytes.
        ip_version: 4 or 6 (a 6 database also answers IPv4).
        description: the metadata's English description.
        method: the geoip2 Reader method that reads this kind.
        families: the ip_info column families this database can answer.
        db_id: the ``geoip_databases`` row, once recorded in a case.
    """

    path: Path
    database_type: str
    build_epoch: int | None
    sha256: str
    ip_version: int | None
    description: str | None
    method: str
    families: tuple[str, ...]
    reader: geoip2.database.Reader = field(repr=False)
    db_id: int | None = None
    # Last matched network and what it said: consecutive sorted addresses in
    # the same network get the same facts without another lookup.
    _last_network: object = field(default=None, repr=False)
    _last_answer: object = field(default=None, repr=False)
    _last_facts: dict = field(default_factory=dict, repr=False)

    @property
    def build_date(self) -> dt.datetime | None:
        if self.build_epoch is None:
            return None
        return dt.datetime.fromtimestamp(self.build_epoch, dt.timezone.utc)

    def label(self) -> str:
        """``GeoLite2-ASN built 2026-11-17``: how a report cites it."""
        built = self.build_date.date().isoformat() if self.build_date else "build date unknown"
        return f"{self.database_type} built {built}"

    def lookup(self, address) -> object | None:
        """The geoip2 model for ``address`` (an ipaddress object), or None.

        Raises:
            CorruptInputError: the file fails while being read (some damaged
                files open fine and only fail here).
        """
        last = self._last_network
        if last is not None and address.version == last.version and address in last:
            return self._last_answer
        if address.version == 6 and self.ip_version == 4:
            return None  # an IPv4-only database has no answer for IPv6
        try:
            answer = getattr(self.reader, self.method)(address)
            network = _network_of(answer)
        except geoip2.errors.AddressNotFoundError as exc:
            answer, network = None, exc.network
        except (maxminddb.InvalidDatabaseError, ValueError, TypeError, KeyError, OSError, RuntimeError) as exc:
            raise CorruptInputError(
                f"GeoIP database {self.path} ({self.database_type}) is damaged: looking up {address} failed "
                f"({exc}). Replace the file; nothing was written to the case."
            ) from None
        self._last_network, self._last_answer, self._last_facts = network, answer, {}
        return answer

    def facts(self, address, family: str) -> dict | None:
        """The ``family`` columns for ``address`` (see `family_values`), or None.

        Computed once per matched network: every address in the network gets
        the same values (they describe the network, not the address).
        """
        answer = self.lookup(address)
        cached = self._last_facts
        if family not in cached:
            cached[family] = family_values(family, answer)
        return cached[family]

    def close(self) -> None:
        self.reader.close()


def _network_of(answer):
    traits = getattr(answer, "traits", None)
    return traits.network if traits is not None else answer.network


def open_database(path: str | Path) -> GeoIPDatabase:
    """Open one MaxMind DB file and read its provenance.

    Raises:
        ForensicsError: missing or unreadable file.
        CorruptInputError: not a MaxMind DB, damaged, or of a kind enrichment
            does not use.
    """
    path = Path(path)
    if not path.exists():
        raise ForensicsError(f"GeoIP database not found: {path}")
    if not path.is_file():
        raise ForensicsError(f"GeoIP database is not a file: {path}")
    try:
        sha256 = sha256_of(path)
    except OSError as exc:
        raise ForensicsError(f"cannot read GeoIP database {path}: {exc.strerror}") from None
    try:
        reader = geoip2.database.Reader(str(path), mode=maxminddb.MODE_AUTO)
        meta = reader.metadata()
        database_type = str(meta.database_type)
        build_epoch = int(meta.build_epoch) if meta.build_epoch is not None else None
        ip_version = int(meta.ip_version) if meta.ip_version is not None else None
        descriptions = meta.description or {}
    except (maxminddb.InvalidDatabaseError, ValueError, TypeError, KeyError, OSError, RuntimeError) as exc:
        raise CorruptInputError(f"{path} is not a readable MaxMind DB file ({exc})") from None
    for needle, method, families in KINDS:
        if needle in database_type:
            break
    else:
        reader.close()
        known = ", ".join(needle for needle, _, _ in KINDS)
        raise CorruptInputError(
            f"{path}: database type {database_type!r} (from its metadata) is not one enrichment reads "
            f"(types containing: {known})"
        )
    description = descriptions.get("en") if isinstance(descriptions, dict) else None
    return GeoIPDatabase(
        path=path,
        database_type=database_type,
        build_epoch=build_epoch,
        sha256=sha256,
        ip_version=ip_version,
        description=description,
        method=method,
        families=families,
        reader=reader,
    )


def open_databases(paths) -> list[GeoIPDatabase]:
    """Open every file; on any failure close the opened ones and raise.

    A file given twice (same SHA-256) is used once.
    """
    opened: list[GeoIPDatabase] = []
    try:
        for path in paths:
            db = open_database(path)
            if any(other.sha256 == db.sha256 for other in opened):
                db.close()
                continue
            opened.append(db)
    except BaseException:
        for db in opened:
            db.close()
        raise
    return opened


def family_sources(databases: list[GeoIPDatabase]) -> dict[str, list[GeoIPDatabase]]:
    """Per family, the databases that answer it, most specialised first."""
    sources: dict[str, list[GeoIPDatabase]] = {}
    for family in FAMILIES:
        ranked = [db for db in databases if family in db.families]
        ranked.sort(key=lambda db: PRECEDENCE[family].index(db.method))  # stable: given order breaks ties
        if ranked:
            sources[family] = ranked
    return sources


def _network_text(network) -> str | None:
    return str(network) if network is not None else None


def family_values(family: str, answer) -> dict | None:
    """The ip_info columns of ``family`` from one geoip2 model, or None if it says nothing."""
    if answer is None:
        return None
    if family == "asn":
        asn = getattr(answer, "autonomous_system_number", None)
        org = getattr(answer, "autonomous_system_organization", None)
        if asn is None and hasattr(answer, "traits"):
            asn = answer.traits.autonomous_system_number
            org = answer.traits.autonomous_system_organization
        if asn is None and org is None:
            return None
        return {"asn": asn, "as_org": org, "asn_network": _network_text(_network_of(answer))}
    if family == "isp":
        holder = answer.traits if hasattr(answer, "traits") else answer
        isp, org = holder.isp, holder.organization
        if isp is None and org is None:
            return None
        return {"isp": isp, "organization": org, "isp_network": _network_text(_network_of(answer))}
    if family == "geo":
        country, city, location = answer.country, getattr(answer, "city", None), getattr(answer, "location", None)
        values = {
            "country_iso": country.iso_code,
            "country_name": country.name,
            "city": city.name if city is not None else None,
            "latitude": location.latitude if location is not None else None,
            "longitude": location.longitude if location is not None else None,
            "accuracy_radius": location.accuracy_radius if location is not None else None,
            "time_zone": location.time_zone if location is not None else None,
        }
        if all(v is None for v in values.values()):
            return None
        values["geo_network"] = _network_text(_network_of(answer))
        return values
    if family == "anon":
        flags = (answer.is_anonymous, answer.is_anonymous_vpn, answer.is_hosting_provider,
                 answer.is_tor_exit_node, answer.is_public_proxy, getattr(answer, "is_residential_proxy", False))
        if not any(flags):
            return None  # an empty record: the address is not listed as anonymous
        return {
            "is_anonymous": bool(answer.is_anonymous),
            "is_anonymous_vpn": bool(answer.is_anonymous_vpn),
            "is_hosting_provider": bool(answer.is_hosting_provider),
            "is_tor_exit_node": bool(answer.is_tor_exit_node),
            "is_public_proxy": bool(answer.is_public_proxy),
            "is_residential_proxy": bool(getattr(answer, "is_residential_proxy", False)),
            "anon_network": _network_text(_network_of(answer)),
        }
    raise ValueError(family)
