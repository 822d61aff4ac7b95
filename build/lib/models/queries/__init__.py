"""The read side: what a viewer may list, filters, search, keyset pages and aggregates. Never
imports `models/actions/`."""
