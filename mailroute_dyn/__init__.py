"""mailroute_dyn: a client for the MailRoute admin API that knows no resource in advance.

It reads `/api/v1/` and each `/schema/` at run time and builds one class per resource, so a
resource or field the server adds works at once. See README.md for a tour.
"""

from .auth import ApiKeyAuth, BasicAuth, DigestAuth, Secret, SessionAuth
from .client import AsyncClient, Client
from .errors import (
    AmbiguousWriteError,
    APIError,
    BadRequest,
    ConfigurationError,
    Conflict,
    DoesNotExist,
    FilterError,
    Forbidden,
    GuardError,
    ListingChanged,
    MailRouteError,
    MethodNotAllowed,
    MultipleObjectsReturned,
    NotFound,
    OrderingError,
    RateLimited,
    ResponseError,
    SchemaError,
    ServerError,
    TransportError,
    Unauthorized,
    UnknownResource,
    UnreadableWriteAnswer,
    ValidationError,
)
from .query import AsyncQuerySet, QuerySet
from .resources import AsyncResource, BulkResult, Resource

__version__ = "0.1.0"

__all__ = [
    "Client",
    "AsyncClient",
    "Resource",
    "AsyncResource",
    "QuerySet",
    "AsyncQuerySet",
    "BulkResult",
    "MailRouteError",
    "ConfigurationError",
    "UnknownResource",
    "FilterError",
    "OrderingError",
    "MethodNotAllowed",
    "ValidationError",
    "SchemaError",
    "GuardError",
    "ListingChanged",
    "ResponseError",
    "APIError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "DoesNotExist",
    "Conflict",
    "RateLimited",
    "ServerError",
    "TransportError",
    "AmbiguousWriteError",
    "UnreadableWriteAnswer",
    "MultipleObjectsReturned",
    "Secret",
    "ApiKeyAuth",
    "BasicAuth",
    "DigestAuth",
    "SessionAuth",
]
