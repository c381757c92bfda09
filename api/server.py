"""`ctkg serve`: the API under uvicorn."""

import math

from .settings import Settings

URL_ENCODING = 3  # a percent-encoded query (`%7B`) takes up to three times its size in a GET's URL
HEADERS_BYTES = 16_384  # h11's default for the request line and headers, kept for the headers


def serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app

    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, server_header=False,
        # h11 (not httptools) bounds what it buffers of a request line and headers; the bound is set so that
        # a GET carrying a query of up to `max_query_bytes` reaches the endpoint, which answers 413 beyond.
        http="h11", h11_max_incomplete_event_size=URL_ENCODING * settings.max_query_bytes + HEADERS_BYTES,
        # On SIGTERM uvicorn stops taking requests and lets running ones finish. None runs past its deadline
        # (its worker is killed there), so the server is gone within the deadline; this is a backstop.
        timeout_graceful_shutdown=math.ceil(settings.query_timeout_s) + 1,
    )
