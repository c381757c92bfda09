"""The HTTP rules every route gets, whatever it answers, as ASGI middleware around the app.

- `SecurityHeaders`: `X-Content-Type-Options: nosniff` on every answer (a plain-text error quotes the query,
  which a browser must not sniff into HTML); on an HTML answer, a `Content-Security-Policy` that lets a page
  load and connect to the app's own origin only, run no inline script or style and sit in no frame (`PAGE_CSP`;
  a route that sets its own wins), `X-Frame-Options: DENY` for browsers that predate it, and a `Referrer-Policy`.
- `RefuseAmbiguousLength`: a request with both `Content-Length` and `Transfer-Encoding` is 400 and its
  connection is closed (RFC 9112 §6.3). h11 lets Transfer-Encoding win and keeps the connection; a proxy in
  front that believed Content-Length would read the rest as another request (request smuggling).
- `HeadAsGet`: HEAD is answered as GET wherever GET is; uvicorn sends the headers and drops the body.
- `PublicAddress`: the request's Host header and scheme are replaced by those of the public address
  (`Settings.public_url`) before any route reads them, so every URL the app derives (`request.url_for`, the
  trailing-slash redirect, the service description) is the public one, whatever Host a client sent.
"""

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFERRER_POLICY = b"no-referrer"
# The Content-Security-Policies of the app's pages, all here.
# Every page's scripts, styles, images, fonts and requests come from its own origin: no CDN, no web font, no
# analytics, and no inline script an injected label could become. The default for HTML.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
# The analysts' pages that run no script (entity pages, /landscape, /changes: `api.pages`): nothing but their
# stylesheet and images.
SCRIPTLESS_PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; "
                       "base-uri 'none'; form-action 'self'")
# Redoc styles its page with styled-components, which writes <style> elements at run time: its page alone
# allows inline styles (scripts stay 'self'), and its search runs in a worker Redoc makes from a blob.
REDOC_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'self'")
_PAGE_CSP_HEADER = PAGE_CSP.encode()


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                added = [(b"x-content-type-options", b"nosniff")]
                content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
                if content_type.lower().startswith(b"text/html"):
                    added += [(b"content-security-policy", _PAGE_CSP_HEADER),
                              (b"x-frame-options", b"DENY"), (b"referrer-policy", REFERRER_POLICY)]
                headers += [(name, value) for name, value in added if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RefuseAmbiguousLength:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {name for name, _ in scope["headers"]}  # uvicorn gives them in lower case
            if b"content-length" in names and b"transfer-encoding" in names:
                body = b"A request may give Content-Length or Transfer-Encoding, not both.\n"
                # `Connection: close` makes uvicorn close the connection once this answer is sent, so the
                # unread body is never taken for the next request.
                await send({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class HeadAsGet:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            # A copy: uvicorn's own scope still says HEAD, which is how it knows to send no body.
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)


class PublicAddress:
    def __init__(self, app: ASGIApp, public_url: str):
        self.app = app
        parts = urlsplit(public_url)
        self.scheme, self.host, self.prefix = parts.scheme, parts.netloc.encode("ascii"), parts.path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
            scope = {**scope, "scheme": self.scheme, "headers": [(b"host", self.host), *headers]}
            if self.prefix:  # a proxy serves the API under a path, which it strips (or not) before passing it on
                path = scope["path"]
                if path != self.prefix and not path.startswith(self.prefix + "/"):
                    path = self.prefix + path
                scope.update(root_path=self.prefix, path=path)
        await self.app(scope, receive, send)
