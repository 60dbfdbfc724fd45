"""``make bench``: run every benchmark script in this folder, one after the other, and echo its ratios.

Benchmarks live here rather than in timed unit tests because CI machines are shared and noisy (2
cores): each script measures its baseline in the same run and prints ratios against it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        proc = subprocess.run([sys.executable, str(script), *argv], check=False)
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
