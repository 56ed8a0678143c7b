from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response

from app import i18n
from app.accounts import service as accounts
from app.auth import service
from app.auth.attempts import LoginAttemptAllowed
from app.auth.dependencies import FormBody
from app.auth.schemas import RefreshRequest, RegisterRequest, TokenForm, TokenResponse
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.openapi import problems
from app.core.routing import ResourceRouter
from app.i18n import Locale
from app.members import service as members
from app.members.schemas import MemberPublic, with_own_profile_example
from app.principal.dependencies import CreationDep

router = ResourceRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=201,
    response_model=MemberPublic,
    summary="Register",
    responses=with_own_profile_example(problems(403, 409), status=201, new=True),
)
def auth_register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    data: RegisterRequest,
    creation: CreationDep,
) -> Response:
    """Create an account; in invite mode a valid `invite_code` is required. The language the
    request's `Accept-Language` asks for (`id` or `en`), if any, becomes the member's
    `locale`: their mails are written in it (see notification settings to change it)."""
    locale = i18n.negotiate(request.headers.get("accept-language"))
    member = service.register(
        session, settings, data=data, locale=None if locale is None else Locale(locale)
    )
    if settings.email_verification == "on":
        accounts.send_verification(session, settings, member=member)
    profile = members.present(session, member, viewer=member)
    return creation.created(profile, location=f"/api/v1/members/{member.id}")


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="Log in",
    responses=problems(401),
    dependencies=[FormBody, LoginAttemptAllowed],
)
def auth_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[TokenForm, Form()],
) -> TokenResponse:
    """OAuth2 password flow: exchange email-or-handle and password for tokens. The log-in
    remembers the client's `User-Agent`, so the member can tell their log-ins apart."""
    return service.login(
        session,
        settings,
        username=form.username,
        password=form.password,
        user_agent=request.headers.get("user-agent"),
    )


@router.post(
    "/refresh", response_model=TokenResponse, summary="Refresh tokens", responses=problems(401)
)
def auth_refresh(session: SessionDep, settings: SettingsDep, data: RefreshRequest) -> TokenResponse:
    """Exchange a refresh token for a new pair; each refresh token works once."""
    return service.refresh(session, settings, refresh_token=data.refresh_token)


@router.post("/logout", status_code=204, summary="Log out")
def auth_logout(session: SessionDep, data: RefreshRequest) -> Response:
    """Revoke the log-in this refresh token belongs to, with all its tokens."""
    service.logout(session, refresh_token=data.refresh_token)
    return Response(status_code=204)
