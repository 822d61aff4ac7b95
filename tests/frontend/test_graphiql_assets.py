"""GraphiQL's files in the repository are the ones published on the npm registry: each matches
the integrity hash the page asks the browser to check (web/graphiql/assets.py)."""

from __future__ import annotations

import base64
import hashlib

from tests.support.api import Api
from web.graphiql.assets import ASSETS, VENDOR


def test_every_vendored_file_matches_its_integrity_hash():
    for path, (_package, _inside, integrity) in ASSETS.items():
        data = (VENDOR / path).read_bytes()
        digest = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
        assert digest == integrity, path
        assert (VENDOR / path).parent.joinpath("LICENSE").exists() or "explorer" in path


async def test_the_page_and_its_files_are_served_from_here(api: Api):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "unpkg.com" not in page.text
    assert "cdn" not in page.text.lower()
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    for path, (_package, _inside, integrity) in ASSETS.items():
        assert f'/graphiql/vendor/{path}" integrity="{integrity}"' in page.text
        served = await api.client.get(f"/graphiql/vendor/{path}",
                                      headers={"Accept-Encoding": "gzip"})
        assert served.status_code == 200
        assert "immutable" in served.headers["cache-control"]
    script = await api.client.get("/graphiql/app.js")
    assert script.status_code == 200
    assert script.headers["cache-control"] == "no-cache"
