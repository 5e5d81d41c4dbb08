"""The answers that end a request early, in Tastypie's shapes: raised responses, the canned
error body, `{"error": ...}` and a form's per-field errors."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import FakeHttpError

__all__ = ["CANNED", "sanitize", "bad_request", "canned", "form_errors", "database_error"]

CANNED = "Sorry, this request could not be processed. Please try again later."


def sanitize(text: str) -> str:
    """Tastypie's `sanitize`: HTML-escape, then put the quotes back."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def bad_request(message: str) -> FakeHttpError:
    """400 `{"error": ...}` (the message is HTML-escaped like the real server's)."""
    return FakeHttpError(400, {"error": sanitize(message)})


def canned(status: int) -> FakeHttpError:
    """The canned `error_message` answer (404 for lookups gone wrong, 415, 500)."""
    return FakeHttpError(status, {"error_message": CANNED})


def form_errors(resource: str, errors: Mapping[str, list[str]]) -> FakeHttpError:
    return FakeHttpError(400, {resource: dict(errors)})


def database_error(message: str) -> FakeHttpError:
    """A Django `ValidationError` raised while saving (a model field refusing a value):
    Tastypie answers 400 with the error list as text, the first error only."""
    return bad_request(str([message]))
