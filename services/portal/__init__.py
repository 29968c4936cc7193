"""The portal: practitioners' inbox and oversight console, server-rendered (FastAPI + Jinja2).

Module map: app.py (build_app, the routes), bootstrap.py (PortalSettings), signin.py (login, callback,
logout), oidc.py (the issuer: discovery, PKCE, code exchange, keys), id_tokens.py (ID token checks),
sessions.py (who is signed in, and who may be), cookies.py (signed, time-limited cookies), csrf.py (every
form's token), headers.py (security headers), pages.py + templates/ (HTML), refusals.py (every 4xx and its
reason), metrics.py.
"""
