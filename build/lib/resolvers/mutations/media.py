"""Uploads (media/service.py)."""

from __future__ import annotations

import strawberry

from models.errors import Invalid
from models.messages import _
from resolvers.mutations.base import mutation
from schema import inputs, payloads
from schema.context import Info
from schema.media import Media


@strawberry.type
class MediaMutation:
    @mutation(description="Upload one photo or video (signed in; multipart request with an "
              "Apollo-Require-Preflight header), then pass its id in submitReport/submitResult "
              "mediaIds within 24 hours.", machines=True)
    async def upload_media(
        self, info: Info, input: inputs.UploadMediaInput
    ) -> payloads.UploadMediaPayload:
        c = info.context
        if c.media is None:
            raise Invalid(_("Uploads are not enabled on this server."), field="file")
        row = await c.media.upload(c.deps, c.viewer, input.file)
        return payloads.UploadMediaPayload(media=Media.from_row(
            row, public=False, deps=c.deps, base_url=c.base_url))
