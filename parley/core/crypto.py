"""Secrets at rest and signed tokens.

Secrets (mailbox passwords, OAuth tokens) are encrypted with MultiFernet. The keys come from
`settings.PARLEY_SECRET_KEYS` (env `PARLEY_SECRET_KEYS`, comma-separated, newest first); with
none set, one key is derived from SECRET_KEY. To rotate: put a new key first, keep the old
ones after it, run `secret_rotate` over the stored values, then drop the old keys.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret that no configured key can decrypt."""


def _derived_key(material: str) -> bytes:
    digest = hashlib.sha256(b"parley-secrets:" + material.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        fernets = [Fernet(k.encode() if len(k) == 44 else _derived_key(k)) for k in keys]
    else:
        fernets = [Fernet(_derived_key(secret_key))]
    return MultiFernet(fernets)


def _current() -> MultiFernet:
    keys = tuple(k.strip() for k in getattr(settings, "PARLEY_SECRET_KEYS", []) if k.strip())
    return _fernet(keys, settings.SECRET_KEY)


def secret_encrypt(plain: str) -> str:
    if not plain:
        return ""
    return _current().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("no configured key decrypts this secret") from exc


def secret_rotate(token: str) -> str:
    """Re-encrypt with the newest key (MultiFernet.rotate)."""
    if not token:
        return ""
    return _current().rotate(token.encode()).decode()


def sign(value: str, *, purpose: str, length: int = 16) -> str:
    """A short HMAC-SHA256 signature of `value` for one purpose, hex."""
    key = hashlib.sha256(f"parley-sign:{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:length]


def sign_check(value: str, signature: str, *, purpose: str, length: int = 16) -> bool:
    return hmac.compare_digest(sign(value, purpose=purpose, length=length), signature)
