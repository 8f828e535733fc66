"""A spy on matching work: proves a refused question never reached the matcher.

The ``spy`` fixture is defined once, here, and visible in the test modules that import
it (``from tests.matching_spy import spy as spy``).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine.matcher import Matcher
from bot.nlp.language import LanguageDetector
from bot.nlp.normalizer import Normalizer


class MatchingSpy:
    """Counts every call into matching (normaliser and matcher) and what language detection saw."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.detected: list[int] = []
        spy = self
        for cls, name in [
            (Matcher, "match"),
            (Matcher, "match_terms"),
            (Matcher, "terms"),
            (Normalizer, "terms"),
            (Normalizer, "canonical"),
        ]:
            real = getattr(cls, name)

            def counted(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
                spy.calls += 1
                return _real(*args, **kwargs)

            monkeypatch.setattr(cls, name, counted)
        real_detect = LanguageDetector.detect

        def detect(
            self: LanguageDetector, text: str, default: str = "de", tokens: Any = None
        ) -> str:
            spy.detected.append(len(text))
            return real_detect(self, text, default, tokens)

        monkeypatch.setattr(LanguageDetector, "detect", detect)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> MatchingSpy:
    return MatchingSpy(monkeypatch)
