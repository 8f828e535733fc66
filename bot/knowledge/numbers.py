"""Figures and model codes in German and English text, as values that compare across both.

A figure is written in digits: "5,58" and "5.58" are one value, and so are "2.000", "2,000"
and "2000" (a separator followed by exactly three digits groups thousands, any other one
is the decimal point; two different separators, as in "1.600,5" or "1,600.5", are read
thousands then decimal). A scale word after it multiplies it: "5,6 Millionen" equals
"5.6 million", and "1,6 Billionen" equals "1.6 trillion", not "1.6 billion". Ordinals and
dates are their numbers ("20. Januar" and "January 20th" both hold 20). Number words
("zwei", "three") are not figures: answers count in their own words ("two reports").

A model code mixes letters and digits ("V3", "R1", "H100", "A100"); it is a name, kept
exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# Written words only, case-sensitive: the German noun is capitalised ("Billion" is 10^12),
# the English word is not ("billion" is 10^9).
SCALE_WORDS: dict[str, int] = {
    **dict.fromkeys(["Tausend", "tausend", "thousand"], 3),
    **dict.fromkeys(["Mio", "Million", "Millionen", "million", "millions", "mn"], 6),
    **dict.fromkeys(["Mrd", "Milliarde", "Milliarden", "billion", "billions", "bn"], 9),
    **dict.fromkeys(["Bio", "Billion", "Billionen", "trillion", "trillions", "tn"], 12),
}
# Letters written onto the digits that keep them a number: ordinals, decades, scales.
ORDINAL_SUFFIXES = frozenset(["st", "nd", "rd", "th", "s", "er", "ern", "ers"])
SCALE_SUFFIXES = {"k": 3, "m": 6, "mn": 6, "bn": 9, "tn": 12}

_NUMBER = re.compile(
    r"(?<![^\W_])(?P<digits>\d+(?:[.,\u00a0\u202f]\d+)*)(?P<suffix>[^\W\d_]*)"
    r"(?=\s+(?P<scale>[^\W\d_]+))?"
)
_CODE = re.compile(r"(?<![^\W_])[^\W\d_]+\d[^\W_]*")
_GROUP = re.compile(r"[.,\u00a0\u202f]")


@dataclass(frozen=True)
class Figure:
    text: str  # as written, with its scale word: "5,58 Millionen"
    mantissa: Decimal  # 5.58
    exponent: int = 0  # the scale: 6 for "Millionen"

    @property
    def value(self) -> Decimal:
        return self.mantissa.scaleb(self.exponent)

    def supported_by(self, other: Figure) -> bool:
        """Whether ``other`` (in a passage) states this figure: the same value, or, for a
        figure written without a scale, the same number ("1,6" of "1,6 Billionen")."""
        if self.value == other.value:
            return True
        return self.exponent == 0 and self.mantissa == other.mantissa


def _numbers(digits: str) -> list[Decimal]:
    """The value(s) of a run of digits and separators (a date "29.01.2025" is three)."""
    groups = _GROUP.split(digits)
    seps = _GROUP.findall(digits)
    if not seps:
        return [Decimal(digits)]
    marks = {s for s in seps if s in ".,"}
    if len(marks) == 2:  # "1.600,5" or "1,600.5": thousands, then the decimal point
        point, grouping = seps[-1], seps[:-1]
        if (
            point in ".,"
            and point not in grouping
            and len(groups[0]) <= 3
            and all(len(g) == 3 for g in groups[1:-1])
        ):
            return [Decimal("".join(groups[:-1]) + "." + groups[-1])]
        return [Decimal(g) for g in groups]
    if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return [Decimal("".join(groups))]  # thousands: "2.000", "16,000", "1 000 000"
    if len(seps) == 1 and seps[0] in ".,":
        return [Decimal(groups[0] + "." + groups[1])]  # decimal: "5,58", "1.6"
    return [Decimal(g) for g in groups]


def figures(text: str) -> list[Figure]:
    """Every figure written in digits in ``text``, in order."""
    found: list[Figure] = []
    for match in _NUMBER.finditer(text):
        suffix = match["suffix"]
        if suffix and suffix.lower() not in ORDINAL_SUFFIXES and suffix not in SCALE_SUFFIXES:
            continue  # a code such as "3D"; see codes()
        exponent = SCALE_SUFFIXES.get(suffix, 0)
        written = match.group(0)
        scale = match["scale"]
        if not exponent and scale in SCALE_WORDS:
            exponent = SCALE_WORDS[scale]
            written = text[match.start() : match.end("scale")]
        values = _numbers(match["digits"])
        if len(values) > 1:
            found.extend(Figure(str(v), v) for v in values)
        else:
            found.append(Figure(written, values[0], exponent))
    return found


def codes(text: str) -> list[str]:
    """Model and product codes in ``text``: "V3", "R1", "H100" (letters, then a digit)."""
    found = [m.group(0) for m in _CODE.finditer(text)]
    for match in _NUMBER.finditer(text):
        suffix = match["suffix"]
        if suffix and suffix.lower() not in ORDINAL_SUFFIXES and suffix not in SCALE_SUFFIXES:
            found.append(match["digits"] + suffix)
    return found
