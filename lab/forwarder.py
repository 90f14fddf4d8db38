"""The isp-net link: two TAP devices joined by a delaying frame forwarder.

The kernel the lab runs on has no netem qdisc, so one-way latency is added
here, in user space. This module runs as its own process
(`python -m lab.forwarder`), started by lab.delay:

1. it opens two TAP devices in the root namespace (TUNSETIFF), then tells its
   parent on --ready-fd; the parent moves the devices into np-isp and np-net
   (the open file descriptors stay attached to them);
2. every Ethernet frame read from one TAP is written to the other, after the
   current one-way delay, in both directions;
3. on SIGHUP it re-reads the delay (milliseconds) from --delay-file and
   confirms the value it now uses in --delay-file + ".applied".

Frames keep their order even when the delay shrinks (a frame is never due
before the one queued ahead of it), and each direction queues at most
MAX_QUEUE frames; beyond that new frames are dropped, as a router's full
queue would. The TAP devices are not persistent: when this process exits,
for whatever reason, the kernel deletes them and the link goes away.
"""

from __future__ import annotations

import argparse
import collections
import errno
import fcntl
import logging
import os
import select
import signal
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from lab.daemons import announce_ready

log = logging.getLogger("lab.forwarder")

# From <linux/if_tun.h>.
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
TUN_DEVICE = "/dev/net/tun"

# Without IFF_VNET_HDR the kernel hands over frames already segmented to the
# MTU, so 64 KiB is far more than any frame read can need.
MAX_FRAME = 65536
# 4096 frames of at most 1514 bytes: a bounded 6 MiB per direction.
MAX_QUEUE = 4096
# Frames read from one TAP per wakeup, so one busy direction cannot starve
# the other.
BURST = 64


def open_tap(name: str) -> int:
    """Create TAP device `name` and return its non-blocking descriptor."""
    fd = os.open(TUN_DEVICE, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    request = struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
    try:
        fcntl.ioctl(fd, TUNSETIFF, request)
    except OSError:
        os.close(fd)
        raise
    return fd


def read_delay(path: Path) -> float:
    """The one-way delay in seconds from `path` (milliseconds, as text)."""
    try:
        milliseconds = float(path.read_text().strip() or "0")
    except FileNotFoundError:
        return 0.0
    except ValueError:
        log.warning("forwarder.delay unreadable path=%s; keeping 0", path)
        return 0.0
    return max(milliseconds, 0.0) / 1000.0


@dataclass
class Direction:
    """Frames read from `source`, waiting to be written to `sink`."""

    label: str
    source: int
    sink: int
    queue: collections.deque[tuple[float, bytes]] = field(
        default_factory=collections.deque
    )
    last_due: float = 0.0
    dropped: int = 0

    def push(self, frame: bytes, now: float, delay: float) -> None:
        if delay == 0.0 and not self.queue:
            self._send(frame)
            return
        if len(self.queue) >= MAX_QUEUE:
            self._drop("queue full")
            return
        # max(): a frame may not overtake the one queued ahead of it when
        # the delay has just been lowered.
        due = max(now + delay, self.last_due)
        self.last_due = due
        self.queue.append((due, frame))

    def flush(self, now: float) -> None:
        while self.queue and self.queue[0][0] <= now:
            self._send(self.queue.popleft()[1])

    def next_due(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def _send(self, frame: bytes) -> None:
        try:
            os.write(self.sink, frame)
        except OSError as error:
            # EIO while the far interface is down (normal while the lab is
            # being built), EAGAIN when its queue is full: a wire would lose
            # the frame just the same.
            level = logging.INFO if error.errno == errno.EIO else logging.WARNING
            self._drop(error.strerror or str(error), level)

    def _drop(self, reason: str, level: int = logging.WARNING) -> None:
        self.dropped += 1
        # Logged sparsely: a flood of drops would otherwise fill the log.
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.log(
                level,
                "forwarder.drop dir=%s reason=%s total=%d",
                self.label,
                reason,
                self.dropped,
            )


class Forwarder:
    def __init__(self, tap_a: int, tap_b: int, delay_file: Path) -> None:
        self.delay_file = delay_file
        self.delay = 0.0
        self.directions = {
            tap_a: Direction("a->b", tap_a, tap_b),
            tap_b: Direction("b->a", tap_b, tap_a),
        }

    def reload(self) -> None:
        self.delay = read_delay(self.delay_file)
        log.info("forwarder.delay ms=%g", self.delay * 1000)
        applied = self.delay_file.with_name(self.delay_file.name + ".applied")
        applied.write_text(f"{self.delay * 1000:g}\n")

    def run(self) -> None:
        poller = select.epoll()
        for fd in self.directions:
            poller.register(fd, select.EPOLLIN)
        while True:
            dues = [d.next_due() for d in self.directions.values()]
            pending = [due for due in dues if due is not None]
            timeout = max(min(pending) - time.monotonic(), 0.0) if pending else -1
            events = poller.poll(timeout)
            now = time.monotonic()
            for fd, mask in events:
                if mask & (select.EPOLLERR | select.EPOLLHUP):
                    # The device was deleted under us (its namespace went
                    # away): there is no link left to forward for.
                    log.info("forwarder.stop tap fd=%d is gone", fd)
                    return
                if not self._read(self.directions[fd], now):
                    return
            for direction in self.directions.values():
                direction.flush(time.monotonic())

    def _read(self, direction: Direction, now: float) -> bool:
        """Forward what `direction`'s TAP has; False when the TAP is gone."""
        for _ in range(BURST):
            try:
                frame = os.read(direction.source, MAX_FRAME)
            except BlockingIOError:
                return True
            except OSError as error:
                # EBADFD once the device is deleted; nothing to do but go.
                log.info("forwarder.stop reading %s: %s", direction.label, error)
                return False
            direction.push(frame, now, self.delay)
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.forwarder")
    parser.add_argument("--tap-a", required=True)
    parser.add_argument("--tap-b", required=True)
    parser.add_argument("--delay-file", type=Path, required=True)
    parser.add_argument("--ready-fd", type=int)
    parser.add_argument("--pid-file", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )

    forwarder = Forwarder(open_tap(args.tap_a), open_tap(args.tap_b), args.delay_file)
    forwarder.reload()

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        forwarder.reload()

    signal.signal(signal.SIGHUP, on_hangup)
    announce_ready(args.ready_fd, args.pid_file)
    log.info("forwarder.start a=%s b=%s pid=%d", args.tap_a, args.tap_b, os.getpid())
    forwarder.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
