"""The published OpenAPI document, completed with the problem details every operation can give.

Routers declare the statuses they think of; the domain can raise more (any service may refuse a
role, find nothing, clash with the state, or refuse an input). Rather than each router listing
them by hand, the document is completed here from what an operation is: every one may answer
422 and 500; one that needs a token 401, 403 and 404; one that changes something 400 and 409.
And every error is documented as what it is on the wire: ``application/problem+json`` with the
``Problem`` schema (FastAPI would describe it as ``application/json``, and its default 422 as a
``{detail: [...]}`` body we never send).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.problems import PROBLEM_JSON
from api.schemas import PROBLEM_DESCRIPTIONS, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
WRITES = {"post", "put", "patch", "delete"}
HTTP_METHODS = WRITES | {"get", "head", "options", "trace"}
# FastAPI's models for its default 422, which our handler never sends.
UNSENT = ("HTTPValidationError", "ValidationError")


def problem_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses an operation can answer with, from what it is."""
    statuses = {422, 500}
    if operation.get("security"):
        statuses |= {401, 403, 404}
        if method in WRITES:
            statuses |= {400, 409}
    return statuses


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the missing problem responses to every API operation, each as problem+json."""
    for path, item in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for number in problem_statuses(method, operation):
                responses.setdefault(str(number), {
                    "description": PROBLEM_DESCRIPTIONS.get(number, "Error")})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            operation["responses"] = dict(sorted(responses.items()))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" not in components:
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
    text = repr(schema.get("paths"))
    for name in UNSENT:
        if f"#/components/schemas/{name}'" not in text:
            components.pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed document (built once, on first request, like FastAPI's own)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
