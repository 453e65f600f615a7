"""What a function sees on Lambda: its own folder and our layer as `sam build` makes them, and the Powertools
layer and the runtime.

On Lambda a function's ``sys.path`` is its own folder, then ``/opt/python`` (the layers, merged), then the
runtime's packages; no site-packages of a virtualenv. The cold start runs in exactly that shape: a fresh
``python -I -S -B`` (no site, no user site, no script folder, and no ``.pyc`` written: ``/opt`` is
read-only) whose path is the function's folder and two folders:

- ``functions/<name>``: the function's folder, built by its Makefile (``functions/function.mk``, what
  ``sam build`` runs) and dated 1980-01-01 likewise;
- ``opt-python``: our layer, built by its own Makefile (``layers/core/Makefile``, what ``sam build`` runs)
  for this machine's interpreter, its files dated 1980-01-01 as they are when Lambda unpacks SAM's zip;
- ``runtime``: links to what the AWS-published Powertools layer and the runtime bring (Powertools,
  pydantic, aws-xray-sdk, fastjsonschema, boto3 and botocore, with theirs): this virtualenv's installed
  copies, at the versions the project pins, their ``.pyc`` files valid (as AWS ships them).

Our layer's boto3 and botocore come first, as on Lambda; the floor's path is the function's folder and
``runtime`` only (a function that only uses boto3 has no layer).

So nothing the virtualenv holds for the tests and the local stack (moto, requests, Flask...) is importable,
as on Lambda. ``tests/deploy/test_layer.py`` checks that the handlers import from such a path alone.
``build(sam_python_builder=True)`` makes the layer as SAM's own ``BuildMethod: python3.12`` would instead
(pip's timestamp-based ``.pyc`` files, none for our package): the cold starts' comparison row.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from local.template import ROOT

FOLDER = ROOT / "build" / "bench" / "opt-python"
RUNTIME = ROOT / "build" / "bench" / "runtime"
FUNCTIONS = ROOT / "build" / "bench" / "functions"
LAYER = ROOT / "layers" / "core"
ZIP_DATE = 315532800  # 1980-01-01 UTC: the date SAM's zip gives every entry, so the files' date on Lambda
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
                if source.suffix == ".py":  # a one-file module's .pyc is in its folder's __pycache__, not ours
                    _link_cached(source, target / source.name)
    return linked


def _link_cached(source: Path, link: Path) -> None:
    """Link ``source``'s compiled file where Python looks for ``link``'s (a folder package brings its own
    ``__pycache__``; without this, typing_extensions was compiled on every cold start: about 25 ms)."""
    compiled = Path(importlib.util.cache_from_source(str(source)))
    if compiled.exists():
        cached = Path(importlib.util.cache_from_source(str(link)))
        cached.parent.mkdir(exist_ok=True)
        cached.symlink_to(compiled)


def build_layer(target: Path, python: str = sys.executable) -> Path:
    """``sam build`` for CoreLayer into ``target`` (its ``ARTIFACTS_DIR``), for ``python`` and this machine's
    platform; the layer's ``python/`` folder."""
    command = ["make", "-C", str(LAYER), "build-CoreLayer", f"ARTIFACTS_DIR={target}", f"PYTHON={python}"]
    subprocess.run([*command, "PIP_TARGET_FLAGS="], check=True, timeout=300, capture_output=True)  # noqa: S603
    return target / "python"


def build_function(code_uri: Path, target: Path, python: str = sys.executable) -> Path:
    """``sam build`` for the function in ``code_uri`` into ``target`` (its ``ARTIFACTS_DIR``: ``/var/task``),
    by its Makefile (``functions/function.mk``), for ``python`` and this machine's platform."""
    target.mkdir(parents=True, exist_ok=True)
    command = ["make", "-C", str(code_uri), "build-Function", f"ARTIFACTS_DIR={target}", f"PYTHON={python}"]
    subprocess.run([*command, "PIP_TARGET_FLAGS="], check=True, timeout=300, capture_output=True)  # noqa: S603
    return target


def function(code_uri: Path) -> Path:
    """(Re)make a function's folder as Lambda unpacks it (``functions/<name>`` built, dated 1980); returns it."""
    folder = FUNCTIONS / code_uri.name
    shutil.rmtree(folder, ignore_errors=True)
    build_function(code_uri, folder)
    _date_as_unzipped(folder)
    return folder


def _date_as_unzipped(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):  # unpacked from SAM's zip: every file dated 1980
        for name in files:
            os.utime(os.path.join(root, name), (ZIP_DATE, ZIP_DATE))


def _sam_python_builder(target: Path) -> Path:
    """What ``BuildMethod: python3.12`` makes: the requirements installed by pip (which compiles them to
    timestamp-based ``.pyc`` files), the package copied as it is."""
    python = target / "python"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    into = ["--target", str(python), "-r", str(LAYER / "requirements.txt")]
    subprocess.run([*pip, *into], check=True, timeout=300, capture_output=True)  # noqa: S603
    shutil.copytree(LAYER / "paid_invites", python / "paid_invites", ignore=shutil.ignore_patterns("__pycache__"))
    return python


def build(sam_python_builder: bool = False) -> Path:
    """(Re)make our layer's folder (``opt-python``, or ``opt-python-sam`` as SAM's own builder makes it),
    dated as Lambda unpacks it; returns it."""
    folder = FOLDER.with_name(FOLDER.name + "-sam") if sam_python_builder else FOLDER
    staging = folder.with_name(folder.name + "-build")
    for old in (folder, staging):
        shutil.rmtree(old, ignore_errors=True)
    layer = _sam_python_builder(staging) if sam_python_builder else build_layer(staging)
    layer.rename(folder)
    shutil.rmtree(staging)
    _date_as_unzipped(folder)
    return folder


def runtime() -> Path:
    """(Re)make the folder of links to what the Powertools layer and the runtime bring; returns it."""
    shutil.rmtree(RUNTIME, ignore_errors=True)
    RUNTIME.mkdir(parents=True)
    link_distributions(RUNTIME_AND_POWERTOOLS, RUNTIME)
    return RUNTIME
