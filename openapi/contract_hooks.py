"""Schemathesis hooks for scripts/contract.sh: the signed-in operations are reached for real.

- Every bearer operation gets a live token. The operations that end sessions or change the
  account (log out, log out everywhere, end a session, change the password, delete the
  account, email change) never use the shared user's session: each gets its own session,
  and the ones that end every session or the account use a user of their own. The shared
  user's token is fetched again whenever an answer says `invalid_token`.
- Some positive cases get, in place of a generated value that can never be right, the real
  one (the user's password, a code read from the mail catcher, a live refresh token or
  session id), so that those operations answer 2xx too; every check still runs on them.
- The second factors are driven for real: TOTP codes are computed here from the secret that
  setup answered (each time step used once, as the server requires), and passkeys come from a
  software authenticator (P-256, "none" attestation) answering the server's own options; a
  new-sign-in alert is caused (a sign-in from an unknown network through the trusted proxy's
  `X-Forwarded-For`) and its mailed link read, for `not-me`.
- Every answer's operation, status and problem code goes to $CONTRACT_STATUS_LOG, which
  contract.sh reads to fail a run in which an operation never answered 2xx (or a limit
  never answered, for the limits run).

Environment: BASE_URL, MAILDEV_URL (as for contract.sh), CONTRACT_STATUS_LOG,
CONTRACT_INTROSPECTION_SECRET, CONTRACT_AUTH (0: no sessions, for the limits run),
CONTRACT_REAL_SHARE (the share of positive cases given real values; 0 for the limits run).
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import string
import struct
import sys
import threading
import time

import requests
import schemathesis
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from schemathesis import GenerationMode

BASE = os.environ["BASE_URL"].rstrip("/")
MAILDEV = os.environ["MAILDEV_URL"].rstrip("/")
STATUS_LOG = os.environ.get("CONTRACT_STATUS_LOG")
INTROSPECTION_SECRET = os.environ.get("CONTRACT_INTROSPECTION_SECRET", "")
# The user of the spec's LoginRequest example, signed up by contract.sh.
SHARED = ("hong_gildong", "correct horse battery staple")
PASSWORD = "contract pass phrase words"
# How often a positive case gets the real value in place of a generated one.
REAL_SHARE = float(os.environ.get("CONTRACT_REAL_SHARE", "0.5"))

_http = requests.Session()
_lock = threading.RLock()
_log_lock = threading.Lock()
_ids = itertools.count()
# Our own generator: hypothesis seeds (and warns about) the global one inside its strategies.
_rng = random.Random()
_run = "".join(_rng.choices(string.ascii_lowercase, k=4))


def op_id(case):
    return case.operation.definition.raw.get("operationId")


def positive(case):
    meta = case.meta
    return meta is None or meta.generation.mode == GenerationMode.POSITIVE


def lucky():
    return _rng.random() < REAL_SHARE


# --- the real flows, through the API and the mail catcher -------------------------------------


def mails_to(address):
    r = _http.get(f"{MAILDEV}/api/email", params={"to.address": address}, timeout=10)
    r.raise_for_status()
    return r.json()


class NoCode(Exception):
    """The server sent no code (a cooldown or cap answered): the case stays as generated."""


def sent(r):
    if r.status_code == 429:
        raise NoCode(r.text)
    r.raise_for_status()


def code_after(address, before, send):
    """Calls `send`, then waits for a new mail to `address` and returns its six-digit code."""
    send()
    for _ in range(100):
        mails = mails_to(address)
        if len(mails) > before:
            found = re.findall(r"\b[0-9]{6}\b", mails[-1].get("text") or "")
            if found:
                return found[0]
        time.sleep(0.1)
    raise RuntimeError(f"no code arrived for {address}")


def post(path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _http.post(f"{BASE}{path}", json=body, headers=headers, timeout=20)


def fresh_names():
    n = next(_ids)
    tag = f"{_run}{n}"
    return {"username": f"ct_new_{tag}"[:20], "email": f"ct.new.{tag}@example.com",
            "nickname": "Nw" + "".join(string.ascii_lowercase[int(d)] for d in str(n)) + _run}


def totp(secret, step):
    """RFC 6238 with the server's parameters: SHA-1, 6 digits, 30 s steps."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


