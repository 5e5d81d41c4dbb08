"""Every recorded response body goes through the client's response-reading code.

For each interaction of each file in ``fixtures/recordings/``: the response is built as the
replay transport serves it, then read with ``http.read_answer`` (``parse_body``); an error
status goes through ``http.error_for``; a list body through ``query.read_page``; an object
body (one with a ``resource_uri``) is turned into an instance of its resource's class,
found as the client finds it for a URI (typed from the KB schemas, untyped when the schema
is unreachable), and every field is read. Each must give data or a documented
``MailRouteError`` subclass, never a bare KeyError/TypeError/ValueError/AttributeError.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mailroute_dyn import (
    APIError,
    BadRequest,
    MailRouteError,
    MethodNotAllowed,
    NotFound,
    Resource,
    ServerError,
    Unauthorized,
)
from mailroute_dyn.operations import Answer
from mailroute_dyn.query.paging import read_page
from mailroute_dyn.schema.definition import resource_name_of_uri
from mailroute_dyn.transport.decisions import error_for, parse_body, read_answer
from tests.replay import BASE_URL, RECORDINGS, ReplayTransport, mailroute_replay, replay_client

FILES = sorted(p.relative_to(RECORDINGS).as_posix() for p in RECORDINGS.glob("*/*.json"))
CASES = [(item.source, item) for name in FILES for item in ReplayTransport([name]).recorded]
ERROR_CLASSES = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    405: MethodNotAllowed,
    500: ServerError,
    501: ServerError,
}


@pytest.fixture(scope="module")
def recordings_client():
    """A client whose discovery is the KB listing + schemas; every other schema the
    recordings' names need answers the synthetic 404 (so those objects are untyped)."""
    with replay_client(mailroute_replay(FILES)) as made:
        yield made


def _response(item) -> tuple[httpx.Response, bytes]:
    content, headers = item.content()
    request = httpx.Request(
        item.method, f"{BASE_URL}{item.path}" + (f"?{item.query}" if item.query else "")
    )
    status = item.status if item.status is not None else 200
    return httpx.Response(status, headers=headers, content=content, request=request), content


def _class_for(client, uri: str) -> type[Resource]:
    name = resource_name_of_uri(uri, client.settings.api_path)
    assert name is not None, uri
    return client.resource(name)


def _read_instance(client, data: dict[str, Any], fallback_uri: str) -> Resource:
    uri = data.get("resource_uri")
    cls = _class_for(client, uri if isinstance(uri, str) else fallback_uri)
    obj = cls._from_raw(data)
    assert obj.to_dict() is not None and repr(obj) and dir(obj)
    obj.pk, obj.id, obj.resource_uri  # noqa: B018 - reading is the test
    if cls.typed:
        for name, f in cls.fields.items():
            if f.is_related:  # reading would fetch it: check the raw
                raw = obj.get_raw(name)
                assert raw is None or isinstance(raw, str | list | dict), (name, raw)
            else:
                getattr(obj, name)
    else:
        for key in obj.to_dict():
            getattr(obj, key)
    return obj


def _feed(client, item) -> Any:
    """What the client makes of this recorded answer: data, or a MailRouteError raised."""
    response, content = _response(item)
    assert (
        parse_body(content, response.headers.get("content-type", "")) is not None
        or not content.strip()
    )
    answer: Answer = read_answer(response, content, item.method)
    if answer.status >= 400:
        exc = error_for(answer)
        assert isinstance(exc, APIError) and exc.status_code == answer.status
        assert isinstance(exc, ERROR_CLASSES[answer.status]), type(exc)
        assert str(exc).startswith(f"{item.method} {BASE_URL}{item.path}")
        if isinstance(answer.body, dict) and isinstance(answer.body.get("error_message"), str):
            assert str(exc).endswith(answer.body["error_message"])
        return exc
    body = answer.body
    if isinstance(body, dict) and "objects" in body or isinstance(body, list):
        page = read_page(answer)
        return [_read_instance(client, o, item.path) for o in page.objects]
    if isinstance(body, dict) and "resource_uri" in body:
        return _read_instance(client, body, item.path)
    return body  # an action's answer, text, or None


@pytest.mark.parametrize(
    "source, item", CASES, ids=[f"{src.split('/')[-1]}-{item.index}" for src, item in CASES]
)
def test_every_recorded_body_is_read(recordings_client, source, item):
    try:
        outcome = _feed(recordings_client, item)
    except MailRouteError as exc:  # documented: the client refuses it
        outcome = exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        pytest.fail(f"{item.label()}: bare {type(exc).__name__}: {exc}")
    assert outcome is None or isinstance(outcome, MailRouteError | Resource | list | dict | str), (
        type(outcome)
    )


def test_the_body_test_covers_every_recorded_interaction():
    """Every recording file gives cases, however many files there are: a file the loader
    cannot read must not leave its interactions untested."""
    assert FILES
    assert {source for source, _ in CASES} == {name.removesuffix(".json") for name in FILES}
