"""Where a request says it was sent and who sent it: the host it names, the page's origin and
the forwarding headers, as the guard (api_guard.Guard) and Gradio read them.

A DNS-rebinding page (a name of the attacker's that now resolves to this server) sends the
attacker's name as Host and as Origin, so comparing the two proves nothing: the host must be
one the deployment is reached by (`PublicHosts`). Gradio builds the URLs it emits (the
page's config `root`) from X-Forwarded-Host/-Proto and its own x-gradio-server header, from
whoever sent them: `ForwardedHeaders` drops them unless the peer is a trusted proxy.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assistant.config import AUTHORITY

# Names only this machine can send (a rebinding page sends its own name): always served, on
# the port the connection came in on, with the address it came in on (the bind address, or
# the interface's when bound to all of them).
LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_PORTS = {"http": 80, "https": 443}


def authority(value: str, scheme: str) -> tuple[str, int] | None:
    """`host[:port]` as (lower-case host, port: the scheme's default when absent), or None."""
    match = AUTHORITY.fullmatch(value.strip().lower())
    if match is None:
        return None
    port = int(match[2]) if match[2] else DEFAULT_PORTS.get(scheme)
    return (match[1], port) if port is not None else None


def origin_authority(origin: str) -> tuple[str, int] | None:
    """The (host, port) of an Origin header `scheme://host[:port]`, or None ("null", junk)."""
    scheme, sep, rest = origin.strip().lower().partition("://")
    return authority(rest.rstrip("/"), scheme) if sep else None


class PublicHosts:
    """The hosts a request may name: `configured` (`host[:port]`, any port when none is
    given) and LOCAL_NAMES at the server's own address and port."""

    def __init__(self, configured: Sequence[str]) -> None:
        self.any_port: set[str] = set()
        self.exact: set[tuple[str, int]] = set()
        for entry in configured:
            host, port = AUTHORITY.fullmatch(entry.strip().lower()).groups("")
            if port:
                self.exact.add((host, int(port)))
            else:
                self.any_port.add(host)

    def names(self, address: tuple[str, int] | None, scope: Scope) -> bool:
        if address is None:
            return False
        host, port = address
        if host in self.any_port or address in self.exact:
            return True
        server = scope.get("server")
        if not server or server[1] != port:
            return False
        local = server[0] if ":" not in server[0] else f"[{server[0]}]"
        return host in LOCAL_NAMES or host == local.lower()

    def addressed(self, scope: Scope, headers: Headers) -> bool:
        """Whether the host the browser asked for is ours: X-Forwarded-Host when a trusted
        proxy sent it (ForwardedHeaders drops anyone else's), else Host. A request with
        neither (HTTP/1.0) comes from no browser, so no rebinding page can send it."""
        forwarded = headers.get("x-forwarded-host", "").split(",")[0]
        asked = forwarded or headers.get("host")
        return asked is None or self.names(authority(asked, scope.get("scheme", "http")), scope)


class Origins:
    """The hosts a request may name (PublicHosts) and the pages that may send it: those of
    these hosts, and `allowed` origins (portals embedding the widget; '*' for all)."""

    def __init__(self, allowed: Sequence[str], public_hosts: Sequence[str]) -> None:
        self.allowed = {o.strip().lower().rstrip("/") for o in allowed if o.strip()}
        self.hosts = PublicHosts(public_hosts)

    def addressed(self, scope: Scope, headers: Headers) -> bool:
        return self.hosts.addressed(scope, headers)

    def cors(self, origin: str, scope: Scope) -> dict[str, str] | None:
        """The CORS headers a page of `origin` gets (none for a page of the server's own
        hosts: its own origin needs none), or None for a foreign origin."""
        if "*" in self.allowed or origin.lower().rstrip("/") in self.allowed:
            return {"access-control-allow-origin": origin,
                    "access-control-expose-headers": "Retry-After"}
        return {} if self.hosts.names(origin_authority(origin), scope) else None


def _forwarding(name: bytes) -> bool:
    return name.startswith(b"x-forwarded-") or name in (b"forwarded", b"x-gradio-server")


class ForwardedHeaders(ProxyHeadersMiddleware):
    """uvicorn's ProxyHeadersMiddleware (client and scheme from a trusted proxy's
    X-Forwarded-For/-Proto), which also drops every forwarding header that any other peer
    sends, before the guard, the budgets and Gradio read them."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope.get("client") or ("",))[0] not in self.trusted_hosts:
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if not _forwarding(k)]}
        await super().__call__(scope, receive, send)
