"""The GraphQL roots, thin: decode the arguments, call the domain, wrap the answer in types.

- `query.py` (+ `statistics.py`, `prefetch.py`): the Query root.
- `mutations/`: the Mutation root, one module per `models/actions/` module of the same name;
  every mutation is `@mutation` (mutations/base.py). A new mutation: README, "Layout".
- `subscription.py`: live streams over `realtime/` (a new channel: README, "Layout") and live
  figures.
- `build.py`: the Schema object.
"""
