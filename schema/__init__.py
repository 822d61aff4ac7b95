"""Strawberry types: thin translations of domain rows into the API contract's shapes."""
