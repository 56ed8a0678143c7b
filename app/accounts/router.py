from __future__ import annotations

from fastapi import Response
from fastapi.responses import StreamingResponse

from app.accounts import erasure, export, service
from app.accounts.schemas import (
    Accepted,
    EmailToken,
    Leaving,
    LogInPage,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
)
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.media.storage import open_storage
from app.principal.dependencies import AdminMember, CurrentMember, InteractivePrincipal

router = ResourceRouter(prefix="/members/me", tags=["accounts"])
auth_router = ResourceRouter(prefix="/auth", tags=["accounts"])
admin_router = ResourceRouter(prefix="/members", tags=["accounts"])

RESET_ACCEPTED = "If an active account has this address, a mail is on its way."


@router.post(
    "/password",
    status_code=204,
    summary="Change my password",
    responses=problems(403),
)
def accounts_change_password(
    session: SessionDep,
    settings: SettingsDep,
    principal: InteractivePrincipal,
    data: PasswordChange,
) -> Response:
    """Needs the current password; every other log-in ends, this one stays."""
    service.change_password(
        session,
        settings,
        member=principal.member,
        current_password=data.current_password,
        new_password=data.new_password,
        keep_session_id=principal.session_id,
    )
    return Response(status_code=204)


@router.get("/sessions", response_model=LogInPage, summary="List my log-ins")
def accounts_list_sessions(
    session: SessionDep, principal: InteractivePrincipal, page: PageParamsDep
) -> LogInPage:
    """The caller's open log-ins, newest first; `current` marks the one asking."""
    items, next_cursor = service.list_log_ins(
        session,
        member_id=principal.member.id,  # type: ignore[arg-type]
        current_session_id=principal.session_id,
        params=page,
    )
    return LogInPage(items=items, next_cursor=next_cursor)


@router.delete("/sessions", status_code=204, summary="End my other log-ins")
def accounts_end_other_sessions(session: SessionDep, principal: InteractivePrincipal) -> Response:
    """Ends every log-in of the caller but the one asking."""
    service.end_log_ins(
        session,
        member_id=principal.member.id,  # type: ignore[arg-type]
        except_session_id=principal.session_id,
    )
    return Response(status_code=204)


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="End one of my log-ins",
    responses=problems(404),
)
def accounts_end_session(
    session: SessionDep, principal: InteractivePrincipal, session_id: IdPath
) -> Response:
    """Ends that log-in at once: its refresh token and access tokens stop working."""
    service.end_log_in(
        session,
        member_id=principal.member.id,  # type: ignore[arg-type]
        session_id=session_id,
    )
    return Response(status_code=204)


@auth_router.post(
    "/password-reset", status_code=202, response_model=Accepted, summary="Ask for a password reset"
)
def accounts_request_password_reset(
    session: SessionDep, settings: SettingsDep, data: PasswordResetRequest
) -> Accepted:
    """Mails a single-use reset token to an active account with this address. The answer is
    the same, in about the same time, whether or not such an account exists."""
    service.request_password_reset(session, settings, email=str(data.email))
    return Accepted(detail=RESET_ACCEPTED)


@auth_router.post(
    "/password-reset/confirm",
    status_code=204,
    summary="Reset the password with a mailed token",
    responses=problems(404),
)
def accounts_confirm_password_reset(
    session: SessionDep, settings: SettingsDep, data: PasswordResetConfirm
) -> Response:
    """Sets the new password; every log-in of the member ends. The token works once."""
    service.confirm_password_reset(
        session, settings, token=data.token, new_password=data.new_password
    )
    return Response(status_code=204)


@auth_router.post(
    "/verify-email",
    status_code=204,
    summary="Confirm an email address",
    responses=problems(404, 409),
)
def accounts_verify_email(session: SessionDep, data: EmailToken) -> Response:
    """Confirms a new account's address, or the new address of an email change."""
    service.verify_email(session, token=data.token)
    return Response(status_code=204)


@router.post(
    "/verification-email",
    status_code=202,
    response_model=Accepted,
    summary="Send my verification mail again",
    responses=problems(409),
)
def accounts_send_verification(
    session: SessionDep, settings: SettingsDep, member: CurrentMember
) -> Accepted:
    """Mails a fresh verification token to the caller's address (earlier ones stop working)."""
    service.send_verification(session, settings, member=member)
    return Accepted(detail="A verification mail is on its way.")


@admin_router.post(
    "/{member_id}/password-reset",
    status_code=202,
    response_model=Accepted,
    summary="Send a member a password-reset mail",
    responses=problems(404),
)
def accounts_admin_password_reset(
    session: SessionDep, settings: SettingsDep, admin: AdminMember, member_id: IdPath
) -> Accepted:
    """Admins: mails the member a single-use reset token (their password is unchanged until
    they use it)."""
    service.admin_password_reset(session, settings, admin=admin, member_id=member_id)
    return Accepted(detail="A password-reset mail is on its way to the member.")


@router.post(
    "/deletion", status_code=204, summary="Leave: erase my account", responses=problems(403, 409)
)
def accounts_leave(
    session: SessionDep, settings: SettingsDep, principal: InteractivePrincipal, data: Leaving
) -> Response:
    """Deactivates the account and erases its personal data at once (email, names, bio, city,
    links, avatar, tokens, log-ins, notifications). Works stay credited to a former member
    unless `delete_works`. The last admin cannot leave (409 `last_admin`)."""
    erasure.erase_member(
        session,
        settings,
        member=principal.member,
        password=data.password,
        delete_works=data.delete_works,
    )
    return Response(status_code=204)


@router.get(
    "/export",
    summary="Export my data",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "A ZIP: `member.json` and the uploaded files under `media/`.",
        }
    },
)
def accounts_export(
    session: SessionDep, settings: SettingsDep, principal: InteractivePrincipal
) -> StreamingResponse:
    """Everything of yours, as a ZIP streamed as it is made: `member.json` (profile, RSVPs,
    works, votes, comments, threads, posts, ideas, projects, mentorships, badges,
    notifications, uploads, tokens and log-ins, no secrets) and your uploaded files.
    Limited to a few an hour."""
    member_json, files = export.member_data(session, member=principal.member)
    return StreamingResponse(
        export.stream_zip(member_json, files, open_storage(settings)),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="sanggar-export.zip"'},
    )


routers = (auth_router, router, admin_router)
