"""`serve --workers 2`: a scrape of either worker counts the requests both answered
(prometheus-client's multiprocess mode, web/cli.py and web/metrics.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.process import Process
from tests.support.ws import WsClient

TOKEN = "scrape-token-for-tests"
REQUESTS = 60


def livez_count(text: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples
               if s.name == "hien_truong_http_requests_total" and s.labels["route"] == "livez")


def gauge(text: str, name: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples if s.name == name)


async def test_a_scrape_adds_up_every_worker(tmp_path: Path):
    server = Process(f"sqlite://{tmp_path / 'db.sqlite3'}", "memory://",
                     tmp_path / "server.log", WORKERS="2", METRICS_TOKEN=TOKEN)
    try:
        await server.ready()
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them
            async with httpx.AsyncClient() as client:
                response = await client.get(f"{server.http}/livez")
                assert response.status_code == 200
        sockets = [await WsClient.open(server.ws) for _ in range(4)]
        for socket in sockets:
            await socket.acked()
        async with httpx.AsyncClient() as client:
            for _ in range(6):  # whichever worker answers, it counts both
                scraped = await client.get(f"{server.http}/metrics",
                                           headers={"Authorization": f"Bearer {TOKEN}"})
                assert scraped.status_code == 200, scraped.text
                assert livez_count(scraped.text) == REQUESTS
                assert gauge(scraped.text, "hien_truong_websocket_connections") == len(sockets)
        for socket in sockets:
            await socket.close()
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert log.count("Started server process") >= 2 or "Started parent process" in log, log
