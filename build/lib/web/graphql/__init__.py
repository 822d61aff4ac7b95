"""The GraphQL endpoint at /graphql: app.py is strawberry's ASGI view (HTTP and WebSocket);
uploads.py and multipart.py take uploads in as they stream; transport.py, sharing.py, fanout.py
and member.py run graphql-transport-ws with one execution per group of identical subscriptions."""
