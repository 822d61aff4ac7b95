"""An agency's receiver for the service's webhooks (README "Webhooks for agencies' systems"):
`WEBHOOK_SECRET=whsec_… uvicorn webhook_receiver:app --port 9000`."""
import os

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

seen: set[str] = set()  # webhook-ids already handled: a retry is acknowledged, not redone


async def receive(request: Request) -> Response:
    try:
        event = Webhook(os.environ["WEBHOOK_SECRET"]).verify(await request.body(),
                                                            dict(request.headers))
    except WebhookVerificationError:
        return Response(status_code=400)  # not from the service, or replayed too late
    if request.headers["webhook-id"] not in seen:
        seen.add(request.headers["webhook-id"])
        print(event["type"], event["data"].get("report", {}).get("code"))  # your system here
    return Response(status_code=204)


app = Starlette(routes=[Route("/hooks", receive, methods=["POST"])])
