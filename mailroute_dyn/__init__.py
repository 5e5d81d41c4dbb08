"""mailroute_dyn: a client for the MailRoute admin API that knows no resource in advance.

It reads `/api/v1/` and each `/schema/` at run time and builds one class per resource, so a
resource or field the server adds works at once. See README.md for a tour.
"""

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .query import AsyncQuerySet, QuerySet
    from .resources import AsyncResource, BulkResult, Resource

__version__ = "0.1.0"

#: Names of the model and query layers. Their modules load with the first client (or the
#: first use of one of these names), so `import mailroute_dyn`, and code that needs only
#: the client class, the errors or the auth kinds, does not pay for them.
_WITH_THE_FIRST_CLIENT = {"QuerySet": "query", "AsyncQuerySet": "query",
                          "Resource": "resources", "AsyncResource": "resources",
                          "BulkResult": "resources"}


def __getattr__(name: str) -> Any:
    module = _WITH_THE_FIRST_CLIENT.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value             # later uses find it without this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WITH_THE_FIRST_CLIENT))

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
