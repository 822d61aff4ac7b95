"""Thin GraphQL resolvers: decode input, call the domain, wrap the answer."""
