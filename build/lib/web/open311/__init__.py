"""Open311 GeoReport v2 under /open311/v2/, on top of the same services and rules as GraphQL."""
