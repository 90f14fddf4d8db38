"""The ev- network as a session fixture, for the tests marked ``network``.

Built once per session and always torn down. Where namespaces cannot be
made (not root, no ``ip`` or ``nft``) the tests are skipped with the reason,
except under CI (``CI`` set), where that is a failure: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.evidence import netns
from tests.support.pki import MailCA


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"the ev- network is required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ev_net(test_ca: MailCA) -> Iterator[netns.EvNet]:
    reason = netns.EvNet.available()
    if reason is not None:
        unavailable(reason)
    cert, key = test_ca.issue(netns.MAIL)
    # The unprivileged runs must read the CA: pytest's own temporary
    # directories are private to root.
    public = Path(tempfile.mkdtemp(prefix="netprobe-ev-"))
    public.chmod(0o755)
    cafile = public / "ca.pem"
    shutil.copy(test_ca.cafile, cafile)
    cafile.chmod(0o644)
    net = netns.EvNet(cafile=cafile)
    try:
        net.up()
        net.serve(cert, key)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        net.down()
        shutil.rmtree(public)
        unavailable(f"cannot build the ev- network: {exc}")
    try:
        yield net
    finally:
        net.down()
        shutil.rmtree(public)
