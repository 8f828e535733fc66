"""The pieces of the proofs: figures across languages, names and their spellings, passages
against articles, article sentences and what counts as quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import Knowledge
from bot.knowledge.articles import Article, article_sentences, normalize
from bot.knowledge.claims import Vocabulary
from bot.knowledge.coverage import _measure
from bot.knowledge.entities import Entity, Names, load_entities
from bot.knowledge.numbers import codes, figures
from tests.articles import seeds_or_skip


def _values(text: str) -> list[str]:
    return [str(f.value.normalize()) for f in figures(text)]


@pytest.mark.parametrize(
    ("german", "english"),
    [
        ("5,58 Millionen US-Dollar", "5.58 million US dollars"),
        ("rund 2.000 Chips", "about 2,000 chips"),
        ("16.000", "16000"),
        ("1,6 Billionen", "1.6 trillion"),
        ("über 22 Millionen Nutzer", "more than 22 million users"),
        ("am 20. Januar 2025", "on January 20th, 2025"),
        ("10.000 bis 50.000 Stück", "10,000 to 50,000 units"),
        ("40 Prozent", "40%"),
        ("1.600,5", "1,600.5"),
    ],
)
def test_a_figure_has_one_value_in_german_and_english(german: str, english: str) -> None:
    assert _values(german) == _values(english)


def test_scales_and_what_is_no_figure() -> None:
    assert _values("1.6 billion") != _values("1,6 Billionen")  # 10^9 is a Milliarde
    assert _values("1,6 Milliarden") == _values("1.6 billion")
    assert _values("zwei Modelle, three routes") == []  # number words are not figures
    assert _values("DeepSeek-V3, R1, Nvidias H100") == []
    assert codes("DeepSeek-V3, R1, Nvidias H100 und A100-Chips") == ["V3", "R1", "H100", "A100"]
    assert _values("29.01.2025") == ["29", "1", "2025"]  # a date is its day, month and year
    [bare] = figures("die Zahl 1,6")
    assert bare.supported_by(figures("1,6 Billionen US-Dollar")[0])  # the digits alone
    assert not figures("1,6 Millionen")[0].supported_by(figures("1,6 Billionen")[0])


def _names() -> Names:
    return Names(
        [
            Entity(kind="country", de=["Italien", "italienisch*"], en=["Italy", "Italian*"]),
            Entity(kind="country", de=["China", "chinesisch*"], en=["Chinese"]),
            Entity(kind="country", de=["USA", "US"], en=["United States"]),
            Entity(kind="organisation", en=["MIT Technology Review"]),
            Entity(kind="organisation", en=["MIT"]),
            Entity(kind="organisation", de=["Zhejiang-Universität"], en=["Zhejiang University"]),
            Entity(kind="person", en=["Gregory C. Allen", "Allen"]),
            Entity(kind="month", de=["zweite* Weihnachtsfeiertag*"], en=["Boxing Day"]),
        ]
    )


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.written, m.entity.name) for m in _names().mentions(text)]


def test_an_entity_is_found_in_any_of_its_spellings() -> None:
    assert _found("Italien sperrte die App") == [("Italien", "Italy")]
    assert _found("Italy blocked it; the Italian regulator") == [
        ("Italy", "Italy"),
        ("Italian", "Italy"),
    ]
    assert _found("Chinas Regierung und chinesische Firmen") == [
        ("Chinas", "Chinese"),
        ("chinesische", "Chinese"),
    ]
    assert _found("Südkoreanische Behörden") == []
    assert _found("Chinesische Staatsmedien") == [("Chinesische", "Chinese")]  # sentence start
    assert _found("Am zweiten Weihnachtsfeiertag") == [("zweiten Weihnachtsfeiertag", "Boxing Day")]
    assert _found("der Zhejiang-Universität") == [("Zhejiang-Universität", "Zhejiang University")]
    assert _found("laut Gregory C. Allen vom CSIS") == [("Gregory C. Allen", "Gregory C. Allen")]


def test_capitals_and_the_longest_spelling_decide() -> None:
    assert _found("US-Sanktionen") == [("US", "United States")]
    assert _found("tell us more") == []  # the pronoun is not the country
    assert _found("mit allen Firmen") == []  # "allen" is not Gregory C. Allen
    assert _found("laut MIT Technology Review") == [
        ("MIT Technology Review", "MIT Technology Review")
    ]


def test_names_by_their_capital_in_english_and_the_known_ones_in_german() -> None:
    vocabulary = Vocabulary.build(
        _names(),
        corpus="Huawei Ascend Kaiming He Ein Professor",
        answers=["Chips come from Huawei and Ascend. He is Kaiming He."],
    )
    assert vocabulary.known == {"Huawei", "Ascend", "Kaiming", "He"}
    english = [c.written for c in vocabulary.claims("He said Huawei and Spain agree.", "en")]
    assert english == ["Huawei", "Spain"]  # "He" starts the sentence: the pronoun
    german = [c.written for c in vocabulary.claims("Ein Professor nennt Huawei.", "de")]
    assert german == ["Huawei"]  # German nouns have capitals: only names the English showed


def test_normalize_evens_out_whitespace_and_quotes_only() -> None:
    assert normalize("„KI-Helden“  und\n‚Idealist‘") == '"KI-Helden" und "Idealist"'
    assert normalize("« Das »") == '" Das "'
    assert normalize("Tech – Welt") == "Tech – Welt"  # a dash stays a dash


def test_article_sentences_keep_dates_initials_and_headings_apart() -> None:
    text = (
        "Chinas Antwort auf ChatGPT – erst verspottet\n"
        "Laut Gregory C. Allen war der 20. Januar 2025 kein Zufall. Die Botschaft ist klar.\n"
        "  • Statt 16.000 Chips nur 2.000.\n"
        "- Taiwan und Australien haben es verboten."
    )
    assert article_sentences(text) == [
        "Chinas Antwort auf ChatGPT – erst verspottet",
        "Laut Gregory C. Allen war der 20. Januar 2025 kein Zufall.",
        "Die Botschaft ist klar.",
        "Statt 16.000 Chips nur 2.000.",
        "Taiwan und Australien haben es verboten.",
    ]


def test_seed_articles_split_where_their_sentences_end() -> None:
    heroes = (seeds_or_skip() / "004_5578a18be417a9e9.txt").read_text(encoding="utf-8")
    found = article_sentences(heroes)
    assert any(s.startswith("Laut Gregory C. Allen") and "20. Januar 2025" in s for s in found)
    assert "Beijings langfristige Strategie: KI-Forschung als nationale Priorität" in found


def test_a_sentence_is_quoted_when_passages_cover_half_of_it() -> None:
    text = (
        "Der erste Satz ist lang und wird ganz zitiert. "
        "Der zweite Satz ist ebenso lang, doch nur ein Stück davon steht in einem Zitat. "
        "Der dritte Satz bekommt drei Wörter ab."
    )
    article = Article(Path("a.txt"), text, normalize(text), "a")
    quotes = {
        "Der erste Satz ist lang und wird ganz zitiert. Der zweite",  # runs into the next
        "nur ein Stück davon",  # with "Der zweite", under half of the second sentence
        "Der dritte Satz bekommt drei",  # most of the third
    }
    coverage = _measure(article, quotes)
    assert [s.quoted for s in coverage.sentences] == [True, False, True]
    assert 0 < coverage.sentences[1].covered < 0.5
    assert coverage.quoted == 2 and round(coverage.share, 2) == 0.67


def test_the_shipped_entities_load_and_name_every_source_outlet(knowledge: Knowledge) -> None:
    names, problems = load_entities(knowledge.directory)
    assert problems == []
    for source in knowledge.sources.values():
        if source.outlet:
            assert names.mentions(source.outlet), source.outlet


def test_a_broken_entities_file_is_a_check_error(knowledge_copy: Path) -> None:
    (knowledge_copy / "entities.yaml").write_text(
        "entities:\n  - kind: planet\n    en: [Mars]\n", encoding="utf-8"
    )
    names, problems = load_entities(knowledge_copy)
    assert names.entities == []
    [problem] = problems
    assert "entities.yaml" in problem and "kind" in problem
