"""Run a command under an operating-system fault, for tests/test_durability.py.

    python tests/fault_launcher.py read-only PYTHON -m bot run
    python tests/fault_launcher.py disk-full:BYTES PYTHON -m bot run

``read-only``: file permissions apply even to root (the capabilities that let root
write to a read-only file are dropped before the bot starts), so a database file with
mode 0444 really is read-only. ``disk-full:BYTES``: no file may grow beyond BYTES (the
RLIMIT_FSIZE resource limit, with SIGXFSZ ignored, so a write past it fails with EFBIG
like a write to a full disk). Neither needs root nor changes anything outside the process.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
CAP_FOWNER = 3


def drop_root_file_overrides() -> None:
    """Take the file-permission overrides out of the bounding set; exec() then drops them."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def main(fault: str, command: list[str]) -> None:
    if fault == "read-only":
        if os.geteuid() == 0:
            drop_root_file_overrides()
    elif fault.startswith("disk-full:"):
        limit = int(fault.split(":", 1)[1])
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited across exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    else:
        raise SystemExit(f"unknown fault {fault!r}")
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
