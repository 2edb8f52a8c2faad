"""The SSRF guard: connectors may not reach loopback, private or other non-public addresses.

Kibana's ``allowedHosts: ["*"]`` lets a connector reach anything, the cloud metadata service
at 169.254.169.254 included. With ``actions.ssrfProtection`` on (the default), an address that is
not public is refused unless the URL's host is listed *by name* in ``allowedHosts`` (``*`` does
not count). The check runs on the addresses the connection really uses: the name is resolved
once, each address is classified, and the socket connects to that same address, so a DNS answer
that changes between check and connect (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Any

from urllib3.util.connection import _set_socket_options, allowed_gai_family

from actions_core._net.errors import AddressNotAllowedError

__all__ = [
    "AddressGuard",
    "AddressNotAllowedError",
    "non_public_reason",
    "parse_ip",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges that are not public (IANA special-purpose registry), with what they are.
_IPV4_BLOCKS: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "'this network' (unspecified)"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared address space (carrier-grade NAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local (cloud metadata service)"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "IETF protocol assignments"),
    (_V4("192.0.2.0/24"), "documentation (TEST-NET-1)"),
    (_V4("192.88.99.0/24"), "6to4 relay anycast"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation (TEST-NET-2)"),
    (_V4("203.0.113.0/24"), "documentation (TEST-NET-3)"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

#: IPv6 ranges that are not public. Ranges that embed an IPv4 address are handled apart.
_IPV6_BLOCKS: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "IPv4-compatible (deprecated)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64"),
    (_V6("100::/64"), "discard-only"),
    (_V6("2001::/32"), "Teredo tunnelling"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("2001::/23"), "IETF protocol assignments"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("fc00::/7"), "unique local (private)"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (deprecated)"),
    (_V6("ff00::/8"), "multicast"),
)
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")


def parse_ip(host: str | None) -> IPAddress | None:
    """``host`` as an IP address (brackets and an IPv6 zone allowed), or ``None`` for a name.

    IPv4 is read as resolvers and browsers read it (``inet_aton``, the WHATWG URL parser), not
    only in dotted-quad: ``127.1``, ``2130706433``, ``0x7f000001`` and ``0177.0.0.1`` are all
    127.0.0.1, since that is where a connection to them goes.
    """
    if not host:
        return None
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    parts = text.lower().split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot, as in a fully qualified name
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if re.fullmatch(r"0x[0-9a-f]*", part):
            numbers.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]+", part):
            numbers.append(int(part, 8))
        elif re.fullmatch(r"0|[1-9][0-9]*", part):
            numbers.append(int(part))
        else:
            return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def non_public_reason(address: IPAddress | str) -> str | None:
    """Why ``address`` is not public (e.g. ``"loopback"``), or ``None`` if it is public.

    IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
    ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::``) are judged by that IPv4 address.
    """
    ip = parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        raise ValueError(f"{address!r} is not an IP address")
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = non_public_reason(embedded)
            return f"{reason}, as IPv4 {embedded} inside IPv6" if reason else None
        blocks: Iterable[tuple[Any, str]] = _IPV6_BLOCKS
    else:
        blocks = _IPV4_BLOCKS
    for network, reason in blocks:
        if ip in network:
            return reason
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def is_localhost_name(host: str) -> bool:
    """``localhost`` and ``*.localhost`` always mean this machine (RFC 6761)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


