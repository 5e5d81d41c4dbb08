"""Writes: validate, encode, create, save, refresh and delete one object, taking what
the server answered as the object's new state (the data itself comes from adopt.py).

`Writes` is a base of `Resource` (model/resources.py) holding these methods, written once as
operations (see transport/sessions.py) that both clients run. It relies only on what every resource
class has: its schema (`_schema`), its registry (`_registry`) and the object's slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..classes.adopt import adopted, clean_read, key_from_uri, not_own
from ..classes.detailuri import checked_detail, keys_in
from ..classes.fieldread import UNCHANGED
from ..classes.instances import ObjectState
from ..classes.registry import Registry
from ..errors import (
    AmbiguousWriteError,
    Conflict,
    DoesNotExist,
    GuardError,
    MailRouteError,
    NotFound,
    ResponseError,
    ServerError,
    UnreadableWriteAnswer,
)
from ..operations import Answer, Call, Operation
from ..query.build import key_url
from ..query.queryset import BaseQuerySet
from ..schema.conversions import encode_write_value, looks_like_uri, same_raw
from ..schema.definition import ResourceSchema
from ..schema.rules import check_method
from .naming import resolve_names_op

__all__ = ["Writes", "detail_url_for"]


def detail_url_for(cls: Any, key: Any) -> str:
    """The detail URL for a primary or natural key (a string key goes in as is), in
    the server's own form: with a trailing slash only where its list URL has one."""
    if isinstance(key, Writes):
        if key.resource_uri:
            return checked_detail(cls, key.resource_uri, keys_in(cls, key._raw))
        key = key.pk
    return key_url(cls._list_url, key, cls._schema.name)


