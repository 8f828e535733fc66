"""Every figure, code and name in an answer must be in that intent's evidence.

The claims of an answer (German and English alike) are:

- its figures (:mod:`bot.knowledge.numbers`): "5,58 Millionen" in a German answer and
  "5.58 million" in an English one both need a passage stating 5.58 million;
- its model codes ("V3", "H100"), which a passage must write the same way;
- its names: every curated entity (:mod:`bot.knowledge.entities`) it mentions in any
  spelling; in an English answer also every other capitalised word that does not start
  a sentence and is not in ``not_names`` (in English only names have capitals, so a
  name no article has, "Spain", is caught too); in a German answer those of these words
  that the articles have (German capitalises every noun, so nothing else marks a name
  there). At the start of an English sentence only curated names count: there "He" is
  the pronoun, elsewhere it is "Kaiming He".

A name is supported by a passage naming the entity in any spelling, or, for a name found
by its capital, by a passage with the same word (or its genitive). The outlet of a cited
source (``sources.yaml``) supports its own name: "after CNN" cites, it is no claim.
Drafts (answers marked TODO) are not checked; ``check`` says they are drafts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.domain.language import LANGUAGES, Language
from bot.knowledge.articles import Article, Articles, article_sentences
from bot.knowledge.entities import ENTITIES_FILE, WORD, Entity, Names
from bot.knowledge.evidence import Issue, shown, where
from bot.knowledge.loader import Knowledge
from bot.knowledge.numbers import SCALE_WORDS, Figure, codes, figures
from bot.knowledge.schema import Intent

_OPENERS = "\"'“„«‚‘([ "
_ENDS = ".!?:"


@dataclass(frozen=True)
class Claim:
    """One checkable statement of an answer."""

    kind: Literal["figure", "code", "name"]
    written: str  # as the answer has it
    figure: Figure | None = None
    entity: Entity | None = None

    def label(self) -> str:
        """``says '5,58 Millionen'``, ``names 'Italien' (country Italy)``."""
        verb = "says" if self.figure is not None else "names"
        if self.entity is None:
            return f"{verb} {self.written!r}"
        kind, name = self.entity.kind, self.entity.name
        return f"{verb} {self.written!r} ({kind}{'' if name == self.written else ' ' + name})"


def _starts_sentence(text: str, start: int) -> bool:
    at = start - 1
    while at >= 0 and text[at] in _OPENERS + "\n":
        if text[at] == "\n":
            return True
        at -= 1
    return at < 0 or text[at] in _ENDS


@dataclass(frozen=True)
class Vocabulary:
    """What counts as a name: curated entities, and words with a name's capital letter."""

    names: Names
    corpus: frozenset[str]  # the words of the articles (or, without them, of the passages)
    known: frozenset[str]  # names found by their capital in an English answer, in the corpus

    @classmethod
    def build(cls, names: Names, corpus: str, answers: Iterable[str]) -> Vocabulary:
        words = frozenset(WORD.findall(corpus))
        known = {
            word
            for text in answers
            for word, initial in _capitalised(names, text)
            if not initial and (word in words or word + "s" in words)
        }
        return cls(names, words, frozenset(known))

    def claims(self, text: str, lang: Language) -> list[Claim]:
        """The claims of ``text``, each once, in the order: figures, codes, names."""
        found: list[Claim] = [Claim("figure", f.text, figure=f) for f in figures(text)]
        found.extend(Claim("code", code) for code in codes(text))
        found.extend(Claim("name", m.written, entity=m.entity) for m in self.names.mentions(text))
        for word, initial in _capitalised(self.names, text):
            # In English the capital is the sign of a name, except on the first word of a
            # sentence ("He said"); in German every noun has one, so there only the
            # names the English answers showed count.
            if (not initial) if lang == "en" else word in self.known:
                found.append(Claim("name", word))
        unique: dict[tuple[str, str], Claim] = {}
        for claim in found:
            key = claim.entity.name if claim.entity is not None else claim.written
            unique.setdefault((claim.kind, key), claim)
        return list(unique.values())

    def unknown(self, claim: Claim) -> bool:
        """A name found by its capital that no article (or passage) has."""
        word = claim.written
        return (
            claim.kind == "name"
            and claim.entity is None
            and word not in self.corpus
            and word + "s" not in self.corpus
        )


