"""Writes: validate, encode, create, save, refresh and delete one object, and adopt
what the server answered as the object's new state.

`Writes` is a base of `Resource` (resources.py) holding these methods, written once as
operations (see http.py) that both clients run. It relies only on what every resource
class has: its schema (`_schema`), its registry (`_registry`) and the object's slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import quote

from .config import masked_url
from .detailuri import (
    checked_detail,
    detail_uri_problem,
    keep_own_uri,
    keys_in,
    location_path,
)
from .errors import (
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
from .fieldread import UNCHANGED
from .naming import resolve_names_op
from .operations import Answer, Call, Operation
from .query import queryset_for
from .schema import ResourceSchema, check_method
from .validation import ClassRegistry, Validation
from .values import encode_write_value, looks_like_uri, same_raw
from .vocabulary import looks_secret

__all__ = ["Writes", "detail_url_for"]

_ECHO_KEYS = frozenset({"pk"})
_is_secret = looks_secret


def _clean_read(cls: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Raw data to keep: everything but secret-looking keys the schema does not describe,
    unless the value is a flag or null (`ssl_cert_passphrase_set: false` is data)."""
    fields = cls._schema.fields
    if type(data) is dict and data.keys() <= fields.keys():
        # only schema fields: nothing to drop, and no copy either (a hot path): what an
        # object keeps is replaced, never changed in place, so sharing `data` is safe
        return cast("dict[str, Any]", data)
    return {k: v for k, v in data.items()
            if k in fields or not _is_secret(k) or v is None or isinstance(v, bool)}


def _clean_write_answer(cls: Any, body: Mapping[str, Any],
                        sent_extra: Iterable[str]) -> dict[str, Any]:
    """A write answer minus what it merely echoed (`pk`, write-only inputs, secrets)."""
    fields = cls._schema.fields
    extra = set(sent_extra)
    return {k: v for k, v in body.items()
            if k in fields or not (k in _ECHO_KEYS or k in extra or _is_secret(k))}


class _UnusableKey(GuardError, ValueError):
    """A key that would make a detail URL point at the list (or elsewhere)."""


def _key_from_uri(uri: str) -> Any:
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def detail_url_for(cls: Any, key: Any) -> str:
    """The detail URL for a primary or natural key (a string key goes in as is), in
    the server's own form: with a trailing slash only where its list URL has one."""
    if isinstance(key, Writes):
        if key.resource_uri:
            return checked_detail(cls, key.resource_uri, keys_in(cls, key._raw))
        key = key.pk
    text = "" if key is None else str(key)
    if not text or text in (".", ".."):     # the list URL, or a path step: never sent
        raise _UnusableKey(f"Not a usable key for {cls._schema.name}: {key!r}; "
                           "nothing was sent.")
    base = cls._list_url
    slash = "/" if base.endswith("/") else ""
    return f"{base}{'' if slash else '/'}{quote(text, safe='@.+-_~:,;')}{slash}"