class Writes(ObjectState):
    """The write half of `Resource`: every method that changes the server's data."""

    __slots__ = ()
    _schema: ClassVar[ResourceSchema]
    _list_url: ClassVar[str]
    _registry: ClassVar[Registry]
    _validators: ClassVar[dict[bool, Any]]
    _uri_key: ClassVar[str]
    _has_schema: ClassVar[bool]

    if TYPE_CHECKING:  # Resource defines them

        @property
        def resource_uri(self) -> str | None: ...
        @property
        def pk(self) -> Any: ...

    def _adopt(
        self,
        answer: Answer,
        sent: Mapping[str, Any],
        extra: Iterable[str],
        base: Mapping[str, Any] | None = None,
    ) -> bool:
        """Take the server's answer to a write as the new last-read representation.

        True when the answer carried the object; False when it was empty (Tastypie's
        default), and what the instance now holds is only `base` plus what was sent."""
        cls = type(self)
        new = adopted(cls, self._raw if base is None else base, answer, sent, extra)
        cls._uri_key = new.uri_key
        self._raw = new.data
        self._snapshot = new.data
        self._changes = UNCHANGED
        self._related = {}
        self._unread = False
        return new.answered

    def _adopt_op(
        self,
        answer: Answer,
        sent: Mapping[str, Any],
        extra: Iterable[str],
        base: Mapping[str, Any] | None = None,
    ) -> Operation[Any]:
        """`_adopt`, then read the object back when the answer had no body: fields the
        server filled (`created_at`, defaults, rows it made) and values it normalised
        then read as stored, and `if_unchanged` compares against what it stored."""
        if self._adopt(answer, sent, extra, base) or self.resource_uri is None:
            return self
        try:
            fresh: Answer = yield Call("GET", self._detail())
        except MailRouteError:
            fresh = Answer(0, {}, None, "")
        if isinstance(fresh.body, dict) and fresh.body and not not_own(type(self), fresh.body):
            self._take(fresh.body)
        else:  # the write happened: never fail it for the read; read on first access
            self._unread = True
            self._changes = {}  # not UNCHANGED: field reads take the path reading it back
        return self

    def _take(self, data: Mapping[str, Any]) -> None:
        """The server's representation as the last read one; unsaved changes stay."""
        raw = clean_read(type(self), data)
        self._raw = raw
        self._snapshot = raw
        self._related = {}
        self._unread = False

    def _read_back_now(self) -> None:
        """Read an object written without an answer body, before showing any field."""
        if self._session.is_async:
            raise MailRouteError(
                f"This {type(self)._schema.name} was written but the server's answer had no "
                "body, and reading it back failed; on an AsyncClient use "
                "'await obj.refresh()' before reading its fields."
            )
        self._session.run(self._current_op(self._detail(), "GET", take=True))

    def _gone(
        self, method: str, url: str, why: str, status_code: int | None = None
    ) -> DoesNotExist:
        """The object is deleted: `status_code` is the server's 404 when one said so,
        None when the client knows it on its own (nothing sent, or a PUT's 201)."""
        self._deleted = True
        message = f"{type(self)._schema.name} {url} {why}; a save never re-creates it"
        if status_code is None:
            return DoesNotExist.refused_by_client(method, url, message)
        return DoesNotExist(status_code, method, url, None, message)

    def _current_op(self, url: str, method: str, take: bool = False) -> Operation[Any]:
        """The object as the server has it now (a 404: it was deleted)."""
        try:
            answer: Answer = yield Call("GET", url)
        except NotFound as exc:
            raise self._gone(method, url, "was deleted", exc.status_code) from None
        if not isinstance(answer.body, dict):
            raise ResponseError(f"GET {url}: expected an object, got {type(answer.body).__name__}")
        problem = not_own(type(self), answer.body)
        if problem:
            raise ResponseError(
                f"GET {url}: the answer is not this {type(self)._schema.name} "
                f"({problem}); the object was left as it was."
            )
        if take:
            self._take(answer.body)
        return answer.body

    def _resolve_names_op(self) -> Operation[None]:
        """Related objects given by name become the objects they name (see naming.py)."""
        return resolve_names_op(self)

    def _create_op(
        self, extra: Mapping[str, Any], dedupe_on: tuple[str, ...], check_required: bool = True
    ) -> Operation[Any]:
        cls = type(self)
        check_method(cls._schema, "post", detail=False)
        yield from self._resolve_names_op()  # domain="acme.com": the object it names
        body = {
            k: v
            for k, v in self._encoded_changes().items()
            if k not in (cls._schema.assigned_key, "resource_uri")
        }
        cls._validate(
            body, creating=True, explicit_readonly=self._changes, check_required=check_required
        )
        payload = {**body, **encode_write_value(dict(extra))}
        outcome = yield from _post_or_find_op(
            cls, Call("POST", cls._list_url, json=payload), dedupe_on, body
        )
        if isinstance(outcome, Answer):
            return (yield from self._adopt_op(outcome, body, extra))
        self._take(outcome._raw)  # the object an ambiguous POST had made
        self._changes = UNCHANGED
        return self

    def _detail(self) -> str:
        """The one URL every detail operation of this object goes to: its URI, refused
        unless a detail URI of its own resource (whatever an answer set it to)."""
        uri = self.resource_uri
        if uri:
            return checked_detail(type(self), uri, keys_in(type(self), self._raw))
        if self.pk is None:
            raise GuardError(f"This {type(self)._schema.name} has not been saved: it has no URI.")
        return detail_url_for(type(self), self.pk)

    def _save_op(
        self, extra: Mapping[str, Any], if_unchanged: bool, method: str | None = None
    ) -> Operation[Any]:
        cls = type(self)
        if self._raw.get("resource_uri") is None and self.pk is None and not self._deleted:
            return (yield from self._create_op(extra, ()))
        detail = cls._schema.allowed_detail_methods
        if method is None:
            method = "patch" if "patch" in detail else "put"
        method = method.lower()
        if method not in ("patch", "put"):
            raise ValueError("save(method=...) takes 'patch' or 'put'")
        if self._deleted:
            raise self._gone(method.upper(), self._detail(), "was deleted; nothing was sent")
        check_method(cls._schema, method, detail=True)
        if not self._changes and not extra:
            return self
        yield from self._resolve_names_op()
        changes = self._encoded_changes()
        cls._validate(changes, creating=False)
        url = self._detail()
        verb = method.upper()
        fresh: dict[str, Any] = {}
        if method == "put" or if_unchanged:
            # a written object never read back has no snapshot to compare: the read is it
            unread = self._unread
            fresh = yield from self._current_op(url, verb)
            snapshot = fresh if unread else (self._snapshot or {})
            differ = sorted(
                k
                for k in snapshot
                if if_unchanged
                and k in cls._schema.fields
                and not same_raw(snapshot.get(k), fresh.get(k))
            )
            if differ:
                raise Conflict.refused_by_client(
                    verb,
                    url,
                    f"{type(self)._schema.name} changed since it was read "
                    f"(fields: {', '.join(differ)}); nothing was sent",
                )
        extra_body = encode_write_value(dict(extra))
        if method == "patch":
            body = {**changes, **extra_body}
            try:
                answer: Answer = yield Call("PATCH", url, json=body, idempotent=True)
            except NotFound as exc:
                raise self._gone(verb, url, "was deleted", exc.status_code) from None
            return (yield from self._adopt_op(answer, changes, extra))
        # PUT replaces the whole object: send what the server has now plus this object's
        # changes, so a field someone else changed since our read is never put back
        current = {f.name: fresh[f.name] for f in cls._schema.writable() if f.name in fresh}
        body = {**current, **changes, **extra_body}
        answer = yield Call("PUT", url, json=body)
        if answer.status == 201:  # a re-created copy: never report it saved
            why = yield from _remove_recreated_op(url)
            raise self._gone(verb, url, why)
        return (yield from self._adopt_op(answer, changes, extra, base=fresh))

    def _refresh_op(self) -> Operation[Any]:
        yield from self._current_op(self._detail(), "GET", take=True)
        self._changes = UNCHANGED
        return self

    def _delete_op(self) -> Operation[None]:
        check_method(self._schema, "delete", detail=True)
        yield Call("DELETE", self._detail())
        self._deleted = True


