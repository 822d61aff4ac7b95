"""The server as a real OS process (`python server.py serve`), for the benchmarks and for the
fault, load and multi-process tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "process-test-secret"


class Process:
    def __init__(self, database_url: str, broadcast_url: str, log: Path,
                 **env_overrides: str) -> None:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "BROADCAST_URL": broadcast_url,
               "SECRET_KEY": SECRET, "REMINDER_INTERVAL_SECONDS": "0",
               # Polling far apart: a prompt delivery proves the bus carried it.
               "EVENT_POLL_SECONDS": "30", "PYTHONPATH": str(ROOT), **env_overrides}
        self.log = log
        self.out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "serve", "--port", str(self.port)],
            env=env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT,
        )
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/graphql"

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text())
                try:
                    if (await client.get(f"{self.http}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the OOM killer stops it."""
        self.proc.kill()
        self.proc.wait()
        self.out.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


async def gql(url: str, query: str, variables: dict[str, str], token: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/graphql", json={"query": query,
                                                              "variables": variables},
                                     headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def health(url: str, expected: str, tries: int = 150) -> dict[str, str]:
    """Poll /healthz until it reports `expected` (watchdogs need a few seconds)."""
    body: dict[str, str] = {}
    async with httpx.AsyncClient() as client:
        for _ in range(tries):
            try:
                response = await client.get(f"{url}/healthz")
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
                continue
            body = response.json()
            if body["status"] == expected:
                assert response.status_code == (200 if expected == "ok" else 503)
                return body
            await asyncio.sleep(0.1)
    raise AssertionError(f"healthz never said {expected}: {body}")
