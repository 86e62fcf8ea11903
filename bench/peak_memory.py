"""Peak resident memory of the current process, as the kernel's high-water mark of its address space.

`/proc/self/status` VmHWM starts afresh at exec, unlike `getrusage(RUSAGE_SELF).ru_maxrss`, which a child keeps
from its parent on Linux (a benchmark child launched by a 3 GB parent would report 3 GB).
"""
from __future__ import annotations


def peak_rss_mib() -> float:
    """High-water resident set size of this process in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise OSError("no VmHWM line in /proc/self/status (Linux only)")
