"""Notifications: who wants a change (filters, digest), what it says (message), how it is sent
(webhook, mail, apprise_channel) and the outbox worker that sends it reliably (outbox).

Signing lives apart: webhook signatures in `signing`, unsubscribe links in `unsubscribe`.
"""
