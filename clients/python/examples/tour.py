"""A first session with the generated client and sanggar_client_extras: log in, read every
challenge page by page, start a discussion thread safely (a retry with the same
Idempotency-Key creates nothing twice) and branch on a problem's code.

usage (the generated `sanggar_client` and `sanggar_client_extras` importable, see README.md):
    SANGGAR_URL=http://127.0.0.1:8000 SANGGAR_USERNAME=demo_admin SANGGAR_PASSWORD=sanggar-demo \\
        python examples/tour.py
"""

from __future__ import annotations

import os
import uuid

from sanggar_client.api.challenges import challenges_get, challenges_list
from sanggar_client.api.members import members_get_me
from sanggar_client.api.threads import threads_create
from sanggar_client.models import ThreadCreate
from sanggar_client_extras import SanggarProblem, create, each_item, log_in, ok


def main() -> None:
    url = os.environ.get("SANGGAR_URL", "http://127.0.0.1:8000")
    username = os.environ.get("SANGGAR_USERNAME", "demo_admin")
    password = os.environ.get("SANGGAR_PASSWORD", "sanggar-demo")
    with log_in(url, username, password) as sanggar:
        me = ok(members_get_me.sync_detailed(client=sanggar.client))
        print(f"logged in as {me.display_name} (@{me.handle})")

        # Two a page, to show the cursor being followed; the next page is asked for only
        # when the loop gets there.
        count = 0
        for challenge in each_item(challenges_list.sync_detailed, client=sanggar.client, limit=2):
            count += 1
            print(f"challenge {challenge.id}: {challenge.title} ({challenge.theme})")
        print(f"challenges: {count}")

        # Keep the key with what you mean to create: sending it again (after a timeout, from
        # a retry queue) answers the first thread instead of starting a second.
        key = str(uuid.uuid4())
        body = ThreadCreate(title="Where do you print?", body="Looking for a risograph studio.")
        first = create(
            threads_create.sync_detailed, client=sanggar.client, body=body, idempotency_key=key
        )
        again = create(
            threads_create.sync_detailed, client=sanggar.client, body=body, idempotency_key=key
        )
        print(f"thread {first.id} created; the retry answered thread {again.id}")

        try:
            ok(challenges_get.sync_detailed(2_000_000_000, client=sanggar.client))
        except SanggarProblem as problem:
            print(f"problem: {problem.status} {problem.code}: {problem.detail}")
        sanggar.log_out()


if __name__ == "__main__":
    main()
