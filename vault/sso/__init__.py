"""Single sign-on for staff: OpenID Connect and SAML 2.0, group-to-role mapping, just-in-time accounts,
"SSO only" with one break-glass admin (docs/sso.md)."""
