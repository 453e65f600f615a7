"""The committed OpenAPI document is the one the code generates, and it covers every route."""

from __future__ import annotations

import json

from local.openapi import DOC, build, render
from local.template import Template


def test_the_committed_document_matches_the_code() -> None:
    assert DOC.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_of_the_template_is_documented_and_nothing_else() -> None:
    doc = build()
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    declared = {(r.method, r.path) for r in Template().routes()}
    assert documented == declared


def test_admin_routes_need_the_bearer_token_and_the_accept_link_does_not() -> None:
    doc = build()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert ("security" in op) == (not path.startswith("/invitations/accept")), (method, path)


def test_errors_share_one_documented_shape() -> None:
    doc = json.loads(render())
    error = doc["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    post = doc["paths"]["/accounts/{accountId}/invitations"]["post"]["responses"]
    assert post["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
