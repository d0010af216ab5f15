"""Address facts without a database: validity, flags, prefixes."""

from __future__ import annotations

import ipaddress
import random

import pytest

from forensics.enrich import ip_facts
from forensics.enrich.addresses import address_flags


def test_public_ipv4():
    assert ip_facts("81.2.69.142") == {
        "ip": "81.2.69.142",
        "address": "81.2.69.142",
        "ip_version": 4,
        "is_valid": True,
        "is_private": False,
        "is_reserved": False,
        "is_loopback": False,
        "prefix": "81.2.69.0/24",
    }


@pytest.mark.parametrize(
    "text,address,version,private,reserved,loopback,prefix",
    [
        ("10.1.2.3", "10.1.2.3", 4, True, False, False, "10.1.2.0/24"),
        ("127.0.0.1", "127.0.0.1", 4, True, False, True, "127.0.0.0/24"),
        ("240.0.0.1", "240.0.0.1", 4, True, True, False, "240.0.0.0/24"),
        ("2001:db8:1:2::5", "2001:db8:1:2::5", 6, True, False, False, "2001:db8:1::/48"),
        ("2a02:8108:1:2:3::1", "2a02:8108:1:2:3::1", 6, False, False, False, "2a02:8108:1::/48"),
        ("::1", "::1", 6, True, True, True, "::/48"),  # ::/8 is IETF-reserved too
        # IPv4-mapped IPv6 is the IPv4 address (its prefix is the /24)
        ("::ffff:81.2.69.142", "81.2.69.142", 4, False, False, False, "81.2.69.0/24"),
    ],
)
def test_flags_and_prefixes(text, address, version, private, reserved, loopback, prefix):
    facts = ip_facts(text)
    assert facts["ip"] == text  # the join key stays as stored in events
    assert (facts["address"], facts["ip_version"]) == (address, version)
    assert (facts["is_private"], facts["is_reserved"], facts["is_loopback"]) == (private, reserved, loopback)
    assert facts["prefix"] == prefix


def test_prefix_lengths_are_configurable():
    assert ip_facts("81.2.69.142", ipv4_prefix=16)["prefix"] == "81.2.0.0/16"
    assert ip_facts("2a02:8108:1:2:3::1", ipv6_prefix=64)["prefix"] == "2a02:8108:1:2::/64"


@pytest.mark.parametrize("text", ["-", "", "unknown", "999.1.1.1", "1.2.3", "example.com", "1.2.3.4 "])
def test_invalid_strings_are_marked_not_enriched(text):
    facts = ip_facts(text)
    assert facts["is_valid"] is False
    assert facts["ip"] == text
    assert all(facts[k] is None for k in ("address", "ip_version", "is_private", "prefix"))


def test_per_block_flag_memo_agrees_with_ipaddress():
    """The /24 memo must never change a flag (checked around every special range)."""
    rng = random.Random(3)
    special = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.0/24",
    ]
    addresses = [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(3000)]
    for text in special:
        network = ipaddress.ip_network(text)
        first, last = int(network.network_address), int(network.broadcast_address)
        for value in (first - 1, first, first + 1, first + 9, first + 170, last - 1, last, last + 1):
            if 0 <= value < 2**32:
                addresses.append(ipaddress.IPv4Address(value))
    addresses += [ipaddress.IPv4Address(f"192.0.0.{i}") for i in range(256)]
    memo: dict = {}
    rng.shuffle(addresses)
    for address in addresses:
        expected = (address.is_private, address.is_reserved, address.is_loopback)
        assert address_flags(address, memo) == expected, address
