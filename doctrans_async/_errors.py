"""The library's exceptions: one tree, rooted at :class:`DocumentTranslationError`.

Anything else escaping a public call is a bug in this library.

```
DocumentTranslationError
├── ServiceError                 the service answered with an error status
│   ├── InvalidRequestError      400
│   ├── AuthenticationError      401, 403
│   ├── NotFoundError            404
│   ├── RateLimitError           429, once retries are spent
│   └── ServerError              5xx, once retries are spent
├── TransportError               no usable answer: connection refused or dropped, no response in time
├── MalformedResponseError       a success status whose body is not what the API documents, or was cut off
├── ContinuationLinkError        a next link that cannot be followed safely (other origin, repeated, runaway)
├── UnsupportedOperationError    the chosen API version lacks the operation or filter (raised before any request)
├── ClientClosedError            the client was used after it was closed (also a RuntimeError)
└── OperationTimeoutError        a call's ``timeout=`` passed (also a TimeoutError; the cut failure is its cause)
    ├── PollingTimeoutError      the batch was not finished by the deadline (``last_status``)
    └── ListingTimeoutError      a listing was not done by its deadline (``next_link``: resumable)
```

Every error that concerns a request names it (method and URL; URLs never carry the key) and, when the service
sent one, its request id. The subscription key is never part of any message or repr.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from doctrans_async._models import BatchStatus, ErrorDetail

__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "ContinuationLinkError",
    "DocumentTranslationError",
    "InvalidRequestError",
    "ListingTimeoutError",
    "MalformedResponseError",
    "NotFoundError",
    "OperationTimeoutError",
    "PollingTimeoutError",
    "RateLimitError",
    "ServerError",
    "ServiceError",
    "TransportError",
    "UnsupportedOperationError",
]


class DocumentTranslationError(Exception):
    """Base class of every error this library raises.

    Errors pickle and copy with all their attributes (workers hand them across processes).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors cannot be replayed from args: rebuild from the message and the attributes.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[DocumentTranslationError], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class _RequestError(DocumentTranslationError):
    """An error about one request: knows its method, URL and, when known, the service's request id."""

    def __init__(self, message: str, *, method: str = "", url: str = "", request_id: str | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.request_id = request_id

    def _where(self) -> str:
        where = f"{self.method} {self.url}".strip()
        if self.request_id:
            where += f" (request id {self.request_id})"
        return where

    def __str__(self) -> str:
        where = self._where()
        return f"{self.args[0]} [{where}]" if where else str(self.args[0])


class ServiceError(_RequestError):
    """The service answered with an error status.

    Attributes mirror the service's error body (``code``, ``message``, ``target``, ``inner_error``, ``details``;
    see :class:`ErrorDetail`) plus the HTTP ``status``, the ``request_id`` and, when the service sent one,
    ``retry_after`` in seconds. ``message`` is ``None`` when the service sent none.
    """

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str | None,
        target: str | None = None,
        inner_error: ErrorDetail | None = None,
        details: tuple[ErrorDetail, ...] = (),
        request_id: str | None = None,
        retry_after: float | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        reason = _reason(status, code)
        text = f"{status} {reason}: {message}" if message is not None else f"{status} {reason}"
        super().__init__(text, method=method, url=url, request_id=request_id)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.inner_error = inner_error
        self.details = details
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


def _reason(status: int, code: str) -> str:
    # The gateway's 401 says code "401": "401 401: Access denied" reads better as "401 Unauthorized: ...".
    if code != str(status):
        return code
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return code


class InvalidRequestError(ServiceError):
    """400: the request was invalid (bad argument, bad batch definition)."""


class AuthenticationError(ServiceError):
    """401 or 403: the key or token was missing, wrong, or not allowed here."""


class NotFoundError(ServiceError):
    """404: no such batch or document (or a wrong endpoint)."""


class RateLimitError(ServiceError):
    """429: too many requests, and the retry policy's attempts or time are spent."""


class ServerError(ServiceError):
    """5xx: the service (or a proxy in front of it) failed, and the retry policy's attempts or time are spent."""


class TransportError(_RequestError):
    """No usable answer: the connection failed, was dropped, or the request timed out.

    ``request_sent`` is false only when the connection was never made, so the service cannot have seen the
    request. The underlying exception is chained as ``__cause__``.
    """

    def __init__(self, message: str, *, request_sent: bool = True, method: str = "", url: str = "") -> None:
        super().__init__(message, method=method, url=url)
        self.request_sent = request_sent


class MalformedResponseError(_RequestError):
    """A success status with a body that is not what the API documents (not JSON, truncated, wrong shape).

    ``transient`` is true when the body could not be decoded at all (cut off or garbled on the way), which a
    retry of a read may cure; a well-formed body of the wrong shape will not change and is not retried, nor is
    one beyond what Python reads as JSON (nested past the recursion limit, an integer past the digit limit).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        transient: bool = False,
        method: str = "",
        url: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, request_id=request_id)
        self.status = status
        self.transient = transient


class ContinuationLinkError(_RequestError):
    """A continuation (next) link that cannot be followed safely.

    Raised for a link to another origin (which must never receive the credentials), a link seen before in the
    same listing (a loop), a link that is not an http(s) URL, and a listing that exceeds its page limit.
    """


class UnsupportedOperationError(DocumentTranslationError):
    """The chosen API version lacks the operation or filter; raised before any request is sent."""


class ClientClosedError(DocumentTranslationError, RuntimeError):
    """The client was used after it was closed."""


class OperationTimeoutError(DocumentTranslationError, TimeoutError):
    """A call did not finish within its ``timeout=`` (retries included).

    When the deadline cut a failure short (a retry it forbade, a request it abandoned), that failure is the
    ``__cause__``; errors the deadline did not cause (a 404, a 401) are raised as themselves.
    """


class PollingTimeoutError(OperationTimeoutError):
    """The batch did not reach a terminal status before the deadline.

    ``last_status`` is the last status fetched (``None`` if none could be fetched in time).
    """

    def __init__(self, message: str, *, last_status: BatchStatus | None) -> None:
        super().__init__(message)
        self.last_status = last_status


class ListingTimeoutError(OperationTimeoutError):
    """A listing did not finish before its deadline.

    ``next_link`` is the page it did not get: pass it as ``resume_from=`` to go on from there.
    """

    def __init__(self, message: str, *, next_link: str | None) -> None:
        super().__init__(message)
        self.next_link = next_link
