"""``check --articles DIR --coverage``: how much of each article the evidence quotes.

An article's sentences are those of :func:`bot.knowledge.articles.article_sentences`
(line by line, so headings and list items are sentences of their own; German
abbreviations, initials and ordinals such as "20. Januar" do not end one). A sentence
counts as quoted when the passages of that article's source, wherever they occur in it,
together cover at least half of its characters (after normalising whitespace and quotes):
a passage quoting a whole sentence quotes it, one that quotes a short clause of a long
sentence does not, and one that runs a few words into the next sentence does not quote
that one too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.articles import Article, Articles, article_sentences, normalize, occurrences
from bot.knowledge.loader import Knowledge

QUOTED_SHARE = 0.5
SHOWN = 100


@dataclass(frozen=True)
class Sentence:
    text: str  # normalised
    covered: float  # share of its characters inside some passage

    @property
    def quoted(self) -> bool:
        return self.covered >= QUOTED_SHARE


@dataclass(frozen=True)
class ArticleCoverage:
    article: Article
    sentences: list[Sentence]

    @property
    def quoted(self) -> int:
        return sum(s.quoted for s in self.sentences)

    @property
    def share(self) -> float:
        return self.quoted / len(self.sentences) if self.sentences else 0.0


def measure(knowledge: Knowledge, articles: Articles) -> list[ArticleCoverage]:
    """Coverage of every article that belongs to a source, in the order of sources.yaml."""
    passages: dict[str, set[str]] = {}
    for intent in knowledge.intents.values():
        for passage in intent.evidence:
            passages.setdefault(passage.source, set()).add(normalize(passage.quote))
    found = []
    for source_id in knowledge.sources:
        article = articles.by_source.get(source_id)
        if article is not None:
            found.append(_measure(article, passages.get(source_id, set())))
    return found


def _measure(article: Article, quotes: set[str]) -> ArticleCoverage:
    flat = article.flat
    mask = bytearray(len(flat))
    for quote in quotes:
        for at in occurrences(quote, flat):
            mask[at : at + len(quote)] = b"\x01" * len(quote)
    sentences = []
    cursor = 0
    for raw in article_sentences(article.text):
        text = normalize(raw)
        at = flat.find(text, cursor)
        if at < 0:
            at = flat.find(text)
        if at < 0 or not text:
            sentences.append(Sentence(text, 0.0))
            continue
        cursor = at + len(text)
        sentences.append(Sentence(text, sum(mask[at:cursor]) / len(text)))
    return ArticleCoverage(article, sentences)


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def coverage_lines(found: list[ArticleCoverage]) -> list[str]:
    """The report: per article its share of quoted sentences, and the sentences left."""
    lines = [
        "coverage: sentences of each article that evidence passages quote (a sentence "
        f"counts when passages cover at least {_percent(QUOTED_SHARE)} of it)"
    ]
    for item in found:
        lines.append(
            f"  {item.article.label()}: {item.quoted} of {len(item.sentences)} sentences "
            f"({_percent(item.share)})"
        )
        for sentence in item.sentences:
            if not sentence.quoted:
                text = sentence.text
                text = text if len(text) <= SHOWN else text[: SHOWN - 1].rstrip() + "…"
                lines.append(f"    not quoted: «{text}»")
    total = sum(len(i.sentences) for i in found)
    quoted = sum(i.quoted for i in found)
    share = quoted / total if total else 0.0
    lines.append(f"  all articles: {quoted} of {total} sentences ({_percent(share)})")
    return lines
