"""Text that came from the network, made safe to show.

Greetings, EHLO lines and certificate names are written by whoever answered
the connection, which may be a hostile middlebox. Printed raw, an escape
sequence in a greeting could rewrite the user's terminal; in a ticket or a
web page it could forge the report. Every renderer passes such text through
here, then applies its own format's escaping (HTML, XML, Markdown).
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls: none belongs in a one-line report field.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
