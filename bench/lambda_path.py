"""What a function sees on Lambda, as one folder of links: our layer, the Powertools layer and the runtime.

On Lambda a function's ``sys.path`` is its own folder, then ``/opt/python`` (the layers, merged), then the
runtime's packages; no site-packages of a virtualenv. The cold start runs in exactly that shape: a fresh
``python -I -S`` (no site, no user site, no script folder) whose path is the function's folder and this
folder, which links

- our layer: ``paid_invites`` (the working tree's) and the distributions ``layers/core/requirements.txt``
  names, with their dependencies;
- the AWS-published Powertools layer and the runtime: Powertools, pydantic, aws-xray-sdk, fastjsonschema,
  boto3 and botocore, with theirs

to this virtualenv's installed copies (the versions the project pins, compiled ``.pyc`` files included).
So nothing the virtualenv holds for the tests and the local stack (moto, requests, Flask...) is importable,
as on Lambda. ``tests/deploy/test_layer.py`` checks that the handlers import from such a path alone.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import shutil
from pathlib import Path

from local.template import ROOT

FOLDER = ROOT / "build" / "bench" / "opt-python"
LAYER_REQUIREMENTS = ROOT / "layers" / "core" / "requirements.txt"
RUNTIME_AND_POWERTOOLS = ["boto3", "aws-lambda-powertools", "pydantic", "aws-xray-sdk", "fastjsonschema"]


def _requirements(dist: md.Distribution) -> list[str]:
    names = []
    for requirement in dist.requires or []:
        if "extra ==" in requirement:
            continue
        names.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return names


def _top_level(dist: md.Distribution) -> set[str]:
    found = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".egg-info", ".pth")) or first in ("..", "__pycache__", "bin"):
            continue
        found.add(first.removesuffix(".py") if len(file.parts) == 1 else first)
    return found


def _layer_names() -> list[str]:
    names = []
    for raw in LAYER_REQUIREMENTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.append(re.split(r"[\s;<>=!~\[(]", line, maxsplit=1)[0])
    return names


def link_distributions(names: list[str], target: Path) -> set[str]:
    """Link the top-level modules of the distributions ``names`` and of all they depend on into ``target``
    (a module already there is kept); the modules linked."""
    todo, seen, linked = list(names), set(), set()
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        dist = md.distribution(name)
        todo += _requirements(dist)
        for module in _top_level(dist):
            source = Path(str(dist.locate_file(module)))
            source = source if source.exists() else source.with_suffix(".py")
            if source.exists() and not (target / source.name).exists():
                (target / source.name).symlink_to(source)
                linked.add(module)
    return linked


def build() -> Path:
    """(Re)make the folder of links; returns it. Cheap: links only."""
    if FOLDER.exists():
        shutil.rmtree(FOLDER)
    FOLDER.mkdir(parents=True)
    (FOLDER / "paid_invites").symlink_to(ROOT / "layers" / "core" / "paid_invites")
    link_distributions([*_layer_names(), *RUNTIME_AND_POWERTOOLS], FOLDER)
    return FOLDER
