"""Normalising values that must compare equal across sources.

An address is written `::ffff:192.0.2.1` by one daemon and `192.0.2.1` by
another, `2001:0db8::0001` here and `2001:db8::1` there.  Every event's `ip`
goes through `normalize_ip` (the engine applies it to all formats), so a
query on one address finds it in every log.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=65536)
def normalize_ip(text: str | None) -> str | None:
    """Canonical text of an address; anything that is not one is kept as is.

    IPv4-mapped IPv6 becomes IPv4; IPv6 is written compressed and lower-case
    (RFC 5952).  `-` and the empty string become None (no address logged).

    >>> normalize_ip("::FFFF:192.0.2.7"), normalize_ip("2001:0db8:0000::0001")
    ('192.0.2.7', '2001:db8::1')
    """
    if text is None:
        return None
    value = text.strip()
    if value in ("", "-"):
        return None
    candidate = value
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        addr = ipaddress.ip_address(candidate)
    except ValueError:
        return value  # a host name or garbage: evidence, kept verbatim
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)
