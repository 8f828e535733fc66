"""The architecture as rules the code is held to (measured by tests/architecture.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.architecture import REPO, cycles, modules, oversized, part_graph

PURE_PLATFORM_MODULES = [
    "bot.platforms",
    "bot.platforms.telegram.render",
    "bot.platforms.telegram.texts",
    "bot.platforms.discord.format",
    "bot.platforms.discord.texts",
]


def test_no_import_cycles_between_bots_parts() -> None:
    assert cycles(part_graph(modules())) == []


def test_errors_import_nothing_of_ours() -> None:
    errors = modules()["bot.errors"]
    assert not {i for i in errors.imports | errors.lazy if i.split(".")[0] == "bot"}


def test_the_core_knows_no_platform() -> None:
    graph = part_graph(modules())
    for part in ("domain", "engine", "knowledge", "nlp", "storage", "chat", "render"):
        assert "platforms" not in graph.get(part, set()), part
        assert "runtime" not in graph.get(part, set()), part


@pytest.mark.parametrize("module", PURE_PLATFORM_MODULES)
def test_pure_platform_modules_load_no_platform_library(module: str) -> None:
    """``check`` asks the renderers about limits, on installs without discord or telegram."""
    probe = (
        f"import sys, {module}; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'telegram')); "
        "print(loaded)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_only_the_runtime_puts_the_services_together() -> None:
    """One builder (bot.runtime.services) for run, the console, the tests and benchmarks."""
    builders = []
    for module in modules().values():
        text = module.path.read_text(encoding="utf-8")
        if "ChatService(" in text and module.name not in (
            "bot.chat.service",
            "bot.runtime.services",
        ):
            builders.append(module.name)
    assert builders == []


def test_no_file_is_a_giant() -> None:
    assert oversized(600) == {}
