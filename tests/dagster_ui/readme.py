"""What the README tells a user about Dagster, read from the README itself."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CLI = ".venv/bin/dagster job execute"
KINDS = ("job", "schedule", "sensor")


@dataclass(frozen=True)
class Row:
    """A row of the README's "Jobs, schedules and sensors" table."""

    name: str
    kind: str
    what: str
    when: str
    default: str

    def ticks(self, column: str) -> list[str]:
        """The `backticked` words of a column."""
        return re.findall(r"`([^`]+)`", getattr(self, column))


def bash_blocks(text: str = README) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def cli_commands(text: str = README) -> list[list[str]]:
    """Every `dagster job execute` the README gives, as argv (continuations joined)."""
    commands = []
    for block in bash_blocks(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(CLI):
                commands.append(shlex.split(line))
    return commands


def job_of(argv: list[str]) -> str:
    return argv[argv.index("-j") + 1]


def table(text: str = README) -> list[Row]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1] in KINDS and cells[0].startswith("`"):
            rows.append(Row(cells[0].strip("`"), *cells[1:]))
    return rows


def named_as(kind_words: str, text: str = README) -> set[str]:
    """Names the prose calls a job, run, schedule or sensor: "`x` job", "the `x` run"."""
    after = re.findall(rf"`([a-z][a-z0-9_]+)`\s+(?:{kind_words})\b", text)
    before = re.findall(rf"\b(?:{kind_words})\s+`([a-z][a-z0-9_]+)`", text)
    return set(after) | set(before)
