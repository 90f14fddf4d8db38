"""Running the tools the lab drives (ip, nft, postfix, ...), in one place."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Mapping, Sequence

from lab.errors import CommandFailed, LabError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


def run(
    argv: Sequence[str],
    *,
    input: str | None = None,
    check: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion, capturing its output as text.

    `env` replaces the environment (default: this process's own).
    """
    log.debug("command.run argv=%s", argv)
    try:
        result = subprocess.run(
            list(argv),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except FileNotFoundError as error:
        raise LabError(f"cannot run {argv[0]}: not installed") from error
    except subprocess.TimeoutExpired as error:
        raise LabError(f"`{' '.join(argv)}` took more than {timeout:g}s") from error
    if check and result.returncode != 0:
        raise CommandFailed(argv, result.returncode, result.stderr)
    return result


def netns_argv(namespace: str, argv: Sequence[str]) -> list[str]:
    """The command line that runs `argv` inside `namespace`."""
    return ["ip", "netns", "exec", namespace, *argv]


def run_in(
    namespace: str,
    argv: Sequence[str],
    *,
    input: str | None = None,
    check: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` inside a network namespace (`ip netns exec`)."""
    return run(
        netns_argv(namespace, argv), input=input, check=check, timeout=timeout, env=env
    )
