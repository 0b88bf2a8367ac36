"""The OpenAPI document declares the error bodies the API really sends.

FastAPI documents only its own 422 (a list of problems); an AisleError's 422, 401, 403, 404, 409 and 429
are {"detail": "text"} and the guard's 413 too. A client generated from the document, or a schema check,
rejected those bodies (16 violations in one fuzzer run), so each operation's 422 is either shape and
every other error status falls under `default`, {"detail": "text"}.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

_REF = "#/components/schemas/"
_VALIDATION = {"$ref": f"{_REF}HTTPValidationError"}
_ERROR = {"$ref": f"{_REF}ErrorRead"}


class ErrorRead(BaseModel):
    """What every refusal but a request validation error carries."""

    detail: str = Field(description="What was wrong, in a sentence a clerk or developer can act on.")


def _json_schema(response: dict[str, Any]) -> dict[str, Any] | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return schema if schema else None


def _document_errors(spec: dict[str, Any]) -> None:
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorRead"] = ErrorRead.model_json_schema(ref_template=_REF + "{model}")
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            declared = responses.get("422", {})
            # An operation may answer 422 with a body of its own (a wrong redemption code): keep it.
            shapes = [_VALIDATION, _ERROR]
            own = _json_schema(declared)
            if own is not None and own not in shapes:
                shapes.append(own)
            responses["422"] = {
                "description": declared.get("description", "Validation Error"),
                "content": {"application/json": {"schema": {"anyOf": shapes}}},
            }
            responses.setdefault(
                "default",
                {
                    "description": "Refused: not signed in, not allowed, not found, a conflict, "
                    "too large or too many requests",
                    "content": {"application/json": {"schema": _ERROR}},
                },
            )


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` declare the error bodies of every operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            _document_errors(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
