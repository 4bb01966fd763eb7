"""The front's signing keys: the thoth/<env>/oauth-signing-key secret on AWS, a generated file locally.

The secret holds one or more keys, the first of which signs while every one is published, so a key is
rotated by prepending the new one and dropping the old one once the tokens it signed have expired.
A key is a PEM private key (EC P-256 signs ES256, RSA 2048+ signs RS256) or a random seed of at least
43 characters, from which a P-256 key is derived (HKDF): what Terraform stores, since Secrets Manager
can draw a random password write-only (never in the plan or state) but cannot make a PEM key.

Each key's `kid` is its RFC 7638 thumbprint. HMAC keys for the stateless client registrations are
derived from the signing key (HKDF, one label per use), so there is one secret to keep, and no client
id or secret can ever pass as an access token (HS256 is refused there).

Loaded on the bearer-token path too (the resource server verifies Thoth's tokens with `own_fetch`): it
imports only what PyJWT already needs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, NamedTuple

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from thoth.mcp_server.transport.auth.fetch import FetchError
from thoth.shared.config import get_settings
from thoth.shared.errors import ConfigError
from thoth.shared.secrets import Secrets

SECRET_NAME: Final = "oauth-signing-key"  # noqa: S105 - the secret's name, not its value
LOCAL_KEY_FILE: Final = "oauth-signing-key.pem"
MIN_RSA_BITS: Final = 2048
MIN_SEED_CHARS: Final = 43  # 256 bits of base64 text
_PEM_START: Final = "-----BEGIN "
KEY_FIX: Final = (
    "store a random seed (python -c 'import secrets; print(secrets.token_urlsafe(48))') or PEM private "
    "keys (EC P-256 or RSA 2048+); `terraform apply` stores a seed"
)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class SigningKey(NamedTuple):
    """One private key, its algorithm, its kid and its public JWK."""

    kid: str
    algorithm: str
    private: PrivateKey
    public_jwk: dict[str, Any]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({name: jwk[name] for name in required}, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def signing_key(private: Any) -> SigningKey:
    """A SigningKey for a loaded private key; ConfigError for a kind Thoth does not sign with."""
    if isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(private.curve, ec.SECP256R1):
        algorithm, jwk = "ES256", ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif isinstance(private, rsa.RSAPrivateKey) and private.key_size >= MIN_RSA_BITS:
        algorithm, jwk = "RS256", RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        raise ConfigError(
            f"the OAuth signing key is a {type(private).__name__} Thoth cannot sign with; {KEY_FIX}"
        )
    kid = _thumbprint(jwk)
    return SigningKey(kid, algorithm, private, {**jwk, "kid": kid, "alg": algorithm, "use": "sig"})


def seed_key(seed: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 key a random seed stands for (same seed, same key, on every instance)."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # the P-256 group order
    material = HKDF(hashes.SHA256(), 48, None, b"thoth oauth front: signing key").derive(seed.encode("utf-8"))
    return ec.derive_private_key(int.from_bytes(material, "big") % (order - 1) + 1, ec.SECP256R1())


def parse_keys(text: str) -> tuple[SigningKey, ...]:
    """Every key in `text`, in order (the first signs): PEM private keys, or seeds one per line."""
    if _PEM_START not in text:
        seeds = text.split()
        if not seeds or any(len(seed) < MIN_SEED_CHARS for seed in seeds):
            raise ConfigError(
                f"the OAuth signing key is neither PEM nor seeds of {MIN_SEED_CHARS}+ characters; {KEY_FIX}"
            )
        return tuple(signing_key(seed_key(seed)) for seed in seeds)
    blocks = [_PEM_START + part for part in text.split(_PEM_START)[1:]]
    keys = []
    for position, block in enumerate(blocks, 1):
        try:
            private = serialization.load_pem_private_key(block.strip().encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise ConfigError(
                f"PEM block #{position} of the OAuth signing key is no private key; {KEY_FIX}"
            ) from None
        keys.append(signing_key(private))
    return tuple(keys)


class KeyRing:
    """The signing keys of this deployment: `current` signs; all verify."""

    def __init__(self, keys: tuple[SigningKey, ...]) -> None:
        self.keys = keys
        self.current = keys[0]
        self._by_kid = {key.kid: key for key in keys}
        self._derived: dict[tuple[str, str], bytes] = {}

    def find(self, kid: str | None) -> SigningKey | None:
        return self._by_kid.get(kid) if isinstance(kid, str) else None

    def jwks(self) -> dict[str, Any]:
        """The public JWK set published at /oauth/jwks."""
        return {"keys": [key.public_jwk for key in self.keys]}

    def derived(self, label: str, kid: str) -> bytes:
        """A 32-byte key for `label` (e.g. "client-id"), derived from the signing key `kid`."""
        if (label, kid) not in self._derived:
            key = self._by_kid[kid]
            material = key.private.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            info = f"thoth oauth front: {label}".encode("ascii")
            self._derived[(label, kid)] = HKDF(hashes.SHA256(), 32, None, info).derive(material)
        return self._derived[(label, kid)]


_SECRETS = Secrets()
_lock = threading.Lock()
_rings: dict[str, KeyRing] = {}


def _local_key(home: Path) -> str:
    """THOTH_HOME/oauth-signing-key.pem, created (0600, EC P-256) by the first process that needs it."""
    path = home / LOCAL_KEY_FILE
    if not path.exists():
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it a moment ago: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the OAuth signing key {path} ({exc}); delete it to have a new one made"
        ) from None


def key_ring(secrets: Secrets | None = None) -> KeyRing:
    """The current key ring (the secret is cached by `Secrets`; parsing is cached per value)."""
    settings = get_settings()
    text = (secrets or _SECRETS).get(SECRET_NAME)
    if text is None:
        if settings.secrets_backend == "aws":
            raise ConfigError(
                f"the secret {settings.secret_name(SECRET_NAME)} is missing; `terraform apply` creates "
                f"it, or store a PEM private key there ({KEY_FIX})"
            )
        text = _local_key(settings.home)
    with _lock:
        ring = _rings.get(text)
        if ring is None:
            ring = KeyRing(parse_keys(text))
            _rings.clear()  # one live value at a time: a rotated-out key leaves memory too
            _rings[text] = ring
        return ring


def own_fetch(jwks_url: str) -> Callable[[str, float], dict[str, Any]]:
    """A `KeySet` fetch that answers Thoth's own JWKS from the key ring, never over the network."""

    def fetch(url: str, timeout_s: float) -> dict[str, Any]:
        if url != jwks_url:
            raise FetchError(f"{url[:120]} is not this server's JWKS ({jwks_url})")
        try:
            return key_ring().jwks()
        except ConfigError as exc:  # the resource server answers 503 (fail closed) and logs why
            raise FetchError(str(exc)) from None

    return fetch
