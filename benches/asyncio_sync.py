"""CPython asyncio peers of benches/sync.rs: the same three workloads, in ns per operation.

Run: python3 benches/asyncio_sync.py

* lock_handoff_100k: two tasks each take the lock 50k times, yielding once while holding it
  (`async with lock: await asyncio.sleep(0)`). asyncio's Lock is FIFO without barging, so
  every release hands the lock to the other task: 100k handoffs.
* semaphore_100_waiters_100k: 100 tasks contend on Semaphore(10), each taking a permit 1000
  times and yielding once (`await asyncio.sleep(0)`) while holding it: 100k acquisitions.
* queue_1m_maxsize_100: a producer task puts 1M integers into Queue(maxsize=100), a consumer
  task gets them: ns per item.

Each workload runs REPEATS times inside its own asyncio.run(); the script prints the median and
the spread.
"""

import asyncio
import statistics
import sys
import time

LOCK_ROUNDS = 100_000
SEM_TASKS = 100
SEM_PERMITS = 10
SEM_ACQUISITIONS = 100_000
QUEUE_ITEMS = 1_000_000
QUEUE_MAXSIZE = 100
REPEATS = 5


async def lock_handoff():
    lock = asyncio.Lock()

    async def worker():
        for _ in range(LOCK_ROUNDS // 2):
            async with lock:
                await asyncio.sleep(0)

    await asyncio.gather(*(asyncio.create_task(worker()) for _ in range(2)))


async def semaphore_waiters():
    sem = asyncio.Semaphore(SEM_PERMITS)
    per_task = SEM_ACQUISITIONS // SEM_TASKS

    async def worker():
        for _ in range(per_task):
            async with sem:
                await asyncio.sleep(0)

    await asyncio.gather(*(asyncio.create_task(worker()) for _ in range(SEM_TASKS)))


async def queue_producer_consumer():
    q = asyncio.Queue(maxsize=QUEUE_MAXSIZE)

    async def consumer():
        total = 0
        for _ in range(QUEUE_ITEMS):
            total += await q.get()
        return total

    task = asyncio.create_task(consumer())
    for i in range(QUEUE_ITEMS):
        await q.put(i)
    assert await task == QUEUE_ITEMS * (QUEUE_ITEMS - 1) // 2


def measure(name, coro_fn, per, repeats=REPEATS):
    runs = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        asyncio.run(coro_fn())
        runs.append((time.perf_counter_ns() - start) / per)
    print(
        f"{name:<28} {statistics.median(runs):>8.0f} ns/op "
        f"(min {min(runs):.0f}, max {max(runs):.0f}, {repeats} runs of {per})"
    )


def main():
    print(f"CPython {sys.version.split()[0]} asyncio")
    measure("lock_handoff_100k", lock_handoff, LOCK_ROUNDS)
    measure("semaphore_100_waiters_100k", semaphore_waiters, SEM_ACQUISITIONS)
    measure("queue_1m_maxsize_100", queue_producer_consumer, QUEUE_ITEMS, repeats=3)


if __name__ == "__main__":
    main()
