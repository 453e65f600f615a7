"""The committed compiled templates are what the sources compile to, and they are what renders."""

from __future__ import annotations

import threading
import zipfile
import zipimport
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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


def test_threads_loading_the_same_template_at_once_all_get_it() -> None:
    # Given fresh environments (nothing loaded yet) and twenty threads per template, released together
    folder = Path(pages.__file__).parent
    for _ in range(30):
        fresh = templating.environment.__wrapped__(folder)
        start = threading.Barrier(20, timeout=10)

        def load(env: Any = fresh, barrier: threading.Barrier = start) -> str:
            barrier.wait()
            return str(env.get_template("confirm.html").name)

        # When they all load the same template
        with ThreadPoolExecutor(20) as pool:
            names = list(pool.map(lambda _: load(), range(20)))
        # Then every one of them has it
        assert names == ["confirm.html"] * 20


def test_the_layers_archives_carry_bytecode_that_is_used_while_it_matches_its_source(tmp_path: Path) -> None:
    # Given a copy of the pages' archive with its bytecode added, as the layer's build adds it
    folder = tmp_path / "pages"
    folder.mkdir()
    archive = folder / templating.ARCHIVE
    archive.write_bytes((Path(pages.__file__).parent / templating.ARCHIVE).read_bytes())
    sources = list(_modules(archive))
    templating.add_bytecode(archive)
    names = [name.removesuffix(".py") for name in sources]
    # When Python's zip importer finds its modules
    importer = zipimport.zipimporter(str(archive))
    # Then each comes from its .pyc, and the page loads through the environment
    assert sorted(_names(archive)) == sorted([*sources, *(f"{name}c" for name in sources)])
    assert all(importer.get_filename(name).endswith(".pyc") for name in names)
    assert str(archive) in str(templating.environment(folder).get_template("confirm.html").filename)
    # and a module whose source changed is compiled from the source, not taken from its stale .pyc
    stale = names[0]
    with zipfile.ZipFile(archive) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    entries[f"{stale}.py"] += b"\n# changed\n"
    changed = tmp_path / "changed.zip"  # (a new path: the zip importer keeps the table of contents it read)
    with zipfile.ZipFile(changed, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    assert zipimport.zipimporter(str(changed)).get_filename(stale).endswith(".py")
    assert zipimport.zipimporter(str(changed)).get_filename(names[1]).endswith(".pyc")


def _names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as z:
        return z.namelist()
