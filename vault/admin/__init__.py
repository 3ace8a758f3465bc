"""Administration: users, the audit trail."""
