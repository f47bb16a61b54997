"""Access control and security headers for the dashboard's Flask server.

Off by default (one user on loopback). `DASHBOARD_AUTH=basic` checks HTTP basic credentials
against hashed passwords from settings; `DASHBOARD_AUTH=proxy` trusts the authenticated-user
header a reverse proxy sets. Either way every page, callback and download needs it, and
/healthz answers its status code to anyone but its details only to a signed-in user.
"""

from collections.abc import Mapping

from flask import Flask, Response, request
from werkzeug.security import check_password_hash

OPEN_PATHS = ("/healthz",)


def parse_users(spec: str | None) -> dict[str, str]:
    """ "alice=pbkdf2:sha256:...;bob=scrypt:..." -> {user: password hash}."""
    users = {}
    for item in (spec or "").split(";"):
        if "=" in item:
            name, hashed = item.split("=", 1)
            users[name.strip()] = hashed.strip()
    return users


def signed_in(mode: str, users: Mapping[str, str], header: str) -> str | None:
    """The user the current request is signed in as, or None."""
    if mode == "proxy":
        return request.headers.get(header) or None
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        return None
    hashed = users.get(auth.username)
    if hashed and check_password_hash(hashed, auth.password or ""):
        return auth.username
    return None


def content_security_policy(script_hashes: list[str]) -> str:
    """Only the app's own origin; the inline scripts Dash writes are allowed by their hashes."""
    scripts = " ".join(script_hashes)  # Dash gives them quoted: 'sha256-...'
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def protect(
    server: Flask,
    *,
    mode: str | None,
    users: Mapping[str, str],
    header: str,
    script_hashes: list[str],
) -> None:
    """Require sign-in (unless `mode` is empty) and add security headers to every response."""
    policy = content_security_policy(script_hashes)

    if mode:

        @server.before_request
        def _require_user() -> Response | None:
            user = signed_in(mode, users, header)
            request.environ["dashboard.user"] = user
            if user is None and request.path not in OPEN_PATHS:
                return Response(
                    "Sign-in required.\n",
                    401,
                    {"WWW-Authenticate": 'Basic realm="displacement-dashboard"'}
                    if mode == "basic"
                    else {},
                )
            return None

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
