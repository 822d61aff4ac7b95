"""Comments and ratings as the public sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from models.orm.participation import Comment as CommentRow
from models.orm.participation import Rating as RatingRow
from models.queries.pagination import Page
from models.rules import policy
from models.rules.policy import ReportFacts
from schema.context import Info
from schema.directory import Agency, load_agency
from schema.enums import AuthorBadge, Satisfaction
from schema.relay import Node, PageInfo, to_global_id

HIDDEN_MARKER = "Bình luận đã bị ẩn bởi người kiểm duyệt."  # "hidden by a moderator"


@strawberry.type(description="Who wrote a comment: a name and whom they speak for, nothing more.")
class CommentAuthor:
    display_name: str
    badge: AuthorBadge
    agency_id: strawberry.Private[int | None]

    @strawberry.field(description="For AGENCY authors: the agency they speak for.")
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info, self.agency_id)


@strawberry.type
class Comment(Node):
    row: strawberry.Private[CommentRow]

    @classmethod
    def from_row(cls, row: CommentRow) -> Self:
        return cls(id=to_global_id("Comment", row.id), row=row)

    @strawberry.field(description="null when hidden by a moderator (the IOC still sees it).")
    def body(self, info: Info) -> str | None:
        if self.row.hidden and not policy.can_see_hidden_comment(info.context.viewer):
            return None
        return self.row.body

    @strawberry.field
    def hidden(self) -> bool:
        return self.row.hidden

    @strawberry.field(description="What to show in place of a hidden comment.")
    def hidden_notice(self) -> str | None:
        return HIDDEN_MARKER if self.row.hidden else None

    @strawberry.field(description="The moderator's reason: IOC only.")
    def hidden_reason(self, info: Info) -> str | None:
        if not policy.can_see_hidden_comment(info.context.viewer):
            return None
        return self.row.hidden_reason

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    async def author(self, info: Info) -> CommentAuthor:
        badge = policy.badge_for(self.row.author_role)
        if badge is AuthorBadge.AGENCY and self.row.author_agency_id is not None:
            agency = await info.context.loaders.agency_by_id.load(self.row.author_agency_id)
            name = agency.name if agency else "Cơ quan xử lý"
            return CommentAuthor(display_name=name, badge=badge,
                                 agency_id=self.row.author_agency_id)
        user = await info.context.loaders.user_by_id.load(self.row.author_id)
        return CommentAuthor(display_name=user.display_name if user else "?", badge=badge,
                             agency_id=None)

    @strawberry.field(description="The comment this one replies to.")
    async def parent(self, info: Info) -> Comment | None:
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.comment_by_id.load(self.row.parent_id)
        return Comment.from_row(row) if row else None


@strawberry.type
class CommentEdge:
    node: Comment
    cursor: str


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]
    page_info: PageInfo
    report_id: strawberry.Private[int]

    @strawberry.field
    def nodes(self) -> list[Comment]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="All comments, hidden ones included (they show as hidden).")
    async def total_count(self, info: Info) -> int:
        return await info.context.loaders.comment_total_by_report_id.load(self.report_id)

    @classmethod
    def from_page(cls, page: Page[CommentRow], report_id: int) -> Self:
        edges = [CommentEdge(node=Comment.from_row(r), cursor=c)
                 for r, c in zip(page.items, page.cursors, strict=True)]
        return cls(edges=edges, report_id=report_id, page_info=PageInfo.of(page))


@strawberry.type
class Rating:
    satisfaction: Satisfaction
    rated_at: datetime
    note_text: strawberry.Private[str | None]
    facts: strawberry.Private[ReportFacts]

    @strawberry.field(description="The reporter's words: IOC, the reporter and the agency only.")
    def note(self, info: Info) -> str | None:
        if not policy.can_see_rating_note(info.context.viewer, self.facts):
            return None
        return self.note_text

    @classmethod
    def from_row(cls, row: RatingRow, facts: ReportFacts) -> Self:
        return cls(satisfaction=row.satisfaction, rated_at=row.rated_at, note_text=row.note,
                   facts=facts)
