"""The OpenAPI document of the whole HTTP API, generated from the handlers' typed routes.

    python -m local.openapi            # writes docs/openapi.json
    python -m local.openapi --check    # exits 1 when docs/openapi.json is stale

The admin routes come from the invite function's Powertools resolver (pydantic models, validation on);
the public accept routes from the accept function's. The Cognito authorizer appears as a bearer scheme.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .bridge import load_module
from .template import ROOT, Template

DOC = ROOT / "docs" / "openapi.json"
TITLE = "paid-account-invites"
VERSION = "1.0.0"


def build() -> dict[str, Any]:
    template = Template()
    functions = template.functions()
    doc: dict[str, Any] = {}
    for route_function in sorted({r.function for r in template.routes()}):
        app = load_module(functions[route_function]).app
        part = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        if not doc:
            doc = part
        else:
            doc["paths"].update(part.get("paths", {}))
            doc.setdefault("components", {}).setdefault("schemas", {}).update(
                part.get("components", {}).get("schemas", {})
            )
    public = {(r.method.lower(), r.path) for r in template.routes() if r.public}
    doc.setdefault("components", {})["securitySchemes"] = {
        "cognito": {"type": "http", "scheme": "bearer", "description": "Cognito ID token (`sub` = user id)"}
    }
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if (method, path.replace("<", "{").replace(">", "}")) not in public:
                operation["security"] = [{"cognito": []}]
    doc["info"]["description"] = (
        "Invite existing users into a paid organization account; the invitee accepts through the e-mailed "
        'link. Every 4xx/5xx JSON answer is {"error": {"code", "message", "details"}}.'
    )
    return doc


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC} is stale: run `python -m local.openapi`", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
