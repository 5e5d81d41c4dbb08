"""An OpenAPI 3.1 description of the live API, made from what the client reads at run time
(`Client.openapi()`; the `mailroute-dyn openapi` command writes it out)."""

from .document import ApiFacts, Extra, ResourceFacts, build_document, security_schemes
from .gather import describe_op, parse_extras

__all__ = [
    "ApiFacts",
    "Extra",
    "ResourceFacts",
    "build_document",
    "security_schemes",
    "describe_op",
    "parse_extras",
]
