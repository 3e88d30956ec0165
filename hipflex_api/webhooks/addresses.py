"""Where a webhook may be sent (SSRF rules): https to a host whose every address is public,
checked at registration and again at each try, after DNS resolution; the try then connects to
the address checked, so a name that resolves elsewhere a moment later cannot redirect it, and
redirects are never followed. The development profile may also allow http to loopback
(WEBHOOK_ALLOW_LOOPBACK) for a receiver on the developer's own machine."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from hipflex_api.domain_errors import InvalidInput

_LOOPBACK_NAMES = {"localhost"}


class UnsafeURL(InvalidInput):
    code = "unsafe_url"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


class Unresolved(UnsafeURL):
    """The host has no address now: refused at registration, a failed try at delivery."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # As the URL names it: the Host header and the certificate's name.
    address: str  # The address checked, which the try connects to.
    port: int
    path: str


def _loopback_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_LOOPBACK)


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip.is_loopback:
        return None if _loopback_allowed() else "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_private or not ip.is_global:
        return "a private or reserved address"
    if ip.is_multicast:
        return "a multicast address"
    return None


def _addresses(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(f"The URL's host `{host}` does not resolve to an address.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def checked(url: str) -> Target:
    """The URL's target, if every address its host resolves to may be sent to; else
    UnsafeURL naming why."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL may not hold a user name or password.")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and _loopback_allowed() and _is_loopback_name(host)
    ):
        raise UnsafeURL("The URL must use https.")
    if not host:
        raise UnsafeURL("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL("The URL's port is not a number from 1 to 65535.") from exc
    addresses = _addresses(host, port)
    for address in addresses:
        why = _refusal(ipaddress.ip_address(address.split("%")[0]))
        if why is not None:
            raise UnsafeURL(f"The URL's host `{host}` resolves to {why}: {address}.")
    path = parts.path or "/"
    return Target(
        parts.scheme, host, addresses[0], port, path + (f"?{parts.query}" if parts.query else "")
    )


def _is_loopback_name(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
