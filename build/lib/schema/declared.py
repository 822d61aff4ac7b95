"""What a field declares about itself beyond its type, for the machinery that reads the schema
rather than the code (strawberry keeps `metadata` on the field definition).

- `SHARED`: an event stream whose subscribers, given the same document, variables and token,
  would each compute the same message for every event, so one execution can serve them all
  (web/graphql/sharing.py). Its `after` argument may differ: it only decides what a subscriber
  replays before joining.
- `max_items(n)`: a plain list (not a connection) never holds more than `n` items, which the
  server enforces; the query cost (schema/limits.py) counts it as `n`, or as its `first`/
  `last` when it takes them. A test holds every list field to having one or the other.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField

SHARED_EXECUTION = "sharedExecution"
SHARED: dict[str, Any] = {SHARED_EXECUTION: True}
MAX_ITEMS = "maxItems"
SIZED_BY = "sizedBy"  # the list argument whose length the result's length is (nodes(ids))


def max_items(n: int) -> dict[str, Any]:
    return {MAX_ITEMS: n}


def sized_by(argument: str) -> dict[str, Any]:
    return {SIZED_BY: argument}


def declared(field: GraphQLField, key: str) -> Any:
    definition = (field.extensions or {}).get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    return metadata.get(key)


def declares(field: GraphQLField, key: str) -> bool:
    return bool(declared(field, key))
