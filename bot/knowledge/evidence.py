"""The proofs behind the answers: each intent's evidence passages, in form and verbatim.

An intent's ``evidence`` lists short passages quoted verbatim from the articles it cites.
:func:`form_issues` needs only the knowledge: every intent has passages, each short and
from one of the intent's own sources, and every source it cites is quoted.
:func:`article_issues` also needs the article texts (``check --articles DIR``): each
passage must occur, after :func:`normalize`, in the article of the source it names; one
found in another article is reported as misattributed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, NamedTuple

from bot.knowledge.articles import Article, Articles, normalize
from bot.knowledge.loader import Knowledge
from bot.knowledge.schema import Intent

MAX_PASSAGE_CHARS = 300  # a sentence or two that carries the fact, not a paragraph
SHOWN = 90  # characters of a passage or article shown in a finding
_CONTEXT = 30
_ANCHOR = 8  # characters that must agree before a departure is worth showing


class Issue(NamedTuple):
    """One finding of the knowledge checks, as ``check`` prints it."""

    level: Literal["error", "warning"]
    where: str
    text: str


def where(knowledge: Knowledge, intent: Intent) -> str:
    return f"{knowledge.intent_file[intent.id].name}: intent {intent.id!r}"


def shown(text: str, limit: int = SHOWN) -> str:
    """``text`` on one line in «», cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return f"«{flat if len(flat) <= limit else flat[: limit - 1].rstrip() + '…'}»"


def form_issues(knowledge: Knowledge, intents: Iterable[Intent]) -> list[Issue]:
    """Every intent has evidence; each passage is short and cites one of the intent's sources."""
    issues: list[Issue] = []
    for intent in intents:
        here = where(knowledge, intent)
        if not intent.evidence:
            issues.append(
                Issue(
                    "error",
                    here,
                    "no evidence: quote the passages of its sources that the answer rests on",
                )
            )
        seen: set[str] = set()
        for number, passage in enumerate(intent.evidence, 1):
            label = f"passage {number} {shown(passage.quote, 40)}"
            if passage.source not in knowledge.sources:
                issues.append(Issue("error", here, f"{label}: unknown source {passage.source!r}"))
            elif passage.source not in intent.sources:
                issues.append(
                    Issue(
                        "error",
                        here,
                        f"{label}: cites {passage.source!r}, which is not among the intent's "
                        f"sources ({', '.join(intent.sources)})",
                    )
                )
            if len(passage.quote) > MAX_PASSAGE_CHARS:
                issues.append(
                    Issue(
                        "error",
                        here,
                        f"{label}: {len(passage.quote)} characters, more than "
                        f"{MAX_PASSAGE_CHARS}: quote the sentence that carries the fact",
                    )
                )
            key = f"{passage.source}\n{normalize(passage.quote)}"
            if key in seen:
                issues.append(Issue("warning", here, f"{label}: quoted twice"))
            seen.add(key)
        quoted = {p.source for p in intent.evidence}
        for source in intent.sources:
            if source not in quoted:
                issues.append(
                    Issue(
                        "error",
                        here,
                        f"cites {source!r} but quotes no passage of it "
                        "(quote what the answer takes from it, or drop the source)",
                    )
                )
    return issues


def article_issues(
    knowledge: Knowledge, intents: Iterable[Intent], articles: Articles
) -> list[Issue]:
    """Every passage occurs verbatim in its own source's article."""
    issues: list[Issue] = []
    for source_id, why in sorted(articles.missing.items()):
        issues.append(
            Issue("error", f"sources.yaml: source {source_id!r}", f"no article text: {why}")
        )
    for article in articles.unclaimed:
        issues.append(
            Issue(
                "warning",
                f"{articles.directory}: {article.name}",
                "no source names this article (sources.yaml: give its source `file:`)",
            )
        )
    for intent in intents:
        for passage in intent.evidence:
            own = articles.by_source.get(passage.source)
            if own is None:
                continue  # reported once, for the source
            quote = normalize(passage.quote)
            if quote in own.flat:
                continue
            text = _not_found(quote, own, articles)
            issues.append(Issue("error", where(knowledge, intent), text))
    return issues


def _not_found(quote: str, own: Article, articles: Articles) -> str:
    elsewhere = [a for a in articles.all() if a is not own and quote in a.flat]
    if elsewhere:
        found = ", ".join(a.label() for a in elsewhere)
        return (
            f"passage {shown(quote)} is attributed to {own.label()} but is not in it; "
            f"it is in {found}: correct its source"
        )
    return f"passage {shown(quote)} is not verbatim in {own.label()}: {_divergence(quote, own)}"


def _divergence(quote: str, article: Article) -> str:
    """Where the passage departs from the article: after its longest head found in the
    article, or before its longest tail, whichever is longer."""
    flat = article.flat
    head = _longest(lambda k: quote[:k] in flat, len(quote))
    tail = _longest(lambda k: quote[len(quote) - k :] in flat, len(quote))
    if max(head, tail) < _ANCHOR:
        return "no stretch of it is in the article"
    if head >= tail:
        at = flat.find(quote[:head]) + head
        return (
            f"it agrees up to «…{quote[max(0, head - _CONTEXT) : head]}», then the passage "
            f"has «{quote[head : head + _CONTEXT]}…» where the article has "
            f"«{flat[at : at + _CONTEXT]}…»"
        )
    start = len(quote) - tail
    at = flat.find(quote[start:])
    return (
        f"it agrees from «{quote[start : start + _CONTEXT]}…» on; before that the passage "
        f"has «…{quote[max(0, start - _CONTEXT) : start]}» where the article has "
        f"«…{flat[max(0, at - _CONTEXT) : at]}»"
    )


def _longest(found: Callable[[int], bool], most: int) -> int:
    """The largest k <= most with found(k), for a found that holds up to some k, then not."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if found(middle):
            low = middle
        else:
            high = middle - 1
    return low
