"""The edge: everything between the network (or the command line) and the GraphQL layer.

- `settings.py`, `logs.py`, `cli.py`, `services.py` (what a process runs, built from settings)
- `auth.py`       the one place a request, a `connection_init` or a partner key becomes a viewer
- `responses.py`  the one helper for GraphQL-shaped JSON error bodies
- `middleware/`   ASGI middleware, one module each (request limit, body limit, response cache,
                  request context)
- `graphql/`      the GraphQL endpoint: app.py (HTTP + WebSocket), uploads, and the
                  graphql-transport-ws machinery (transport, sharing, fan-out, member)
- `health.py`, `media.py`, `exports/`, `open311/`, `wall/`: the routes that are not GraphQL
- `demo/`         `python server.py seed-demo`

Nothing below the edge imports it: `server.py` wires it on top (README, "Layout").
"""
