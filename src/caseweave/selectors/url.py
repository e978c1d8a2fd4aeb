"""URLs and bare domains: lowercase scheme and host, IDNA host, no default port, no fragment."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from caseweave.selectors.base import InvalidSelector, Normalised, SelectorExample, SelectorType
from caseweave.selectors.domains import normalise_domain

_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
_ONION_LABEL = re.compile(r"[a-z2-7]{56}|[a-z2-7]{16}")  # v3 (56) and legacy v2 (16) service names
_HOST_PORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>.*))?")


class UrlSelector(SelectorType):
    name = "url"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in text):
            raise self._invalid(f"URL {text!r} contains whitespace or control characters")
        if "://" not in text:
            return self._bare_domain(text)
        try:
            parts = urlsplit(text)
        except ValueError as error:
            raise self._invalid(f"{text!r} is not a URL: {error}") from error
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise self._invalid(
                f"URL {text!r} has scheme {scheme!r}", hint=f"supported schemes: {', '.join(_DEFAULT_PORTS)}"
            )
        userinfo, at, host_port = parts.netloc.rpartition("@")
        match = _HOST_PORT.fullmatch(host_port)
        if match is None or not match["host"]:
            raise self._invalid(f"URL {text!r} has no host")
        host, flags = self._host(match["host"], text)
        port = self._port(match["port"], scheme, text)
        path = parts.path or "/"  # RFC 3986 §6.2.3: an empty path means "/" for http(s) and ftp
        query = f"?{parts.query}" if parts.query else ""
        value = f"{scheme}://{userinfo}{at}{host}{port}{path}{query}"
        return Normalised(value, flags)

    def _bare_domain(self, text: str) -> Normalised:
        if any(char in text for char in "/?#@:"):
            raise self._invalid(
                f"{text!r} is neither a domain nor a URL with a scheme",
                hint="write it as a full URL, e.g. https://example.com/path",
            )
        domain = normalise_domain(text, field=self.name)
        return Normalised(domain, frozenset({"domain"} | self._onion_flags(domain, text)))

    def _host(self, host: str, text: str) -> tuple[str, frozenset[str]]:
        if host.startswith("["):
            try:
                address = ipaddress.IPv6Address(host[1:-1])
            except ValueError as error:
                raise self._invalid(f"URL {text!r} has an invalid IPv6 host: {error}") from error
            if address.scope_id:
                raise self._invalid(f"URL {text!r} has an IPv6 zone index, which names no public host")
            return f"[{address}]", frozenset({"ip"})
        try:
            return str(ipaddress.IPv4Address(host)), frozenset({"ip"})
        except ValueError:
            pass
        try:
            domain = normalise_domain(host, field=self.name)
        except InvalidSelector as error:
            raise self._invalid(f"URL {text!r}: {error.message}", hint=error.hint) from error
        return domain, self._onion_flags(domain, text)

    def _onion_flags(self, domain: str, text: str) -> frozenset[str]:
        if not domain.endswith(".onion"):
            return frozenset()
        if not _ONION_LABEL.fullmatch(domain.split(".")[-2]):
            raise self._invalid(
                f"{text!r} does not name an onion service (56 base32 characters before .onion)"
            )
        return frozenset({"onion"})

    def _port(self, port_text: str | None, scheme: str, text: str) -> str:
        if not port_text:  # "host:" with an empty port means the default one
            return ""
        if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
            raise self._invalid(f"URL {text!r} has an invalid port {port_text!r}")
        port = int(port_text)
        return "" if port == _DEFAULT_PORTS[scheme] else f":{port}"

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
        return [
            SelectorExample("HTTPS://Example.COM:443/Path?Q=1#frag", "https://example.com/Path?Q=1"),
            SelectorExample("http://example.com", "http://example.com/"),
            SelectorExample("http://Bücher.example:8080/a", "http://xn--bcher-kva.example:8080/a"),
            SelectorExample("Example.COM", "example.com", flags=frozenset({"domain"})),
            SelectorExample(f"http://{onion}/", f"http://{onion}/", flags=frozenset({"onion"})),
            SelectorExample("ftp://[2001:DB8::1]:21/pub", "ftp://[2001:db8::1]/pub", flags=frozenset({"ip"})),
            SelectorExample("http://192.0.2.1:8080/x", "http://192.0.2.1:8080/x", flags=frozenset({"ip"})),
            SelectorExample("javascript://alert(1)", None),
            SelectorExample("http:///path-only", None),
            SelectorExample("http://example.com/a b", None),
            SelectorExample("example.com/path", None),
            SelectorExample("http://example.com:99999/", None),
            SelectorExample("http://abc.onion/", None),
        ]
