"""The list and detail endpoints of a resource (TASTYPIE.md §7): GET, POST, PUT, PATCH and
DELETE on `/<resource>/` and `/<resource>/<key>/`, over the store."""

from __future__ import annotations

import random
from typing import Any

from ..errors import FakeHttpError, FakeLookupValueError
from .answers import bad_request, canned
from .defs import ResourceDef
from .exchange import HTML, JSON, Reply, Request, ok, read_body, to_json
from .ordering import apply_ordering, parse_ordering, scan_order
from .query import page_bounds, page_meta, parse_filters, select
from .store import Store

__all__ = ["Views"]


class Views:
    """The endpoints' views, sharing the store and the paging limits."""

    def __init__(self, store: Store, api_path: str, max_limit: int, seed: int = 0):
        self.store = store
        self.api_path = api_path
        self.max_limit = max_limit
        self._tokens = random.Random(seed)

    # -- set and custom actions

    def get_set(self, rdef: ResourceDef, req: Request, ids_text: str) -> Reply:
        """`/<resource>/set/1;2/`: the objects found, and the ids not found."""
        ids = ids_text.split(";")
        try:
            keys = [rdef.pk_from_text(i) for i in ids]
        except ValueError:
            raise canned(500) from None
        found = {str(k): self.store.get(rdef.name, k) for k in keys}
        objects, missing = [], []
        for ident in ids:
            obj = found.get(ident)
            if obj is None:
                missing.append(ident)
            else:
                objects.append(self.store.render(rdef, obj))
        data: dict[str, Any] = {"objects": objects}
        if missing:
            data["not_found"] = missing
        return ok(req, data)

    def action(self, rdef: ResourceDef, req: Request, key_text: str | None, name: str) -> Reply:
        """A custom route from rules.json (MailRoute's `regenerate_api_key`, `mass_*`)."""
        if key_text is not None and self.store.get(rdef.name, self.key(rdef, key_text)) is None:
            return Reply(404, HTML)
        spec = rdef.actions[name]
        answer = spec.get("answer")
        status = int(spec.get("status", 200))
        if answer is None:
            return Reply(status, HTML, b"")
        return Reply(status, JSON, to_json(self._fresh_tokens(answer)))

    def _fresh_tokens(self, value: Any) -> Any:
        if value == "$token":
            return f"{self._tokens.getrandbits(160):040x}"
        if isinstance(value, dict):
            return {k: self._fresh_tokens(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fresh_tokens(v) for v in value]
        return value

    def get_list(self, rdef: ResourceDef, req: Request) -> Reply:
        conditions = parse_filters(self.store, rdef, req.query)
        ordering = parse_ordering(self.store, rdef, req.query)
        rows = scan_order(self.store, list(select(self.store, rdef, conditions)), conditions)
        rows = apply_ordering(self.store, rows, ordering)
        limit, offset = page_bounds(req.query, rdef.default_limit, self.max_limit)
        page = rows[offset : offset + limit] if limit else rows[offset:]
        meta = page_meta(f"{self.api_path}{rdef.name}/", req.query, limit, offset, len(rows))
        return ok(req, {"meta": meta, "objects": [self.store.render(rdef, o) for o in page]})

    def post_list(self, rdef: ResourceDef, req: Request) -> Reply:
        body = read_body(req)
        obj = self.store.create(rdef, body)
        location = {"Location": obj["resource_uri"]}
        if rdef.always_return_data:
            return ok(req, self.store.render(rdef, obj), 201, location)
        return Reply(201, HTML, b"", location)

    def matching(self, rdef: ResourceDef, req: Request) -> list[Any]:
        """Keys of the objects the query's filters select (once each)."""
        conditions = parse_filters(self.store, rdef, req.query)
        return list(dict.fromkeys(o.get(rdef.pk) for o in select(self.store, rdef, conditions)))

    def delete_list(self, rdef: ResourceDef, req: Request) -> Reply:
        self.store.delete(rdef, *self.matching(rdef, req))
        return Reply(204)

    def put_list(self, rdef: ResourceDef, req: Request) -> Reply:
        body = read_body(req)
        if not isinstance(body, dict) or "objects" not in body:
            raise bad_request("Invalid data sent: missing 'objects'")
        if not isinstance(body["objects"], list):
            raise canned(500)
        self.store.delete(rdef, *self.matching(rdef, req))
        created: list[dict[str, Any]] = []
        for item in body["objects"]:
            try:
                created.append(self.store.create(rdef, item))
            except FakeHttpError as exc:
                if exc.status == 400 and isinstance(exc.body, dict) and rdef.name in exc.body:
                    # Tastypie's rollback deletes the rows this request created
                    self.store.delete(rdef, *(obj[rdef.pk] for obj in created))
                raise
        if rdef.always_return_data:
            return ok(req, {"objects": [self.store.render(rdef, o) for o in created]})
        return Reply(204)

    def patch_list(self, rdef: ResourceDef, req: Request) -> Reply:
        body = read_body(req)
        if not isinstance(body, dict) or "objects" not in body:
            raise bad_request("Invalid data sent: missing 'objects'")
        items = body["objects"]
        if not isinstance(items, list):
            raise canned(500)
        if items and "put" not in rdef.detail_methods:
            raise FakeHttpError(405)
        state = self.store.snapshot()
        try:
            seen = []
            for item in items:
                if not isinstance(item, dict):
                    raise canned(500)
                data = dict(item)
                if "resource_uri" in data:
                    uri = data.pop("resource_uri")
                    key = self.store.key_via_uri(rdef, uri) if isinstance(uri, str) else None
                    if key is None:
                        raise canned(500)
                    current = self.store.get(rdef.name, key)
                    if current is not None:
                        seen.append(self.store.update(rdef, current, data, patch=True))
                        continue
                seen.append(self.store.create(rdef, data))
            deleted = body.get("deleted_objects") or []
            if deleted:
                if "delete" not in rdef.detail_methods:
                    raise FakeHttpError(405)
                for uri in deleted:
                    key = self.store.key_via_uri(rdef, uri) if isinstance(uri, str) else None
                    if key is None:
                        raise canned(500)
                    if self.store.get(rdef.name, key) is None:
                        raise canned(404)
                    self.store.delete(rdef, key)
        except (FakeHttpError, FakeLookupValueError):
            self.store.restore(state)
            raise
        if rdef.always_return_data:
            return ok(req, {"objects": [self.store.render(rdef, o) for o in seen]}, 202)
        return Reply(202, HTML, b"")

    # -- detail endpoint

    def key(self, rdef: ResourceDef, text: str) -> Any:
        try:
            return rdef.pk_from_text(text)
        except ValueError:
            raise canned(404) from None

    def get_detail(self, rdef: ResourceDef, req: Request, text: str) -> Reply:
        obj = self.store.get(rdef.name, self.key(rdef, text))
        if obj is None:
            return Reply(404, HTML)
        return ok(req, self.store.render(rdef, obj))

    def post_detail(self, rdef: ResourceDef, req: Request, text: str) -> Reply:
        return Reply(501, HTML)

    def put_detail(self, rdef: ResourceDef, req: Request, text: str) -> Reply:
        body = read_body(req)
        try:
            key = rdef.pk_from_text(text)
        except ValueError:
            key = None
        current = self.store.get(rdef.name, key) if key is not None else None
        if current is not None:
            obj = self.store.update(rdef, current, body, patch=False)
            if rdef.always_return_data:
                return ok(req, self.store.render(rdef, obj))
            return Reply(204)
        # a missing object, or a key the database cannot read: Tastypie creates one
        obj = self.store.create(rdef, body, text if key is None else key)
        location = {"Location": obj["resource_uri"]}
        if rdef.always_return_data:
            return ok(req, self.store.render(rdef, obj), 201, location)
        return Reply(201, HTML, b"", location)

    def patch_detail(self, rdef: ResourceDef, req: Request, text: str) -> Reply:
        current = self.store.get(rdef.name, self.key(rdef, text))
        if current is None:
            return Reply(404, HTML)
        body = read_body(req)
        obj = self.store.update(rdef, current, body, patch=True, fields_sent_only=True)
        if rdef.always_return_data:
            return ok(req, self.store.render(rdef, self.store.as_saved_in_memory(rdef, obj)), 202)
        return Reply(202, HTML, b"")

    def delete_detail(self, rdef: ResourceDef, req: Request, text: str) -> Reply:
        try:
            key = rdef.pk_from_text(text)
        except ValueError:
            return Reply(404, HTML)
        if self.store.get(rdef.name, key) is None:
            return Reply(404, HTML)
        self.store.delete(rdef, key)
        return Reply(204)
