"""One thing ``check`` found: an error (users would get a wrong or broken reply) or a
warning (curation work). Its own module, so each group of checks can report them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.text}"
