"""The oversight console: the audit ledger for people, in a browser, signed in with OpenID Connect (the audit
service's own client at the issuer, `drr-oversight`), for oversight users only (the `oversight` role).

Server-rendered pages (Jinja2, templates/console/), a script and a style sheet of its own (static/), no
inline script or style. The one-click "verify" of an entry runs in the browser (static/verify.js): it checks
the checkpoint's Ed25519 signature with Web Crypto against the key the user pinned (pasted once, kept in
the browser), then recomputes the RFC 6962 root from the leaf and its audit path, as drr-verify does.

| route | caller |
|---|---|
| GET /console/ | an oversight user's browser: the latest checkpoint and its verifier key, pinning, search |
| GET /console/entries | the same: entries by case, recipient, agency, event type, decision, kind, time |
| GET /console/entries/{index} | the same: one entry, its inclusion proof, the browser's verify |
| GET /console/cases/{case_id}/disclosures | the same: who was told what about one person |
| GET /console/queries | the same: the log of oversight queries (who asked what), newest first |
| GET /console/static/{name} | any browser: console.css, console.js, verify.js |
| GET /auth/login, GET /auth/callback, POST /auth/logout | browsers signing in and out (shared/web_signin) |

Every page but the static files needs an oversight user's session (access.py: else 401 or 403, as a page)
and is recorded as an oversight query before it is made. On only when DRR_AUDIT_CONSOLE_ISSUER_URL is set.
"""
