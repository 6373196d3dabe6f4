"""The AWS access keys the emulated services know, shared between processes.

Real AWS services accept any key IAM or STS issued; here the issuing
emulators (STS, instance metadata, the container endpoint) and the
verifying ones (STS itself, SMS and Voice) are separate processes, so the
keys live in one JSON file: long-term keys a test seeds, temporary ones the
issuers add. Writers lock the file and replace it whole; readers see either
the old or the new file, never half of one.

Each key: its secret, its session token (None for long-term keys), when it
expires (epoch seconds, None for never) and the principal it belongs to (an
IAM user or assumed-role ARN, for the trust checks of AssumeRole).
"""

import datetime
import fcntl
import hashlib
import json
import os
import secrets
import time


def iso8601(epoch):
    """AWS's timestamp form: 2024-05-01T12:00:00Z."""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class KeyStore:
    def __init__(self, path):
        self.path = path
        self._lock_path = path + ".lock"

    def _read(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _update(self, change):
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            keys = self._read()
            change(keys)
            # Keys expired an hour ago are of no use to anyone.
            now = time.time()
            keys = {k: v for k, v in keys.items()
                    if v.get("expires") is None or v["expires"] > now - 3600}
            temporary = self.path + f".{os.getpid()}.tmp"
            with open(temporary, "w") as f:
                json.dump(keys, f)
            os.replace(temporary, self.path)

    def add(self, akid, secret, token=None, expires=None, principal=None):
        def change(keys):
            keys[akid] = {"secret": secret, "token": token, "expires": expires,
                          "principal": principal}
        self._update(change)

    def lookup(self, akid):
        """(secret, token, expires, principal) or None."""
        entry = self._read().get(akid)
        if entry is None:
            return None
        return entry["secret"], entry["token"], entry["expires"], entry["principal"]

    def issue(self, principal, lifetime_s, seed=None):
        """Temporary credentials for `principal`, valid `lifetime_s` seconds.

        With a `seed` the keys are derived from it (the same seed gives the
        same keys); otherwise they are random, as AWS's are.
        """
        if seed is None:
            material = secrets.token_hex(32)
        else:
            material = hashlib.sha256(seed.encode()).hexdigest()
        akid = "ASIA" + material[:16].upper()
        secret = material[16:56]
        token = "FQoGZXIvYXdzE" + hashlib.sha256(("token" + material).encode()).hexdigest()
        expires = int(time.time() + lifetime_s)
        self.add(akid, secret, token, expires, principal)
        return {"AccessKeyId": akid, "SecretAccessKey": secret, "SessionToken": token,
                "Expiration": iso8601(expires), "expires": expires}


class Verifier:
    """What aws_sigv4.verify reads: akid -> (secret, token, expires), from
    the store, plus the keys given at start-up."""

    def __init__(self, store, static=None):
        self.store = store
        self.static = dict(static or {})

    def get(self, akid):
        if akid in self.static:
            secret, token = self.static[akid]
            return secret, token, None
        found = self.store.lookup(akid) if self.store is not None else None
        if found is None:
            return None
        secret, token, expires, _ = found
        return secret, token, expires

    def principal(self, akid):
        found = self.store.lookup(akid) if self.store is not None else None
        return found[3] if found else None
