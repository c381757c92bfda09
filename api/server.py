"""`ctkg serve`: the API under uvicorn."""

from kg.settings import Settings


def serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app

    # On SIGTERM uvicorn stops taking requests and lets running ones finish; none runs past its deadline.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, server_header=False,
                timeout_graceful_shutdown=int(settings.query_timeout_s) + 2)
