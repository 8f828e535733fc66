"""Plain text for the console and for ``ask``: any content of the chat service."""

from __future__ import annotations

from bot.chat.reports import privacy_text
from bot.chat.responses import Content, Help, Notice, Privacy, SourceList, Text, TopicList
from bot.domain.language import Language
from bot.domain.messages import message
from bot.domain.models import Reply, SourceRef, TopicView
from bot.render import text


def source_line(src: SourceRef) -> str:
    return text.source_line(src)


def render(reply: Reply) -> str:
    """The answer, then its sources and currency, for a terminal."""
    parts = [reply.text]
    if reply.about:  # a short question, or a follow-up: which question this answers
        parts.insert(0, message("about", reply.language, question=reply.about))
    if reply.sources:
        lines = "\n".join(f"- {source_line(s)}" for s in reply.sources)
        parts.append(f"{message('sources_label', reply.language)}:\n{lines}")
        if reply.as_of:
            parts.append(message("as_of", reply.language, date=reply.as_of.isoformat()))
    return "\n\n".join(parts)


def one_line(reply: Reply) -> str:
    """The answer on a single line (batch mode prints one output per input line)."""
    about = message("about", reply.language, question=reply.about) + " | " if reply.about else ""
    return about + " ".join(reply.text.split())


def topic(view: TopicView, lang: Language) -> str:
    questions = "\n".join(f"- {s.title}" for s in view.intents)
    return f"{view.title}\n\n{view.summary}\n\n{message('topic_questions', lang)}\n{questions}"


def content(item: Content, lang: Language) -> str:
    """Any content of the chat service, for a terminal."""
    if isinstance(item, Reply):
        return render(item)
    if isinstance(item, TopicView):
        return topic(item, lang)
    if isinstance(item, TopicList):
        return "\n".join(f"- {v.title}: {text.first_sentence(v.summary)}" for v in item.topics)
    if isinstance(item, SourceList):
        lines = "\n".join(f"- {source_line(s)}" for s in item.sources)
        return f"{message('sources_header', lang)}\n{lines}"
    if isinstance(item, Help):
        return message(
            "help",
            lang,
            how=message("console_how", lang),
            topics=", ".join(v.title for v in item.topics),
            commands="/topics, /topic NAME, /sources, /help, /quit",
        )
    if isinstance(item, Privacy):
        return privacy_text(lang, item.retention_days, "/forget", item.url)
    if isinstance(item, Notice):
        return message(item.key, lang, **item.params)
    assert isinstance(item, Text)
    return item.text