def _find_created_op(cls: Any, names: tuple[str, ...], body: Mapping[str, Any]) -> Operation[Any]:
    """The one object whose `names` fields have the values a create sent (`dedupe_on`,
    after a POST that may have worked), or None when there is none or several."""
    lookups = {}
    for name in names:
        if name not in body:
            raise ValueError(f"dedupe_on names {name!r}, which the create does not set.")
        value = body[name]
        f = cls._schema.fields.get(name)
        uri = looks_like_uri(value) or (
            f is not None and f.is_related and isinstance(value, str) and value[:1] == "/"
        )
        lookups[name] = key_from_uri(value) if uri else value  # slashless URIs too
    qs: BaseQuerySet[Any] = BaseQuerySet(cls).filter(**lookups)
    found = yield from qs._fetch(qs._first_call(limit=2))
    objects = found[1]
    return objects[0] if len(objects) == 1 else None


def _post_or_find_op(
    cls: Any, call: Call, dedupe_on: tuple[str, ...], body: Mapping[str, Any]
) -> Operation[Any]:
    """The POST's answer; or, with `dedupe_on`, after a failure that leaves it unknown
    whether the POST worked (a lost answer, 502/504), the object it made, looked up
    before posting again (at most `retries` lookups)."""
    lookups = 0
    while True:
        try:
            answer: Answer = yield call
            return answer
        except (AmbiguousWriteError, ServerError) as exc:
            ambiguous = not isinstance(exc, ServerError) or exc.status_code in (502, 504)
            if not (ambiguous and dedupe_on) or lookups > cls._session.settings.retries:
                raise
            done = exc if isinstance(exc, UnreadableWriteAnswer) else None
        lookups += 1  # the POST may have worked: look before trying again
        existing = yield from _find_created_op(cls, dedupe_on, body)
        if existing is not None:
            return existing
        if done is not None:  # the server said it created it: never post it twice
            raise done


def _remove_recreated_op(url: str) -> Operation[str]:
    """Tastypie's PUT to a missing id creates it: the object was deleted between the
    save's read and its PUT. Delete that copy; the text says how it went."""
    try:
        yield Call("DELETE", url)
    except NotFound:
        pass
    except MailRouteError as exc:
        return f"was deleted meanwhile, the PUT re-created it and removing that copy failed ({exc})"
    return "was deleted meanwhile (the copy the PUT made was deleted again)"
