"""The answers that end a request early, in Tastypie's shapes: raised responses, the canned
error body, `{"error": ...}` and a form's per-field errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CANNED", "HttpError", "sanitize", "bad_request", "canned", "form_errors",
           "database_error"]

CANNED = "Sorry, this request could not be processed. Please try again later."


def sanitize(text: str) -> str:
    """Tastypie's `sanitize`: HTML-escape, then put the quotes back."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class HttpError(Exception):
    """An answer that ends the request early (Tastypie's raised responses)."""

    def __init__(self, status: int, body: Any = None, *, headers: Mapping[str, str] | None = None,
                 text: str | None = None):
        super().__init__(status)
        self.status = status
        self.body = body            # JSON-able, or None for an empty body
        self.text = text            # a plain-text body instead (405's method list)
        self.headers = dict(headers or {})


def bad_request(message: str) -> HttpError:
    """400 `{"error": ...}` (the message is HTML-escaped like the real server's)."""
    return HttpError(400, {"error": sanitize(message)})


def canned(status: int) -> HttpError:
    """The canned `error_message` answer (404 for lookups gone wrong, 415, 500)."""
    return HttpError(status, {"error_message": CANNED})


def form_errors(resource: str, errors: Mapping[str, list[str]]) -> HttpError:
    return HttpError(400, {resource: dict(errors)})

def database_error(message: str) -> HttpError:
    """A Django `ValidationError` raised while saving (a model field refusing a value):
    Tastypie answers 400 with the error list as text, the first error only."""
    return bad_request(str([message]))
