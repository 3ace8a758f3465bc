"""The outbound-URL guard: which webhook URLs we may call, and the one address we call them at.

A URL passes when it is http(s), its host resolves (once) to addresses that are all public, and it
carries no credentials. The caller then connects to the pinned address (never resolving again, so DNS
rebinding cannot switch it) and never follows a redirect.

Numeric host forms that `inet_aton` accepts (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) are
decoded here rather than left to the resolver, and IPv6 addresses that embed an IPv4 one (mapped,
6to4, NAT64, IPv4-compatible) are judged by the embedded address as well.

`allow_private` (the admin switch NOTIFY_ALLOW_PRIVATE_TARGETS) opens loopback and private ranges, for
chat servers on the company network; link-local (cloud metadata), multicast, unspecified, reserved
and known metadata addresses stay refused whatever the switch says.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

# Metadata services that sit outside link-local (AWS IPv6, Alibaba Cloud, Oracle/others use 169.254/16).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200"))
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
ZERO_NET = ipaddress.ip_network("0.0.0.0/8")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
MAX_URL_LENGTH = 2048


class TargetRefused(ValueError):
    """The URL may not be called. The message says why, for the admin page and the CLI."""


@dataclass(frozen=True)
class PinnedTarget:
    scheme: str
    host: str  # as the URL names it (IDNA-encoded): Host header and TLS server name
    port: int
    address: str  # the resolved address we connect to
    request_target: str  # path and query
    host_header: str


@dataclass(frozen=True)
class Guard:
    allow_private: bool = False
    # Test seams: exact addresses allowed even when private, and a resolver standing in for DNS.
    allow_addresses: frozenset[str] = field(default_factory=frozenset)
    resolver: Resolver | None = None

    def pin(self, url: str) -> PinnedTarget:
        scheme, host, port, request_target = split_url(url)
        addresses = _numeric_host(host)
        if addresses is None:
            addresses = self._resolve(host, port)
        chosen = None
        for addr in addresses:
            reason = refusal(addr, allow_private=self.allow_private or str(addr) in self.allow_addresses)
            if reason:
                # Every address must pass: a name resolving to one public and one private address is refused.
                raise TargetRefused(f"{host} resolves to {addr}, {reason}; refused")
            chosen = chosen or addr
        if chosen is None:
            raise TargetRefused(f"{host} does not resolve to any address")
        mapped = getattr(chosen, "ipv4_mapped", None)
        connect_to = str(mapped or chosen)
        default_port = 443 if scheme == "https" else 80
        bracketed = f"[{host}]" if ":" in host else host
        host_header = bracketed if port == default_port else f"{bracketed}:{port}"
        return PinnedTarget(scheme, host, port, connect_to, request_target, host_header)

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            if self.resolver is not None:
                raw = list(self.resolver(host, port))
            else:
                raw = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        except (OSError, UnicodeError) as exc:
            raise TargetRefused(f"{host} could not be resolved ({exc})") from exc
        out: list[IPAddress] = []
        for item in raw:
            try:
                addr = ipaddress.ip_address(str(item).split("%", 1)[0])
            except ValueError as exc:
                raise TargetRefused(f"{host} resolved to an unusable address {item!r}") from exc
            if addr not in out:
                out.append(addr)
        return out


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) of an http(s) URL without credentials, or TargetRefused."""
    if not isinstance(url, str) or not url.strip():
        raise TargetRefused("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise TargetRefused("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"the URL is malformed ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused(f"only http and https URLs are allowed, not {scheme or 'a relative URL'}")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("user names and passwords in the URL are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("the URL has no host")
    if "%" in host:
        raise TargetRefused("scoped IPv6 addresses are not allowed")
    if ":" not in host:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise TargetRefused(f"the host name {host!r} is not valid") from exc
    if port == 0:
        raise TargetRefused("port 0 is not allowed")
    port = port or (443 if scheme == "https" else 80)
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host.lower(), port, request_target


def _numeric_host(host: str) -> list[IPAddress] | None:
    """The address of an IP literal, including the inet_aton forms; None for a host name."""
    if ":" in host:
        try:
            return [ipaddress.IPv6Address(host)]
        except ValueError as exc:
            raise TargetRefused(f"{host!r} is not a valid IPv6 address") from exc
    parts = host.split(".")
    if not all(_NUMERIC_PART.match(p) for p in parts):
        return None  # a name (a trailing label like "com" is never numeric)
    values = []
    for p in parts:
        if p.lower().startswith("0x"):
            values.append(int(p[2:] or "0", 16))
        elif len(p) > 1 and p.startswith("0"):
            if not set(p) <= set("01234567"):
                raise TargetRefused(f"{host!r} is not a valid address")
            values.append(int(p, 8))
        else:
            values.append(int(p))
    if len(values) > 4:
        raise TargetRefused(f"{host!r} is not a valid address")
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        raise TargetRefused(f"{host!r} is not a valid address")
    number = 0
    for i, v in enumerate(head):
        number |= v << (24 - 8 * i)
    return [ipaddress.IPv4Address(number | last)]


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped:
        return addr.ipv4_mapped
    if addr.sixtofour:
        return addr.sixtofour
    if addr.teredo:
        return addr.teredo[1]
    if any(addr in net for net in NAT64) or (addr in IPV4_COMPATIBLE and int(addr) > 1):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def refusal(addr: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why `addr` may not be called (None: it may)."""
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_ipv4(addr)
        if inner is not None:
            reason = refusal(inner, allow_private=allow_private)
            if reason:
                return f"which embeds {inner}, {reason}"
            if addr.ipv4_mapped:
                return None  # ::ffff:a.b.c.d is a.b.c.d
    if addr.is_unspecified or (isinstance(addr, ipaddress.IPv4Address) and addr in ZERO_NET):
        return "an unspecified address"
    if addr.is_multicast:
        return "a multicast address"
    if addr.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if addr in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if addr.is_loopback:
        return None if allow_private else "a loopback address"
    if isinstance(addr, ipaddress.IPv4Address) and addr.is_reserved:
        return "a reserved address"
    if addr.is_private or not addr.is_global:
        if allow_private:
            return None
        return "a private or reserved address"
    if addr.is_reserved:
        return "a reserved address"
    return None
