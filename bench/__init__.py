"""imputebench: one protocol for benchmarking missing-data imputation.

The rules every number obeys are in docs/protocol.md (version :data:`PROTOCOL_VERSION`).
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1

__all__ = ["__version__", "PROTOCOL_VERSION"]
