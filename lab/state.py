"""What the running lab was told: mode, family, delay, hosts (or their port
25) switched off.

Kept as JSON in the run directory, so `python -m lab status` (or a test
process) sees what an earlier `python -m lab mode ...` set.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lab.errors import LabError
from lab.firewall import Family, Mode

log = logging.getLogger(__name__)


@dataclass
class State:
    mode: Mode = Mode.NONE
    family: Family = Family.BOTH
    delay_ms: float = 0.0
    hosts_off: list[str] = field(default_factory=list)
    port25_off: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> State:
        """The saved state, or the defaults when none was saved."""
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            raise LabError(f"cannot read lab state {path}: {error}") from error
        return cls(
            mode=Mode(raw["mode"]),
            family=Family(raw["family"]),
            delay_ms=float(raw["delay_ms"]),
            hosts_off=sorted(raw["hosts_off"]),
            # Absent from a state file written before the switch existed.
            port25_off=sorted(raw.get("port25_off", [])),
        )

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n")
        temporary.replace(path)
