"""What reacts to what: every domain-event subscriber and periodic job, registered on import.

Both the app (`app.main`) and the command line (`sanggar seed-demo`) import this module,
so demo data gets the same notifications and side effects as real requests.
"""

from app.challenges import subscribers as challenge_subscribers
from app.challenges import sweep as challenge_sweep
from app.chat_bridges import subscribers as chat_bridge_subscribers
from app.conversation import subscribers as conversation_subscribers
from app.events import subscribers as event_subscribers
from app.inquiries import subscribers as inquiry_subscribers
from app.mail import digest as mail_digest
from app.mail import subscribers as mail_subscribers
from app.media import janitor as media_janitor
from app.media import processing as media_processing
from app.media import subscribers as media_subscribers
from app.mentoring import subscribers as mentoring_subscribers
from app.notifications import subscribers as notification_subscribers
from app.projects import subscribers as project_subscribers
from app.recognition import subscribers as recognition_subscribers
from app.search import indexer as search_indexer
from app.submissions import subscribers as submission_subscribers
from app.webhooks import dispatcher as webhook_dispatcher
from app.webhooks import retention as webhook_retention
from app.webhooks import subscribers as webhook_subscribers

# Subscribers register themselves on import, and the subscribers of one event run in the
# order they registered: the order of the imports above, listed here (a test holds the two
# together). It shows in the order of rows, not in what they say: recognition runs before
# webhooks, so the badge a first work earns is delivered before the work's
# `submission.created`, and a member's feed has the badge after the news that earned it.
SUBSCRIBERS = (
    challenge_subscribers,
    chat_bridge_subscribers,
    conversation_subscribers,
    event_subscribers,
    inquiry_subscribers,
    mail_subscribers,
    media_subscribers,
    mentoring_subscribers,
    notification_subscribers,
    project_subscribers,
    recognition_subscribers,
    submission_subscribers,
    webhook_subscribers,
)
# Periodic jobs register themselves on import too (see app.core.periodic).
JOBS = (
    challenge_sweep,
    mail_digest,
    media_janitor,
    media_processing,
    webhook_dispatcher,
    webhook_retention,
)

# The search index follows every change of what can be found, in the same transaction
# (session hooks, registered on import; see app.search.indexer).
INDEXERS = (search_indexer,)

__all__ = ["INDEXERS", "JOBS", "SUBSCRIBERS"]
