"""`ctkg serve`: the API under uvicorn (llhttp through httptools), with the connection bounds of
`api.connections`."""

import asyncio
import ctypes.util
import functools
import logging
import math
import os
import sys

from .settings import Settings

URL_ENCODING = 3  # a percent-encoded query (`%7B`) takes up to three times its size in a GET's URL
HEADERS_BYTES = 16_384  # for the other headers (h11's default for the request line and headers)


log = logging.getLogger("ctkg.api.server")


def jemalloc() -> str | None:
    """The jemalloc shared library's name, if it is installed (Debian's `libjemalloc2`)."""
    return ctypes.util.find_library("jemalloc")


def _with_jemalloc() -> None:
    """Start `ctkg serve` again, at once and in the same process (`exec`), with jemalloc preloaded when it is
    installed and not loaded yet: the server and the query workers it starts, which inherit the environment, then
    allocate with it (pyoxigraph allocates on every step of a query; see bench/README.md). Done before any thread,
    socket or worker exists, so the environment never changes under a running server; nothing happens when the
    library is missing or loaded already."""
    library, preloaded = jemalloc(), os.environ.get("LD_PRELOAD", "")
    if library is None:  # said, since only a benchmark would show it
        log.warning("jemalloc is not installed (Debian: apt-get install libjemalloc2): serving with the default "
                    "allocator; jemalloc made the benchmark's queries 7-10% faster (bench/README.md). "
                    "CTKG_JEMALLOC=false says this is meant")
        return
    if "jemalloc" in preloaded:
        return
    os.environ["LD_PRELOAD"] = f"{library} {preloaded}".strip()
    try:
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    except OSError as exc:  # the server starts with glibc's malloc instead
        del os.environ["LD_PRELOAD"]
        if preloaded:
            os.environ["LD_PRELOAD"] = preloaded
        log.warning("could not start again with jemalloc (%s); serving with the default allocator", exc)


def serve(settings: Settings) -> None:
    if settings.jemalloc:
        _with_jemalloc()
    import uvicorn

    from .app import create_app
    from .connections import AcceptFailures, ConnectionLimits, GuardedHttpToolsProtocol, connection_cap

    # The bound on a request's line and headers is set so that a GET carrying a query of up to
    # `max_query_bytes` reaches the endpoint, which answers 413 beyond.
    limits = ConnectionLimits(max_connections=connection_cap(settings.max_connections, settings.query_workers),
                              header_timeout_s=settings.header_timeout_s, body_timeout_s=settings.body_timeout_s,
                              send_timeout_s=settings.send_timeout_s,
                              max_header_bytes=URL_ENCODING * settings.max_query_bytes + HEADERS_BYTES)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            asyncio.get_running_loop().set_exception_handler(AcceptFailures())
            await super().startup(sockets)

    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, server_header=False,
        # X-Forwarded-For and -Proto are believed from the proxies named in `forwarded_allow_ips` only (uvicorn
        # would trust 127.0.0.1, and FORWARDED_ALLOW_IPS from the environment, by default).
        proxy_headers=bool(settings.forwarded_allow_ips), forwarded_allow_ips=settings.forwarded_allow_ips or "",
        http=functools.partial(GuardedHttpToolsProtocol, limits=limits),
        # asyncio's loop, even where uvloop is installed: uvloop's add_reader makes the workers' pipes
        # non-blocking, and `api.pool` reads an answer's chunks with blocking reads once a pipe is readable.
        loop="asyncio",
        timeout_keep_alive=settings.keep_alive_timeout_s,  # type: ignore[arg-type]  # uvicorn takes any seconds
        # On SIGTERM uvicorn stops taking requests and lets running ones finish. None runs past its deadline
        # (its worker is killed there), so the server is gone within the deadline; this is a backstop.
        timeout_graceful_shutdown=math.ceil(settings.query_timeout_s) + 1,
    )
    server = Server(config)
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the application did not start