# The relying party's origin (APP_WEBAUTHN_RP_ORIGIN, its default in the contract runs).
ORIGIN = os.environ.get("CONTRACT_WEBAUTHN_ORIGIN", "http://localhost:8080")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor_head(major, n):
    return bytes([major << 5 | n]) if n < 24 else (
        bytes([major << 5 | 24, n]) if n < 256 else bytes([major << 5 | 25]) + n.to_bytes(2, "big"))


def cbor_text(text):
    return cbor_head(3, len(text.encode())) + text.encode()


def cbor_bytes(data):
    return cbor_head(2, len(data)) + data


class SoftPasskey:
    """A platform authenticator with one discoverable, user-verified P-256 credential."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle = b""
        self.counter = 0

    def _client_data(self, kind, options):
        return json.dumps({"type": kind, "challenge": options["publicKey"]["challenge"],
                           "origin": ORIGIN, "crossOrigin": False}).encode()

    def register(self, options):
        public_key = options["publicKey"]
        self.user_handle = b64url_decode(public_key["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = (bytes([0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21])
                + cbor_bytes(numbers.x.to_bytes(32, "big")) + b"\x22"
                + cbor_bytes(numbers.y.to_bytes(32, "big")))
        # Flags: user present, user verified, attested credential data.
        auth_data = (hashlib.sha256(public_key["rp"]["id"].encode()).digest() + b"\x45"
                     + struct.pack(">I", self.counter) + bytes(16)
                     + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose)
        attestation = (b"\xa3" + cbor_text("fmt") + cbor_text("none") + cbor_text("attStmt")
                       + b"\xa0" + cbor_text("authData") + cbor_bytes(auth_data))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {"credProps": {"rk": True}},
                "response": {"clientDataJSON": b64url(self._client_data("webauthn.create", options)),
                             "attestationObject": b64url(attestation),
                             "authenticatorData": b64url(auth_data), "publicKeyAlgorithm": -7,
                             "transports": ["internal"]}}

    def assertion(self, options):
        with _lock:
            self.counter += 1
            counter = self.counter
        client_data = self._client_data("webauthn.get", options)
        auth_data = (hashlib.sha256(options["publicKey"]["rpId"].encode()).digest() + b"\x05"
                     + struct.pack(">I", counter))
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature),
                             "userHandle": b64url(self.user_handle)}}


class User:
    """A throwaway account signed up through the real flow."""

    def __init__(self, role):
        n = next(_ids)
        tag = f"{_run}{n}"
        self.username = f"ct_{role[:6]}_{tag}"[:20]
        self.email = f"ct.{role}.{tag}@example.com"
        self.password = PASSWORD
        # Letters only: a nickname's digits would do, but its uniqueness is per skeleton.
        self.nickname = "Ct" + "".join(string.ascii_lowercase[int(d)] for d in str(n)) + _run
        before = len(mails_to(self.email))
        body = {"username": self.username, "nickname": self.nickname, "email": self.email,
                "locale": "en"}
        code = code_after(self.email, before, lambda: post("/api/email_auth", body).raise_for_status())
        r = post("/api/register", {"username": self.username, "password": self.password,
                                   "nickname": self.nickname, "email": self.email, "code": code})
        if r.status_code != 201:
            raise RuntimeError(f"sign-up of {self.username} failed: {r.status_code} {r.text}")

        self.totp_secret = None
        self.pending_secret = None
        self.recovery = []
        self.used_steps = set()
        self.passkeys = []

    def login(self):
        r = post("/api/login", {"username": self.username, "password": self.password})
        body = r.json() if r.status_code == 200 else {}
        if body.get("mfa_required"):
            r = post("/api/login/mfa", {"mfa_token": body["mfa_token"], "code": self.code()})
            body = r.json() if r.status_code == 200 else {}
        if "access_token" not in body:
            raise RuntimeError(f"login of {self.username} failed: {r.status_code} {r.text}")
        return body["access_token"], body.get("refresh_token")

    def code(self, secret=None):
        """A TOTP code of a time step not used yet (the server takes each step once; ±1 step)."""
        secret = secret or self.totp_secret
        now = int(time.time()) // 30
        with _lock:
            for step in (now, now + 1, now - 1):
                if (secret, step) not in self.used_steps:
                    self.used_steps.add((secret, step))
                    return totp(secret, step)
        raise NoCode("every TOTP step of the window is used")

    def step_up(self):
        """The fresh proof a change to the factors needs: the password, and a code when TOTP is on."""
        proof = {"password": self.password}
        if self.totp_secret:
            proof["code"] = self.code()
        return proof

    def enable_totp(self, token):
        setup = post("/api/mfa/totp/setup", self.step_up(), token)
        setup.raise_for_status()
        secret = setup.json()["secret"]
        r = post("/api/mfa/totp/enable", {"code": self.code(secret)}, token)
        r.raise_for_status()
        self.totp_secret, self.recovery = secret, r.json()["recovery_codes"]

    def disable_totp(self, token):
        r = post("/api/mfa/totp/disable",
                 {"password": self.password, "recovery_code": self.recovery.pop()}, token)
        r.raise_for_status()
        self.totp_secret, self.recovery = None, []

    def add_passkey(self, token):
        """Registers a new software passkey; returns its id."""
        r = post("/api/passkeys/register/start", self.step_up(), token)
        r.raise_for_status()
        start = r.json()
        key = SoftPasskey()
        r = post("/api/passkeys/register/finish",
                 {"challenge_id": start["challenge_id"], "name": "contract key",
                  "credential": key.register(start["options"])}, token)
        r.raise_for_status()
        self.passkeys.append(key)
        return r.json()["id"]


def login(username, password):
    r = post("/api/login", {"username": username, "password": password})
    if r.status_code != 200:
        raise RuntimeError(f"login of {username} failed: {r.status_code} {r.text}")
    body = r.json()
    return body["access_token"], body.get("refresh_token")


def current_session_id(token):
    r = _http.get(f"{BASE}/api/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=20)
    r.raise_for_status()
    body = r.json()
    sessions = body if isinstance(body, list) else body.get("sessions", [])
    return next(s["id"] for s in sessions if s.get("current"))


def totp_user(role, passkey=False):
    """The user of `role` with TOTP on (and a passkey, if asked), set up on first use."""
    u = user(role)
    with _lock:
        if not u.totp_secret:
            token = u.login()[0]
            if passkey:
                u.add_passkey(token)
            u.enable_totp(token)
    return u


def mfa_ticket(u):
    """The second-step ticket of a password sign-in of `u` (TOTP on)."""
    r = post("/api/login", {"username": u.username, "password": u.password})
    r.raise_for_status()
    return r.json()["mfa_token"]


def not_me_token(u):
    """Signs `u` in from a new device on a new network and reads the alert's not-me token."""
    before = len(mails_to(u.email))
    n = next(_ids)
    # Not through the shared cookie jar (no device cookie), from an address never seen before.
    r = requests.post(f"{BASE}/api/login", json={"username": u.username, "password": u.password},
                      headers={"X-Forwarded-For": f"10.{n // 250 % 250}.{n % 250}.7"}, timeout=20)
    r.raise_for_status()
    for _ in range(100):
        mails = mails_to(u.email)
        for mail in mails[before:]:
            found = re.search(r"#token=([A-Za-z0-9_\-]+)", mail.get("text") or "")
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"no new-sign-in alert arrived for {u.username}")


