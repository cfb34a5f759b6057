"""Asyncio-native client for the Azure AI Translator Document Translation batch API.

Start with :class:`DocumentTranslationClient`; :mod:`doctrans_async.emulator` runs a local stand-in for the
service, and :mod:`doctrans_async.testing` gives its pytest fixture.
"""

from doctrans_async._auth import AccessTokenLike, AsyncTokenCredential, KeyCredential
from doctrans_async._client import DocumentTranslationClient
from doctrans_async._clock import Clock, Deadline, SystemClock, VirtualClock
from doctrans_async._converter import from_dict, to_dict
from doctrans_async._errors import (
    AuthenticationError,
    ClientClosedError,
    ContinuationLinkError,
    DocumentTranslationError,
    InvalidRequestError,
    ListingTimeoutError,
    MalformedResponseError,
    NotFoundError,
    OperationTimeoutError,
    PollingTimeoutError,
    RateLimitError,
    ServerError,
    ServiceError,
    TransportError,
    UnsupportedOperationError,
)
from doctrans_async._events import CallEvent, Event, EventHook, PollEvent, RequestEvent, RetryEvent
from doctrans_async._models import (
    BatchOutcome,
    BatchPage,
    BatchStatus,
    DocumentPage,
    DocumentStatus,
    ErrorDetail,
    FileFormat,
    Glossary,
    Status,
    StatusSummary,
    StorageType,
    TranslationInput,
    TranslationTarget,
)
from doctrans_async._polling import PollPolicy
from doctrans_async._retry import RetryPolicy
from doctrans_async._sansio import Request, Response
from doctrans_async._transport import Transport
from doctrans_async._upload import DocumentSource
from doctrans_async._version import __version__
from doctrans_async._versions import ApiVersion

__all__ = [
    "AccessTokenLike",
    "ApiVersion",
    "AsyncTokenCredential",
    "AuthenticationError",
    "BatchOutcome",
    "BatchPage",
    "BatchStatus",
    "CallEvent",
    "ClientClosedError",
    "Clock",
    "ContinuationLinkError",
    "Deadline",
    "DocumentPage",
    "DocumentSource",
    "DocumentStatus",
    "DocumentTranslationClient",
    "DocumentTranslationError",
    "ErrorDetail",
    "Event",
    "EventHook",
    "FileFormat",
    "Glossary",
    "InvalidRequestError",
    "KeyCredential",
    "ListingTimeoutError",
    "MalformedResponseError",
    "NotFoundError",
    "OperationTimeoutError",
    "PollEvent",
    "PollPolicy",
    "PollingTimeoutError",
    "RateLimitError",
    "Request",
    "RequestEvent",
    "Response",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "ServiceError",
    "Status",
    "StatusSummary",
    "StorageType",
    "SystemClock",
    "TranslationInput",
    "TranslationTarget",
    "Transport",
    "TransportError",
    "UnsupportedOperationError",
    "VirtualClock",
    "__version__",
    "from_dict",
    "to_dict",
]
