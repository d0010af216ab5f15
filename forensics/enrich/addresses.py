"""Facts about an IP address that need no database: version, flags, prefix.

The prefix is what the investigation compares when no ISP data exists:
home connections get re-assigned addresses inside the same /24 (IPv4) or
/48 (IPv6); the lengths come from ``[enrich]`` in thresholds.toml.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IPAddress | None:
    """The address in ``text``, IPv4-mapped IPv6 folded to IPv4; None if invalid."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# IPv4 /24 blocks that contain special-purpose networks smaller than a /24
# (192.0.0.0/29, 192.0.0.170/31, 255.255.255.255/32, ...): inside them the
# flags differ from address to address.  Every other /24 lies wholly inside
# or wholly outside each private/reserved/loopback network, so its flags
# can be computed once per block (tests/test_enrich_addresses.py checks
# this against ipaddress).
_MIXED_V4_BLOCKS = frozenset({int(ipaddress.IPv4Address("192.0.0.0")) >> 8, int(ipaddress.IPv4Address("255.255.255.0")) >> 8})


def address_flags(address: IPAddress, memo: dict | None = None) -> tuple[bool, bool, bool]:
    """``(is_private, is_reserved, is_loopback)`` as ipaddress defines them.

    Args:
        address: the address.
        memo: optional dict shared across calls; IPv4 flags are then computed
            once per /24 block (the flag checks dominate enrichment time).
    """
    if memo is not None and address.version == 4:
        block = int(address) >> 8
        if block not in _MIXED_V4_BLOCKS:
            flags = memo.get(block)
            if flags is None:
                flags = memo[block] = (address.is_private, address.is_reserved, address.is_loopback)
            return flags
    return address.is_private, address.is_reserved, address.is_loopback


def prefix_of(address: IPAddress, ipv4_prefix: int = 24, ipv6_prefix: int = 48) -> str:
    """``"81.2.69.0/24"`` for 81.2.69.142 (host bits cleared)."""
    if address.version == 4:
        shift = 32 - ipv4_prefix
        network = (int(address) >> shift << shift).to_bytes(4, "big")
        return f"{network[0]}.{network[1]}.{network[2]}.{network[3]}/{ipv4_prefix}"
    shift = 128 - ipv6_prefix
    return f"{ipaddress.IPv6Address(int(address) >> shift << shift)}/{ipv6_prefix}"


def ip_facts(
    text: str,
    ipv4_prefix: int = 24,
    ipv6_prefix: int = 48,
    *,
    memo: dict | None = None,
    address: IPAddress | None = None,
) -> dict:
    """The database-free columns of an ``ip_info`` row.

    Args:
        text: the address as stored in ``events.ip``.
        ipv4_prefix: prefix length for IPv4 ("same range").
        ipv6_prefix: prefix length for IPv6.
        memo: optional dict shared across calls (see `address_flags`).
        address: ``text`` already parsed by `parse_address` (saves a parse).

    Returns:
        ``ip``, ``address`` (canonical form), ``ip_version``, ``is_valid``,
        ``is_private``, ``is_reserved``, ``is_loopback``, ``prefix``; for an
        invalid string only ``ip`` and ``is_valid=False`` carry values.

    Example:
        >>> ip_facts("81.2.69.142")["prefix"]
        '81.2.69.0/24'
    """
    if address is None:
        address = parse_address(text)
    if address is None:
        return {
            "ip": text,
            "address": None,
            "ip_version": None,
            "is_valid": False,
            "is_private": None,
            "is_reserved": None,
            "is_loopback": None,
            "prefix": None,
        }
    private, reserved, loopback = address_flags(address, memo)
    return {
        "ip": text,
        # ipaddress accepts only canonical dotted quads (no leading zeros), so
        # an IPv4 string it parsed is already its canonical form.
        "address": text if address.version == 4 and "." in text and ":" not in text else str(address),
        "ip_version": address.version,
        "is_valid": True,
        "is_private": private,
        "is_reserved": reserved,
        "is_loopback": loopback,
        "prefix": prefix_of(address, ipv4_prefix, ipv6_prefix),
    }