# Users of their own, by role, created when first needed (and again once deleted).
_users = {}


def user(role):
    with _lock:
        if role not in _users:
            _users[role] = User(role)
        return _users[role]


def forget(role):
    with _lock:
        _users.pop(role, None)


_shared_token = None
# A session per operation that must not use the shared one, kept until it ends (each login
# costs an argon2 hash, so a session is not opened per case).
_role_tokens = {}


def role_token(op):
    with _lock:
        if op not in _role_tokens:
            _role_tokens[op] = (login(*SHARED) if op in OWN_SESSION else user(op).login())[0]
        return _role_tokens[op]


def token_died(token):
    """Forgets `token` wherever it is kept: the next case of its operation logs in again."""
    global _shared_token
    with _lock:
        if _shared_token == token:
            _shared_token = None
        for op in [op for op, t in _role_tokens.items() if t == token]:
            del _role_tokens[op]



def shared_token():
    global _shared_token
    with _lock:
        if _shared_token is None:
            _shared_token = login(*SHARED)[0]
        return _shared_token


# --- which session each operation uses ---------------------------------------------------------

# A fresh session of the shared user: ends only itself.
OWN_SESSION = {"logout", "end_session"}
# A fresh session of a user of their own: they end every session of the account, change its
# password, address or second factor, or delete it.
OWN_USER = {"logout_all", "password_change", "delete_account", "email_change_request",
            "email_change_confirm", "totp_setup", "totp_enable", "totp_disable",
            "recovery_codes", "passkey_register_finish", "delete_passkey", "not_me"}


