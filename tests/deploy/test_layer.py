"""The layer builds into the layout Lambda expects, and every handler imports from it alone.

What is honest here: on Lambda a function sees its own folder, then /opt/python (our layer and the
Powertools layer, merged), then the runtime (which brings boto3 and botocore). We build our layer with
what `sam build` runs for it (layers/core/Makefile: the layer's requirements.txt installed into python/,
the package copied beside them, every module compiled to a .pyc that stays valid in SAM's zip) and
put, in a separate folder, only what the runtime and the AWS-published Powertools layer bring: boto3
and botocore, Powertools with pydantic, aws-xray-sdk and fastjsonschema, and their dependencies (taken
from this virtualenv, at the versions the project pins). Then each handler is imported in a
fresh interpreter that has no site-packages: if our code needs anything else (pynamodb, jinja2, a
template file), it must come from the layer we built, or the import fails.

The dependencies are built for this machine, not for arm64: that is only equivalent when the layer
holds no compiled code it cannot do without, which is checked too, apart from cryptography (and its cffi),
which the ID-token check needs: the Makefile installs their manylinux2014_aarch64 wheels (--only-binary).
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import lambda_path
from local.template import ROOT

from .sam import transformed

LAYER = ROOT / "layers" / "core"
# Compiled modules with a pure-Python fallback (MarkupSafe's speedups): harmless when built for x86
OPTIONAL_NATIVE = re.compile(r"markupsafe/_speedups\..*\.so$")
# Compiled modules the layer needs, published as arm64 wheels for Lambda's platform (layers/core/Makefile)
NATIVE_FOR_LAMBDA = re.compile(r"^(_cffi_backend\..*\.so|cryptography/hazmat/bindings/_rust\.abi3\.so)$")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` for CoreLayer: its own Makefile (BuildMethod makefile), for this machine's interpreter."""
    return lambda_path.build_layer(tmp_path_factory.mktemp("layer"))


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`sam build` for every function: its folder's Makefile (functions/function.mk), for this machine's
    interpreter; logical id -> what Lambda unpacks into /var/task."""
    root = tmp_path_factory.mktemp("functions")
    return {
        logical_id: lambda_path.build_function(folder, root / logical_id)
        for logical_id, folder in transformed().local_paths.items()
        if logical_id in transformed().resources("AWS::Lambda::Function")
    }


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("runtime")
    # the runtime's and the Powertools layer's distributions, linked as for the cold start (bench/lambda_path.py)
    linked = lambda_path.link_distributions(lambda_path.RUNTIME_AND_POWERTOOLS, target)
    assert {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "aws_xray_sdk"} <= linked
    assert not linked & {"paid_invites", "pynamodb", "jinja2", "markupsafe"}, "those must come from our layer"
    return target


def test_the_layer_has_our_package_its_files_and_its_dependencies_under_python(built: Path) -> None:
    assert (built / "paid_invites" / "__init__.py").is_file()
    for folder in ("mail/templates", "pages/templates"):
        assert any((built / "paid_invites" / folder).iterdir()), f"{folder} is not in the layer"
    for package in ("pynamodb", "jinja2", "markupsafe"):
        assert (built / package / "__init__.py").is_file(), f"{package} is not in the layer"


def stale_modules(folder: Path) -> list[str]:
    """The modules under ``folder`` that Python would compile from source: no .pyc that is hash-based and
    checked (PEP 552: flags 0b11) for exactly this source."""
    stale = []
    for source in sorted(folder.rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        flags = int.from_bytes(header[4:8], "little") if header else 0
        if flags != 0b11 or header[8:16] != importlib.util.source_hash(source.read_bytes()):
            stale.append(str(source.relative_to(folder)))
    return stale


def test_every_module_of_the_layer_has_a_bytecode_file_that_survives_the_zip(built: Path) -> None:
    # Given the built layer: SAM zips it with every entry dated 1980, and /opt is read-only on Lambda
    assert len(list(built.rglob("*.py"))) > 200, "the SDK, pynamodb, Jinja2 and our package"
    # When Python looks for each module's .pyc
    stale = stale_modules(built)
    # Then there is one for exactly that source, whatever the files' dates
    assert stale == [], f"{len(stale)} modules would be compiled on every cold start, e.g. {stale[:5]}"


def test_every_function_is_built_with_its_handler_and_a_bytecode_file_for_each_module(tasks: dict[str, Path]) -> None:
    # Given every function built as sam build builds it (BuildMethod makefile): /var/task is read-only too
    assert len(tasks) >= 10
    for logical_id, task in tasks.items():
        source = transformed().local_paths[logical_id]
        # Then the folder holds the function's own files (not its Makefile), and the packages its
        # requirements.txt names, if it has one
        assert {p.name for p in source.iterdir() if p.suffix == ".py"} <= {p.name for p in task.iterdir()}
        assert not (task / "Makefile").exists(), logical_id
        if (source / "requirements.txt").exists():
            for line in (source / "requirements.txt").read_text().splitlines():
                if "==" in line:
                    assert (task / line.split("==")[0].strip()).is_dir(), f"{logical_id}: {line}"
        # and every module has its .pyc, so the handler's module is not compiled on every cold start
        assert stale_modules(task) == [], logical_id


def test_the_sdk_in_the_layer_is_a_matched_pinned_pair(built: Path) -> None:
    # botocore comes with pynamodb and shadows the runtime's: the boto3 beside it must be its own
    versions = {d.metadata["Name"].lower(): d.version for d in md.distributions(path=[str(built)])}
    assert "botocore" in versions and versions.get("boto3") == versions["botocore"], versions
    pinned = dict(line.split("==") for line in (LAYER / "requirements.txt").read_text().splitlines() if "==" in line)
    assert (pinned.get("boto3"), pinned.get("botocore")) == (versions["boto3"], versions["botocore"])


def test_the_layer_holds_no_compiled_code_it_cannot_do_without(built: Path) -> None:
    native = [str(p.relative_to(built)) for p in built.rglob("*.so")]
    assert [n for n in native if not OPTIONAL_NATIVE.search(n) and not NATIVE_FOR_LAMBDA.search(n)] == []


def test_every_handler_imports_with_only_the_layer_and_the_runtime_on_the_path(
    built: Path, runtime: Path, tasks: dict[str, Path]
) -> None:
    functions = transformed().resources("AWS::Lambda::Function")
    assert functions
    for logical_id, fn in functions.items():
        # Given the function's folder as built, our layer and the stand-in for the runtime, and nothing else
        folder = tasks[logical_id]
        module = fn["Properties"]["Handler"].rpartition(".")[0]
        script = (
            "import sys, importlib\n"
            "compiled = []\n"  # every module compiled from source on the way (a cold start's waste)
            "loader = importlib._bootstrap_external.SourceLoader\n"
            "real = loader.source_to_code\n"
            "loader.source_to_code = lambda self, data, path, *a: compiled.append(path) or real(self, data, path, *a)\n"
            f"sys.path[:0] = [{str(folder)!r}, {str(built)!r}, {str(runtime)!r}]\n"
            f"handler = importlib.import_module({module!r})\n"
            f"assert callable(getattr(handler, {fn['Properties']['Handler'].rpartition('.')[2]!r}))\n"
            "import paid_invites, pynamodb, jinja2\n"
            f"for m in (paid_invites, pynamodb, jinja2): assert m.__file__.startswith({str(built)!r}), m.__file__\n"
            "assert compiled == [], compiled\n"
        )
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": logical_id,
            "LAMBDA_TASK_ROOT": str(folder),
        }
        # When it is imported in a fresh interpreter without site-packages (-S), outside the project (-I),
        # writing no .pyc (-B: /opt is read-only)
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-I", "-S", "-B", "-c", script],
            cwd=built.parent,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # Then it imports, our code and its dependencies came from the layer, and nothing was compiled from
        # source (each module of the function, the layer and the runtime had its .pyc)
        assert done.returncode == 0, f"{logical_id}:\n{done.stderr[-2000:]}"


def test_the_layer_ships_cldr_data_for_the_languages_we_serve_only_and_formats_each(built: Path) -> None:
    # Given the built layer, and the languages we serve (the catalogues of paid_invites/locale)
    served = sorted(p.name for p in (LAYER / "paid_invites" / "locale").iterdir() if p.is_dir())
    # Then Babel's CLDR data is root's and theirs alone, and the catalogues ship compiled, without sources
    shipped = sorted(p.stem for p in (built / "babel" / "locale-data").glob("*.dat"))
    assert shipped == sorted(["root", *served])
    assert sorted(p.parent.parent.name for p in (built / "paid_invites" / "locale").rglob("*.mo")) == served
    assert list((built / "paid_invites" / "locale").rglob("*.po")) == []
    # And each language formats money, in every currency Babel knows, and a date from that data alone (the
    # categories formatting never reads dropped), in an interpreter with only the layer
    script = (
        f"import sys; sys.path[:0] = [{str(built)!r}]\n"
        "import datetime, pickle\n"
        "from babel.numbers import list_currencies\n"
        "from paid_invites import formatting\n"
        "from paid_invites.money import Money\n"
        f"for lang in {served!r}:\n"
        "    day = datetime.date(2026, 12, 7)\n"
        "    every = [formatting.money(Money(123456, code), lang) for code in sorted(list_currencies())]\n"
        "    print(lang, formatting.money(Money(14990, 'EUR'), lang), formatting.date(day, lang), len(every))\n"
        "import babel, pathlib\n"
        "data = pathlib.Path(babel.__file__).parent\n"
        "kept = set(pickle.load(open(data / 'locale-data' / 'en.dat', 'rb')))\n"
        "kept_global = set(pickle.load(open(data / 'global.dat', 'rb')))\n"
        "print('dropped', not kept & formatting.UNUSED_LOCALE_DATA, not kept_global & formatting.UNUSED_GLOBAL_DATA)\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert any(line.startswith("de 149,90\xa0€ 7. Dezember 2026 ") for line in lines), lines
    assert all(int(line.rsplit(" ", 1)[1]) > 250 for line in lines[:-1]), lines  # every ISO 4217 currency
    assert lines[-1] == "dropped True True"


def test_every_handler_starts_without_a_garbage_collection_and_collects_after_its_first_invocation(
    built: Path, runtime: Path
) -> None:
    for logical_id, fn in transformed().resources("AWS::Lambda::Function").items():
        # Given a fresh interpreter with the function's folder, our layer and the runtime
        folder = transformed().local_paths[logical_id]
        module, _, name = fn["Properties"]["Handler"].rpartition(".")
        script = (
            "import gc, importlib, json, sys\n"
            f"sys.path[:0] = [{str(folder)!r}, {str(built)!r}, {str(runtime)!r}]\n"
            "threshold = gc.get_threshold()\n"
            "collected = []\n"  # the generations collected once the start began (paid_invites.startup imported)
            "gc.callbacks.append(lambda phase, info: phase == 'start' and 'paid_invites.startup' in sys.modules"
            " and collected.append(info['generation']))\n"
            f"handler = getattr(importlib.import_module({module!r}), {name!r})\n"
            "imported = [list(collected), gc.get_threshold() != threshold]\n"
            "class Context:\n"
            "    function_name, function_version, memory_limit_in_mb = 'f', '$LATEST', 256\n"
            "    invoked_function_arn, aws_request_id = 'arn:aws:lambda:us-east-1:1:function:f', 'r'\n"
            "    def get_remaining_time_in_millis(self): return 1000\n"
            "try:\n"
            "    handler({}, Context())\n"  # answered or refused: either ends the start (no AWS here)
            "except Exception:\n"
            "    pass\n"
            "print(json.dumps([imported, gc.get_threshold() == threshold, gc.get_freeze_count()]))\n"
        )
        # When the handler's module is imported, and the handler invoked once
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-I", "-S", "-B", "-c", script],
            env={
                "PATH": os.environ.get("PATH", ""),
                "AWS_REGION": "us-east-1",
                "LAMBDA_TASK_ROOT": str(folder),
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing answers: no request leaves the machine
                "AWS_MAX_ATTEMPTS": "1",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{logical_id}:\n{done.stderr[-2000:]}"
        (collected, raised), restored, frozen = json.loads(done.stdout.splitlines()[-1])
        # Then nothing was collected while the module loaded (its first import raised the threshold), and after
        # the first invocation the thresholds are what they were and what the start made is frozen
        assert collected == [], f"{logical_id}: generations collected while the module loaded: {collected}"
        assert raised, logical_id
        assert restored, logical_id
        assert frozen > 50_000, f"{logical_id}: {frozen} objects frozen"
