"""Every change the local stack makes to third-party code, in one place, installed by one ``install()``.

The local stack runs our handlers and the real ASL on moto, in one process; where moto or Powertools does
something real AWS (or a Lambda container) does not, a module here replaces that one piece. Each module:

- says in its docstring what the library does, what AWS does, and why the difference matters to us;
- names the library (``LIBRARY``, its distribution name) and the versions it was written for and tested
  against (``VERSIONS``, a PEP 440 range, e.g. ``>=5.2.5,<5.3``);
- installs itself with ``apply()``.

``install()`` checks every module's range against the installed versions *before* it changes anything and
raises ``RuntimeError`` naming the patch, the library, the version found and the range when one is outside:
a patch of moto's or Powertools' internals is only right for the code it was written against, so a new pin
must be looked at (read the patch, run ``tests/local``, widen the range), never picked up silently. Then it
applies each patch once; later calls do nothing (``local.stack.deploy`` and ``local.bridge.install`` both call
it). What moto or Powertools does otherwise is their own code, unchanged.
"""

from __future__ import annotations

import threading
from importlib import import_module, metadata
from types import ModuleType

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

# In the order they are applied.
MODULES = (
    "dynamodb_transactions",
    "dynamodb_one_request_at_a_time",
    "sfn_answer_before_heartbeat",
    "sfn_token_per_attempt",
    "sfn_answered_token_closed",
    "sfn_parked_waits",
    "moto_server_backend_lookup",
    "sfn_client_reuse",
    "sesv2_outbox",
    "sqs_send_without_counting",
    "cognito_seed_sub",
    "lambda_bridge",
    "powertools_per_thread",
)

_installed: set[str] = set()
_lock = threading.Lock()


def version_of(library: str) -> str:
    """The installed version of a distribution (``moto``, ``aws-lambda-powertools``)."""
    return metadata.version(library)


def patches() -> list[ModuleType]:
    return [import_module(f"{__name__}.{name}") for name in MODULES]


def check(patch: ModuleType) -> None:
    """Raise RuntimeError when the installed version of the patch's library is outside its range."""
    name = patch.__name__.rpartition(".")[2]
    try:
        found = version_of(patch.LIBRARY)
    except metadata.PackageNotFoundError:
        found = "none"
    try:
        inside = SpecifierSet(patch.VERSIONS).contains(Version(found), prereleases=True)
    except InvalidVersion:
        inside = False
    if not inside:
        raise RuntimeError(
            f"local patch {name!r} ({patch.__file__}) is written for {patch.LIBRARY} {patch.VERSIONS}, "
            f"but {patch.LIBRARY} {found} is installed. Read the patch against {patch.LIBRARY} {found} "
            f"(is the difference still there? is the replaced code the same?), run tests/local, then widen "
            f"VERSIONS or change the patch."
        )


def check_versions() -> None:
    """Every patch's range against what is installed; the first one outside raises RuntimeError."""
    for patch in patches():
        check(patch)


def install() -> None:
    """Check every patch's version range, then apply each patch that is not applied yet (idempotent)."""
    with _lock:
        if len(_installed) == len(MODULES):
            return
        found = patches()
        for patch in found:
            check(patch)
        for patch in found:
            if patch.__name__ not in _installed:
                patch.apply()
                _installed.add(patch.__name__)
