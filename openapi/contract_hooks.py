"""Schemathesis hooks for scripts/contract.sh: the signed-in operations are reached for real.

- Every bearer operation gets a live token. The operations that end sessions or change the
  account (log out, log out everywhere, end a session, change the password, delete the
  account, email change) never use the shared user's session: each gets its own session,
  and the ones that end every session or the account use a user of their own. The shared
  user's token is fetched again whenever an answer says `invalid_token`.
- Some positive cases get, in place of a generated value that can never be right, the real
  one (the user's password, a code read from the mail catcher, a live refresh token or
  session id), so that those operations answer 2xx too; every check still runs on them.
- Every answer's operation, status and problem code goes to $CONTRACT_STATUS_LOG, which
  contract.sh reads to fail a run in which an operation never answered 2xx (or a limit
  never answered, for the limits run).

Environment: BASE_URL, MAILDEV_URL (as for contract.sh), CONTRACT_STATUS_LOG,
CONTRACT_INTROSPECTION_SECRET, CONTRACT_AUTH (0: no sessions, for the limits run),
CONTRACT_REAL_SHARE (the share of positive cases given real values; 0 for the limits run).
"""

import itertools
import json
import os
import random
import re
import string
import threading
import time

import requests
import schemathesis
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

    def login(self):
        return login(self.username, self.password)


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
            "recovery_codes", "not_me"}


# Operations whose success ends the session they were called with.
ENDS_ITS_SESSION = {"logout", "end_session", "logout_all", "delete_account"}
# Operations that take a step-up proof (a password, and a code when TOTP is on).
STEP_UP = {"totp_setup", "passkey_register_start", "delete_passkey", "recovery_codes"}


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


# The limits run (CONTRACT_AUTH=0) signs nobody in: there the bearer operations answer 401.
if os.environ.get("CONTRACT_AUTH", "1") != "0":
    schemathesis.auth(refresh_interval=None)(ContractAuth)


def make_real(case, data):
    """Puts the real value where a generated one can never be right (see the module doc)."""
    op = op_id(case)
    body = case.body if isinstance(case.body, dict) else None
    if op == "end_session":
        case.path_parameters = {**(case.path_parameters or {}),
                                "id": current_session_id(data["token"])}
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
        elif op == "password_reset_confirm" and isinstance(body.get("new_password"), str):
            with _lock:
                reset = _users.get("reset")
                if reset is not None and body.get("email") == reset.email:
                    reset.password = body["new_password"]
    if STATUS_LOG:
        line = json.dumps({"op": op, "status": status, "code": code})
        with _log_lock, open(STATUS_LOG, "a") as f:
            f.write(line + "\n")
