"""``python -m bot check``: findings about the knowledge beyond the schema.

Errors make ``check`` exit 1 (they would give users wrong or broken replies);
warnings point at curation work. The proofs behind the answers (evidence passages, the
figures and names the answers state) are checked by ``bot.knowledge``'s evidence and
claims modules; with the article texts (``check --articles DIR``), each passage also
against its article.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence

from bot.domain.language import LANGUAGES, Language
from bot.domain.models import Outcome, Reply
from bot.engine.engine import EngineOptions, KnowledgeIndex, answer_reply
from bot.engine.findings import Finding
from bot.engine.matcher import Matcher
from bot.engine.smalltalk_lint import smalltalk_findings
from bot.knowledge.articles import Articles
from bot.knowledge.claims import Vocabulary, claim_issues
from bot.knowledge.entities import ENTITIES_FILE, load_entities
from bot.knowledge.evidence import Issue, article_issues, form_issues
from bot.knowledge.loader import Knowledge
from bot.knowledge.schema import Intent

DRAFT_MARK = "TODO"  # how exported drafts mark text a curator still has to write
# A platform renderer's verdict on one answer: None if it fits, else why not. The
# platforms define their limits once, in their renderers; ``check`` asks them.
AnswerCheck = Callable[[Reply], str | None]


def index_of(knowledge: Knowledge, options: EngineOptions | None = None) -> KnowledgeIndex:
    return KnowledgeIndex(knowledge, options or EngineOptions())


def lint(
    index: KnowledgeIndex,
    *,
    checks: Sequence[AnswerCheck] = (),
    max_review_age_days: int | None = None,
    today: dt.date | None = None,
    articles: Articles | None = None,
) -> list[Finding]:
    """Every finding; ``checks``: the platforms' renderers, asked whether each answer fits;
    with ``max_review_age_days``, also topics not reviewed for that long; with
    ``articles``, also every evidence passage against its article."""
    knowledge, matcher = index.knowledge, index.matcher
    findings: list[Finding] = []
    seen: dict[str, list[str]] = defaultdict(list)
    cited: set[str] = set()
    for intent in knowledge.intents.values():
        where = f"{knowledge.intent_file[intent.id].name}: intent {intent.id!r}"
        cited.update(intent.sources)
        own: set[tuple[str, str]] = set()
        if not intent.sources:
            findings.append(Finding("error", where, "no source"))
        drafts = [
            lang
            for lang in LANGUAGES
            if intent.answer.get(lang).startswith(DRAFT_MARK)
            or intent.title.get(lang).startswith(DRAFT_MARK)
        ]  # see is_draft
        if drafts:
            where_todo = " and ".join(drafts)
            findings.append(
                Finding("warning", where, f"still a draft: title or answer ({where_todo}) is TODO")
            )
        for lang in LANGUAGES:
            reply = answer_reply(knowledge, intent, lang)
            for check in checks:
                problem = check(reply)
                if problem is not None:
                    findings.append(Finding("error", where, problem))
            for example in getattr(intent.examples, lang):
                key = " ".join(matcher.tokens(example, lang))
                if (lang, key) in own:
                    findings.append(Finding("warning", where, f"example repeated: {example!r}"))
                own.add((lang, key))
                seen[key].append(intent.id)
                findings.extend(_confusable(matcher, where, intent.id, example, lang))
    for key, owners in seen.items():
        others = sorted(set(owners))
        if len(others) > 1:
            findings.append(
                Finding("error", "examples", f"{key!r} is an example of {', '.join(others)}")
            )
    if max_review_age_days is not None:
        findings.extend(_unreviewed(knowledge, max_review_age_days, today or dt.date.today()))
    findings.extend(smalltalk_findings(index))
    for source_id in knowledge.sources:
        if source_id not in cited:
            findings.append(Finding("warning", "sources.yaml", f"source {source_id!r} never cited"))
    findings.extend(proofs(knowledge, articles))
    return findings


def is_draft(intent: Intent) -> bool:
    return any(
        intent.answer.get(lang).startswith(DRAFT_MARK)
        or intent.title.get(lang).startswith(DRAFT_MARK)
        for lang in LANGUAGES
    )


def proofs(knowledge: Knowledge, articles: Articles | None) -> list[Finding]:
    """Evidence on every finished intent, and every figure and name of its answers in it;
    with ``articles``, every passage in its own source's article. (The part of ``lint``
    that needs no matcher.) A draft has no answer to prove yet: :func:`lint` reports it
    as a draft until it is written."""
    finished = [i for i in knowledge.intents.values() if not is_draft(i)]
    names, problems = load_entities(knowledge.directory)
    issues: list[Issue] = [Issue("error", ENTITIES_FILE, p) for p in problems]
    issues.extend(form_issues(knowledge, finished))
    if articles is not None:
        issues.extend(article_issues(knowledge, finished, articles))
        corpus = articles.corpus()
    else:
        corpus = "\n".join(p.quote for i in knowledge.intents.values() for p in i.evidence)
    vocabulary = Vocabulary.build(names, corpus, (i.answer.en for i in finished))
    issues.extend(claim_issues(knowledge, finished, vocabulary, articles))
    return [Finding(i.level, i.where, i.text) for i in issues]


def _unreviewed(knowledge: Knowledge, max_age_days: int, today: dt.date) -> list[Finding]:
    """A warning per topic whose answers a curator has not reviewed for too long.

    An article's date says nothing about whether our answers still say what it says;
    the ``reviewed:`` date of the topic file does.
    """
    found = []
    for topic in knowledge.topics.values():
        path = next(
            (knowledge.intent_file[i.id].name for i in knowledge.topic_intents(topic.id)),
            f"topic {topic.id!r}",
        )
        where = f"{path}: topic {topic.id!r}"
        if topic.reviewed is None:
            found.append(
                Finding("warning", where, "no reviewed: date (when were its answers checked?)")
            )
            continue
        age = (today - topic.reviewed).days
        if age > max_age_days:
            found.append(
                Finding(
                    "warning",
                    where,
                    f"reviewed {topic.reviewed.isoformat()}, {age} days ago "
                    f"(REVIEW_MAX_AGE_DAYS={max_age_days}): check its answers against the sources",
                )
            )
    return found


def _confusable(
    matcher: Matcher, where: str, own: str, example: str, lang: Language
) -> list[Finding]:
    match = matcher.match(example, lang)
    if match.best is None or match.best.intent == own:
        return []
    if match.outcome is Outcome.ANSWERED:
        return [
            Finding(
                "error",
                where,
                f"example {example!r} is answered by {match.best.intent} instead",
            )
        ]
    own_rank = [c.intent for c in match.candidates]
    note = "" if own in own_rank else " (own intent not even suggested)"
    return [
        Finding(
            "warning",
            where,
            f"example {example!r} matches {match.best.intent} better{note}",
        )
    ]
