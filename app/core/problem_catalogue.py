"""Every problem `code` the API can answer with: its status, title and what it means.

One catalogue for both ends of an error: a problem's `title` is read here, and
`GET /problems/{code}` (where each problem's `type` URI points) describes the code from
here. tests/core/test_problem_catalogue.py fails when an error class's code is missing, so
a new error is described when it is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str
    description: str


_TYPES = (
    # --- the framework and the conventions every endpoint shares ---------------------------
    ProblemType(
        "bad_request",
        400,
        N_("Bad request"),
        "The request is malformed: its body is not valid JSON, or a value cannot be read at "
        "all. Fix the request; repeating it unchanged gives the same answer.",
    ),
    ProblemType(
        "invalid_cursor",
        400,
        N_("Invalid cursor"),
        "The `cursor` is not one this API issued. Pass back a page's `next_cursor` exactly "
        "as received, to the same list with the same filters.",
    ),
    ProblemType(
        "unauthorized",
        401,
        N_("Credentials missing or invalid"),
        "The request has no credentials, or its bearer token is forged, malformed or revoked, "
        "or its member deactivated. Log in again (`POST /api/v1/auth/token`); an access "
        "token that merely expired is `token_expired` instead.",
    ),
    ProblemType(
        "token_expired",
        401,
        N_("Access token expired"),
        "The access token was valid but its minutes are up. Exchange the refresh token at "
        "`POST /api/v1/auth/refresh` for a new pair and repeat the request; "
        '`WWW-Authenticate` carries `error_description="The access token expired"`.',
    ),
    ProblemType(
        "forbidden", 403, N_("Not allowed"), "The caller is authenticated but may not do this."
    ),
    ProblemType(
        "not_found",
        404,
        N_("Not found"),
        "Nothing is at this URL, or it is not visible to the caller. Things a caller may not "
        "know exist are also answered 404.",
    ),
    ProblemType(
        "cors_origin_not_allowed",
        403,
        N_("CORS not enabled for this origin"),
        "A browser asked (a CORS preflight) whether a page on another origin may call the API, "
        "and that origin is not one the operator allows. Add the exact origin (scheme, host "
        "and port, like `http://localhost:5173`) to `SANGGAR_CORS_ORIGINS` (comma-separated) "
        "and restart the server; `*` is refused. Same-origin pages and non-browser clients "
        "need no CORS.",
    ),
    ProblemType(
        "cors_request_not_allowed",
        403,
        N_("Method or header not allowed from a browser"),
        "A page on an allowed origin asked (a CORS preflight) to send a method or a request "
        "header the API does not take from browsers. The `detail` names what was asked and "
        "what is allowed: leave the other headers out (an SDK's tracing header, say).",
    ),
    ProblemType(
        "method_not_allowed",
        405,
        N_("Method not allowed"),
        "The path exists but does not answer this method; the `Allow` header lists those it does.",
    ),
    ProblemType(
        "conflict",
        409,
        N_("Conflict"),
        "The request conflicts with the current state of the resource.",
    ),
    ProblemType(
        "precondition_failed",
        412,
        N_("Precondition failed"),
        "A precondition of the request does not hold.",
    ),
    ProblemType(
        "etag_mismatch",
        412,
        N_("Stale version"),
        "`If-Match` names a version that is no longer current: someone changed the resource "
        "since it was read. Read it again (its `ETag`), reapply the change and retry; "
        "nothing was changed.",
    ),
    ProblemType(
        "body_too_large",
        413,
        N_("Request body too large"),
        "The request body is larger than the server accepts (1 MiB for JSON; media uploads "
        "have their own limits).",
    ),
    ProblemType(
        "validation_failed",
        422,
        N_("Invalid input"),
        "The request is well-formed but some values are invalid; `errors` lists each one "
        "with where it is (`loc`) and why (`msg`, `type`).",
    ),
    ProblemType(
        "idempotency_key_reused",
        422,
        N_("Idempotency key reused"),
        "This `Idempotency-Key` was already used with another request body. Use a new key "
        "for a new request; a retry must repeat the first body exactly.",
    ),
    ProblemType(
        "idempotency_key_in_use",
        409,
        N_("Request with this idempotency key in progress"),
        "A request with the same `Idempotency-Key` is still being processed. Retry in a "
        "moment to get its response.",
    ),
    ProblemType(
        "request_timeout",
        408,
        N_("Request too slow"),
        "The request's line and headers, or its body, did not arrive in the time the server "
        "allows (`SANGGAR_HEADER_TIMEOUT_SECONDS`, `SANGGAR_BODY_TIMEOUT_SECONDS`); the "
        "connection is closed. Send the request again, all at once.",
    ),
    ProblemType(
        "uri_too_long",
        414,
        N_("Request target too long"),
        "The request's path and query are longer than the server accepts "
        "(`SANGGAR_MAX_URL_BYTES`, 8 KiB by default); the connection is closed. Send long "
        "data in a body.",
    ),
    ProblemType(
        "headers_too_large",
        431,
        N_("Request headers too large"),
        "The request's headers together are larger than the server accepts "
        "(`SANGGAR_MAX_HEADER_BYTES`, 32 KiB by default); the connection is closed.",
    ),
    ProblemType(
        "rate_limited",
        429,
        N_("Too many requests"),
        "The caller sent more requests than its budget allows. Wait the `Retry-After` "
        "seconds before sending more.",
    ),
    ProblemType(
        "too_many_streams",
        429,
        N_("Too many streams"),
        "The member already has as many notification streams open as allowed "
        "(`SANGGAR_NOTIFICATION_STREAM_MAX_PER_MEMBER`, 5 by default). Close one (another tab), "
        "or wait the `Retry-After` seconds and try again.",
    ),
    ProblemType(
        "invalid_stream_ticket",
        401,
        N_("Invalid stream ticket"),
        "The `ticket` is unknown, expired (tickets live 60 seconds) or already used (each opens "
        "one stream). Get a new one from `POST /api/v1/notifications/stream-ticket`.",
    ),
    ProblemType(
        "internal_error",
        500,
        N_("Internal error"),
        "An unexpected error on the server's side; it was logged with the request's "
        "`X-Request-ID`, which is what to quote when reporting it.",
    ),
    ProblemType(
        "database_busy",
        503,
        N_("Busy"),
        "A lock could not be had in time during a burst of writes; nothing was changed. "
        "Retry after `Retry-After` seconds.",
    ),
    ProblemType(
        "database_unavailable",
        503,
        N_("Database unavailable"),
        "The database cannot be reached right now; nothing was changed. Retry after "
        "`Retry-After` seconds.",
    ),
    ProblemType(
        "commit_outcome_unknown",
        503,
        N_("Outcome unknown"),
        "The connection to the database was lost while the change was being committed: it "
        "may or may not have been saved. Retry with the same `Idempotency-Key` (a create "
        "that was saved then answers its first response, one that was not is made now); "
        "without a key, read the resource back before retrying, or the retry may create it "
        "twice.",
    ),
    ProblemType(
        "not_ready",
        503,
        N_("Not ready"),
        "The service cannot serve yet: its database is unreachable or not migrated to the "
        "code's revision (`GET /readyz`).",
    ),
    # --- logging in and access -------------------------------------------------------------
    ProblemType(
        "invalid_credentials",
        401,
        N_("Wrong email, handle or password"),
        "The log-in does not match an active member. Too many failures in a row are rate limited.",
    ),
    ProblemType(
        "invalid_refresh_token",
        401,
        N_("Invalid refresh token"),
        "The refresh token is unknown, expired or its log-in was ended. Log in again.",
    ),
    ProblemType(
        "refresh_token_reused",
        401,
        N_("Refresh token reused"),
        "A refresh token that was already exchanged came back, so someone may hold a copy: "
        "the whole log-in is revoked. Log in again.",
    ),
    ProblemType(
        "invitation_required",
        403,
        N_("Invitation required"),
        "This community admits new members by invitation only; register with a valid "
        "invitation token.",
    ),
    ProblemType(
        "insufficient_scope",
        403,
        N_("Token scope too narrow"),
        "A personal access token with scope `read` may only read; this needs `write`. Some "
        "operations (managing tokens) need a log-in, not a personal access token.",
    ),
    ProblemType(
        "role_required", 403, N_("Role required"), "This is for organizers or admins only."
    ),
    # --- members ---------------------------------------------------------------------------
    ProblemType(
        "member_not_found",
        404,
        N_("Member not found"),
        "No active member has this id (deactivated members are visible to admins only).",
    ),
    ProblemType(
        "handle_taken",
        409,
        N_("Handle taken"),
        "Another member has this handle (handles are compared without case). Choose another.",
    ),
    ProblemType(
        "email_taken", 409, N_("Email taken"), "Another member registered with this email address."
    ),
    ProblemType(
        "last_admin",
        409,
        N_("Last admin"),
        "The community's last active admin cannot be demoted or deactivated; make another "
        "member admin first.",
    ),
    ProblemType(
        "wrong_password",
        403,
        N_("Wrong password"),
        "The current password sent to confirm an account change is wrong. Attempts are "
        "rate-limited like log-ins.",
    ),
    ProblemType(
        "invalid_token",
        404,
        N_("Invalid token"),
        "The mailed token (password reset, email verification or change) is unknown, already "
        "used or expired. Ask for a new mail.",
    ),
    ProblemType(
        "email_unverified",
        403,
        N_("Email not verified"),
        "This community checks addresses: until you confirm yours with the mailed token "
        "(POST /api/v1/auth/verify-email) you may read, and edit your own profile and "
        "account, but not write anything else.",
    ),
    ProblemType(
        "email_already_verified",
        409,
        N_("Email already verified"),
        "Your address is confirmed already; there is nothing to send.",
    ),
    ProblemType(
        "session_not_found",
        404,
        N_("Log-in not found"),
        "The caller has no open log-in with this id (it may have ended already).",
    ),
    ProblemType(
        "token_not_found",
        404,
        N_("Token not found"),
        "The caller has no personal access token with this id.",
    ),
    ProblemType(
        "invitation_not_found", 404, N_("Invitation not found"), "No invitation has this id."
    ),
    # --- events ----------------------------------------------------------------------------
    ProblemType(
        "event_not_found",
        404,
        N_("Event not found"),
        "No event has this id, or it is a draft only organizers see.",
    ),
    ProblemType(
        "rsvp_not_found", 404, N_("RSVP not found"), "The member has not answered this event."
    ),
    ProblemType(
        "check_in_not_found",
        404,
        N_("Check-in not found"),
        "The member was not checked in at this event.",
    ),
    ProblemType(
        "event_not_published",
        409,
        N_("Event not published"),
        "The event is still a draft: members can answer it once it is published.",
    ),
    ProblemType(
        "event_cancelled",
        409,
        N_("Event cancelled"),
        "The event was cancelled; it takes no more answers or check-ins.",
    ),
    ProblemType(
        "event_ended", 409, N_("Event ended"), "The event is over; it takes no more answers."
    ),
    ProblemType(
        "capacity_below_going",
        409,
        N_("Capacity below attendance"),
        "The new capacity is smaller than the number of members already going.",
    ),
    ProblemType(
        "cannot_unpublish",
        409,
        N_("Cannot unpublish"),
        "It cannot go back to draft: an event once published or cancelled, and a challenge "
        "once it has opened, stay public because members may already have acted on them.",
    ),
    ProblemType(
        "rsvp_list_restricted",
        403,
        N_("Attendee list restricted"),
        "Only organizers see the waitlist and who is not going.",
    ),
    ProblemType(
        "ends_before_start",
        422,
        N_("Ends before it starts"),
        "An event's `ends_at` must be after its `starts_at`.",
    ),
    ProblemType(
        "invalid_feed_token",
        401,
        N_("Invalid calendar feed token"),
        "The calendar feed URL's token is unknown or was replaced by a newer one; get a new "
        "feed URL.",
    ),
    # --- challenges, works and votes -------------------------------------------------------
    ProblemType(
        "challenge_not_found",
        404,
        N_("Challenge not found"),
        "No challenge has this id, or it is a draft only organizers see.",
    ),
    ProblemType(
        "challenge_not_open",
        409,
        N_("Challenge not open"),
        "The challenge does not take works now: submissions have not opened yet or have closed.",
    ),
    ProblemType(
        "challenge_not_voting",
        409,
        N_("Challenge not in voting"),
        "Votes are cast and withdrawn only while the challenge's voting is open.",
    ),
    ProblemType(
        "challenge_not_closed",
        409,
        N_("Challenge not closed"),
        "This needs a closed challenge (its voting is over).",
    ),
    ProblemType(
        "dates_out_of_order",
        422,
        N_("Dates out of order"),
        "A challenge opens, then closes to submissions, then closes its voting, in that order.",
    ),
    ProblemType(
        "media_unavailable",
        422,
        N_("Media cannot be attached"),
        "A media id given to attach (a work's `media_ids`, `avatar_media_id`, "
        "`cover_media_id`) is not one of the caller's uploads, was deleted, failed "
        "processing, or is of a kind the field does not take (avatars and covers are "
        "images). `errors[].loc` names the field and, in a list, the position. Nothing was "
        "changed.",
    ),
    ProblemType(
        "submission_not_found",
        404,
        N_("Work not found"),
        "No work has this id, or it is not visible to the caller.",
    ),
    ProblemType(
        "submission_limit_reached",
        409,
        N_("Submission limit reached"),
        "The member already entered as many works as this challenge allows.",
    ),
    ProblemType(
        "not_submission_author",
        403,
        N_("Not the work's author"),
        "Only the work's author may change or withdraw it.",
    ),
    ProblemType(
        "login_required",
        401,
        N_("Log in to see the works"),
        "A challenge's works are public once it is closed; members see them earlier, so "
        "logging in is the way to them now.",
    ),
    ProblemType("own_submission", 403, N_("Own work"), "Members cannot vote for their own work."),
    ProblemType(
        "submission_disqualified",
        409,
        N_("Work disqualified"),
        "The work was disqualified by the organizers and takes no votes.",
    ),
    ProblemType(
        "vote_budget_exhausted",
        409,
        N_("No votes left"),
        "The member has cast every vote this challenge allows; withdraw one to vote for "
        "another work.",
    ),
    ProblemType(
        "vote_not_found", 404, N_("Vote not found"), "The member has not voted for this work."
    ),
    # --- judging -------------------------------------------------------------------------------
    ProblemType(
        "judging_locked",
        409,
        N_("Judging fixed"),
        "A challenge's jury, rubric and weight are fixed once voting starts or a juror has "
        "scored; sending the current setup again is accepted.",
    ),
    ProblemType(
        "unknown_jurors",
        422,
        N_("Unknown juror"),
        "A juror must be an active member; `errors` points at the first id that is not.",
    ),
    ProblemType(
        "not_a_juror",
        403,
        N_("Not a juror"),
        "Only the jurors named in the challenge's `judging` score its works.",
    ),
    ProblemType(
        "conflict_of_interest",
        403,
        N_("Conflict of interest"),
        "A juror never scores their own work, nor the work of a member they mentor or "
        "mentored (an accepted or completed mentorship).",
    ),
    ProblemType(
        "judging_closed",
        409,
        N_("Not judging now"),
        "Jurors score works only while the challenge is in its voting phase.",
    ),
    ProblemType(
        "missing_criterion",
        422,
        N_("Criterion not scored"),
        "A score gives every criterion of the challenge's rubric a value from 1 to 10.",
    ),
    ProblemType(
        "unknown_criterion",
        422,
        N_("Unknown criterion"),
        "A score named a key that is not a criterion of the challenge's rubric.",
    ),
    # --- projects and mentoring ------------------------------------------------------------
    ProblemType(
        "project_not_found",
        404,
        N_("Project not found"),
        "No project has this id, or it is not visible to the caller.",
    ),
    ProblemType(
        "project_member_not_found",
        404,
        N_("Project member not found"),
        "The member is not in this project.",
    ),
    ProblemType(
        "task_not_found", 404, N_("Task not found"), "The project has no task with this id."
    ),
    ProblemType(
        "project_update_not_found",
        404,
        N_("Project update not found"),
        "The project has no progress update with this id.",
    ),
    ProblemType(
        "not_project_member",
        403,
        N_("Not a project member"),
        "Only the project's members may do this.",
    ),
    ProblemType(
        "not_project_coordinator",
        403,
        N_("Not a project coordinator"),
        "Only the project's coordinators may do this.",
    ),
    ProblemType(
        "not_task_owner",
        403,
        N_("Not the task's owner"),
        "Only the task's author or the project's coordinators may do this.",
    ),
    ProblemType(
        "last_coordinator",
        409,
        N_("Last coordinator"),
        "A project keeps at least one coordinator; make another member coordinator first.",
    ),
    ProblemType(
        "already_project_member",
        409,
        N_("Already a project member"),
        "The member is already in this project.",
    ),
    ProblemType(
        "join_request_pending",
        409,
        N_("Join request pending"),
        "The member already asked to join this project; the coordinators have not answered yet.",
    ),
    ProblemType(
        "project_not_open",
        409,
        N_("Project not open"),
        "The project does not take new members now.",
    ),
    ProblemType(
        "assignee_not_project_member",
        422,
        N_("Assignee not a project member"),
        "A task can be assigned only to a member of its project.",
    ),
    ProblemType(
        "mentor_not_found",
        404,
        N_("Mentor not found"),
        "No active member has this id to ask for mentoring.",
    ),
    ProblemType(
        "mentorship_not_found",
        404,
        N_("Mentorship not found"),
        "No mentorship of the caller has this id.",
    ),
    ProblemType(
        "mentor_not_open",
        409,
        N_("Mentor not taking mentees"),
        "The mentor's profile is closed to new requests.",
    ),
    ProblemType(
        "mentorship_already_open",
        409,
        N_("Mentorship already open"),
        "The caller already has a pending or accepted mentorship with this mentor.",
    ),
    ProblemType(
        "mentor_at_capacity",
        409,
        N_("Mentor at capacity"),
        "The mentor has as many mentees as their capacity allows.",
    ),
    ProblemType(
        "invalid_transition",
        409,
        N_("Invalid status change"),
        "A mentorship goes from pending to accepted or declined, and from accepted to "
        "completed or declined; this change is not one of those.",
    ),
    ProblemType(
        "not_mentor", 403, N_("Not the mentor"), "Only the mentorship's mentor may answer it."
    ),
    ProblemType(
        "cannot_mentor_self",
        422,
        N_("Cannot mentor oneself"),
        "A member cannot ask themselves for mentoring.",
    ),
    ProblemType(
        "capacity_below_active",
        422,
        N_("Capacity below active mentorships"),
        "A mentor's capacity cannot be less than their mentorships under way.",
    ),
    ProblemType(
        "not_open_for_commissions",
        409,
        N_("Not open for commissions"),
        "The member does not take commission inquiries now.",
    ),
    ProblemType(
        "inquiry_not_found",
        404,
        N_("Inquiry not found"),
        "No inquiry sent or received by the caller has this id.",
    ),
    # --- conversation ----------------------------------------------------------------------
    ProblemType(
        "thread_not_found",
        404,
        N_("Thread not found"),
        "No thread has this id, or it was hidden by moderation.",
    ),
    ProblemType(
        "post_not_found",
        404,
        N_("Post not found"),
        "No post has this id, or it was hidden by moderation.",
    ),
    ProblemType(
        "comment_not_found",
        404,
        N_("Comment not found"),
        "No comment has this id, or it was hidden by moderation.",
    ),
    ProblemType(
        "idea_not_found",
        404,
        N_("Idea not found"),
        "No idea has this id, or it was hidden by moderation.",
    ),
    ProblemType(
        "announcement_not_found", 404, N_("Announcement not found"), "No announcement has this id."
    ),
    ProblemType("report_not_found", 404, N_("Report not found"), "No report has this id."),
    ProblemType(
        "report_target_not_found",
        404,
        N_("Reported content not found"),
        "The content being reported does not exist or is not visible to the caller.",
    ),
    ProblemType(
        "not_author",
        403,
        N_("Not the author"),
        "Only the author (or an organizer, as moderation) may change or delete this.",
    ),
    ProblemType(
        "organizer_only_fields",
        403,
        N_("Organizer-only fields"),
        "A member sent a field only organizers set (`pinned`, `locked`, an idea's `status`).",
    ),
    ProblemType(
        "thread_locked",
        409,
        N_("Thread locked"),
        "The thread was locked by the organizers and takes no new posts.",
    ),
    ProblemType("already_deleted", 409, N_("Already deleted"), "This was already deleted."),
    ProblemType(
        "idea_no_longer_new",
        409,
        N_("Idea no longer new"),
        "The organizers already responded to this idea, so its author can no longer edit it.",
    ),
    ProblemType(
        "already_reported",
        409,
        N_("Already reported"),
        "The caller already has an open report on this content.",
    ),
    # --- recognition, anthologies, analytics, webhooks -------------------------------------
    ProblemType(
        "badge_not_found", 404, N_("Badge not found"), "The member has no badge with this id."
    ),
    ProblemType(
        "anthology_not_found",
        404,
        N_("Anthology not found"),
        "No anthology has this id, or it is a draft only organizers see.",
    ),
    ProblemType(
        "share_card_not_found",
        404,
        N_("No share card"),
        "Only winning or featured works of closed challenges have a share card.",
    ),
    ProblemType(
        "unknown_submissions",
        422,
        N_("Unknown works"),
        "An anthology named works that do not exist; `errors` points at each unknown id. "
        "Nothing was written. Works that exist but may not be printed (no consent, "
        "disqualified, challenge still running) are accepted and listed in `excluded`.",
    ),
    ProblemType(
        "range_invalid",
        422,
        N_("Invalid date range"),
        "`to` must not be before `from`, and a range covers at most the number of days "
        "`detail` names.",
    ),
    ProblemType(
        "unsubscribe_token_invalid",
        404,
        N_("Unsubscribe link not valid"),
        "The token of a mail's unsubscribe link was changed or cut short, or names a kind of "
        "mail that no longer exists. Nothing was changed; switch the mail off in the "
        "notification settings instead.",
    ),
    ProblemType("webhook_not_found", 404, N_("Webhook not found"), "No webhook has this id."),
    ProblemType(
        "webhook_delivery_not_found",
        404,
        N_("Webhook delivery not found"),
        "The webhook has no delivery with this id.",
    ),
    ProblemType(
        "webhook_inactive",
        409,
        N_("Webhook inactive"),
        "The webhook is inactive; set `active: true` before pinging or redelivering.",
    ),
    ProblemType(
        "webhook_url_not_allowed",
        422,
        N_("Webhook URL not allowed"),
        "A webhook's URL must be a public https address, never one on a private or local network.",
    ),
    ProblemType(
        "chat_bridge_not_found", 404, N_("Chat bridge not found"), "No chat bridge has this id."
    ),
    ProblemType(
        "chat_bridge_inactive",
        409,
        N_("Chat bridge inactive"),
        "The chat bridge is inactive; set `active: true` before sending it a test message.",
    ),
    ProblemType(
        "chat_bridge_target_invalid",
        422,
        N_("Chat bridge target invalid"),
        "The target lacks a field its kind needs, has one it does not take, or a value is "
        "malformed; `errors` points at the field.",
    ),
    ProblemType(
        "chat_bridge_target_not_allowed",
        422,
        N_("Chat bridge target not allowed"),
        "Discord, Slack and Telegram bridges post to those platforms' own hosts only; a "
        "Matrix homeserver must be a public address.",
    ),
    # --- media ----------------------------------------------------------------------------
    ProblemType(
        "unsupported_media_type",
        415,
        N_("Unsupported file type"),
        "The uploaded file's bytes are not one of the accepted types: JPEG, PNG, WebP, GIF, "
        "HEIC/HEIF, MP3, OGG, WAV, M4A, MP4, WebM or PDF. The type is read from the bytes, "
        "never from the file's name or the Content-Type the client sent; SVG is refused.",
    ),
    ProblemType(
        "media_too_large",
        413,
        N_("File too large"),
        "The upload passes its kind's limit: images 25 MiB and 50 megapixels, audio 50 MiB, "
        "video 200 MiB, PDF 50 MiB (by default). It was refused as soon as the limit was "
        "passed; nothing was stored.",
    ),
    ProblemType(
        "media_quota_exceeded",
        409,
        N_("Media quota exceeded"),
        "Keeping this upload would take your media past your quota (1 GiB by default). "
        "Delete media you no longer need (`DELETE /api/v1/media/{media_id}`), then retry.",
    ),
    ProblemType(
        "too_many_uploads",
        429,
        N_("Too many uploads at once"),
        "You already have as many uploads in progress as allowed "
        "(`SANGGAR_MEDIA_MAX_CONCURRENT_UPLOADS`, 3 by default). Wait for one to end, or the "
        "`Retry-After` seconds, and send it again.",
    ),
    ProblemType(
        "media_not_found",
        404,
        N_("Media not found"),
        "No media with this id is visible to you: it does not exist, was deleted, or is "
        "someone else's upload not attached to anything you may see.",
    ),
    ProblemType(
        "media_variant_not_found",
        404,
        N_("Variant not found"),
        "Only images have variants (`thumb`, `medium`, `large`); this media has none of that name.",
    ),
    ProblemType(
        "media_not_ready",
        409,
        N_("Media not ready"),
        "The image is still being processed (its metadata stripped, its variants made), or "
        "processing failed. Poll `GET /api/v1/media/{media_id}` until `status` is `ready`.",
    ),
    ProblemType(
        "media_in_use",
        409,
        N_("Media in use"),
        "The media is attached to a work, an avatar or a cover; detach it before deleting it.",
    ),
    ProblemType(
        "media_unreadable",
        422,
        N_("File cannot be read"),
        "The file starts like an accepted type but cannot be read as one (cut short or "
        "corrupt). Export it again and upload the new file.",
    ),
    ProblemType(
        "malformed_upload",
        400,
        N_("Malformed upload"),
        "The multipart/form-data body cannot be read: it is malformed or ended before its "
        "closing boundary (the client went away).",
    ),
    ProblemType(
        "media_storage_unavailable",
        503,
        N_("Media storage unavailable"),
        "The store that keeps uploaded files cannot be reached (or is full); the upload was "
        "not kept. Retry after `Retry-After` seconds.",
    ),
    ProblemType(
        "range_not_satisfiable",
        416,
        N_("Range not satisfiable"),
        "The `Range` asked for starts past the end of the file; `Content-Range` gives the "
        "file's size.",
    ),
)

CATALOGUE: dict[str, ProblemType] = {problem.code: problem for problem in _TYPES}
assert len(CATALOGUE) == len(_TYPES), "a code is described twice"
