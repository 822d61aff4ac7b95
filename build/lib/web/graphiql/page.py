"""The GraphiQL page: every file from this server (static/ and static/vendor/), each checked
by the browser against its integrity hash, under a CSP that allows nothing else."""

from __future__ import annotations

from functools import cache

from starlette.responses import HTMLResponse

from web.graphiql.assets import integrity

PREFIX = "/graphiql"  # where web/graphiql/routes.py serves static/
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")


def _script(path: str) -> str:
    return (f'<script src="{PREFIX}/vendor/{path}" integrity="{integrity(path)}">'
            "</script>")


def _style(path: str) -> str:
    return (f'<link rel="stylesheet" href="{PREFIX}/vendor/{path}" '
            f'integrity="{integrity(path)}">')


@cache
def html() -> str:
    return f"""<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>GraphiQL — Phản ánh hiện trường</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <style>html, body, #graphiql {{ height: 100%; margin: 0; overflow: hidden; }}</style>
  {_style("graphiql-3.8.3/graphiql.min.css")}
  {_style("graphiql-plugin-explorer-1.0.2/style.css")}
</head>
<body>
  <div id="graphiql">Đang tải GraphiQL…</div>
  {_script("react-18.2.0/react.production.min.js")}
  {_script("react-dom-18.2.0/react-dom.production.min.js")}
  {_script("graphiql-3.8.3/graphiql.min.js")}
  {_script("graphiql-plugin-explorer-1.0.2/index.umd.js")}
  <script src="{PREFIX}/app.js"></script>
</body>
</html>
"""


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(html(), headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})
