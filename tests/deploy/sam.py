"""The template as CloudFormation will see it: transformed offline by the SAM translator.

``sam deploy`` packages first: it uploads every CodeUri/ContentUri/DefinitionUri and writes S3
locations in their place, and only then does CloudFormation run the transform. ``transformed`` does
the same with made-up S3 locations, and remembers where each one came from.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from local.template import ROOT, TEMPLATE, Template

BUCKET = "packaged"


@dataclass(frozen=True)
class Transformed:
    source: dict[str, Any]  # template.yaml as written (short tags in their long form)
    output: dict[str, Any]  # what CloudFormation deploys
    local_paths: dict[str, Path]  # logical id -> the folder or file `sam package` would upload for it

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.output["Resources"].items() if v["Type"] == kind}

    def source_resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.source["Resources"].items() if v["Type"] == kind}


class _NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only for policies named by name; we name none."""

    @staticmethod
    def load() -> dict[str, str]:
        return {}


def package(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Path]]:
    """What `sam package` does to the template: local paths become S3 locations."""
    packaged = copy.deepcopy(doc)
    paths: dict[str, Path] = {}
    for logical_id, resource in packaged["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                paths[logical_id] = ROOT / props[key]
                props[key] = f"s3://{BUCKET}/{logical_id}.zip"
        if isinstance(props.get("DefinitionUri"), str):
            paths[logical_id] = ROOT / props["DefinitionUri"]
            props["DefinitionUri"] = {"Bucket": BUCKET, "Key": f"{logical_id}.asl.json"}
    return packaged, paths


@cache
def transformed() -> Transformed:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the translator fills in pseudo parameters
    doc = yaml_parse(TEMPLATE.read_text())
    packaged, paths = package(doc)
    output = transform(packaged, {}, _NoManagedPolicies())
    return Transformed(source=Template().doc, output=output, local_paths=paths)


PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def cfn_lint(parameters: dict[str, str]) -> str:
    """cfn-lint's findings on template.yaml with these parameter values (empty when it is clean)."""
    values = [f"{k}={v}" for k, v in parameters.items()]
    linted = subprocess.run(  # noqa: S603 - our own interpreter's cfn-lint
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE), "--parameters", *values],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    return "" if linted.returncode == 0 else linted.stdout + linted.stderr
