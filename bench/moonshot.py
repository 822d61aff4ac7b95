"""The moonshot: 20,000 shared `publicFeed` subscribers over two server processes on Redis, one
event a second (each made by an `addComment` mutation), p99 from asking for the event to its
arrival at the client.

A process may hold 20,000 descriptors on this machine (a hard limit that even root cannot raise
in its container), so the subscribers live in two client processes of 10,000 each, which
stamp each arrival when they read it; this process paces the events and adds up. Clients and
servers share the two cores, so a late stamp may be the client's as much as the server's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx

from bench.fanout import WALL_FEED, Client, commenting, open_all, rss_kb
from bench.load import cpu_seconds, percentile, steady_clock_hand
from bench.process import Process

PER_CLIENT_PROCESS = 10_000


@dataclass
class Moonshot:
    subscribers: int
    events: int
    p50_ms: float
    p99_ms: float
    missing: int
    rss_kb_per_subscriber: float
    cpu_us_per_delivery: float


def _client_process(pipe: Connection, urls: list[str], n: int) -> None:
    asyncio.run(_serve_commands(pipe, urls, n))


async def _serve_commands(pipe: Connection, urls: list[str], n: int) -> None:
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": WALL_FEED}}
    clients: list[Client] = await open_all(urls, n, subscribe)
    pipe.send(len(clients))
    with steady_clock_hand():
        await _answer(pipe, clients)


async def _answer(pipe: Connection, clients: list[Client]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "count":
            pipe.send(clients[0].tally.count)
        elif command == "clear":
            for client in clients:
                client.frames.clear()
            clients[0].tally.count = 0
            pipe.send(0)
        elif command == "arrivals":
            pipe.send([[got for got, raw in client.frames if b'"type":"next"' in raw]
                       for client in clients])
        else:
            await asyncio.gather(*(client.close() for client in clients))
            pipe.send(0)
            return


class ClientProcesses:
    def __init__(self, urls: list[str], subscribers: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        left = subscribers
        while left > 0:
            n = min(PER_CLIENT_PROCESS, left)
            ours, theirs = context.Pipe()
            process = context.Process(target=_client_process, args=(theirs, urls, n),
                                      daemon=True)
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)
            left -= n

    async def ask(self, command: str | None) -> list[Any]:
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            if command is not None:
                pipe.send(command)
        return list(await asyncio.gather(*(loop.run_in_executor(None, pipe.recv)
                                           for pipe in self.pipes)))

    async def wait_for(self, total: int, within: float) -> int:
        deadline = time.monotonic() + within
        count = 0
        while time.monotonic() < deadline:
            count = sum(await self.ask("count"))
            if count >= total:
                break
            await asyncio.sleep(0.2)
        return count

    def stop(self) -> None:
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


async def run(servers: list[Process], subscribers: int, events: int, citizen_token: str,
              report_id: str) -> Moonshot:
    pids = [s.proc.pid for s in servers]
    before = sum(rss_kb(p) for p in pids)
    clients = ClientProcesses([s.ws for s in servers], subscribers)
    try:
        opened = sum(await clients.ask(None))  # each reports once its subscribers are in
        if opened != subscribers:
            raise RuntimeError(f"only {opened} of {subscribers} subscribers connected")
        async with httpx.AsyncClient(base_url=servers[0].http, timeout=60) as http:
            make_event = commenting(http, citizen_token, report_id)
            await make_event(-1)  # everyone must get it: every subscription is in place
            if await clients.wait_for(subscribers, within=180) < subscribers:
                raise RuntimeError("not every subscriber got the first event")
            await asyncio.sleep(2)
            after = sum(rss_kb(p) for p in pids)
            await clients.ask("clear")
            cpu = sum(cpu_seconds(p) for p in pids)
            sent: list[float] = []
            start = time.monotonic()
            for i in range(events):
                await asyncio.sleep(max(0.0, start + i - time.monotonic()))
                sent.append(time.time())  # the clock the clients stamp arrivals with
                await make_event(i)
            await clients.wait_for(subscribers * events, within=120)
            spent = sum(cpu_seconds(p) for p in pids) - cpu
        values: list[float] = []
        for batch in await clients.ask("arrivals"):
            for arrivals in batch:
                values.extend((got - sent[k]) * 1000
                              for k, got in enumerate(arrivals[:len(sent)]))
        await clients.ask("close")
    finally:
        clients.stop()
    return Moonshot(subscribers, events, percentile(values, 50), percentile(values, 99),
                    subscribers * events - len(values), (after - before) / subscribers,
                    spent / (subscribers * events) * 1e6)
