"""requirements.lock pins every runtime dependency, within what pyproject.toml allows.

The container is built from the lock and CI audits it, so a dependency added to
pyproject.toml but not locked would ship unpinned and unaudited.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier  # exactly one "==" pin per line
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = list(project["dependencies"]) + extras["telegram"] + extras["discord"]
    return [Requirement(r) for r in wanted]


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    locked = _locked()
    for requirement in _runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock has {requirement.name}=={locked[name]}, "
            f"outside {requirement.specifier}"
        )


def test_the_installed_versions_are_the_locked_ones() -> None:
    """scripts/test installs with the lock as constraints: what is tested is what ships."""
    from importlib.metadata import PackageNotFoundError, version

    for name, pinned in _locked().items():
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            continue  # e.g. a marker-only dependency of another Python version
        assert installed == pinned, f"{name}: installed {installed}, locked {pinned}"
