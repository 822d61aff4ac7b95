"""The links in citizens' e-mails (models/actions/notifications.py), opened without signing in:

- `GET /notifications/verify-email?token=…`: confirms the address the link was sent to;
- `GET /notifications/unsubscribe?token=…`: a page with one button, so that a mail scanner
  following links does not unsubscribe anyone; `POST` the same URL (the button, or a mail
  client's RFC 8058 one-click `List-Unsubscribe=One-Click`) turns e-mail off."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from models.actions import notifications
from models.errors import DomainError
from models.messages import language, t

PAGE = """<!doctype html><html lang="{lang}"><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>{title}</title>
<body style="font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em">
<h1 style="font-size:1.3em">{title}</h1><p>{text}</p>{form}</body></html>"""


def page(request: Request, title: str, text: str, status: int = 200, form: str = ""
         ) -> HTMLResponse:
    return HTMLResponse(PAGE.format(lang=language.get(), title=escape(title), text=escape(text),
                                    form=form), status_code=status,
                        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"})


async def verify_email(request: Request) -> HTMLResponse:
    try:
        await notifications.verify_email(request.app.state.deps,
                                         request.query_params.get("token", ""))
    except DomainError as refused:
        return page(request, t("Not confirmed"), refused.message, 400)
    return page(request, t("Address confirmed"),
                t("You will receive news of your reports at this address."))


async def unsubscribe(request: Request) -> HTMLResponse:
    token = request.query_params.get("token", "")
    if request.method == "GET":
        button = t("Stop e-mails")
        form = (f'<form method="post" action="?token={escape(token)}"><button type="submit">'
                f'{escape(button)}</button></form>')
        return page(request, t("Stop e-mails?"),
                    t("You will no longer receive news of your reports by e-mail."), form=form)
    try:
        await notifications.unsubscribe(request.app.state.deps, token)
    except DomainError as refused:
        return page(request, t("Not done"), refused.message, 400)
    return page(request, t("E-mails stopped"),
                t("You can turn them on again in the app's notification settings."))


def notification_routes() -> list[Route]:
    return [Route("/notifications/verify-email", verify_email, methods=["GET"]),
            Route("/notifications/unsubscribe", unsubscribe, methods=["GET", "POST"])]
