"""Staff accounts, roles, sign-in and two-factor authentication."""
