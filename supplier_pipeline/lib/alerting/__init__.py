"""Alerts: rules over the marts' events, an outbox, and delivery to the owner's channels."""
