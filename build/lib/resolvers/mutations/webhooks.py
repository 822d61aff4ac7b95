"""Webhook endpoints and deliveries (models/actions/webhooks.py): the IOC manages them."""

from __future__ import annotations

import strawberry

from models.actions import webhooks
from resolvers.mutations.base import mutation
from schema.context import Info
from schema.relay import decode_id
from schema.webhooks import (
    CreateWebhookEndpointInput,
    SetWebhookEndpointEnabledInput,
    WebhookDelivery,
    WebhookDeliveryIdInput,
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointIdInput,
    WebhookEndpointPayload,
)


@strawberry.type
class WebhookMutation:
    @mutation(description="IOC: register where an agency's system receives events (Standard "
              "Webhooks: webhook-id, webhook-timestamp, webhook-signature); the secret is in "
              "the answer, this once.")
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        c = info.context
        agency = decode_id(input.agency_id, "Agency", "agencyId") if input.agency_id else None
        row, secret = await webhooks.create_endpoint(c.deps, c.viewer, input.url,
                                                     input.description, input.kinds, agency)
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row, c.deps.now()),
                                      secret=secret)

    @mutation(description="IOC: a new secret, in the answer this once; the old one keeps "
              "signing beside it for a day.")
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookEndpointPayload:
        c = info.context
        row, secret = await webhooks.rotate_secret(
            c.deps, c.viewer, decode_id(input.id, "WebhookEndpoint"))
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row, c.deps.now()),
                                      secret=secret)

    @mutation(description="IOC: stop or resume deliveries to an endpoint (one disabled for "
              "failing says why in disabledReason).")
    async def set_webhook_endpoint_enabled(
        self, info: Info, input: SetWebhookEndpointEnabledInput
    ) -> WebhookEndpointPayload:
        c = info.context
        row = await webhooks.set_enabled(c.deps, c.viewer,
                                         decode_id(input.id, "WebhookEndpoint"), input.enabled)
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row, c.deps.now()))

    @mutation(description="IOC: send a delivery again, now, with the same webhook-id.")
    async def redeliver_webhook(
        self, info: Info, input: WebhookDeliveryIdInput
    ) -> WebhookDeliveryPayload:
        c = info.context
        row = await webhooks.redeliver(c.deps, c.viewer, decode_id(input.id, "WebhookDelivery"))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row))

    @mutation(description="IOC: send a test event (type webhook.test) to an endpoint.")
    async def send_test_webhook(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookDeliveryPayload:
        c = info.context
        row = await webhooks.send_test(c.deps, c.viewer, decode_id(input.id, "WebhookEndpoint"))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row))
