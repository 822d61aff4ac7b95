"""GraphQL types: thin translations of domain rows into the API contract's shapes, with what
every resolver reads (context.py: who is asking and the request's dataloaders, loaders.py), the
query limits (limits.py), error masking (masking.py) and what a field declares about itself
(declared.py). Names follow the domain's topics: accounts, directory, reports, participation,
statistics."""
