"""Mail: an outbox written in the cause's transaction, sent by the webhook dispatcher.

A mail is a `mail_messages` row (recipient, template, locale, context) with a
`webhook_deliveries` row naming it, written by `outbox.write` in the same transaction as
what caused it. The webhook dispatcher claims it with a lease like any delivery and calls
the mail transport this package registers (app/mail/subscribers.py): `render` builds the
message from its template pair (plain text and HTML, in the member's language) and
`transport` hands it to the SMTP server or writes it to a file.
"""
