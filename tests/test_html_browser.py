"""The HTML report as a browser shows it: headless Chromium (Debian's
package) takes a screenshot, which must be a real page, not a blank one,
with the verdict's colour across the top."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from netprobe.report import html
from tests.support.pki import MailCA
from tests.support.world import World, check_document, mail_world

# The verdict banner's colour for "degraded" (html._STYLE --warn).
DEGRADED_RGB = (0x9A, 0x64, 0x00)


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    with mail_world(test_ca) as world:
        yield world


def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        reason = "chromium is not installed (Debian package chromium; make deps)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def screenshot(page: Path, tmp_path: Path) -> Path:
    png = tmp_path / "report.png"
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",  # root in CI; the page is our own file
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1200,1600",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png


def test_html_report_in_chromium_is_a_real_page_with_the_verdict_on_top(
    world: World, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(html.render(check_document(world, "partial.example")))

    png = screenshot(page, tmp_path)

    assert png.stat().st_size > 20_000
    with Image.open(png) as image:
        assert image.size == (1200, 1600)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1_000_000) or []
        top = rgb.crop((0, 0, 1200, 300)).getcolors(maxcolors=1_000_000) or []
    # Text, tables and coloured badges: a blank or broken page has a handful.
    assert len(colours) > 200
    banner = sum(count for count, colour in top if colour == DEGRADED_RGB)
    assert banner > 50_000
