"""mailroute_dyn: a client for the MailRoute admin API that knows no resource in advance.

It reads `/api/v1/` and each `/schema/` at run time and builds one class per resource, so a
resource or field the server adds works at once. See docs/getting-started.md for a tour.
"""

from typing import TYPE_CHECKING

from .errors import (
    AmbiguousWriteError,
    APIError,
    BadRequest,
    CassetteError,
    ConfigurationError,
    Conflict,
    DoesNotExist,
    FilterError,
    Forbidden,
    GuardError,
    Interrupted,
    JournalError,
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
from .lazy import loaded_on_use

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .jsondecode import RawNumber
    from .model.querysets import AsyncQuerySet, AsyncValuesQuerySet, QuerySet, ValuesQuerySet
    from .model.resources import AsyncResource, BaseResource, Resource
    from .query.habits import BulkResult
    from .schema.definition import Field
    from .settings.auth import ApiKeyAuth, BasicAuth, DigestAuth, Secret, SessionAuth
    from .settings.config import Settings

if TYPE_CHECKING:
    #: the installed distribution's version (pyproject.toml's, read from its metadata)
    __version__: str

#: Where each name lives. Its module loads on the name's first use: `from mailroute_dyn
#: import Client` loads the client (and httpx), and the model and query layers come with
#: the first client; `import mailroute_dyn` alone, the errors, and the pytest plugin of a
#: run that does not use it, load neither.
_LOADED_ON_USE = {
    "Client": ".client",
    "AsyncClient": ".client",
    "ApiKeyAuth": ".settings.auth",
    "BasicAuth": ".settings.auth",
    "DigestAuth": ".settings.auth",
    "SessionAuth": ".settings.auth",
    "Secret": ".settings.auth",
    "Settings": ".settings.config",
    "QuerySet": ".model.querysets",
    "AsyncQuerySet": ".model.querysets",
    "ValuesQuerySet": ".model.querysets",
    "AsyncValuesQuerySet": ".model.querysets",
    "BaseResource": ".model.resources",
    "Resource": ".model.resources",
    "AsyncResource": ".model.resources",
    "BulkResult": ".query.habits",
    "Field": ".schema.definition",
    "RawNumber": ".jsondecode",
    "__version__": ".version",
}


__getattr__, __dir__ = loaded_on_use(__name__, _LOADED_ON_USE)

__all__ = [
    "Client",
    "AsyncClient",
    "Resource",
    "AsyncResource",
    "BaseResource",
    "QuerySet",
    "AsyncQuerySet",
    "ValuesQuerySet",
    "AsyncValuesQuerySet",
    "BulkResult",
    "Field",
    "Settings",
    "RawNumber",
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
    "CassetteError",
    "Interrupted",
    "JournalError",
    "Secret",
    "ApiKeyAuth",
    "BasicAuth",
    "DigestAuth",
    "SessionAuth",
]
