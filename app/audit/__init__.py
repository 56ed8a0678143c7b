"""The audit log of privileged actions: written by the services, read by admins."""
