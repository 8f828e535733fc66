"""``check`` for ``knowledge/smalltalk.yaml``: small talk must never swallow a question.

A phrase that is also an intent's example would answer that question with a greeting;
an intent example taken for small talk could never be answered; a phrase the rules do
not recognise as its own kind is dead curation; and the example questions the replies
offer must get a confident answer, or the bot's first suggestion would be a shrug.
"""

from __future__ import annotations

from bot.domain.language import LANGUAGES
from bot.domain.models import Outcome
from bot.engine.engine import Engine, KnowledgeIndex
from bot.engine.findings import Finding
from bot.nlp.text import tokenize

WHERE = "smalltalk.yaml"


def smalltalk_findings(index: KnowledgeIndex) -> list[Finding]:
    knowledge, matcher, talk = index.knowledge, index.matcher, index.smalltalk
    data = knowledge.smalltalk
    if data is None or talk is None:
        return []
    findings: list[Finding] = []

    def classify(text: str) -> str | None:
        found = talk.classify(
            text,
            subject=matcher.names_subject,
            question_word=matcher.is_question_word,
            domain=matcher.names_domain,
        )
        return found.kind if found else None

    engine = Engine.serving(index)
    examples: dict[tuple[str, ...], str] = {}
    for intent in knowledge.intents.values():
        for lang in LANGUAGES:
            for example in getattr(intent.examples, lang):
                examples.setdefault(tuple(tokenize(example)), intent.id)
                if classify(example) is None:
                    continue  # the engine takes nothing for small talk that the rules do not
                reply = engine.answer(example, lang)
                kind = reply.kind if reply.outcome is Outcome.SMALLTALK else None
                if kind is not None:
                    findings.append(
                        Finding(
                            "error",
                            f"{knowledge.intent_file[intent.id].name}: intent {intent.id!r}",
                            f"example {example!r} is taken for small talk ({kind}): "
                            "it could never be answered",
                        )
                    )
    for kind, entry in data.kinds.items():
        for lang in LANGUAGES:
            for phrase in entry.phrases.get(lang):
                owner = examples.get(tuple(tokenize(phrase)))
                if owner is not None:
                    findings.append(
                        Finding(
                            "error",
                            f"{WHERE}: {kind}",
                            f"phrase {phrase!r} is an example of intent {owner}",
                        )
                    )
                    continue
                got = classify(phrase)
                if got is None:
                    findings.append(
                        Finding(
                            "warning",
                            f"{WHERE}: {kind}",
                            f"phrase {phrase!r} is not recognised as small talk",
                        )
                    )
    for lang in LANGUAGES:
        for example in data.examples.get(lang):
            reply = engine.answer(example, lang)
            if reply.outcome is not Outcome.ANSWERED:
                findings.append(
                    Finding(
                        "error",
                        f"{WHERE}: examples",
                        f"{example!r} gets {reply.outcome.value}, not an answer: "
                        "offer questions the bot answers",
                    )
                )
    return findings
