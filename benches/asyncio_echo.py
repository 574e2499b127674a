"""CPython asyncio and uvloop peers of benches/echo.rs (DESIGN.md section 6: echo throughput
>= 5x asyncio, >= 2x uvloop).

Run: python3 benches/asyncio_echo.py
uvloop is optional: `python3 -m pip install uvloop` first; without it the uvloop rows are
skipped with a message.

The workloads of benches/echo.rs, on one loop in one process, over 127.0.0.1 on an ephemeral
port, with asyncio's streams (asyncio.start_server / open_connection):

* echo_round_trip: one client, 1000 round trips of 64 bytes;
* echo_100_clients: 100 clients connected at once, 100 round trips of 64 bytes each.

Each workload runs REPEATS times; the script prints the median and the spread, in us of CPU
time (time.process_time(): user and system, all threads) per message, the clock
benches/echo.rs reads, so a shared machine's load stays out of both.
"""

import asyncio
import statistics
import sys
import time

MESSAGE = b"\x07" * 64
ROUND_TRIPS = 1000
CLIENTS = 100
PER_CLIENT = 100
REPEATS = 7


async def serve(reader, writer):
    while True:
        data = await reader.read(4096)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def client(port, trips):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(trips):
        writer.write(MESSAGE)
        await writer.drain()
        await reader.readexactly(len(MESSAGE))
    writer.close()
    await writer.wait_closed()


async def echo(clients, trips):
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await asyncio.gather(*(client(port, trips) for _ in range(clients)))
    server.close()
    await server.wait_closed()


def measure(run, clients, trips):
    samples = []
    for _ in range(REPEATS):
        start = time.process_time()
        run(echo(clients, trips))
        samples.append((time.process_time() - start) / (clients * trips) * 1e6)
    return statistics.median(samples), min(samples), max(samples)


def report(name, run):
    for label, clients, trips in (
        ("echo_round_trip", 1, ROUND_TRIPS),
        ("echo_100_clients", CLIENTS, PER_CLIENT),
    ):
        median, low, high = measure(run, clients, trips)
        print(f"{name:8} {label:17} {median:8.2f} us per message ({low:.2f} - {high:.2f})")


def main():
    print(f"CPython {sys.version.split()[0]}")
    report("asyncio", asyncio.run)
    try:
        import uvloop
    except ImportError:
        print("uvloop   skipped: not installed (python3 -m pip install uvloop)")
        return
    report("uvloop", lambda coro: uvloop.run(coro))


if __name__ == "__main__":
    main()