class Writes(Validation):
    """The write half of `Resource`: every method that changes the server's data."""

    # the object's state (Resource's own slots are empty: the layout is defined here)
    __slots__ = ("_raw", "_changes", "_related", "_snapshot", "_deleted", "_unread",
                 "_typed_cache")
    _schema: ClassVar[ResourceSchema]
    _list_url: ClassVar[str]
    _registry: ClassVar[ClassRegistry]
    _validators: ClassVar[dict[bool, Any]]
    _uri_key: ClassVar[str]
    _has_schema: ClassVar[bool]
    _raw: dict[str, Any]
    _changes: dict[str, Any]
    _related: dict[str, Any]
    _snapshot: dict[str, Any] | None
    _deleted: bool
    _unread: bool
    _typed_cache: dict[str, tuple[Any, Any]]

    if TYPE_CHECKING:                   # Resource defines them
        @property
        def resource_uri(self) -> str | None: ...
        @property
        def pk(self) -> Any: ...

    @classmethod
    def _learn_uri_key(cls, data: Mapping[str, Any], uri: str | None = None) -> None:
        """Note which field a detail URI carries, when it is not the primary key
        (`detail_uri_name = "slug"`): then the URI's last part is no primary key."""
        uri = uri if uri is not None else data.get("resource_uri")
        if cls._uri_key or not cls._has_schema or not isinstance(uri, str):
            return
        last = uri.rstrip("/").rsplit("/", 1)[-1]
        pk_name = cls._schema.primary_key
        if pk_name is None or (pk_name in data and str(data[pk_name]) == last):
            return
        for name, value in data.items():
            f = cls._schema.fields.get(name)
            if (f is not None and f.unique and not isinstance(value, dict | list)
                    and str(value) == last):
                cls._uri_key = name       # a detail URI names one object: a unique field
                return

    def _adopt(self, answer: Answer, sent: Mapping[str, Any], extra: Iterable[str],
               base: Mapping[str, Any] | None = None) -> bool:
        """Take the server's answer to a write as the new last-read representation.

        True when the answer carried the object; False when it was empty (Tastypie's
        default), and what the instance now holds is only `base` plus what was sent."""
        cls = type(self)
        data = dict(self._raw if base is None else base)
        data.update(sent)
        answered = isinstance(answer.body, dict) and bool(answer.body)
        if answered:
            data.update(_clean_write_answer(cls, answer.body, extra))
            keep_own_uri(cls, data, (self._raw if base is None else base))
        path = location_path(answer)
        if path and detail_uri_problem(cls._list_url, path, keys_in(cls, data)):
            path = None             # a Location naming the list or another resource
        if path and "resource_uri" not in data and (
                not cls._has_schema or "resource_uri" in cls._schema.fields):
            data["resource_uri"] = path
        pk_name = cls._schema.primary_key
        if path:
            cls._learn_uri_key(data, path)
        if path and pk_name and pk_name not in data and cls._uri_key in ("", pk_name):
            data[pk_name] = _key_from_uri(path)
        data = _clean_read(cls, data)
        self._raw = data
        self._snapshot = data
        self._changes = UNCHANGED
        self._related = {}
        self._unread = False
        return answered

    def _adopt_op(self, answer: Answer, sent: Mapping[str, Any], extra: Iterable[str],
                  base: Mapping[str, Any] | None = None) -> Operation[Any]:
        """`_adopt`, then read the object back when the answer had no body: fields the
        server filled (`created_at`, defaults, rows it made) and values it normalised
        then read as stored, and `if_unchanged` compares against what it stored."""
        if self._adopt(answer, sent, extra, base) or self.resource_uri is None:
            return self
        try:
            fresh: Answer = yield Call("GET", self._detail())
        except MailRouteError:
            fresh = Answer(0, {}, None, "")
        if isinstance(fresh.body, dict) and fresh.body and not self._not_own(fresh.body):
            self._take(fresh.body)
        else:       # the write happened: never fail it for the read; read on first access
            self._unread = True
            self._changes = {}      # not UNCHANGED: field reads take the path reading it back
        return self

    def _take(self, data: Mapping[str, Any]) -> None:
        """The server's representation as the last read one; unsaved changes stay."""
        raw = _clean_read(type(self), data)
        self._raw = raw
        self._snapshot = raw
        self._related = {}
        self._unread = False

    def _read_back_now(self) -> None:
        """Read an object written without an answer body, before showing any field."""
        if self._registry.is_async:
            raise MailRouteError(
                f"This {type(self)._schema.name} was written but the server's answer had no "
                "body, and reading it back failed; on an AsyncClient use "
                "'await obj.refresh()' before reading its fields.")
        self._registry.run(self._current_op(self._detail(), "GET", take=True))

    def _gone(self, method: str, url: str, why: str) -> DoesNotExist:
        self._deleted = True
        return DoesNotExist(404, method, url, None,
                            f"{type(self)._schema.name} {url} {why}; a save never re-creates it")

    def _not_own(self, body: Mapping[str, Any]) -> str:
        """Why a detail answer is not an object of this resource ('' when it may be): its
        URI names another resource or a list, or it has none where the schema has one
        (a list page, or a redirect's target)."""
        cls = type(self)
        uri = body.get("resource_uri")
        if isinstance(uri, str):
            problem = detail_uri_problem(cls._list_url, uri, keys_in(cls, body))
            return f"its resource_uri {masked_url(uri)!r}: {problem}" if problem else ""
        if cls._has_schema and "resource_uri" in cls._schema.fields:
            return "it has no resource_uri"
        return ""

    def _current_op(self, url: str, method: str, take: bool = False) -> Operation[Any]:
        """The object as the server has it now (a 404: it was deleted)."""
        try:
            answer: Answer = yield Call("GET", url)
        except NotFound:
            raise self._gone(method, url, "was deleted") from None
        if not isinstance(answer.body, dict):
            raise ResponseError(f"GET {url}: expected an object, got "
                                f"{type(answer.body).__name__}")
        problem = self._not_own(answer.body)
        if problem:
            raise ResponseError(f"GET {url}: the answer is not this {type(self)._schema.name} "
                                f"({problem}); the object was left as it was.")
        if take:
            self._take(answer.body)
        return answer.body

    def _resolve_names_op(self) -> Operation[None]:
        """Related objects given by name become the objects they name (see naming.py)."""
        return resolve_names_op(self)

    def _create_op(self, extra: Mapping[str, Any], dedupe_on: tuple[str, ...],
                   check_required: bool = True) -> Operation[Any]:
        cls = type(self)
        check_method(cls._schema, "post", detail=False)
        yield from self._resolve_names_op()     # domain="acme.com": the object it names
        body = {k: v for k, v in self._encoded_changes().items()
                if k not in (cls._schema.assigned_key, "resource_uri")}
        cls._validate(body, creating=True, explicit_readonly=self._changes,
                      check_required=check_required)
        payload = {**body, **encode_write_value(dict(extra))}
        call = Call("POST", cls._list_url, json=payload)
        lookups = 0
        while True:
            try:
                answer: Answer = yield call
                break
            except (AmbiguousWriteError, ServerError) as exc:
                ambiguous = not isinstance(exc, ServerError) or exc.status_code in (502, 504)
                if not (ambiguous and dedupe_on) or lookups > cls._registry.settings.retries:
                    raise
                done = exc if isinstance(exc, UnreadableWriteAnswer) else None
            lookups += 1    # the POST may have worked: look before trying again
            existing = yield from self._find_by(dedupe_on, body)
            if existing is not None:
                self._take(existing._raw)
                self._changes = UNCHANGED
                return self
            if done is not None:    # the server said it created it: never post it twice
                raise done
        return (yield from self._adopt_op(answer, body, extra))

    def _find_by(self, names: tuple[str, ...], body: Mapping[str, Any]) -> Operation[Any]:
        cls = type(self)
        lookups = {}
        for name in names:
            if name not in body:
                raise ValueError(f"dedupe_on names {name!r}, which the create does not set.")
            value = body[name]
            f = cls._schema.fields.get(name)
            uri = looks_like_uri(value) or (f is not None and f.is_related
                                            and isinstance(value, str) and value[:1] == "/")
            lookups[name] = _key_from_uri(value) if uri else value  # slashless URIs too
        qs = queryset_for(cls).filter(**lookups)
        found = yield from qs._fetch(qs._first_call(limit=2))
        objects = found[1]
        return objects[0] if len(objects) == 1 else None

    def _detail(self) -> str:
        """The one URL every detail operation of this object goes to: its URI, refused
        unless a detail URI of its own resource (whatever an answer set it to)."""
        uri = self.resource_uri
        if uri:
            return checked_detail(type(self), uri, keys_in(type(self), self._raw))
        if self.pk is None:
            raise GuardError(f"This {type(self)._schema.name} has not been saved: it has no URI.")
        return detail_url_for(type(self), self.pk)

    def _save_op(self, extra: Mapping[str, Any], if_unchanged: bool,
                 method: str | None = None) -> Operation[Any]:
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
            differ = sorted(k for k in snapshot if if_unchanged and k in cls._schema.fields
                            and not same_raw(snapshot.get(k), fresh.get(k)))
            if differ:
                raise Conflict(409, "GET", url, None,
                               f"{type(self)._schema.name} changed since it was read "
                               f"(fields: {', '.join(differ)}); nothing was sent")
        extra_body = encode_write_value(dict(extra))
        if method == "patch":
            body = {**changes, **extra_body}
            try:
                answer: Answer = yield Call("PATCH", url, json=body, idempotent=True)
            except NotFound:
                raise self._gone(verb, url, "was deleted") from None
            return (yield from self._adopt_op(answer, changes, extra))
        # PUT replaces the whole object: send what the server has now plus this object's
        # changes, so a field someone else changed since our read is never put back
        current = {f.name: fresh[f.name] for f in cls._schema.writable() if f.name in fresh}
        body = {**current, **changes, **extra_body}
        answer = yield Call("PUT", url, json=body)
        if answer.status == 201:
            # Tastypie's PUT to a missing id creates it: the object was deleted between
            # our read and the PUT. Undo the copy, never report it saved.
            try:
                yield Call("DELETE", url)
            except NotFound:
                pass
            except MailRouteError as exc:
                raise self._gone(verb, url, f"was deleted meanwhile, the PUT re-created it "
                                            f"and removing that copy failed ({exc})") from None
            raise self._gone(verb, url, "was deleted meanwhile (the copy the PUT made was "
                                        "deleted again)")
        return (yield from self._adopt_op(answer, changes, extra, base=fresh))

    def _refresh_op(self) -> Operation[Any]:
        yield from self._current_op(self._detail(), "GET", take=True)
        self._changes = UNCHANGED
        return self

    def _delete_op(self) -> Operation[None]:
        check_method(self._schema, "delete", detail=True)
        yield Call("DELETE", self._detail())
        self._deleted = True

