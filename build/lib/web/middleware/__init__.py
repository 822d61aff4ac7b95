"""ASGI middleware, one idea per module, in the order server.py stacks them (outermost first):

- `cors.py`           which other origins' pages may call the API (preflights answered here)
- `request_limit.py`  per-IP request rate on the public API routes (429 before anything else)
- `body_limit.py`     request bodies over the size limit refused (413), even while streaming
- `response_cache.py` anonymous GraphQL queries answered from the cache
- `request_context.py` request id, who is asking (web/auth.py), masked failures (500/503)
"""
