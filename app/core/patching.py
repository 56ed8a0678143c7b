"""PATCH bodies: a field left out changes nothing, and some fields may be left out but never
set to null (a title, a status, a date). One list per model says which; it both refuses the
null (422) and removes `null` from those fields in the published schema, so that clients and
fuzzers know the rule."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_NULL = {"type": "null"}


def _without_null(field_schema: dict[str, Any]) -> None:
    """`{"anyOf": [X, {"type": "null"}], "title": …}` becomes `{**X, "title": …}`."""
    branches = [branch for branch in field_schema.get("anyOf", ()) if branch != _NULL]
    if not branches:
        return
    del field_schema["anyOf"]
    if len(branches) == 1:
        field_schema.update(branches[0])
    else:
        field_schema["anyOf"] = branches
    if "default" in field_schema and field_schema["default"] is None:
        del field_schema["default"]


class PatchBody(BaseModel):
    """Base of PATCH bodies whose `not_nullable` fields may be absent but not null."""

    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_null(self) -> Self:
        nulled = sorted(
            name
            for name in self.model_fields_set & self.not_nullable
            if getattr(self, name) is None
        )
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(core_schema)
        properties = handler.resolve_ref_schema(json_schema).get("properties", {})
        for name in cls.not_nullable:
            if name in properties:
                _without_null(properties[name])
        return json_schema
