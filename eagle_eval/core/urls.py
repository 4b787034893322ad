"""URLs that carry secrets: what may be recorded of them, and where a secret may be sent.

Anything that writes a URL (results.json, judge caches, error messages, the recorded command) passes
it through `redact_url`: `http://user:KEY@host/v1?api_key=K` is recorded as `http://host/v1?api_key=***`.
A key goes over plain http only to this machine (`check_secret_transport`); anywhere else it would
cross the network readable by anyone on the path.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "***"
# Query parameters that hold credentials in common APIs (Azure `api-key`, `sig`, `token`, ...).
_SECRET_PARAMETER = re.compile(r"(key|token|secret|password|passwd|sig|signature|auth|credential)", re.I)
# A scheme of at most 32 characters: an unbounded one makes a long run of letters take quadratic time.
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s'\"<>]+")


class InsecureURLError(ValueError):
    """A secret would be sent in the clear; the message names the URL (redacted) and the fix."""


def redact_url(url: str) -> str:
    """`url` without user name, password or secret-looking query values; anything else unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAMETER.search(name) for name, _ in pairs):
            pairs = [(name, REDACTED if _SECRET_PARAMETER.search(name) else value) for name, value in pairs]
            query = urlencode(pairs, safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_urls_in_text(text: str) -> str:
    """Every URL inside free text (a command line, an error message) passed through `redact_url`."""
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def url_secrets(url: str) -> list[str]:
    """The secrets a URL carries: its user name and password, and secret-looking query values, each as
    written and decoded (a server may echo either form), and the Basic authorization token an HTTP
    client makes of the user name and password (a server may echo the header)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        found.extend(part for part in userinfo.split(":", 1) if part)
        user, _, password = (unquote(part) for part in userinfo.partition(":"))
        found.append(base64.b64encode(f"{user}:{password}".encode()).decode())
    raw_pairs = (pair.partition("=") for pair in parts.query.split("&") if pair)
    found.extend(value for name, _, value in raw_pairs if value and _SECRET_PARAMETER.search(unquote(name)))
    return sorted({form for secret in found for form in (secret, unquote(secret))}, key=len, reverse=True)


def redact_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every URL redacted (`redact_urls_in_text`) and every occurrence of each secret replaced
    by `***`, longest first, so no part of a longer secret survives a shorter one's replacement."""
    return replace_secrets(redact_urls_in_text(text), secrets)


def replace_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret replaced by `***`, longest first; nothing else changed."""
    for secret in sorted({secret for secret in secrets if secret}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return "@" in parts.netloc or redact_url(url) != url


def is_loopback(url: str) -> bool:
    """True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_secret_transport(url: str, what: str, sends_secret: bool) -> None:
    """Refuse a URL that would send a secret over plain http to another machine."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise InsecureURLError(f"{what} {redact_url(url)!r} must start with https:// (or http:// for this machine)")
    if scheme == "http" and (sends_secret or has_credentials(url)) and not is_loopback(url):
        raise InsecureURLError(
            f"{what} {redact_url(url)!r} is plain http to another machine, so the API key would cross the "
            "network unencrypted; use https://, or http:// only to localhost / 127.0.0.1"
        )
