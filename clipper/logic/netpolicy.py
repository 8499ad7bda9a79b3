"""Which network addresses Clipper may connect to (the SSRF guard's decision).

A feed, a redirect or an article link may point at an internal service: the cloud metadata
address, a database on localhost, a router. Only globally routable unicast addresses are
allowed, unless an address falls in one of the configured ``fetch.allow_private_networks``.
IPv4 addresses carried inside IPv6 (IPv4-mapped, 6to4, NAT64) are judged by the IPv4 address.

Does not resolve names or connect: the retriever resolves, asks here, and connects only to an
address this module allowed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from enum import Enum

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refusal(Enum):
    """Why an address may not be connected to; the value reads well in a message."""

    LOOPBACK = "a loopback address"
    LINK_LOCAL = "a link-local address"
    PRIVATE = "a private-network address"
    MULTICAST = "a multicast address"
    RESERVED = "a reserved address"
    UNSPECIFIED = "the unspecified address"
    NOT_GLOBAL = "not a globally routable address"


def parse_network(value: object) -> Network:
    """Return the network of a CIDR such as ``10.0.0.0/8`` or ``fd00::/8`` (a bare address is a
    single-host network). Does not accept host bits beyond the prefix (``10.0.0.1/8``).

    Raises:
        ValueError: not a CIDR, with a message naming the value.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a network in CIDR form such as 10.0.0.0/8, got {value!r}")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(
            f"expected a network in CIDR form such as 10.0.0.0/8, got {value!r} ({exc})"
        ) from None


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), else None."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _classify(address: Address) -> Refusal | None:
    if address.is_unspecified:
        return Refusal.UNSPECIFIED
    if address.is_loopback:
        return Refusal.LOOPBACK
    if address.is_link_local:
        return Refusal.LINK_LOCAL
    if address.is_multicast:
        return Refusal.MULTICAST
    if address.is_reserved:
        return Refusal.RESERVED
    if address.is_private:
        return Refusal.PRIVATE
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return Refusal.PRIVATE
    if not address.is_global:
        return Refusal.NOT_GLOBAL
    return None


def refusal(address: Address, allowed: Iterable[Network] = ()) -> Refusal | None:
    """Return why ``address`` must not be connected to, or None when it may be.

    An address inside one of the ``allowed`` networks is always allowed; otherwise it must be
    globally routable unicast (for IPv6 that carries IPv4: the IPv4 address must be).
    Does not look at host names: only at the address that will actually be connected.
    """
    inner = embedded_ipv4(address)
    for network in allowed:
        if address.version == network.version and address in network:
            return None
        if inner is not None and network.version == 4 and inner in network:
            return None
    # the IPv6 prefixes that carry IPv4 are themselves "reserved": the IPv4 address decides
    return _classify(inner if inner is not None else address)


def parse_address(text: str) -> Address | None:
    """Return the address written in ``text`` (a URL host, brackets and zone allowed), or None
    when it is a name. Does not resolve names."""
    host = text.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