# Operations whose success ends the session they were called with.
ENDS_ITS_SESSION = {"logout", "end_session", "logout_all", "delete_account"}
# Operations that take a step-up proof (a password, and a code when TOTP is on).
STEP_UP = {"totp_setup", "passkey_register_start", "delete_passkey"}


class ContractAuth:
    def get(self, case, context):
        op = op_id(case)
        if op == "introspect":
            return {"token": INTROSPECTION_SECRET, "shared": False}
        if op in OWN_SESSION or op in OWN_USER:
            return {"token": role_token(op), "shared": False}
        return {"token": shared_token(), "shared": True}

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data['token']}"
        if positive(case) and lucky():
            try:
                make_real(case, data)
            except NoCode:
                pass
            except (requests.RequestException, KeyError, RuntimeError) as e:
                # The case stays as generated; an operation that never gets its real values
                # fails the run's 2xx check, and this line says why.
                print(f"contract hooks: {op_id(case)}: {e!r}", file=sys.stderr)


# The limits run (CONTRACT_AUTH=0) signs nobody in: there the bearer operations answer 401.
if os.environ.get("CONTRACT_AUTH", "1") != "0":
    schemathesis.auth(refresh_interval=None)(ContractAuth)


def make_real(case, data):
    """Puts the real value where a generated one can never be right (see the module doc)."""
    op = op_id(case)
    body = case.body if isinstance(case.body, dict) else None
    token = data["token"]
    if op == "end_session":
        case.path_parameters = {**(case.path_parameters or {}),
                                "id": current_session_id(token)}
    elif op == "totp_enable" and body is not None:
        # A setup of its own each time (TOTP turned off again first): the code of its secret.
        u = user(op)
        if u.totp_secret:
            u.disable_totp(token)
        setup = post("/api/mfa/totp/setup", u.step_up(), token)
        sent(setup)
        u.pending_secret = setup.json()["secret"]
        body["code"] = u.code(u.pending_secret)
    elif op in ("totp_disable", "recovery_codes") and body is not None:
        # TOTP on (turned on again after a disable), proved by an unused recovery code.
        u = user(op)
        if not u.totp_secret:
            u.enable_totp(token)
        body["password"] = u.password
        body.pop("code", None)
        body["recovery_code"] = u.recovery[-1]
    elif op == "passkey_register_finish" and body is not None:
        u = user(op)
        r = post("/api/passkeys/register/start", u.step_up(), token)
        sent(r)
        start = r.json()
        body.update(challenge_id=start["challenge_id"], name="contract key",
                    credential=SoftPasskey().register(start["options"]))
    elif op == "delete_passkey":
        u = user(op)
        case.path_parameters = {**(case.path_parameters or {}), "id": u.add_passkey(token)}
        if body is not None:
            body.clear()
            body.update(u.step_up())
    elif op == "not_me" and body is not None:
        body["token"] = not_me_token(user(op))
    elif op in ("password_change",) and body is not None:
        body["current_password"] = user(op).password
    elif op == "delete_account" and body is not None:
        body["password"] = user(op).password
    elif op == "email_change_request" and body is not None:
        body["password"] = user(op).password
    elif op in STEP_UP and body is not None:
        # The step-up proof (shared::StepUpRequest): the password of the session's user.
        body["password"] = user(op).password if op in OWN_USER else SHARED[1]
        body.pop("recovery_code", None)
        body.pop("code", None)
    elif op == "email_change_confirm" and body is not None:
        u = user(op)
        new = f"ct.moved.{_run}{next(_ids)}@example.com"
        body["code"] = code_after(new, 0, lambda: sent(post(
            "/api/email/change/request", {"new_email": new, "password": u.password},
            data["token"])))