class AddressGuard:
    """Resolves, classifies and connects; the one place a guarded socket is opened.

    ``exempt_hosts`` are the hosts listed by name in ``allowedHosts``: their addresses are not
    classified (an operator who lists ``localhost`` or ``billing.internal`` means it).
    """

    def __init__(self, exempt_hosts: Iterable[str]) -> None:
        self.exempt_hosts = frozenset(normalize_host(h) for h in exempt_hosts)

    def is_exempt(self, host: str) -> bool:
        return normalize_host(host) in self.exempt_hosts

    def refusal(self, host: str, address: IPAddress) -> AddressNotAllowedError | None:
        """The error for connecting to ``address`` on behalf of ``host``, if it is refused."""
        if self.is_exempt(host):
            return None
        reason = non_public_reason(address)
        if reason is None:
            return None
        return refused(host, address, reason)

    def check_literal(self, host: str) -> None:
        """Refuse, without any lookup, a host that is a non-public IP literal or ``localhost``."""
        if self.is_exempt(host):
            return
        ip = parse_ip(host)
        if ip is not None:
            error = self.refusal(host, ip)
            if error is not None:
                raise error
        elif is_localhost_name(host):
            raise refused(host, None, "loopback")

    def check_resolved(self, host: str, port: int) -> None:
        """Refuse ``host`` if any address it resolves to is non-public (for proxied requests,
        where the proxy makes the connection). A name that does not resolve here is left to the
        proxy, which may see a DNS this machine does not."""
        self.check_literal(host)
        if self.is_exempt(host) or parse_ip(host) is not None:
            return
        try:
            infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        self.check_all(host, infos)

    def check_all(self, host: str, infos: Iterable[tuple[Any, ...]]) -> None:
        """Raise the refusal of the first non-public address among ``getaddrinfo`` results."""
        for info in infos:
            error = self.refusal(host, _sockaddr_ip(info[4]))
            if error is not None:
                raise error

    def screen(
        self, host: str, infos: Iterable[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], AddressNotAllowedError | None]:
        """The ``getaddrinfo`` results a connection to ``host`` may use, in order, and the
        first refusal among the others. Both transports (the synchronous :meth:`connect` and
        the asyncio one in :mod:`.aclient`) connect only to addresses this returned."""
        allowed: list[tuple[Any, ...]] = []
        refusal: AddressNotAllowedError | None = None
        for info in infos:
            error = self.refusal(host, _sockaddr_ip(info[4]))
            if error is None:
                allowed.append(info)
            elif refusal is None:
                refusal = error
        return allowed, refusal

    def connect(
        self,
        host: str,
        port: int,
        timeout: float | None,
        source_address: tuple[str, int] | None = None,
        socket_options: Any = None,
    ) -> socket.socket:
        """Like ``socket.create_connection``, skipping (never touching) refused addresses.

        Raises :class:`AddressNotAllowedError` when every address is refused, the last
        ``OSError`` when the allowed ones all fail, and ``socket.gaierror`` when ``host`` does
        not resolve.
        """
        self.check_literal(host)
        name = host.strip("[]")
        last_error: OSError | None = None
        allowed, refusal = self.screen(
            host, socket.getaddrinfo(name, port, allowed_gai_family(), socket.SOCK_STREAM)
        )
        for family, socktype, proto, _, sockaddr in allowed:
            sock = socket.socket(family, socktype, proto)
            try:
                _set_socket_options(sock, socket_options)
                sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as err:
                last_error = err
                sock.close()
                continue
            except BaseException:
                sock.close()
                raise
            return sock
        if last_error is not None:
            raise last_error
        if refusal is not None:
            raise refusal
        raise OSError(f"getaddrinfo returned no addresses for {host!r}")


def normalize_host(host: str) -> str:
    """The form hosts are compared in: lower case, no brackets or trailing dot, and a non-ASCII
    name IDNA-encoded as requests sends it (``bücher.example`` → ``xn--bcher-kva.example``), so
    a host listed in Unicode matches the URL requests prepares."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if not name.isascii():
        import idna  # requests' own dependency, for the same encoding; rarely needed

        with contextlib.suppress(UnicodeError):  # invalid: requests refuses the URL anyway
            name = idna.encode(name, uts46=True).decode("ascii")
    return name


def refused(host: str, address: IPAddress | None, reason: str) -> AddressNotAllowedError:
    literal = address is None or parse_ip(host) == address
    where = "is" if literal else f"resolves to {address},"
    return AddressNotAllowedError(
        f'target host "{host}" {where} a non-public address ({reason}), which '
        "actions.ssrfProtection refuses; list the host by name in actions.allowedHosts to "
        "allow it"
    )


def _sockaddr_ip(sockaddr: tuple[Any, ...]) -> IPAddress:
    return ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
