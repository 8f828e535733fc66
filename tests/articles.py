"""Where the tests find the seed articles: ``../shared/seeds`` beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO

SEEDS = REPO.parent / "shared" / "seeds"


def seeds_or_skip() -> Path:
    """The seed article folder; skips the test where it is absent (CI always has it)."""
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed articles not found at {SEEDS} (CI has them beside the repository)")
    return SEEDS
