from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import HTMLResponse

from app.core.db import SessionDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.routing import ResourceRouter
from app.i18n import N_, Locale
from app.mail import kinds, service, tokens
from app.mail.exceptions import UnsubscribeTokenInvalid
from app.mail.schemas import NotificationSettings, NotificationSettingsUpdate, Unsubscribed
from app.models import MailSettings, Member
from app.principal.dependencies import CurrentMember

router = ResourceRouter(prefix="/members/me/notification-settings", tags=["members"])
NOT_VALID = N_("This unsubscribe link is not valid.")
unsubscribe_router = ResourceRouter(prefix="/mail", tags=["mail"])

TokenQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="The signed token of the mail's `List-Unsubscribe` link.",
        examples=["42.comment.created.x3Jq0aV8mT2bP7cQ1nL9dR5sKw"],
    ),
]


def _present(request: Request, member: Member, row: MailSettings) -> NotificationSettings:
    """The member's language is theirs once chosen, else the one their mail is written in."""
    default = request.app.state.settings.default_locale
    return NotificationSettings(
        locale=Locale(member.locale or default),
        digest=row.digest,  # type: ignore[arg-type]
        email=service.email_choices(row),
    )


@router.get(
    "",
    response_model=NotificationSettings,
    summary="Get my notification settings",
    responses=CONDITIONAL_GET_RESPONSES,
)
def members_get_notification_settings(
    request: Request, session: SessionDep, member: CurrentMember
) -> Response:
    """Which notifications also come by mail, and whether the weekly digest does. Every
    notification is shown in the app whatever these say."""
    assert member.id is not None
    return json_response(
        request, _present(request, member, service.settings_of(session, member.id))
    )


@router.patch(
    "",
    response_model=NotificationSettings,
    summary="Change my notification settings",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(412),
)
def members_update_notification_settings(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    changes: NotificationSettingsUpdate,
) -> Response:
    """Switch mail on or off per notification kind (kinds left out keep their setting) and
    the weekly digest, or change the language (`locale`) of the member's mails,
    notifications and problems; send `If-Match` with the ETag you read to avoid lost
    updates."""
    assert member.id is not None
    current = service.lock(session, member.id)
    require_current(request, _present(request, member, current))
    if changes.locale is not None:
        service.set_locale(session, member, changes.locale)
    row = service.update(session, member.id, digest=changes.digest, email=changes.email)
    return json_response(request, _present(request, member, row))


def _unsubscribe_target(request: Request, token: str) -> tuple[int, str]:
    read = tokens.read_unsubscribe_token(request.app.state.settings.signing_key(), token)
    if read is None or (read[1] != kinds.DIGEST and read[1] not in kinds.EMAIL_DEFAULTS):
        raise UnsubscribeTokenInvalid(NOT_VALID)
    return read


@unsubscribe_router.post(
    "/unsubscribe",
    response_model=Unsubscribed,
    summary="Unsubscribe from a kind of mail in one click",
    responses=problems(404),
)
def mail_unsubscribe(request: Request, session: SessionDep, token: TokenQuery) -> Unsubscribed:
    """RFC 8058 one-click unsubscribe: the mail client POSTs (body
    `List-Unsubscribe=One-Click`, which is not needed) to the mail's `List-Unsubscribe`
    address. No log-in: the signed token names the member and the kind of mail, which is
    turned off (`digest` turns the weekly digest off). Repeating it is harmless."""
    member_id, kind = _unsubscribe_target(request, token)
    if not service.unsubscribe(session, member_id, kind):
        raise UnsubscribeTokenInvalid(NOT_VALID)
    session.commit()
    return Unsubscribed(kind=kind, email=False)


HTML_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"example": "<!doctype html>…<form method=post>…"}}}
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<p>Berhenti menerima email ini? / Stop receiving this mail?</p>
<p><code>{kind}</code></p>
<form method="post" action="/api/v1/mail/unsubscribe?token={token}">
<button type="submit">Berhenti berlangganan / Unsubscribe</button></form>
</body></html>
"""


@unsubscribe_router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    summary="Show the unsubscribe confirmation page",
    responses=HTML_PAGE | problems(404),
)
def mail_unsubscribe_page(request: Request, token: TokenQuery) -> HTMLResponse:
    """A small page with one button that POSTs to the same address. Opening the link
    changes nothing (link checkers and mail scanners open links), the button does."""
    _member_id, kind = _unsubscribe_target(request, token)
    return HTMLResponse(PAGE.format(kind=escape(kind), token=escape(token)))
