"""Jinja2 for the accept pages and the e-mails: autoescaped (``.html``), strict, compiled ahead of time.

Each template folder (``pages/``, ``mail/``) holds ``templates/`` (the sources, edited by hand) and
``compiled.zip`` (what Jinja's own ``Environment.compile_templates`` makes of them: one Python module per
template, committed). The functions load the compiled modules, so a cold start neither lexes, parses nor
generates code for the templates it renders (loading a page and its base: 9.5 ms from the sources, 4.3 ms
from the archive on the bench machine; docs/benchmarks.md). A zip, not a folder of modules: generated code
is not ours to lint or review, and the modules compile at import as they do in Lambda, where nothing can
write ``.pyc`` files next to them.
``make templates`` writes it anew; tests/unit/test_templating.py fails when it is not what the sources
compile to.
"""

from __future__ import annotations

import threading
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


def folders() -> list[Path]:
    """The package's template folders."""
    here = Path(__file__).parent
    return [here / "pages", here / "mail"]


if __name__ == "__main__":  # make templates
    for folder in folders():
        compile_templates(folder)
        print(f"compiled {folder / 'templates'} -> {folder / ARCHIVE}")
