"""The committed compiled templates are what the sources compile to, and they are what renders."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from paid_invites import pages, templating


def _modules(archive: Path) -> dict[str, str]:
    with zipfile.ZipFile(archive) as z:
        return {name: z.read(name).decode() for name in sorted(z.namelist())}


@pytest.mark.parametrize("folder", templating.folders(), ids=lambda f: f.name)
def test_the_committed_compiled_templates_match_their_sources(folder: Path, tmp_path: Path) -> None:
    # Given the template sources, When they are compiled afresh
    templating.compile_templates(folder, tmp_path / "fresh.zip")
    fresh = _modules(tmp_path / "fresh.zip")
    # Then the committed modules are exactly those (one per .html/.txt source)
    committed = _modules(folder / templating.ARCHIVE)
    assert committed == fresh, f"{folder / templating.ARCHIVE} is stale: run `make templates`"
    sources = [p for p in (folder / "templates").iterdir() if p.suffix.lstrip(".") in templating.EXTENSIONS]
    assert len(fresh) == len(sources)


def test_pages_render_from_the_compiled_modules_not_the_sources() -> None:
    # Given the pages' environment, When a template is loaded, Then it comes from the archive, not templates/
    template = templating.environment(Path(pages.__file__).parent).get_template("confirm.html")
    assert templating.ARCHIVE in str(template.filename)
