"""Live events, knowing nothing of GraphQL: which events each stream carries (channels.py), the
per-process hub that reads committed events from the database and dispatches or replays them
(hub.py), the bus that wakes the hubs of every process (bus.py, redis_backend.py, events.py),
live figures (live_figures.py), and answers kept until the next event (cache.py).

A new channel starts in channels.py (README, "Layout")."""
