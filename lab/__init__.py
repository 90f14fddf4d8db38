"""The netprobe test network ("lab"): namespaces, DNS, Postfix, a firewall.

A hotel laptop, its ISP's border router (resolver, relay, port-25 policy),
an internet core with a reference mail host, and a company with two mail
exchanges, in Linux network namespaces on documentation addresses. See
lab/README.md.
"""

from lab.addresses import BACKUP, ISP_RELAY, MAIL, REFERENCE
from lab.connect import ConnectResult
from lab.errors import CommandFailed, LabError, LabUnavailable
from lab.firewall import Family, Mode
from lab.network import DEFAULT_RUN_DIR, RUN_DIR_ENV, Lab, Status, available
from lab.postfix import SUBMISSION_PASSWORD, SUBMISSION_USER

__all__ = [
    "BACKUP",
    "DEFAULT_RUN_DIR",
    "ISP_RELAY",
    "MAIL",
    "REFERENCE",
    "RUN_DIR_ENV",
    "SUBMISSION_PASSWORD",
    "SUBMISSION_USER",
    "CommandFailed",
    "ConnectResult",
    "Family",
    "Lab",
    "LabError",
    "LabUnavailable",
    "Mode",
    "Status",
    "available",
]
