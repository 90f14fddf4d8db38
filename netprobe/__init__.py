"""netprobe: tells why mail will not go out from this network, and what to set.

The pipeline runs one way (see ``DESIGN.md``): resolve -> plan -> probe ->
classify -> diagnose -> advise -> report. Only ``resolve``, ``probe`` and
``packets`` (the probe stage's raw-socket half) touch the network; every
other stage is a pure function of what came before it.
"""

__version__ = "0.1.0"