def _capitalised(names: Names, text: str) -> list[tuple[str, bool]]:
    """Capitalised words outside curated mentions, ``not_names``, codes and scale words,
    each with whether it starts a sentence."""
    taken = [(m.start, m.end) for m in names.mentions(text)]
    found = []
    for match in WORD.finditer(text):
        word = match.group()
        if len(word) < 2 or not word[0].isupper() or any(c.isdigit() for c in word):
            continue
        if word in names.not_names or word in SCALE_WORDS:
            continue
        if any(start <= match.start() < end for start, end in taken):
            continue
        found.append((word, _starts_sentence(text, match.start())))
    return found


@dataclass(frozen=True)
class _Evidence:
    """What an intent's passages (and its sources' outlets) state."""

    passages: list[str]
    figures: list[tuple[int, Figure]]
    codes: frozenset[str]
    entities: frozenset[int]
    words: frozenset[str]

    @classmethod
    def of(cls, texts: Sequence[str], names: Names) -> _Evidence:
        return cls(
            list(texts),
            [(n, f) for n, text in enumerate(texts, 1) for f in figures(text)],
            frozenset(c for text in texts for c in codes(text)),
            frozenset(id(m.entity) for text in texts for m in names.mentions(text)),
            frozenset(w for text in texts for w in WORD.findall(text)),
        )

    def supports(self, claim: Claim) -> bool:
        if claim.figure is not None:
            return any(claim.figure.supported_by(f) for _, f in self.figures)
        if claim.kind == "code":
            return claim.written in self.codes
        if claim.entity is not None:
            return id(claim.entity) in self.entities
        word = claim.written
        return word in self.words or word + "s" in self.words


def claim_issues(
    knowledge: Knowledge,
    intents: Iterable[Intent],
    vocabulary: Vocabulary,
    articles: Articles | None = None,
) -> list[Issue]:
    """An error for every claim of an answer that no passage of its intent makes."""
    issues: list[Issue] = []
    for intent in intents:
        evidence = _Evidence.of([p.quote for p in intent.evidence], vocabulary.names)
        outlets = [knowledge.sources[s].outlet or "" for s in intent.sources]
        cited = _Evidence.of([o for o in outlets if o], vocabulary.names)
        for lang in LANGUAGES:
            for claim in vocabulary.claims(intent.answer.get(lang), lang):
                if evidence.supports(claim) or (claim.kind == "name" and cited.supports(claim)):
                    continue
                text = f"answer ({lang}) {claim.label()}, but no passage contains it"
                hint = _near_miss(claim, evidence) or _in_articles(
                    claim, intent, vocabulary.names, articles
                )
                if vocabulary.unknown(claim):
                    hint += f" (if {claim.written!r} is no name: not_names in {ENTITIES_FILE})"
                issues.append(Issue("error", where(knowledge, intent), text + hint))
    return issues


def _near_miss(claim: Claim, evidence: _Evidence) -> str:
    """The passage with the same digits at another scale ("1,6 Billionen" for "1.6 billion")."""
    if claim.figure is None:
        return ""
    for number, figure in evidence.figures:
        if figure.mantissa == claim.figure.mantissa:
            passage = shown(evidence.passages[number - 1])
            return f"; passage {number} {passage} has {figure.text!r}, a different value"
    return ""


def _in_articles(claim: Claim, intent: Intent, names: Names, articles: Articles | None) -> str:
    """Where the articles state it, so the curator can quote that, or that none does."""
    if articles is None:
        return ""
    own = [articles.by_source[s] for s in intent.sources if s in articles.by_source]
    others = [a for a in articles.all() if a not in own]
    for group, note in ((own, ""), (others, ", which the intent does not cite,")):
        for article in group:
            sentence = _sentence_with(claim, article, names)
            if sentence is not None:
                return f"; {article.label()}{note} has it: {shown(sentence, 160)}"
    return "; no article has it either"


def _sentence_with(claim: Claim, article: Article, names: Names) -> str | None:
    for sentence in article_sentences(article.text):
        if _Evidence.of([sentence], names).supports(claim):
            return sentence
    return None
