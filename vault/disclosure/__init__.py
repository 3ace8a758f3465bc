"""Vulnerability disclosure: security.txt (RFC 9116), the public policy and report form, the reporter's
private status link, the staff triage desk with its SLA clock, and the hall of fame (docs/trust-center.md)."""
