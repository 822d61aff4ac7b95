"""Open data: reports as GeoJSON for everyone and as CSV for the IOC, streamed."""
