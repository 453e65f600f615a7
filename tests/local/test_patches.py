"""The local stack's patches of moto and Powertools: each is installed once, and none is installed on a version
of its library it was not written for (start-up stops with a message that names the patch and the versions)."""

from __future__ import annotations

import pytest

from local import patches


def test_every_patch_names_its_library_a_version_range_and_why() -> None:
    # Given the patch modules; Then each says why it exists and which versions of which library it fits
    for patch in patches.patches():
        assert patch.LIBRARY in {"moto", "aws-lambda-powertools"}, patch.__name__
        assert patch.VERSIONS and callable(patch.apply), patch.__name__
        assert len((patch.__doc__ or "").split()) > 40, f"{patch.__name__} does not say what it changes and why"
    # and the installed versions are inside every range (the pinned requirements)
    patches.check_versions()


def test_install_applies_each_patch_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a process where no patch was applied yet, each patch counting its applications
    applied: list[str] = []
    monkeypatch.setattr(patches, "_installed", set())
    for patch in patches.patches():
        monkeypatch.setattr(patch, "apply", lambda name=patch.__name__: applied.append(name))
    # When install() is called by the stack and by the bridge, and again
    patches.install()
    patches.install()
    patches.install()
    # Then every patch was applied exactly once
    assert sorted(applied) == sorted(f"local.patches.{name}" for name in patches.MODULES)


@pytest.mark.parametrize(
    ("library", "found"),
    [("moto", "5.3.0"), ("moto", "5.2.4"), ("moto", "6.0.0"), ("aws-lambda-powertools", "3.38.0")],
)
def test_a_library_outside_a_patchs_range_stops_the_start_loudly(
    monkeypatch: pytest.MonkeyPatch, library: str, found: str
) -> None:
    # Given a process where no patch was applied yet, and another version of a patched library installed
    real = patches.version_of
    monkeypatch.setattr(patches, "version_of", lambda name: found if name == library else real(name))
    monkeypatch.setattr(patches, "_installed", set())
    applied: list[str] = []
    for patch in patches.patches():
        monkeypatch.setattr(patch, "apply", lambda name=patch.__name__: applied.append(name))
    # When the local stack installs its patches
    with pytest.raises(RuntimeError) as refused:
        patches.install()
    # Then it stops, naming the library, the version found, the range and the patch
    message = str(refused.value)
    assert f"{library} {found} is installed" in message
    outside = [p for p in patches.patches() if library == p.LIBRARY]
    assert f"{library} {outside[0].VERSIONS}" in message
    assert outside[0].__name__.rpartition(".")[2] in message
    # and nothing was patched
    assert applied == []


def test_a_missing_library_stops_the_start_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise patches.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(patches, "version_of", not_installed)
    with pytest.raises(RuntimeError, match="moto none is installed"):
        patches.check_versions()
