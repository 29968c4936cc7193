"""Signing people in to a service (the portal, the audit console): OIDC code flow + PKCE, sessions in signed
cookies, CSRF on every form, security headers, refusals with machine-readable reasons."""
