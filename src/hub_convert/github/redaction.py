"""Keep credentials carried in URLs out of the log: redaction of query strings, values to mask.

A signed blob URL (Azure SAS) carries its credential in the query string: ``sig=`` and the
fields it signs. Error messages repeat URLs in many shapes: with a scheme, without one
(``blob.core.windows.net/c/x.zip?sig=…``, ``host:8080/path?token=…``), as a bare path
(requests' ``Max retries exceeded with url: /c/x.zip?sig=…``) or percent-encoded inside another
URL. Every query string is dropped, whatever comes before it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# A "?" glued to what precedes it (a host, a path, a file name), followed by a query that
# has a "=": everything up to the next whitespace, quote or bracket is the query.
_QUERY = re.compile(r"(?<=[^\s'\"<>(\[{?])\?(?=[^\s'\"<>]*=)[^\s'\"<>)\]}]*")
_ENCODED_QUERY = re.compile(r"(?i)(?<=[^\s'\"<>])%3F[^\s'\"<>)\]}]*")
# A credential-like parameter left outside a query string (e.g. after a stray "&").
_CREDENTIAL = re.compile(
    r"(?i)\b(sig|signature|token|access_token|refresh_token|password|secret|client_secret|"
    r"api_key|apikey|skoid|sktid)=[^\s&'\"<>)\]}]+"
)


def redact_urls(text: str) -> str:
    """``text`` with every URL's query string replaced by ``?…``, with or without a scheme.

    Also drops percent-encoded query strings (``%3F…``) and any credential-like ``name=value``
    (``sig=``, ``token=``, …) left elsewhere. Text without a query string is unchanged.
    """
    text = _QUERY.sub("?…", text)
    text = _ENCODED_QUERY.sub("%3F…", text)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}=…", text)


def url_secrets(url: str) -> list[str]:
    """What to mask in the log for a signed URL: its query string, and its ``sig`` value as
    written in the URL and decoded (the runner masks each wherever it appears later)."""
    query = urlsplit(url).query
    secrets = [query] if query else []
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name.lower() == "sig" and value:
            secrets += [v for v in (value, unquote(value)) if v not in secrets]
    return secrets
