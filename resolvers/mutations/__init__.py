"""The Mutation root. Each module here answers one module of `models/actions/` (same name) or
`media/service.py` (media.py): a new mutation goes beside the use case it calls, decorated
with `@mutation` (base.py), and its class joins `Mutation` below."""

from __future__ import annotations

import strawberry

from resolvers.mutations.accounts import AccountMutation
from resolvers.mutations.directory import DirectoryMutation
from resolvers.mutations.handling import HandlingMutation
from resolvers.mutations.media import MediaMutation
from resolvers.mutations.notifications import NotificationMutation
from resolvers.mutations.participation import ParticipationMutation
from resolvers.mutations.partners import PartnerMutation
from resolvers.mutations.review import ReviewMutation
from resolvers.mutations.submission import SubmissionMutation
from resolvers.mutations.webhooks import WebhookMutation


@strawberry.type
class Mutation(AccountMutation, PartnerMutation, DirectoryMutation, MediaMutation,
               SubmissionMutation, ReviewMutation, HandlingMutation, ParticipationMutation,
               WebhookMutation, NotificationMutation):
    pass
