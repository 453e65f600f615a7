"""Jinja2 for the accept pages and the e-mails: autoescaped (``.html``), strict, compiled ahead of time.

Each template folder (``pages/``, ``mail/``) holds ``templates/`` (the sources, edited by hand) and
``compiled.zip`` (what Jinja's own ``Environment.compile_templates`` makes of them: one Python module per
template, committed). The functions load the compiled modules, so a cold start neither lexes, parses nor
generates code for the templates it renders (loading a page and its base: 9.5 ms from the sources, 4.3 ms
from the archive on the bench machine; docs/benchmarks.md). A zip, not a folder of modules: generated code
is not ours to lint or review. The committed archive holds the modules' source only; the layer's build
(``layers/core/Makefile``) adds each module's bytecode to the layer's copy (``add_bytecode``: checked-hash
``.pyc`` entries beside the sources, which Python's zip importer prefers while they match), so a cold start
does not compile them either (Lambda's ``/opt`` is read-only: nothing could write them there).
``make templates`` writes the archive anew; tests/unit/test_templating.py fails when it is not what the
sources compile to.
"""

from __future__ import annotations

import py_compile
import sys
import tempfile
import threading
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

EXTENSIONS = ("html", "txt")
ARCHIVE = "compiled.zip"
_loading = threading.Lock()


def _environment(loader: Any) -> Any:
    import jinja2  # only the functions that render pay for Jinja2

    return jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def environment(folder: Path) -> Any:
    """The environment of ``folder``'s compiled templates (built once per container)."""
    import jinja2

    class Compiled(jinja2.ModuleLoader):  # type: ignore[misc]
        """Jinja's loader of compiled templates, one load at a time: it imports a template's module and takes
        it out of ``sys.modules`` again, which two threads loading the same template at once trip over (a
        Lambda container handles one invocation at a time; the local stack serves requests on threads)."""

        def load(self, environment: Any, name: str, globals: Any = None) -> Any:
            with _loading:
                return super().load(environment, name, globals)

    return _environment(Compiled(folder / ARCHIVE))


def compile_templates(folder: Path, target: Path | None = None) -> None:
    """Compile ``folder/templates`` into the zip ``target`` (``folder/compiled.zip``), replacing it."""
    import jinja2

    source = _environment(jinja2.FileSystemLoader(folder / "templates"))
    source.compile_templates(
        str(target or folder / ARCHIVE), extensions=EXTENSIONS, zip="deflated", ignore_errors=False
    )


def add_bytecode(archive: Path) -> None:
    """Add to ``archive`` a checked-hash ``.pyc`` of each of its modules, for this interpreter (the layer's build
    runs it with the runtime's Python). The zip importer loads a module's ``.pyc`` while its hash matches the
    source beside it in the archive, and compiles the source otherwise."""
    with zipfile.ZipFile(archive) as z:
        entries = [(info, z.read(info)) for info in z.infolist() if not info.filename.endswith(".pyc")]
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data)
            if not info.filename.endswith(".py"):
                continue
            source = Path(scratch) / info.filename
            source.write_bytes(data)
            compiled = Path(f"{source}c")
            py_compile.compile(
                str(source),
                cfile=str(compiled),
                dfile=f"{archive.name}/{info.filename}",
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )
            z.writestr(zipfile.ZipInfo(f"{info.filename}c", info.date_time), compiled.read_bytes())


def folders() -> list[Path]:
    """The package's template folders."""
    here = Path(__file__).parent
    return [here / "pages", here / "mail"]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bytecode"]:  # the layer's build: python -m paid_invites.templating --bytecode <package>
        for folder in folders():
            add_bytecode(Path(sys.argv[2]) / folder.name / ARCHIVE)
    else:  # make templates
        for folder in folders():
            compile_templates(folder)
            print(f"compiled {folder / 'templates'} -> {folder / ARCHIVE}")
