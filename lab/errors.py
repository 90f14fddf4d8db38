"""The lab's exceptions.

    LabError                 anything the lab could not do; one clear line
    +-- LabUnavailable       this machine cannot build the network at all
    +-- CommandFailed        a tool the lab ran exited non-zero

The CLI prints `str(error)` as a single line; nothing here needs a traceback
to be understood.
"""

from __future__ import annotations

from collections.abc import Sequence


class LabError(Exception):
    """The lab could not do what it was asked."""


class LabUnavailable(LabError):
    """A prerequisite is missing: not root, no `ip netns`, a missing tool."""


class CommandFailed(LabError):
    """A command run by the lab exited with a non-zero status."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stderr = stderr
        # The last line of stderr is almost always the one that explains.
        lines = stderr.strip().splitlines()
        reason = lines[-1] if lines else "no message"
        super().__init__(f"`{' '.join(argv)}` exited {returncode}: {reason}")
