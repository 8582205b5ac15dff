"""Secret keys stored as digests: generate, digest, compare.

Keys are random 256-bit values, so SHA-256 is enough (a slow password hash adds nothing to a
value nobody can guess) and a leaked database does not leak credentials. The first
``PREFIX_LENGTH`` characters are kept in clear to tell keys apart in lists and logs; they
leave more than 200 random bits unknown."""

import hashlib
import hmac
import secrets

KEY_BYTES = 32
PREFIX_LENGTH = 8
DIGEST_LENGTH = 64
# Issued keys are 43 characters; anything much longer is not a key and is refused before
# hashing.
MAX_KEY_LENGTH = 200


def new_key() -> str:
    """A random 256-bit key, URL-safe base64; never starting with "-", which command-line
    parsers would take for an option (``--password <key>``)."""
    while (key := secrets.token_urlsafe(KEY_BYTES)).startswith("-"):
        pass
    return key


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix(key: str) -> str:
    return key[:PREFIX_LENGTH]


def matches(key: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented key with a stored digest."""
    return hmac.compare_digest(digest(key), stored_digest)
