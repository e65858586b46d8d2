"""Notifications: subscription filters, the outbox worker, and one module per channel."""
