"""The errors the API answers with: one type per way a request can fail, each with its HTTP status.

Worker processes raise them too; they cross the pipe as (type name, message) and are raised again in
the server, so a route can catch `QueryError` whichever process found the problem.
"""


class QueryError(Exception):
    """A request that cannot be answered; `message` is safe to show to the client."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    status = 400


class QueryTooDeep(QueryError):
    status = 400


class ServiceRefused(QueryError):
    """SERVICE (or any other way of making the server fetch something)."""

    status = 400


class GraphRefused(QueryError):
    """FROM, FROM NAMED, default-graph-uri or named-graph-uri naming something that is not a graph of the store."""

    status = 400


class BadRequest(QueryError):
    status = 400


class UpdateRefused(QueryError):
    status = 403


class NotFound(QueryError):
    status = 404


class NotAcceptable(QueryError):
    status = 406


class QueryTooLarge(QueryError):
    status = 413


class UnsupportedMediaType(QueryError):
    status = 415


class InvalidValue(QueryError):
    """A parameter's value that the request cannot use as given, e.g. an IRI with a space in it."""

    status = 422


class TooManyRows(QueryError):
    """The answer is larger than the row cap; it is refused, never cut short silently."""

    status = 422


class AnswerTooLarge(QueryError):
    """The answer is larger than the byte cap; it is refused, never cut short silently."""

    status = 422


class EngineError(QueryError):
    """The engine failed in a way the query does not explain (e.g. the store cannot be read)."""

    status = 500


class Unavailable(QueryError):
    """Base of the answers that mean "not now": the client may retry later."""

    status = 503
    retry_after_s = 1


class QueryTimeout(Unavailable):
    pass


class WorkersBusy(Unavailable):
    pass


class WorkerDied(Unavailable):
    pass


class AnswersBusy(Unavailable):
    """The server holds as many bytes of answers as it may (clients still reading theirs)."""


class StoreUnavailable(Unavailable):
    """No graph to query. The message never names the store's path; the server's log does."""

    retry_after_s = 10

    def __init__(self, message: str = "No graph is available yet: run `ctkg build`, then try again."):
        super().__init__(message)


ERRORS: dict[str, type[QueryError]] = {cls.__name__: cls for cls in (
    QuerySyntaxError, QueryTooDeep, ServiceRefused, GraphRefused, BadRequest, UpdateRefused, NotFound,
    NotAcceptable, QueryTooLarge, UnsupportedMediaType, TooManyRows, AnswerTooLarge, EngineError, QueryTimeout,
    WorkersBusy, WorkerDied, AnswersBusy, StoreUnavailable,
)}


ROW_LIMIT_HEADER = "CTKG-Row-Limit"
BYTE_LIMIT_HEADER = "CTKG-Byte-Limit"


def headers_for(exc: QueryError, max_rows: int, max_answer_bytes: int | None = None) -> dict[str, str]:
    """The headers that tell a client, whatever the body's format, which limit its request met."""
    if isinstance(exc, Unavailable):
        return {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, TooManyRows):
        return {ROW_LIMIT_HEADER: str(max_rows)}
    if isinstance(exc, AnswerTooLarge) and max_answer_bytes is not None:
        return {BYTE_LIMIT_HEADER: str(max_answer_bytes)}
    return {}


def rebuild(name: str, message: str) -> QueryError:
    """The error a worker reported, as the type it raised (EngineError if the name is unknown)."""
    return ERRORS.get(name, EngineError)(message)
