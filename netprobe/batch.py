"""Many domains in one run: the list a support desk or a CI job keeps, and
checks of them with bounded concurrency.

A domain list has one domain per line; ``#`` starts a comment, blank lines
are ignored. A line that is not a domain is reported and skipped, not fatal,
so that one typo does not cost the whole run. Reports come back in the
list's order, each as soon as it and those before it are done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from netprobe.check import CheckOptions, run_check
from netprobe.domain import parse_domain
from netprobe.errors import InvalidDomainError
from netprobe.model import CheckReport


@dataclass(frozen=True)
class SkippedLine:
    number: int
    text: str
    reason: str


def read_domains(text: str) -> tuple[list[str], list[SkippedLine]]:
    """The domains of a list, and the lines skipped with why."""
    domains: list[str] = []
    skipped: list[SkippedLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            domains.append(parse_domain(entry).ascii)
        except InvalidDomainError as exc:
            skipped.append(SkippedLine(number, entry, exc.reason))
    return domains, skipped


async def check_many(
    domains: Sequence[str],
    options: CheckOptions,
    jobs: int,
    finished: Callable[[int, int], None] | None = None,
) -> AsyncIterator[CheckReport]:
    """Check ``domains``, at most ``jobs`` at once, yielding in list order.

    ``finished(done, total)`` hears of each check as it completes, in any
    order (the CLI's progress bar).
    """
    limit = asyncio.Semaphore(jobs)
    done = 0

    async def one(domain: str) -> CheckReport:
        nonlocal done
        async with limit:
            report = await run_check(domain, options)
        done += 1
        if finished is not None:
            finished(done, len(domains))
        return report

    tasks = [asyncio.ensure_future(one(d)) for d in domains]
    try:
        for task in tasks:
            yield await task
    finally:
        for task in tasks:
            task.cancel()
