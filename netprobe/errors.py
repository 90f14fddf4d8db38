"""The program's own failures and bad input; outcomes are not errors.

A blocked port, a refused connection or an NXDOMAIN are results and travel as
values (see ``model``). Exceptions are kept for what stops netprobe from doing
its job, in one tree whose root carries the exit code the CLI uses::

    NetprobeError                 exit 70, internal
    +-- UsageError                exit 2, the user's input is wrong
    |   +-- InvalidDomainError    a name that is not a domain
    |   +-- ProfileError          a profile that cannot be used
    +-- ReportError               exit 73, a report could not be read or saved

The CLI turns each into a single line and its exit code, never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class NetprobeError(Exception):
    exit_code = 70


class UsageError(NetprobeError):
    exit_code = 2


class InvalidDomainError(UsageError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name!r} is not a valid domain name: {reason}")
        self.name = name
        self.reason = reason


class ProfileError(UsageError):
    def __init__(self, path: str | Path, where: str, problem: str) -> None:
        location = f"{path}: {where}" if where else str(path)
        super().__init__(f"profile {location}: {problem}")
        self.path = str(path)
        self.where = where
        self.problem = problem


class ReportError(NetprobeError):
    exit_code = 73

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"report {path}: {problem}")
        self.path = str(path)
        self.problem = problem
