"""The live public wall (`/wall`): a static page that speaks only the public GraphQL API."""
