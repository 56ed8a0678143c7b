"""What webhooks and chat bridges share as admin resources of one outbox.

Both are receivers of `webhook_deliveries`: each subscribes to event types, is loaded (and
locked for writing) by id, and keeps a delivery log of the same shape. The deliveries are
written by the webhook subscriber and sent by the webhook dispatcher (app/webhooks); this
package holds only the admin side the two features have in common, so neither copies the
other and neither imports the other.
"""
