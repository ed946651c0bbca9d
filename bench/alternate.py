#!/usr/bin/env python3
"""Before/after on one workload, alternating (docs/performance.md).

Each command runs in turn, the order reversed every round, the build output reset before each
run as bench/run resets it, so that the machine's drift during the measurement favours none.
Prints the median wall time and the median CPU time (user + system of the command's processes,
from the kernel's accounting of waited-for children) of each command.

    bench/alternate.py <workload> <fresh|healthy|healthy-kept|check> <runs> '<command>' ...

<workload>: realistic, large or bigrepo, as bench/run generated them (target/bench/work/);
each command names the project, e.g.
'/tmp/old/next-graft -q --project target/bench/work/realistic/root'.
fresh: the output as `next build` left it; healthy: as an earlier graft left it (saved by
bench/run's sanity run); healthy-kept: the healthy output after the command ran on it once
(untimed), the next postbuild of a build whose `.next/cache` was kept; check: a fresh output
grafted by the command (untimed), then the command with `check` after the binary, timed.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    if len(sys.argv) < 5 or sys.argv[2] not in ("fresh", "healthy", "healthy-kept", "check"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    workload, mode, runs, commands = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    work = os.path.join(REPO, "target/bench/work", workload)
    with open(os.path.join(work, "workload.json")) as f:
        dist = json.load(f)["dist"]
    source = (
        os.path.join(REPO, "target/bench", f"healthy-{workload}")
        if mode in ("healthy", "healthy-kept")
        else os.path.join(work, "pristine-next")
    )
    # Moved aside, not deleted (bench/run: deletions slow file creation down for minutes).
    trash = os.path.join(REPO, "target/bench/trash")
    os.makedirs(trash, exist_ok=True)
    wall = {c: [] for c in commands}
    cpu = {c: [] for c in commands}
    for round_ in range(runs + 2):  # two warm-up rounds
        for command in commands if round_ % 2 == 0 else list(reversed(commands)):
            os.rename(dist, os.path.join(trash, str(time.time_ns())))
            subprocess.run(["cp", "-a", source, dist], check=True)
            timed = command
            # Untimed first: the postbuild before the timed one, or the graft before check.
            if mode in ("healthy-kept", "check"):
                subprocess.run(command, shell=True, stdout=subprocess.DEVNULL)
            if mode == "check":
                binary, _, rest = command.partition(" ")
                timed = f"{binary} check {rest}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(timed, shell=True, stdout=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if round_ >= 2:
                wall[command].append(elapsed * 1000)
                used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                cpu[command].append(used * 1000)
    for command in commands:
        w = wall[command]
        print(
            f"{statistics.median(w):7.1f} ms wall ({min(w):.1f}-{max(w):.1f})"
            f"  {statistics.median(cpu[command]):6.1f} ms CPU  {command}"
        )


main()
