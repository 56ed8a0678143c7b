from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.accounts import service as accounts
from app.core.db import SessionDep, quick_read
from app.core.deps import SettingsDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.members import first_steps, reads, service
from app.members.schemas import (
    FirstSteps,
    MemberAdminUpdate,
    MemberFilters,
    MemberPage,
    MemberPublic,
    MemberUpdate,
    PersonalTokenCreate,
    PersonalTokenCreated,
    PersonalTokenPage,
    PersonalTokenPublic,
    with_own_profile_example,
)
from app.principal.dependencies import (
    AdminMember,
    CreationDep,
    CurrentMember,
    CurrentReader,
    InteractivePrincipal,
    OptionalReader,
)
from app.readmodels import read, read_in_thread

router = ResourceRouter(prefix="/members", tags=["members"])


@router.get("", response_model=MemberPage, summary="List members")
async def members_list(
    request: Request,
    viewer: CurrentReader,
    page: PageParamsDep,
    filters: Annotated[MemberFilters, Query()],
) -> MemberPage:
    """The member directory, for members only; filter by name, city, discipline, skill or role."""
    # A filtered directory may walk many members to fill a page (a text search scans).
    run = read_in_thread if filters.model_dump(exclude_none=True) else read
    items, next_cursor = await run(
        request, reads.directory, filters=filters, params=page, viewer=viewer
    )
    return MemberPage(items=items, next_cursor=next_cursor)


@router.get(
    "/me",
    response_model=MemberPublic,
    summary="Get my profile",
    responses=with_own_profile_example(CONDITIONAL_GET_RESPONSES),
)
@quick_read()
def members_get_me(request: Request, session: SessionDep, member: CurrentMember) -> Response:
    """The caller's own profile, email included."""
    return json_response(request, service.present(session, member, viewer=member))


@router.patch(
    "/me",
    response_model=MemberPublic,
    summary="Update my profile",
    responses=with_own_profile_example(CONDITIONAL_WRITE_RESPONSES | problems(403, 409, 412)),
)
def members_update_me(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    member: CurrentMember,
    changes: MemberUpdate,
) -> Response:
    """Change the caller's profile; send `If-Match` with the ETag you read to avoid lost updates."""
    member = service.get_for_update(session, member_id=member.id)  # type: ignore[arg-type]
    require_current(request, service.present(session, member, viewer=member))
    if changes.email is not None and changes.email.lower() != member.email:
        accounts.request_email_change(
            session,
            settings,
            member=member,
            new_email=changes.email,
            current_password=changes.current_password or "",
        )
    member = service.update_profile(session, member=member, changes=changes)
    return json_response(request, service.present(session, member, viewer=member))


@router.get("/me/first-steps", response_model=FirstSteps, summary="My first steps")
@quick_read()
def members_first_steps(session: SessionDep, member: CurrentMember) -> FirstSteps:
    """The newcomer's checklist, every step in order, each `done` once the member did it:
    `complete_profile` (a bio and a discipline), `join_event` (an RSVP going),
    `give_feedback` (a comment on someone else's work), `cast_vote`, `first_submission`,
    `find_mentor` (a mentorship requested)."""
    return first_steps.first_steps(session, member_id=member.id)  # type: ignore[arg-type]


@router.get(
    "/me/tokens", response_model=PersonalTokenPage, summary="List my personal access tokens"
)
def members_list_tokens(
    session: SessionDep, principal: InteractivePrincipal, page: PageParamsDep
) -> PersonalTokenPage:
    """The caller's personal access tokens (never their secrets)."""
    tokens, next_cursor = service.list_tokens(session, member=principal.member, params=page)
    items = [PersonalTokenPublic.model_validate(t, from_attributes=True) for t in tokens]
    return PersonalTokenPage(items=items, next_cursor=next_cursor)


@router.post(
    "/me/tokens",
    status_code=201,
    response_model=PersonalTokenCreated,
    summary="Create a personal access token",
)
def members_create_token(
    session: SessionDep,
    principal: InteractivePrincipal,
    data: PersonalTokenCreate,
    creation: CreationDep,
) -> Response:
    """A token for an integration; the secret is in `token`, shown only in this response."""
    token, secret = service.create_token(session, member=principal.member, data=data)
    created = PersonalTokenCreated.model_validate({**token.model_dump(), "token": secret})
    return creation.created(created, location=f"/api/v1/members/me/tokens/{token.id}")


@router.get(
    "/me/tokens/{token_id}",
    response_model=PersonalTokenPublic,
    summary="Get one of my personal access tokens",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def members_get_token(
    request: Request, session: SessionDep, principal: InteractivePrincipal, token_id: IdPath
) -> Response:
    """One of the caller's tokens, without its secret."""
    token = service.get_token(session, member=principal.member, token_id=token_id)
    return json_response(request, PersonalTokenPublic.model_validate(token, from_attributes=True))


@router.delete(
    "/me/tokens/{token_id}",
    status_code=204,
    summary="Revoke a personal access token",
    responses=problems(404),
)
def members_delete_token(
    session: SessionDep, principal: InteractivePrincipal, token_id: IdPath
) -> Response:
    """Revoke the token at once; integrations using it get 401 from now on."""
    service.delete_token(session, member=principal.member, token_id=token_id)
    return Response(status_code=204)


@router.get(
    "/{member_id}",
    response_model=MemberPublic,
    summary="Get a member's public profile",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
async def members_get(request: Request, viewer: OptionalReader, member_id: IdPath) -> Response:
    """A member's public profile; visible to anyone, email only to the member and admins."""
    shown = await read(request, reads.member, member_id=member_id, viewer=viewer)
    return json_response(request, shown)


@router.patch(
    "/{member_id}",
    response_model=MemberPublic,
    summary="Change a member's role or deactivate them (admin)",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(404, 409, 412),
)
def members_update(
    request: Request,
    session: SessionDep,
    admin: AdminMember,
    member_id: IdPath,
    changes: MemberAdminUpdate,
) -> Response:
    """Admins set `role` and `is_active`; a deactivated member's tokens stop working at once."""
    member = service.get_for_update(session, member_id=member_id)
    require_current(request, service.present(session, member, viewer=admin))
    member = service.admin_update(session, member=member, changes=changes, actor=admin)
    return json_response(request, service.present(session, member, viewer=admin))
