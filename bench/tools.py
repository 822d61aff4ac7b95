"""What every benchmark shares: figures and the report, wrk, and GraphQL over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.city import BENCH_PASSWORD
from bench.process import ROOT
from bench.servers import free_port

HERE = Path(__file__).resolve().parent


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


@dataclass
class Report:
    machine: dict[str, Any]
    scale: int
    seconds: float
    city_seconds: float = 0.0
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        print(f"  {line(figure)}", flush=True)

    def table(self) -> str:
        return "\n".join(line(f) for f in self.figures)


def line(f: Figure) -> str:
    ratio = f" | {f.baseline} {f.baseline_value:,.1f} → ratio {f.ratio:.2f}" if (
        f.ratio is not None) else ""
    verdict = "" if f.met is None else ("  ✔ " if f.met else "  ✘ ") + f.target
    return f"{f.name:<46} {f.value:>10,.1f} {f.unit:<6}{ratio}{verdict}"


@dataclass
class Wrk:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "-q", "wrk"], check=True,
                   stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    assert found, "wrk did not install"
    return found


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise RuntimeError(f"cannot read a latency from wrk: {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, body: dict[str, Any], seconds: float, connections: int,
        token: str | None = None) -> Wrk:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(body, f)
    args = [ensure_wrk(), "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
            "-s", str(HERE / "post.lua"), url, "--", f.name]
    if token:
        args.append(token)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    if "Latency Distribution" not in out:
        raise RuntimeError(f"wrk gave no latency distribution:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: a thread-stats column such as "68.50%" is followed by "Latency Distribution".
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = int(re.search(r"NON2XX (\d+)", out).group(1))  # type: ignore[union-attr]
    return Wrk(rps, p50, p99, non2xx)


async def gql(url: str, query: str, variables: dict[str, Any] | None = None,
              token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.post(f"{url}/graphql", headers=headers,
                                     json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"{query[:60]}...: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


async def login(url: str, phone: str) -> str:
    data = await gql(url, """mutation($p: String!, $w: String!) { login(input:
      {phone: $p, password: $w}) { token errors { message } } }""",
                     {"p": "0" + phone.removeprefix("+84"), "w": BENCH_PASSWORD})
    token: str = data["login"]["token"]
    return token




class Uvicorn:
    """A bare ASGI app from bench/ (a baseline or a ceiling) under uvicorn, one process."""

    def __init__(self, app: str, log: Path, ready_path: str, *options: str,
                 **env: str) -> None:
        self.port = free_port()
        self.out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--port", str(self.port),
             "--log-level", "warning", "--no-access-log", *options],
            env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT, stdout=self.out,
            stderr=subprocess.STDOUT)
        self.http = f"http://127.0.0.1:{self.port}"
        self.ready_url = self.http + ready_path

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.post(self.ready_url)).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.ready_url} did not start:\n{self.out.name}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.out.close()
