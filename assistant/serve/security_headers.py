"""The security headers every response carries, and the page's Content-Security-Policy.

Scripts run only from this origin, or inline when the page itself carries them: an HTML
page's policy lists the sha256 of each of its inline scripts (Gradio's page has four, its
config among them, which differs per request). No 'unsafe-inline' or 'unsafe-eval' for
scripts. Styles keep 'unsafe-inline': Gradio sets style attributes and adds <style>
elements at run time, and the widget styles its shadow root.
"""

from __future__ import annotations

import base64
import hashlib
import re

# What a browser treats as one inline script: everything up to the first `</script`.
_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script", re.DOTALL | re.IGNORECASE)
_SRC = re.compile(rb"\bsrc\s*=", re.IGNORECASE)

_POLICY = (
    "default-src 'self'",
    "script-src 'self'{hashes}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
)

BASE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),  # frame-ancestors for browsers without CSP 2
    (b"referrer-policy", b"no-referrer"),
)
HEADER_NAMES = {name for name, _ in BASE_HEADERS} | {b"content-security-policy"}


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions ('sha256-…') for each inline script of `html`, in order."""
    hashes = []
    for attributes, body in _SCRIPT.findall(html):
        if not _SRC.search(attributes):
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return list(dict.fromkeys(hashes))


def content_security_policy(html: bytes = b"") -> str:
    """The policy for a response; an HTML body's own inline scripts are allowed by hash."""
    hashes = "".join(f" {h}" for h in inline_script_hashes(html))
    return "; ".join(_POLICY).replace("{hashes}", hashes)


def security_headers(html: bytes = b"") -> list[tuple[bytes, bytes]]:
    return [*BASE_HEADERS, (b"content-security-policy", content_security_policy(html).encode())]
