"""What a field declares about itself beyond its type, for the machinery that reads the schema
rather than the code (strawberry keeps `metadata` on the field definition).

- `SHARED`: an event stream whose subscribers, given the same document, variables and token,
  would each compute the same message for every event, so one execution can serve them all
  (web/graphql/sharing.py). Its `after` argument may differ: it only decides what a subscriber
  replays before joining.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField

SHARED_EXECUTION = "sharedExecution"
SHARED: dict[str, Any] = {SHARED_EXECUTION: True}


def declares(field: GraphQLField, key: str) -> bool:
    definition = (field.extensions or {}).get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    return bool(metadata.get(key))
