"""Real, throwaway PostgreSQL and Redis servers (Debian packages), for the benchmarks and the
tests alike. A missing binary raises `Missing`: the benchmark stops, the tests skip or fail
(tests/support/servers.py)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn


class Missing(RuntimeError):
    """A server this needs is not installed."""


def need(what: str) -> NoReturn:
    raise Missing(f"{what} is not installed (apt-get install postgresql redis-server)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text(errors='replace')}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within 30 s:\n{log.read_text(errors='replace')}")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    url: str
    cleanup: Path | None = None
    command: list[str] | None = None  # how to start it again on the same port and data
    log: Path | None = None
    pid_file: Path | None = None  # the real server's pid when `process` is a wrapper (runuser)

    def restart(self) -> None:
        """Stop the way an operator's restart does (PostgreSQL's fast shutdown on SIGINT:
        open sessions are cut) and start again on the same port and data."""
        assert self.command is not None
        assert self.log is not None
        if self.pid_file is not None:  # runuser does not pass SIGINT on
            os.kill(int(self.pid_file.read_text().split()[0]), signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, "restarted server", self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.cleanup is not None:
            shutil.rmtree(self.cleanup, ignore_errors=True)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


def _as_unprivileged(cmd: list[str]) -> tuple[list[str], str | None]:
    """PostgreSQL refuses to run as root: run it as the `postgres` system user instead."""
    if os.geteuid() != 0:
        return cmd, None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        need("the postgres system user")
    return ["runuser", "-u", "postgres", "--", *cmd], "postgres"


def _cluster(prefix: str, make: list[str], settings: list[str], what: str) -> Server:
    """Make a data directory with `make` (its arguments after the program; {data} is the
    directory), then run a server on it on a free port, ready for logins."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        need("PostgreSQL")
    # Not under pytest's tmp dir: that one is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix=prefix))
    data, sockets, log = base / "pgdata", base / "pgsock", base / "postgres.log"
    sockets.mkdir(exist_ok=True)
    cmd, user = _as_unprivileged([str(bin_dir / make[0]),
                                  *(arg.format(data=data) for arg in make[1:])])
    if user:
        shutil.chown(base, user)
        shutil.chown(sockets, user)
    subprocess.run(cmd, check=True, capture_output=True)
    port = free_port()
    cmd, _ = _as_unprivileged([
        str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300",
        *settings,
    ])
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    _wait_for_port(port, process, what, log)
    # The port opens a moment before the server accepts logins; pg_isready tells us when.
    for _ in range(200):
        ready = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                               capture_output=True)
        if ready.returncode == 0:
            break
        time.sleep(0.05)
    return Server(process, port, f"postgres://postgres@127.0.0.1:{port}", cleanup=base,
                  command=cmd, log=log, pid_file=data / "postmaster.pid")


def start_postgres() -> Server:
    return _cluster("hien-truong-pg-", ["initdb", "-D", "{data}", "-U", "postgres",
                                        "--auth=trust", "-E", "UTF8", "--no-locale"],
                    ["-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                    "PostgreSQL")


def start_redis(base: Path, port: int | None = None) -> Server:
    """On a free port, or on `port` again (as an operator restarting Redis would)."""
    binary = shutil.which("redis-server")
    if binary is None:
        need("Redis")
    base.mkdir(parents=True, exist_ok=True)
    port, log = port or free_port(), base / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(base)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    _wait_for_port(port, process, "Redis", log)
    return Server(process, port, f"redis://127.0.0.1:{port}")


def start_replica(primary: Server) -> Server:
    """A hot standby streaming from `primary` (pg_basebackup -R), on its own port."""
    return _cluster("hien-truong-replica-",
                    ["pg_basebackup", "-D", "{data}", "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-R", "-X", "stream", "-c", "fast"],
                    ["-c", "hot_standby=on"], "PostgreSQL replica")