@schemathesis.hook
def before_call(context, case, kwargs):
    """The real values of the operations that carry no bearer token."""
    try:
        real_values(case)
    except NoCode:
        pass
    except (requests.RequestException, KeyError, RuntimeError) as e:
        print(f"contract hooks: {op_id(case)}: {e!r}", file=sys.stderr)


def real_values(case):
    op = op_id(case)
    body = case.body if isinstance(case.body, dict) else None
    if body is None or not positive(case) or not lucky():
        return
    if op == "refresh":
        body["refresh_token"] = login(*SHARED)[1]
    elif op == "email_auth":
        # Names nobody has taken (generated ones mostly break a rule the schema cannot state).
        body.update(fresh_names())
    elif op == "register":
        # Fresh names, and the code the server mails for them; the password stays generated.
        body.update(fresh_names())
        signup = {k: body[k] for k in ("username", "nickname", "email")}
        body["code"] = code_after(body["email"], 0, lambda: sent(post("/api/email_auth", signup)))
    elif op == "password_reset_confirm":
        u = user("reset")
        body["email"] = u.email
        body["code"] = code_after(u.email, len(mails_to(u.email)), lambda: sent(post(
            "/api/password_reset/request", {"email": u.email})))
    elif op == "login_mfa":
        # A TOTP code while the window has an unused step (three per 30 s), else one of the
        # user's recovery codes, so that a short phase still gets its successes.
        u = totp_user("login_mfa")
        body.clear()
        body["mfa_token"] = mfa_ticket(u)
        try:
            body["code"] = u.code()
        except NoCode:
            with _lock:
                if not u.recovery:
                    raise
                body["recovery_code"] = u.recovery.pop()
    elif op == "login_mfa_passkey_start":
        body["mfa_token"] = mfa_ticket(totp_user("mfa_passkey", passkey=True))
    elif op == "passkey_login_finish":
        u = user("passkey_login")
        if not u.passkeys:
            u.add_passkey(u.login()[0])
        r = post("/api/passkeys/login/start", {})
        sent(r)
        start = r.json()
        body.update(challenge_id=start["challenge_id"],
                    credential=u.passkeys[0].assertion(start["options"]))
    elif op == "login_code_confirm":
        u = user("login_code")
        body["email"] = u.email
        body["code"] = code_after(u.email, len(mails_to(u.email)), lambda: sent(post(
            "/api/login/code/request", {"email": u.email})))


@schemathesis.hook
def after_call(context, case, response):
    op = op_id(case)
    status = response.status_code
    code = ""
    content_type = response.headers.get("content-type") or ""
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if content_type.startswith("application/problem+json"):
        try:
            code = response.json().get("code", "")
        except ValueError:
            code = "?"
    bearer = (case.headers or {}).get("Authorization", "")
    bearer = bearer[len("Bearer "):] if bearer.startswith("Bearer ") else None
    if bearer and (code == "invalid_token" or (200 <= status < 300 and op in ENDS_ITS_SESSION)):
        token_died(bearer)
    if 200 <= status < 300:
        body = case.body if isinstance(case.body, dict) else {}
        if op == "password_change" and isinstance(body.get("new_password"), str):
            user(op).password = body["new_password"]
        elif op == "delete_account":
            forget(op)
        elif op == "totp_enable" and user(op).pending_secret:
            u = user(op)
            u.totp_secret, u.recovery = u.pending_secret, response.json()["recovery_codes"]
        elif op == "totp_disable":
            u = user(op)
            u.totp_secret, u.recovery = None, []
        elif op == "recovery_codes":
            user(op).recovery = response.json()["recovery_codes"]
        elif op == "password_reset_confirm" and isinstance(body.get("new_password"), str):
            with _lock:
                reset = _users.get("reset")
                if reset is not None and body.get("email") == reset.email:
                    reset.password = body["new_password"]
    if STATUS_LOG:
        line = json.dumps({"op": op, "status": status, "code": code})
        with _log_lock, open(STATUS_LOG, "a") as f:
            f.write(line + "\n")
