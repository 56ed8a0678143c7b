"""An account's life beyond log-in: changing the password, the log-ins, and (in progress)
password reset, email verification and change, the member's export and leaving."""
