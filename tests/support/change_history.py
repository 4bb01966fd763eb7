"""A git repository whose commits change known sections, refreshed between them (recent_changes e2e).

Every commit is dated within the last day (recent_changes' `since: 1d` sees them all) and apart from
the others, so a section's changed_at names the commit that last changed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from tests.support.refresh import commit_all, git_init, write_tree

BASE = "https://hb.example/"
ON_CALL = "handbook/engineering/on-call.md"
TIME_OFF = "handbook/people/time-off.md"
EXPENSES = "handbook/finance/expenses.md"
PAGES = {
    ON_CALL: "# On-call\n\n## Rotation\n\nShifts last one week.\n",
    TIME_OFF: "# Time off\n\nTake at least 25 days of vacation.\n",
    EXPENSES: "# Expenses\n\nMeals: 60 EUR a day.\n",
}


class Commit(NamedTuple):
    message: str
    hours_ago: int
    files: dict[str, str]

    @property
    def subject(self) -> str:
        return self.message.partition("\n")[0]


COMMITS = [
    Commit("initial", 20, PAGES),
    Commit("Raise the vacation allowance", 10, {TIME_OFF: PAGES[TIME_OFF].replace("25", "30")}),
    Commit(
        "Add the on-call escalation section",
        9,
        {ON_CALL: PAGES[ON_CALL] + "\n## Escalation\n\nPage the secondary after 15 minutes.\n"},
    ),
    Commit(
        "Meals allowance to 70 EUR\n\nBody text that is not the subject.",
        5,
        {EXPENSES: "# Expenses\n\nMeals: 70 EUR a day.\n"},
    ),
]
# What recent_changes reports for the whole history: (section URL, change, commit subject).
CHANGES = {
    (f"{BASE}handbook/people/time-off/#time-off", "modified", COMMITS[1].subject),
    (f"{BASE}handbook/engineering/on-call/#escalation", "added", COMMITS[2].subject),
    (f"{BASE}handbook/finance/expenses/#expenses", "modified", COMMITS[3].subject),
}
# Which commit last changed each section: search_handbook's changed_at is that commit's time.
LAST_CHANGED_BY = {
    f"{BASE}handbook/people/time-off/#time-off": 1,
    f"{BASE}handbook/engineering/on-call/#rotation": 0,  # its page changed, its text never did
    f"{BASE}handbook/engineering/on-call/#escalation": 2,
    f"{BASE}handbook/finance/expenses/#expenses": 3,
}


def make_history(root: Path, refresh: Callable[[], object], refresh_after: Collection[int]) -> list[str]:
    """Commit COMMITS into a new repository at `root`, calling `refresh()` after each commit index in
    `refresh_after`; the ISO time (UTC, seconds) of each commit, in order."""
    repo = git_init(root)
    now = int(time.time())
    times: list[str] = []
    for i, commit in enumerate(COMMITS):
        when = now - commit.hours_ago * 3600
        write_tree(root, dict(commit.files))
        commit_all(repo, commit.message, when=when)
        times.append(datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds"))
        if i in refresh_after:
            refresh()
    return times
