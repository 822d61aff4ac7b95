"""Channels, event payloads and the publish/subscribe bus."""
