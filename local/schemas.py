"""JSON Schemas of the events the service consumes and publishes, generated from their pydantic models.

    python -m local.schemas            # writes docs/schemas/<DetailType>.json (make schemas)
    python -m local.schemas --check    # exits 1 when a committed schema is stale

Each model's class name is its EventBridge detail-type; the schema describes the event's ``detail``.
To publish the schema of another event, add its model to ``MODELS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pydantic import BaseModel

from paid_invites import billing_events, lifecycle_events, platform_events

from .template import ROOT

DIR = ROOT / "docs" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Every event with a published schema: one model per detail-type (the class name).
MODELS: list[type[BaseModel]] = [
    *platform_events.CONSUMED,  # platform -> service: accounts, users, subscriptions, invoices
    *billing_events.MODELS.values(),  # billing requests (service -> billing) and their outcomes (billing -> service)
    *lifecycle_events.PUBLISHED,  # invitations' lifecycle and members removed (service -> integrators)
]


def detail_type(model: type[BaseModel]) -> str:
    return model.__name__


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"$schema": DIALECT, **model.model_json_schema(mode="validation"), "title": detail_type(model)}


def render() -> dict[str, str]:
    """File name -> its text, for every model in ``MODELS``."""
    names = [detail_type(m) for m in MODELS]
    if len(set(names)) != len(names):
        raise ValueError("two models share a detail-type")
    return {f"{detail_type(m)}.json": json.dumps(schema(m), indent=2, sort_keys=True) + "\n" for m in MODELS}


def stale() -> list[str]:
    """The schema files that differ from what the models generate (missing, changed or left over)."""
    wanted = render()
    present = {p.name for p in DIR.glob("*.json")} if DIR.exists() else set()
    return sorted(
        name
        for name in wanted.keys() | present
        if name not in wanted or name not in present or (DIR / name).read_text() != wanted[name]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        names = stale()
        if names:
            print(f"stale in {DIR}: {', '.join(names)}: run `make schemas`", file=sys.stderr)
            return 1
        return 0
    DIR.mkdir(parents=True, exist_ok=True)
    wanted = render()
    for name, text in wanted.items():
        (DIR / name).write_text(text)
    for path in DIR.glob("*.json"):
        if path.name not in wanted:
            path.unlink()
    print(f"wrote {len(wanted)} schemas to {DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
