"""Staff authentication: argon2 password hashes, signed session tokens, roles.

A token (``itsdangerous``, signed with the settings' secret, time-limited) is carried
either in the HttpOnly session cookie set by the login page (SameSite=Lax, Secure in
production) or as ``Authorization: Bearer <token>`` from ``POST /api/auth/token``.  It
names the user and a fragment of the password hash, so changing a password ends every
session of that user.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.tables import Role, User

_hasher = PasswordHasher()
SALT = "medex-session"
ROLES = tuple(r.value for r in Role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


class Tokens:
    def __init__(self, secret: str, max_age_s: int):
        self._s = URLSafeTimedSerializer(secret, salt=SALT)
        self.max_age_s = max_age_s

    def issue(self, user: User) -> str:
        return self._s.dumps({"uid": user.id, "pw": user.password_hash[-12:]})

    def read(self, token: str) -> tuple[int, str] | None:
        """``(user id, password fragment)``, or ``None`` for a bad or expired token."""
        try:
            data = self._s.loads(token, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
            return None
        return data["uid"], str(data.get("pw", ""))
