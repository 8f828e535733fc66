"""Match a question to an intent: rapidfuzz over normalised tokens.

Two signals, both from rapidfuzz:

* coverage -- how much of the question an intent accounts for. Each question
  token is resolved against the knowledge vocabulary (exactly, or to its
  nearest spellings for typos) and weighted by how rare it is (IDF). A word
  the knowledge never uses counts as maximally informative: a question about
  something the articles do not cover ("Abo-Preis", "Parameter") can then not
  reach a confident score, however many right words surround it.
* similarity -- how close the question is to the intent's example phrasings
  (token sort and token set ratios), which tells apart intents that share
  vocabulary.

An intent with ``anchors`` (a named person, country, product) is only ever
answered when the question names one of them; otherwise it can at most be
suggested. The same holds the other way round: an intent is only answered when
it is about every *required* concept the question names (cost, age, who leads,
where; "when" and "where" as question words) and every entity it names, in its
examples, title, keywords or anchors: "Wie alt ist Liang Wenfeng?" is not answered
by the founding date, whose answer merely mentions him, nor "Was hat R1
gekostet?" by the agents answer, which merely mentions running costs. All
thresholds live in :class:`Thresholds`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.domain.models import Language, Outcome
from bot.engine.decision import Candidate, Match, Thresholds, decide
from bot.knowledge import Knowledge
from bot.nlp import text as textmod
from bot.nlp.dictionary import WORDS
from bot.nlp.normalizer import Normalizer, Term, is_concept, stem
from bot.nlp.text import fold, skeleton

# No real word is longer; longer "words" get exact lookups only (bounded work).
MAX_WORD = 40
QUESTION_CONCEPTS = frozenset({"QWHO", "QWHEN", "QWHERE", "QWHY", "QHOW", "QHOWMANY"})
# A concept found in more than this share of the intents is the domain itself ("DeepSeek").
DOMAIN_SHARE = 0.8
# Question words beyond the question concepts: they ask, but say nothing about what.
INTERROGATIVES = frozenset(
    [
        "was",
        "what",
        "welche",
        "welcher",
        "welches",
        "welchen",
        "which",
        "wie",
        "how",
        "ob",
        "whether",
        "wieviel",
    ]
)


def _mixed_case(text: str) -> bool:
    """Whether the writer uses capitals at all (some type everything in lower case)."""
    return any(ch.isupper() for ch in text) and any(ch.islower() for ch in text)


def _without_ge(word: str) -> str | None:
    """German past participles: "geforscht" -> "forscht" (the stemmer keeps the ge-)."""
    if len(word) >= 7 and word.startswith("ge") and word[2] not in "aeiou":
        return word[2:]
    return None


def _max_edits(length: int) -> int:
    """Typos tolerated in a word: none in short words, more in long ones."""
    return 0 if length < 4 else 1 if length <= 7 else 2


class Matcher:
    """An index over the knowledge; immutable, so a reload builds a new one."""

    SHORTLIST = 30
    REFINE = 4  # intents whose similarity is computed exactly

    def __init__(
        self,
        knowledge: Knowledge,
        normalizer: Normalizer,
        thresholds: Thresholds | None = None,
        dictionary: Container[str] = WORDS,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.dictionary = dictionary
        self.normalizer = normalizer
        self.ids: list[str] = list(knowledge.intents)
        self._examples: list[list[str]] = []
        self._anchors: list[frozenset[str]] = []
        self._strong: list[frozenset[str]] = []  # keys from examples, title, keywords, anchors
        self._named: list[frozenset[str]] = []  # keys of the anchor words, phrases aside
        self._titles_de: list[frozenset[str]] = []  # keys of the canonical question
        self._titles_en: list[frozenset[str]] = []
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        spellings: dict[str, str] = {}
        weak = self.thresholds.answer_text_weight

        self._stopword_list = sorted(normalizer.all_stopwords)
        anchor_words = {fold(w) for i in knowledge.intents.values() for w in i.anchors}

        typo_of_function_word: dict[str, bool] = {}  # each example word is checked once

        def kept(surface: str) -> bool:
            if surface not in typo_of_function_word:
                typo_of_function_word[surface] = self._function_word_typo(surface)
            return not typo_of_function_word[surface]

        def terms(text: str, lang: Language) -> list[str]:
            found = [
                t
                for t in normalizer.terms(text, lang)
                if is_concept(t.key)
                or t.surface in anchor_words
                or len(t.surface) < 4
                or kept(t.surface)
                or t.surface in dictionary
            ]  # an example written as chat ("wass ist...") must not teach "wass"
            for term in found:
                spellings.setdefault(term.surface, term.key)
            return [term.key for term in found]

        for idx, intent in enumerate(knowledge.intents.values()):
            strong: set[str] = set()
            examples: dict[str, None] = {}
            pairs: tuple[tuple[Language, list[str]], ...] = (
                ("de", intent.examples.de),
                ("en", intent.examples.en),
            )
            titled = {lang: set(terms(intent.title.get(lang), lang)) for lang, _ in pairs}
            for lang, texts in pairs:
                for text in [*texts, intent.title.get(lang)]:
                    toks = terms(text, lang)
                    strong.update(toks)
                    examples[" ".join(dict.fromkeys(toks))] = None
                for word in intent.keywords:
                    strong.update(terms(word, lang))
            answer_words = set(terms(intent.answer.de, "de")) | set(terms(intent.answer.en, "en"))
            anchors: set[str] = set()
            for word in intent.anchors:
                anchors.update(terms(word, "de"))
                anchors.update(terms(word, "en"))
            self._named.append(frozenset(anchors))  # the anchor words themselves
            for word in intent.anchors:
                anchors.update(normalizer.phrase_concepts(word))
            for tok in strong:
                postings[tok][idx] = 1.0
            for tok in answer_words - strong:
                postings[tok][idx] = weak
            self._examples.append([" ".join(sorted(e.split())) for e in examples if e])
            self._anchors.append(frozenset(anchors))
            self._strong.append(frozenset(strong | anchors))
            self._titles_de.append(frozenset(titled["de"]))
            self._titles_en.append(frozenset(titled["en"]))
        # Example-level index for the token-set part of the similarity.
        self._example_start: list[int] = []
        example_tokens: dict[str, list[int]] = defaultdict(list)
        sizes: list[int] = []
        for examples_of_intent in self._examples:
            self._example_start.append(len(sizes))
            for example in examples_of_intent:
                tokens = set(example.split())
                for tok in tokens:
                    example_tokens[tok].append(len(sizes))
                sizes.append(len(tokens))
        self._example_sizes = np.array(sizes, dtype=np.float32)
        self._example_postings = {
            tok: np.array(ids, dtype=np.int32) for tok, ids in example_tokens.items()
        }
        n = len(self.ids)
        self._postings = {tok: tuple(p.items()) for tok, p in postings.items()}
        self._idf = {tok: math.log(1 + n / len(p)) for tok, p in postings.items()}
        self._oov_weight = math.log(1 + n)
        for surface, concept in normalizer.surface_forms().items():
            spellings.setdefault(surface, concept)
        for part, concept in normalizer.phrase_parts().items():
            spellings.setdefault(part, concept)
        self._spellings = {
            s: k
            for s, k in spellings.items()
            if k in self._postings and not s.isdigit() and k not in QUESTION_CONCEPTS
        }
        self._skeletons: dict[str, str] = {}
        for spelling, key in self._spellings.items():
            self._skeletons.setdefault(skeleton(spelling), key)
        self._spelling_list = list(self._spellings)
        self._anchor_words = frozenset().union(*self._anchors)
        self._anchor_surfaces = frozenset(anchor_words)
        self._subject_keys, self._entity_keys = self._subjects(knowledge, n)
        self._required = frozenset(c.upper() for c in knowledge.required) | frozenset(
            normalizer.function_words.required_questions
        )
        self._contrasts = tuple((a.upper(), b.upper()) for a, b in knowledge.contrasts)
        self._titles = [self._titles_de[i] | self._titles_en[i] for i in range(n)]
        self._domain_keys = frozenset(
            key
            for key, posting in self._postings.items()
            if is_concept(key) and sum(1 for _, w in posting if w == 1.0) > DOMAIN_SHARE * n
        )
        self._resolve = lru_cache(maxsize=16384)(self._resolve_uncached)
        self._is_function_word_typo = lru_cache(maxsize=4096)(self._function_word_typo)

    # -- vocabulary ----------------------------------------------------------------

    def _subjects(self, knowledge: Knowledge, n: int) -> tuple[frozenset[str], frozenset[str]]:
        """Index keys that name things, and those that name someone or something in
        particular.

        Subjects: curated concepts (but the domain's own, found in nearly every intent)
        and words the knowledge capitalises inside its sentences, German nouns included.
        Entities: anchors' keys and words capitalised inside the *English* sentences,
        where only names are ("Nvidia", "Alibaba", "Musk"; not "Code" or "Erfolg").
        """
        capital: dict[str, dict[str, list[int]]] = {"de": defaultdict(lambda: [0, 0])}
        capital["en"] = defaultdict(lambda: [0, 0])
        for intent in knowledge.intents.values():
            for lang, texts in (
                ("de", (*intent.examples.de, intent.answer.de)),
                ("en", (*intent.examples.en, intent.answer.en)),
            ):
                for text in texts:
                    for position, (word, upper) in enumerate(textmod.words(text)):
                        if position:
                            capital[lang][word][0] += int(upper)
                            capital[lang][word][1] += 1

        def capitalised(spelling: str, lang: str) -> bool:
            upper, seen = capital[lang].get(spelling, [0, 0])
            return seen > 0 and upper * 2 >= seen

        subjects = {
            key
            for key, posting in self._postings.items()
            if is_concept(key)
            and key not in QUESTION_CONCEPTS
            and sum(1 for _, w in posting if w == 1.0) <= DOMAIN_SHARE * n
        }
        entities = set(self._anchor_words)
        for spelling, key in self._spellings.items():
            if is_concept(key):
                continue
            if capitalised(spelling, "de") or capitalised(spelling, "en"):
                subjects.add(key)
            if capitalised(spelling, "en"):
                entities.add(key)
        return frozenset(subjects | entities), frozenset(entities)

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._postings)

    def names_subject(self, word: str) -> bool:
        """Whether a (folded) word names something the knowledge is about, typos forgiven:
        a name an intent is anchored to, a curated concept (not the domain itself), or a
        word the knowledge writes with a capital letter inside sentences (names, German
        nouns). "gelesen" or "paar" are no subjects, however often examples use them."""
        if word in self._anchor_surfaces:
            return True
        for lang in ("de", "en"):
            for term in self.normalizer.terms(word, lang):
                if term.key in QUESTION_CONCEPTS:
                    continue
                for key, similarity in self._resolve(term.key, term.surface):
                    if similarity >= 0.8 and key in self._subject_keys:
                        return True
        return False

    def names_entity(self, word: str) -> bool:
        """Whether a word names someone or something in particular: an anchor, or a name
        the knowledge writes with a capital in English (Elon Musk, Nvidia, Alibaba)."""
        if word in self._anchor_surfaces:
            return True
        key = self._known(word)
        return key is not None and key in self._entity_keys

    def is_content(self, word: str) -> bool:
        """A word that says what is asked about: no stop word, question word or the domain."""
        return not (
            self.is_stopword(word) or self.is_question_word(word) or self.names_domain(word)
        )

    def _content_keys(
        self, words: Sequence[tuple[str, bool]], lang: Language
    ) -> list[frozenset[str]]:
        """Per content word, the index keys it may stand for (typos forgiven)."""
        found = []
        for term in self.terms("", lang, list(words)):
            if term.key in QUESTION_CONCEPTS or not self.is_content(term.surface.split()[0]):
                continue
            close = frozenset(k for k, sim in self._resolve(term.key, term.surface) if sim >= 0.8)
            if close:
                found.append(close)
        return found

    def intents_about(self, words: Sequence[tuple[str, bool]], lang: Language) -> list[str]:
        """Intents whose examples, title or keywords are about every content word, best
        match first."""
        keys = self._content_keys(words, lang)
        if not keys:
            return []
        ranked = self.match_terms(self.terms("", lang, list(words)), lang, False).ranked
        order = {c.intent: n for n, c in enumerate(ranked)}
        about = [
            self.ids[idx]
            for idx in range(len(self.ids))
            if all(alt & self._strong[idx] for alt in keys)
        ]
        return sorted(about, key=lambda i: order.get(i, len(order)))

    def intents_anchored(self, words: Sequence[tuple[str, bool]], lang: Language) -> list[str]:
        """Intents anchored to every content word ("Sam Altman": his, not OpenAI's)."""
        keys = self._content_keys(words, lang)
        if not keys:
            return []
        return [
            self.ids[idx]
            for idx in range(len(self.ids))
            if all(alt & self._named[idx] for alt in keys)
        ]

    def intents_titled(self, words: Sequence[tuple[str, bool]], lang: Language) -> list[str]:
        """Intents whose canonical question (title) names every content word."""
        keys = self._content_keys(words, lang)
        if not keys:
            return []
        titles = self._titles_de if lang == "de" else self._titles_en
        return [
            self.ids[idx] for idx in range(len(self.ids)) if all(alt & titles[idx] for alt in keys)
        ]

    def is_stopword(self, word: str) -> bool:
        return word in self.normalizer.all_stopwords

    def names_domain(self, word: str) -> bool:
        """Whether a word names what nearly every intent is about (DeepSeek itself)."""
        key = self._known(word)
        return key is not None and key in self._domain_keys

    def is_question_word(self, word: str) -> bool:
        return word in INTERROGATIVES or self.normalizer.concept_of(word) in QUESTION_CONCEPTS

    def asks_beyond(self, intent: str, words: Sequence[tuple[str, bool]], lang: Language) -> bool:
        """Whether the words ask a question (why, when, how many...) that ``intent``'s
        questions never ask: "Wieso so wenige?" of the chip count."""
        asked = {t.key for t in self.terms("", lang, list(words)) if t.key in QUESTION_CONCEPTS}
        return bool(asked - self._strong[self.ids.index(intent)])

    @property
    def spellings(self) -> frozenset[str]:
        """Every word as the knowledge spells it (folded): what typo correction aims at."""
        return frozenset(self._spellings)

    def _resolve_uncached(self, key: str, surface: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary entries a question word may stand for, with a similarity in 0..1."""
        if is_concept(key):
            # A word from the synonym lists is no typo.
            return ((key, 1.0),) if key in self._postings else ()
        found: dict[str, float] = {}
        # The word as typed (umlauts written as u or ue alike) beats its stem:
        # "grunder" is "Gründer", not "Grund".
        known = self._spellings.get(surface) or self._skeletons.get(skeleton(surface))
        if known is not None:
            found[known] = 1.0
        elif key in self._postings:
            found[key] = 1.0
        elif (participle := _without_ge(surface)) and stem(participle, "de") in self._postings:
            found[stem(participle, "de")] = 1.0  # "geforscht" ~ "forschte"
        elif self._is_function_word_typo(surface):
            return ()  # "habn", "wass": no meaning, no typo correction either
        edits = _max_edits(len(surface)) if len(surface) <= MAX_WORD else 0
        real_word = known is None and key not in self._postings and surface in self.dictionary
        if (known is None or not is_concept(known)) and edits and not surface.isdigit():
            for cand, distance, _ in process.extract(
                surface,
                self._spelling_list,
                scorer=DamerauLevenshtein.distance,
                limit=3,
                score_cutoff=edits,
            ):
                target = self._spellings[cand]
                if real_word and target not in self._anchor_words:
                    # A correctly spelt word the knowledge never uses is no typo,
                    # unless it is one letter off a name ("Elon Mask").
                    continue
                sim = 1.0 - distance / max(len(surface), len(cand))
                if sim > found.get(target, 0.0):
                    found[target] = sim
        return tuple(found.items())

    def _function_word_typo(self, surface: str) -> bool:
        """Whether an unknown word is a misspelt stop word ("wass", "habn", "vile")."""
        if not 3 <= len(surface) <= MAX_WORD or surface.isdigit():
            return False
        hit = process.extractOne(
            surface, self._stopword_list, scorer=DamerauLevenshtein.distance, score_cutoff=1
        )
        return hit is not None

    # -- matching ------------------------------------------------------------------

    def terms(
        self, text: str, lang: Language, words: list[tuple[str, bool]] | None = None
    ) -> list[Term]:
        """The question's terms, each key once (``words``: its tokens, if already split)."""
        seen: dict[str, Term] = {}
        tokens = textmod.words(text) if words is None else words
        for term in self.normalizer.canonical(tokens, lang):
            seen.setdefault(term.key, term)
        return list(seen.values())

    def tokens(self, text: str, lang: Language) -> list[str]:
        return [term.key for term in self.terms(text, lang)]

    def match(
        self, text: str, lang: Language, words: list[tuple[str, bool]] | None = None
    ) -> Match:
        return self.match_terms(self.terms(text, lang, words), lang, _mixed_case(text))

    def _known(self, word: str) -> str | None:
        """The index key of a word the knowledge uses (as typed, or by its stem)."""
        if len(word) < 3 or word in self.normalizer.all_stopwords:
            return None
        found = self._spellings.get(word) or self._skeletons.get(skeleton(word))
        if found is None:
            found = self.normalizer.concept_of(word)
        if found is None:
            stemmed = stem(word, "de")
            found = stemmed if stemmed in self._postings else None
        return found if found in self._postings else None

    def _split_compound(self, term: Term) -> list[Term]:
        """German compounds the knowledge never spells out: "Chipproblem" -> chip + problem."""
        word = term.surface
        if (
            not 8 <= len(word) <= MAX_WORD
            or term.key in self._postings
            or self._known(word) is not None
        ):
            return [term]
        for cut in range(len(word) - 3, 2, -1):  # longest known tail first
            tail = self._known(word[cut:])
            if tail is None:
                continue
            head_word = word[:cut]
            head = self._known(head_word)
            if head is None and head_word.endswith("s"):  # linking s: Datenschutzsorgen
                head = self._known(head_word[:-1])
            if head is not None:
                return [Term(head, head_word, term.capital), Term(tail, word[cut:], term.capital)]
        return [term]

    def match_terms(self, terms: Iterable[Term], lang: Language, mixed_case: bool) -> Match:
        th = self.thresholds
        query = [part for term in terms for part in self._split_compound(term)]
        query = list({t.key: t for t in reversed(query)}.values())[::-1]
        if not any(t.key not in QUESTION_CONCEPTS for t in query):
            return Match(Outcome.FALLBACK, None, ())
        total = 0.0
        covered: dict[int, float] = defaultdict(float)
        anchored: set[int] = set()
        sentence: list[str] = []
        concepts: set[str] = set()  # required concepts the question names
        entities: list[frozenset[str]] = []  # per named entity: the keys it may stand for
        asked: set[str] = set()  # every key the question's words stand for
        for n, (key, surface, capital) in enumerate(query):
            resolved = self._resolve(key, surface)
            if not resolved and self._is_function_word_typo(surface):
                continue  # a misspelt stop word counts for nothing
            sentence.append(max(resolved, key=lambda r: r[1])[0] if resolved else key)
            if key in self._required:
                concepts.add(key)
            close = frozenset(v for v, sim in resolved if sim >= 0.8)
            asked |= close | {key}
            if close & self._required:
                concepts.update(close & self._required)
            elif close and (close <= self._entity_keys or surface in self._anchor_surfaces):
                entities.append(close)
            if key in QUESTION_CONCEPTS:
                weight = th.question_word_weight
            else:
                known = [self._idf[v] for v, _ in resolved]
                weight = max(known) if known else self._oov_weight
                if lang == "de" and mixed_case and not capital and n > 0 and not is_concept(key):
                    # German capitalises nouns: a lower-case word in a properly
                    # written question is a verb or adjective, which says less
                    # about what is asked than a noun or a name does.
                    weight *= th.lower_case_factor
            total += weight
            best_here: dict[int, float] = {}
            for vocab_tok, sim in resolved:
                for idx, post_weight in self._postings[vocab_tok]:
                    credit = sim * post_weight
                    if credit > best_here.get(idx, 0.0):
                        best_here[idx] = credit
                    if sim >= 0.8 and vocab_tok in self._anchors[idx]:
                        anchored.add(idx)
            for idx, credit in best_here.items():
                covered[idx] += weight * credit
        if not covered:
            return Match(Outcome.FALLBACK, None, ())
        top_cov = max(covered.values())
        shortlist = sorted(
            ((idx, cov) for idx, cov in covered.items() if cov >= 0.5 * top_cov),
            key=lambda kv: kv[1],
            reverse=True,
        )[: self.SHORTLIST]
        similarity = self._similarity(
            " ".join(sentence), [i for i, _ in shortlist if self._examples[i]]
        )
        candidates = []
        for idx, cov in shortlist:
            coverage = cov / total
            sim = similarity.get(idx, 0.0)
            score = 100.0 * coverage * (0.55 + 0.45 * sim / 100.0)
            ok = (
                (not self._anchors[idx] or idx in anchored)
                and self._contrasted(idx, asked)
                and self._agrees(idx, concepts, entities)
            )
            candidates.append(Candidate(self.ids[idx], score, coverage, sim, ok))
        candidates.sort(key=lambda c: c.score, reverse=True)
        words = sum(1 for t in query if t.key not in QUESTION_CONCEPTS)
        return decide(candidates, self.thresholds, words)

    def _contrasted(self, idx: int, asked: set[str]) -> bool:
        """False if the question and intent ``idx``'s title name the same thing, and only
        one of them turns it around ("in China" against "outside China")."""
        title = self._titles[idx]
        return all(
            (turn in asked) == (turn in title)
            for turn, thing in self._contrasts
            if thing in asked and thing in title
        )

    def _agrees(self, idx: int, concepts: set[str], entities: list[frozenset[str]]) -> bool:
        """Whether intent ``idx`` has every required concept the question names, and is
        about every entity it names."""
        strong = self._strong[idx]
        return concepts <= strong and all(alt & strong for alt in entities)

    def _similarity(self, sentence: str, intents: list[int]) -> dict[int, float]:
        """Best similarity per intent between the question and its examples.

        Half rapidfuzz's ratio of the token-sorted strings (token-sort ratio,
        with examples sorted once at load), half token-set containment (the
        share of the smaller side found in the other), counted with numpy over
        an example-level index.
        """
        tokens = sorted(set(sentence.split()))
        if not intents or not tokens:
            return {}
        texts: list[str] = []
        offsets: list[int] = []
        rows: list[np.ndarray] = []
        for idx in intents:
            offsets.append(len(texts))
            start = self._example_start[idx]
            count = len(self._examples[idx])
            texts.extend(self._examples[idx])
            rows.append(np.arange(start, start + count, dtype=np.int32))
        sort = process.cdist([" ".join(tokens)], texts, scorer=fuzz.ratio, dtype=np.float32)[0]
        hits = np.zeros(len(self._example_sizes), dtype=np.float32)
        for tok in tokens:
            found = self._example_postings.get(tok)
            if found is not None:
                hits[found] += 1.0
        index = np.concatenate(rows)
        smaller = np.minimum(self._example_sizes[index], float(len(tokens)))
        contained = 100.0 * hits[index] / np.maximum(smaller, 1.0)
        best = np.maximum.reduceat((sort + contained) * 0.5, offsets)
        scores = dict(zip(intents, best.tolist(), strict=True))
        # The few intents that matter get rapidfuzz's full token-set ratio,
        # which also credits near-identical words the containment misses.
        query = " ".join(tokens)
        for idx in sorted(scores, key=scores.__getitem__, reverse=True)[: self.REFINE]:
            examples = self._examples[idx]
            token_set = process.cdist([query], examples, scorer=fuzz.token_set_ratio)[0]
            ratio = process.cdist([query], examples, scorer=fuzz.ratio)[0]
            scores[idx] = float(np.max((token_set + ratio) * 0.5))
        return scores
