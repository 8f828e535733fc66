"""Group missed questions: near-duplicates together, with counts and the closest intent.

Two phrasings belong together when rapidfuzz finds them close either as text
(typos, word order, punctuation) or as the matcher's normalised terms (so "Was
kostet das Abo?" and "Wie teuer ist das Abo?" meet through the COST concept).
Clustering is greedy around the most frequent phrasing of each group, which
keeps a chain of small differences from pulling unrelated questions together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.models import Language, Outcome
from bot.domain.stats import MissedQuestion
from bot.engine.engine import Engine
from bot.engine.matcher import QUESTION_CONCEPTS
from bot.nlp.text import clean, tokenize

SIMILARITY = 85.0  # rapidfuzz score (0-100) from which two phrasings are one question


@dataclass(frozen=True)
class Phrasing:
    text: str  # as most often typed
    count: int


@dataclass(frozen=True)
class MissGroup:
    """One question people asked and did not get answered, in all its phrasings."""

    phrasings: tuple[Phrasing, ...]  # most frequent first
    language: Language
    fallbacks: int
    close_calls: int
    first_asked: str
    last_asked: str
    closest: str | None  # the intent that came nearest (current knowledge)
    closest_score: float
    answered_now: bool  # the current knowledge answers it (someone already added it)

    @property
    def count(self) -> int:
        return self.fallbacks + self.close_calls

    @property
    def question(self) -> str:
        return self.phrasings[0].text


@dataclass
class _Variant:
    """All rows whose question folds to the same words."""

    key: str
    terms: str
    forms: Counter[str]
    rows: list[MissedQuestion]

    @property
    def count(self) -> int:
        return len(self.rows)


def _variants(engine: Engine, rows: Iterable[MissedQuestion]) -> list[_Variant]:
    by_key: dict[str, _Variant] = {}
    for row in rows:
        text = clean(row.question)
        if not text:
            continue
        key = " ".join(tokenize(text)) or text.casefold()
        variant = by_key.get(key)
        if variant is None:
            lang = engine.detect_language(text, row.language)
            terms = [t for t in engine.matcher.tokens(text, lang) if t not in QUESTION_CONCEPTS]
            variant = by_key[key] = _Variant(key, " ".join(sorted(terms)), Counter(), [])
        variant.forms[text] += 1
        variant.rows.append(row)
    # Most asked first; ties by first appearance, so the result is stable.
    return sorted(by_key.values(), key=lambda v: -v.count)


def _leader(variant: _Variant, leaders: Sequence[_Variant]) -> int | None:
    """Index of the group this variant joins, or None to start a new one."""
    if not leaders:
        return None
    found = process.extractOne(
        variant.key,
        [lead.key for lead in leaders],
        scorer=fuzz.token_sort_ratio,
        score_cutoff=SIMILARITY,
    )
    if found is not None:
        return int(found[2])
    if variant.terms:
        candidates = {n: lead.terms for n, lead in enumerate(leaders) if lead.terms}
        found = process.extractOne(
            variant.terms, candidates, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILARITY
        )
        if found is not None:
            return int(found[2])
    return None


def group_misses(engine: Engine, rows: Iterable[MissedQuestion]) -> list[MissGroup]:
    """Near-duplicate missed questions grouped, most asked first."""
    leaders: list[_Variant] = []
    members: list[list[_Variant]] = []
    for variant in _variants(engine, rows):
        index = _leader(variant, leaders)
        if index is None:
            leaders.append(variant)
            members.append([variant])
        else:
            members[index].append(variant)
    groups = [_group(engine, variants) for variants in members]
    return sorted(groups, key=lambda g: (-g.count, g.first_asked))


def _group(engine: Engine, variants: list[_Variant]) -> MissGroup:
    forms: Counter[str] = Counter()
    for variant in variants:
        forms.update(variant.forms)
    rows = [row for variant in variants for row in variant.rows]
    phrasings = tuple(Phrasing(text, n) for text, n in forms.most_common())
    languages = Counter(row.language for row in rows)
    lang = engine.detect_language(phrasings[0].text, languages.most_common(1)[0][0])
    match = engine.matcher.match(phrasings[0].text, lang)
    best = match.ranked[0] if match.ranked else None
    times = sorted(row.asked_at for row in rows)
    return MissGroup(
        phrasings=phrasings,
        language=lang,
        fallbacks=sum(row.outcome is Outcome.FALLBACK for row in rows),
        close_calls=sum(row.outcome is Outcome.CLOSE_CALL for row in rows),
        first_asked=times[0],
        last_asked=times[-1],
        closest=best.intent if best else None,
        closest_score=round(best.score, 1) if best else 0.0,
        answered_now=match.outcome is Outcome.ANSWERED,
    )
