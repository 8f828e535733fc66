"""Just enough PromQL reading to list the metric and label names a query uses.

The dashboard and alert tests check those names against a scrape of the bot, so a
renamed metric fails a test instead of leaving an empty panel or an alert that
can never fire. Not a parser: it removes what is not a name (strings, durations,
Grafana's $variables), takes label names from matchers and from by/without/on/
ignoring/group_* lists, and calls every identifier left that is not a keyword or
followed by "(" (a function call) a metric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
    | {"and", "or", "unless", "atan2", "inf", "nan"}
)
# Aggregations and functions as used without a following "(" (e.g. "sum by (le) (...)").
AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile"}
    | {"count_values", "group", "limitk", "limit_ratio"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VAR = re.compile(r"\$\{?__?\w+\}?")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_MATCHERS = re.compile(r"\{([^}]*)\}")
_MATCHER_LABEL = re.compile(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)")
_IDENT = re.compile(r"(?<![\w.:$])[a-zA-Z_:][\w:]*")


@dataclass
class Names:
    metrics: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)


def names(expr: str) -> Names:
    """The metric names and label names that expr refers to."""
    found = Names()
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VAR.sub("1m", text)
    text = _RANGE.sub(" ", text)
    for _, labels in _LABEL_LIST.findall(text):
        found.labels.update(label.strip() for label in labels.split(",") if label.strip())
    text = _LABEL_LIST.sub(" ", text)
    for matchers in _MATCHERS.findall(text):
        found.labels.update(_MATCHER_LABEL.findall(matchers))
    text = _MATCHERS.sub(" ", text)
    for match in _IDENT.finditer(text):
        word = match.group()
        rest = text[match.end() :].lstrip()
        if word in KEYWORDS or word in AGGREGATIONS or rest.startswith("("):
            continue
        found.metrics.add(word)
    return found
