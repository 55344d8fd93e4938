"""Two-step uploads: a file carried from its dry run to its application inside the session,
so that what is applied is exactly what was previewed, without a second upload.
"""

from __future__ import annotations

import base64
import secrets


def stage_upload(session, *, kind: str, name: str, content: bytes) -> str:
    """Keep an uploaded file in the session between its dry run and its application.

    One file per kind: staging another replaces it, and the token says which
    preview an "apply" belongs to.
    """
    token = secrets.token_urlsafe(16)
    session[f"staged-upload:{kind}"] = {
        "token": token, "name": name, "content": base64.b64encode(content).decode("ascii"),
    }
    return token


def take_staged_upload(session, *, kind: str, token: str) -> tuple[str, bytes] | None:
    """The staged file for `token` (name, content), removed from the session; None if gone."""
    staged = session.get(f"staged-upload:{kind}")
    if not staged or not token or not secrets.compare_digest(staged["token"], token):
        return None
    del session[f"staged-upload:{kind}"]
    return staged["name"], base64.b64decode(staged["content"])
