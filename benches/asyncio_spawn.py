"""CPython asyncio peers of corio's benchmarks (DESIGN.md section 6: >= 50x faster than asyncio).

Run: python3 benches/asyncio_spawn.py

* spawn_await_100k: the workload of benches/spawn.rs, create_task() of 100k empty coroutines,
  then await each task in order, inside one asyncio.run().
* timers_fire_100k: the workload of benches/timers.rs, 100k tasks each asyncio.sleep() to a
  deadline spread over 0..10 s by the same xorshift64 sequence. asyncio has no virtual time, so
  the loop runs on a virtual clock: loop.time() reads a counter and the selector, instead of
  blocking for the next timer's timeout, advances the counter by it (the trick of aiotools'
  VirtualClock). The loop's own code (_run_once, its timer heap) runs unchanged; only the wait
  is skipped.

Each workload runs REPEATS times; the script prints the median and the spread, in ns per task.
"""

import asyncio
import selectors
import statistics
import sys
import time

N = 100_000
REPEATS = 7
SPREAD_NS = 10_000_000_000


def delays(n):
    """n delays in seconds from the xorshift64 sequence benches/timers.rs uses."""
    mask = (1 << 64) - 1
    state = 0x9E3779B97F4A7C15
    out = []
    for _ in range(n):
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        out.append((state % SPREAD_NS) / 1e9)
    return out


async def empty():
    pass


async def spawn_await(n):
    tasks = [asyncio.create_task(empty()) for _ in range(n)]
    for task in tasks:
        await task


async def timers_fire(ds):
    tasks = [asyncio.create_task(asyncio.sleep(d)) for d in ds]
    for task in tasks:
        await task


class VirtualSelector(selectors.DefaultSelector):
    """A selector whose waits advance the loop's virtual clock instead of blocking."""

    def __init__(self):
        super().__init__()
        self.now = 0.0

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("deadlock: nothing ready and no timer armed")
        self.now += max(timeout, 0.0)
        # No file descriptor can be ready in these workloads: skip even the polling syscall,
        # as corio's virtual clock makes none (this only makes asyncio's figure better).
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__(VirtualSelector())
        self._clock_resolution = 1e-9

    def time(self):
        return self._selector.now


def measure(name, run, per):
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        run()
        runs.append((time.perf_counter_ns() - start) / per)
    print(
        f"{name:<18} {statistics.median(runs):>8.0f} ns/task "
        f"(min {min(runs):.0f}, max {max(runs):.0f}, {REPEATS} runs of {per})"
    )


def main():
    print(f"CPython {sys.version.split()[0]} asyncio")
    measure("spawn_await_100k", lambda: asyncio.run(spawn_await(N)), N)
    ds = delays(N)

    def fire():
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            runner.run(timers_fire(ds))
            # The clock jumped, timer by timer, to the last deadline: no real waiting happened.
            assert abs(runner.get_loop().time() - max(ds)) < 1e-6

    measure("timers_fire_100k", fire, N)


if __name__ == "__main__":
    main()
