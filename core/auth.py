"""Who is acting: agents' credentials, sessions and roles (issue #10).

DOMAIN §1 makes the register the only evidence of ownership, and agents
have every reason to bend it (抢单, commission disputes). So on an office
database a write is made by a *signed-in* agent, never by a typed name:

* a secret (password or PIN, at least :data:`MIN_SECRET` characters) is
  kept only as a salted ``hashlib.scrypt`` hash, compared in constant time;
* ``login`` trades the secret for a session: a random token, of which the
  database keeps only the SHA-256, valid for ``auth.session_hours`` of the
  machine's clock (never the simulated one) unless revoked by ``logout``;
* roles: ``agent``; ``manager`` (approve, arbitrate, reassign, redistribute
  the pool, accept departures); ``admin`` (agents, settings, industries;
  the first account ``init`` makes). A manager is an agent too, an admin is
  a manager too.

The functions here are pure (hashing, tokens, role checks); the SQL lives in
:mod:`leadcycle.storage`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .errors import LeadcycleError, Refused
from .i18n import M_, N_

ROLES = ("agent", "manager", "admin")
#: what each role may do beyond the one below it, for one-line refusals
ROLE_POWERS = {
    "manager": N_("approve, arbitrate, reassign, redistribute the pool and accept departures"),
    "admin": N_("manage agents, settings and industries"),
}
#: a role as a sentence names it ("李娜 is an agent", "needs the manager role")
ROLE_NAMES = {"agent": M_("an agent"), "manager": M_("a manager"), "admin": M_("an admin")}
ROLE_WORDS = {"agent": M_("agent"), "manager": M_("manager"), "admin": M_("admin")}
MIN_SECRET = 6

# scrypt's cost: 16 MiB of memory and ~50 ms per check on a laptop (the
# parameters are stored with each hash, so they can be raised later)
_N, _R, _P = 2 ** 14, 8, 1


def hash_secret(secret: str) -> str:
    """``scrypt$N$r$p$salt$hash`` for a new secret, or a one-line error
    when it is too short."""
    check_secret_strength(secret)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_secret_strength(secret: str) -> None:
    if secret is None or len(secret) < MIN_SECRET:
        raise LeadcycleError(N_("a password or PIN needs at least {min_secret} characters"),
                             min_secret=MIN_SECRET)
    if secret.strip() != secret:
        raise LeadcycleError(N_("a password or PIN may not start or end with a space"))


def verify_secret(secret: str, stored: str | None) -> bool:
    """True when ``secret`` matches the stored hash (constant time)."""
    if not stored or secret is None:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def new_token() -> str:
    return "lc_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise LeadcycleError(N_("role {role!r} is not one of {roles}"), role=role, roles=', '.join(ROLES))
    return role


def at_least(role: str | None, needed: str) -> bool:
    """Whether ``role`` has the powers of ``needed``."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def require_role(name: str | None, role: str | None, needed: str, what: str) -> None:
    """One line naming the role ``what`` needs, when the actor lacks it."""
    if name is None:
        raise Refused(N_("{what} needs a signed-in {needed}: sign in with: leadcycle login"),
                      what=what, needed=ROLE_WORDS.get(needed, needed))
    if not at_least(role, needed):
        raise Refused(N_("{what} needs the {needed} role ({role_powers}); "
                         "{name} is {role}"),
                      what=what, needed=ROLE_WORDS.get(needed, needed),
                      role_powers=M_(ROLE_POWERS.get(needed, needed)), name=name,
                      role=ROLE_NAMES.get(role, role))
