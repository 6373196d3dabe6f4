"""Fake Amazon upstreams on one HTTPS port: Login with Amazon, Dash
Replenishment (deregistration, subscription info) and the Selling Partner API
notifications endpoint (deleteSubscriptionById).

They check what the real services check (method, path, version headers,
tokens and their expiry, content type) and answer as the vendor documents
describe, keeping state: a deregistered device's tokens are dead, a deleted
subscription is gone. Tests steer them through /__emulator/* (seed devices and
subscriptions, force a scenario, expire tokens, ask which LWA client a token
was issued to, replace an LWA client's secret, read recorded requests).

Documented behaviour followed here: ../../shared/reference/upstream-notes.md
sections 0-2, 4 and 6 (where a shape is unconfirmed, the emulator contract's
choice is used).
"""

import json
import re
import secrets
import time
import urllib.parse
import uuid

import https_emulator
from token_bucket import TokenBucket

DRS = "com.amazon.dash.replenishment."
DEREGISTER_V1 = DRS + "DrsDeregisterInput@1.0"
DEREGISTER_V2 = DRS + "DrsDeregisterInput@2.0"
DEREGISTER_RESULT = DRS + "DrsDeregisterResult@1.0"
SUBSCRIPTION_INPUT = DRS + "DrsSubscriptionInfoInput@1.0"
SUBSCRIPTION_RESULT_V1 = DRS + "DrsSubscriptionInfoResult@1.0"
SUBSCRIPTION_RESULT_V2 = DRS + "DrsSubscriptionInfoResult@2.0"
GRANTLESS_SCOPES = {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}

# Notification types of the Selling Partner API (notifications use-case guide).
NOTIFICATION_TYPES = {
    "ACCOUNT_STATUS_CHANGED", "ANY_OFFER_CHANGED", "B2B_ANY_OFFER_CHANGED",
    "BRANDED_ITEM_CONTENT_CHANGE", "DETAIL_PAGE_TRAFFIC_EVENT",
    "EXTERNAL_FULFILLMENT_SHIPMENT_STATUS_CHANGE", "FBA_INVENTORY_AVAILABILITY_CHANGES",
    "FBA_OUTBOUND_SHIPMENT_STATUS", "FEE_PROMOTION", "FEED_PROCESSING_FINISHED",
    "FULFILLMENT_ORDER_STATUS", "ITEM_INVENTORY_EVENT_CHANGE", "ITEM_PRODUCT_TYPE_CHANGE",
    "ITEM_SALES_EVENT_CHANGE", "LISTINGS_ITEM_ISSUES_CHANGE", "LISTINGS_ITEM_MFN_QUANTITY_CHANGE",
    "LISTINGS_ITEM_STATUS_CHANGE", "ORDER_CHANGE", "PRICING_HEALTH",
    "PRODUCT_TYPE_DEFINITIONS_CHANGE", "REPORT_PROCESSING_FINISHED",
    "SHIPMENT_TRACKING_MILESTONE_CHANGED", "TRANSACTION_UPDATE",
}

SP_DELETE = re.compile(r"^/notifications/v1/subscriptions/([^/]+)/([^/]+)$")
DRS_V1 = re.compile(r"^/deviceModels/([^/]+)/devices/([^/]+)/registration$")


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.lwa_clients = args.lwa_client
        self.token_lifetime = args.token_lifetime
        self.sp_rate, self.sp_burst = args.sp_rate, args.sp_burst
        super().__init__()

    def reset(self):
        super().reset()
        self.clients = dict(c.split(":", 1) for c in self.lwa_clients)
        self.sp_bucket = TokenBucket(self.sp_rate, self.sp_burst)
        self.access_tokens = {}   # token -> {"expires", "kind", "device", "client_id"}
        self.refresh_tokens = {}  # refresh token -> {"device", "client_id"}
        self.devices = {}         # device key -> {"model", "device", "registered", "slots"}
        self.subscriptions = set()

    def mint(self, kind, client_id, device=None):
        token = f"Atza|{kind}-{secrets.token_hex(12)}"
        self.access_tokens[token] = {"expires": time.time() + self.token_lifetime,
                                     "kind": kind, "device": device, "client_id": client_id}
        return token


class Handler(https_emulator.EmulatorHandler):
    def scenario_headers(self):
        return {"x-amzn-RequestId": str(uuid.uuid4())}

    def route(self, path, body):
        if path == "/auth/o2/token":
            return self.lwa(body)
        if path == "/registration" or DRS_V1.match(path):
            return self.drs_deregister(path)
        if path == "/subscriptionInfo":
            return self.drs_subscription_info()
        if SP_DELETE.match(path):
            return self.sp_delete(path)
        self.reply(404, {"message": "Not Found"})

    def control(self, verb, data):
        state = self.state
        if verb == "devices":
            key = f"{data['model']}/{data['device']}"
            state.devices[key] = {"model": data["model"], "device": data["device"],
                                  "registered": True, "slots": data.get("slots", {})}
            client_id = data.get("clientId") or next(iter(state.clients), "")
            refresh = f"Atzr|{secrets.token_hex(12)}"
            state.refresh_tokens[refresh] = {"device": key, "client_id": client_id}
            token = state.mint("device", client_id, key)
            return self.send(200, {"accessToken": token, "refreshToken": refresh})
        if verb == "subscriptions":
            state.subscriptions.add((data["notificationType"], data["subscriptionId"]))
            return self.send(200, {})
        if verb == "token-client":  # {"token": ...}: the LWA client it was issued to
            with state.lock:
                info = state.access_tokens.get(data.get("token", ""))
            return self.send(200, {"clientId": info["client_id"] if info else ""})
        if verb == "lwa-client":  # a new client secret: the old one is refused from now on
            with state.lock:
                state.clients[data["clientId"]] = data["clientSecret"]
            return self.send(200, {})
        if verb == "expire-tokens":  # {"kind": "grantless"} expires only those
            for info in state.access_tokens.values():
                if data.get("kind") in (None, info["kind"]):
                    info["expires"] = 0
            return self.send(200, {})
        return False

    def token_info(self, token):
        """(info, problem): problem is None, "unknown", "expired" or "revoked"."""
        info = self.state.access_tokens.get(token)
        if info is None:
            return None, "unknown"
        if info.get("revoked"):
            return info, "revoked"
        if info["expires"] <= time.time():
            return info, "expired"
        return info, None

    # ------------------------------------------------------------- LWA token
    def lwa(self, body):
        if self.command != "POST":
            return self.reply(405, {"error": "invalid_request", "error_description": "POST only"})
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return self.reply(400, {"error": "invalid_request",
                                    "error_description": "Content-Type must be form-encoded"})
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        grant = form.get("grant_type")
        if client_id == "lwa-500":
            return self.reply(500, {"error": "server_error", "error_description": "Internal error"})
        if client_id == "lwa-503":
            return self.reply(503, {"error": "temporarily_unavailable",
                                    "error_description": "Service unavailable"})
        if not grant:
            return self.reply(400, {"error": "invalid_request",
                                    "error_description": "The request is missing a required parameter : grant_type"})
        with self.state.lock:
            if self.state.clients.get(client_id) != secret or not secret:
                return self.reply(401, {"error_description": "Client authentication failed",
                                        "error": "invalid_client"})
            if grant == "refresh_token":
                refresh = form.get("refresh_token")
                if not refresh:
                    return self.reply(400, {"error": "invalid_request",
                                            "error_description": "The request is missing a required parameter : refresh_token"})
                info = self.state.refresh_tokens.get(refresh)
                if info is None or info.get("revoked") or info["client_id"] != client_id:
                    return self.reply(400, {"error_description": "The request has an invalid grant parameter : refresh_token",
                                            "error": "invalid_grant"})
                token = self.state.mint("device", client_id, info["device"])
                return self.reply(200, {"access_token": token, "refresh_token": refresh,
                                        "token_type": "bearer",
                                        "expires_in": self.state.token_lifetime})
            if grant == "client_credentials":
                scope = form.get("scope", "")
                if scope not in GRANTLESS_SCOPES:
                    return self.reply(400, {"error": "invalid_scope",
                                            "error_description": "The request has an invalid parameter : scope"})
                token = self.state.mint("grantless", client_id)
                return self.reply(200, {"access_token": token, "scope": scope,
                                        "token_type": "bearer",
                                        "expires_in": self.state.token_lifetime})
        return self.reply(400, {"error": "unsupported_grant_type",
                                "error_description": "The authorization grant type is not supported"})

    # --------------------------------------------------- Dash Replenishment
    def drs_auth(self, type_version, accept_types):
        """The device key, or None after answering the error."""
        authorization = self.headers.get("Authorization", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
        if token == "drs-500":
            self.reply(500, {"message": "Internal Server Error"})
            return None
        if self.headers.get("x-amzn-type-version") != type_version or \
                self.headers.get("x-amzn-accept-type") not in accept_types:
            message = "Unsupported x-amzn-type-version or x-amzn-accept-type"
        else:
            with self.state.lock:
                info, problem = self.token_info(token)
            if not problem and info["kind"] == "device":
                return info["device"]
            message = "Access token has expired" if problem == "expired" else "Invalid token"
        self.reply(400, {"message": message})
        return None

    def drs_deregister(self, path):
        if self.command != "DELETE":
            return self.reply(405, {"message": "Method Not Allowed"})
        match = DRS_V1.match(path)
        version = DEREGISTER_V1 if match else DEREGISTER_V2
        device = self.drs_auth(version, {DEREGISTER_RESULT})
        if device is None:
            return
        with self.state.lock:
            record = self.state.devices.get(device)
            if match:
                model = urllib.parse.unquote(match.group(1))
                serial = urllib.parse.unquote(match.group(2))
                if record is None or (record["model"], record["device"]) != (model, serial):
                    return self.reply(400, {"message": "Device does not match the access token"})
            if record is None or not record["registered"]:
                return self.reply(400, {"message": "Device is not registered"})
            record["registered"] = False
            # Deregistration invalidates every token of the device.
            for info in self.state.access_tokens.values():
                if info["device"] == device:
                    info["revoked"] = True
            for info in self.state.refresh_tokens.values():
                if info["device"] == device:
                    info["revoked"] = True
        self.reply(200, b"", {"x-amzn-type-version": DEREGISTER_RESULT})

    def drs_subscription_info(self):
        if self.command != "GET":
            return self.reply(405, {"message": "Method Not Allowed"})
        device = self.drs_auth(SUBSCRIPTION_INPUT, {SUBSCRIPTION_RESULT_V1, SUBSCRIPTION_RESULT_V2})
        if device is None:
            return
        accept = self.headers.get("x-amzn-accept-type")
        with self.state.lock:
            slots = self.state.devices[device]["slots"]
        if accept == SUBSCRIPTION_RESULT_V2:
            status = {slot: {"productInfoList": info.get("productInfoList", []),
                             "subscribed": info.get("subscribed", False)}
                      for slot, info in slots.items()}
        else:
            status = {slot: info.get("subscribed", False) for slot, info in slots.items()}
        self.reply(200, {"slotsSubscriptionStatus": status}, {"x-amzn-type-version": accept})

    # ------------------------------------------------- Selling Partner API
    def sp_reply(self, status, body, extra=None):
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if status in (200, 400, 404):
            headers["x-amzn-RateLimit-Limit"] = "1.0"
        headers.update(extra or {})
        self.reply(status, body, headers, "application/json")

    def sp_error(self, status, code, message, details=None, extra=None):
        error = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        self.sp_reply(status, {"errors": [error]}, extra)

    def sp_delete(self, path):
        if self.command != "DELETE":
            return self.sp_error(405, "MethodNotAllowed", "Method not allowed")
        match = SP_DELETE.match(path)
        notification_type = urllib.parse.unquote(match.group(1))
        subscription_id = urllib.parse.unquote(match.group(2))
        token = self.headers.get("x-amz-access-token")
        if not token:
            return self.sp_error(403, "MissingAuthenticationToken",
                                 "Access to requested resource is denied.",
                                 extra={"x-amzn-ErrorType": "MissingAuthenticationTokenException"})
        with self.state.lock:
            info, problem = self.token_info(token)
            if problem == "expired":
                return self.sp_error(403, "Unauthorized", "Access to requested resource is denied.",
                                     "The access token you provided has expired.")
            if problem or info["kind"] != "grantless":
                return self.sp_error(403, "Unauthorized", "Access to requested resource is denied.",
                                     "The access token you provided is revoked, malformed or invalid.")
            if not self.state.sp_bucket.take() or subscription_id == "sub-429":
                self.state.count("throttled")
                return self.sp_error(429, "QuotaExceeded",
                                     "You exceeded your quota for the requested resource.", "")
            if self.headers.get("Content-Type") not in (None, "", "application/json"):
                return self.sp_error(415, "UnsupportedMediaType",
                                     "The request payload is in an unsupported format.")
            if notification_type not in NOTIFICATION_TYPES:
                return self.sp_error(400, "InvalidInput",
                                     f"{notification_type} is not a valid notification type.")
            if subscription_id == "sub-409":
                return self.sp_error(409, "Conflict",
                                     "The resource specified conflicts with the current state.")
            if subscription_id in ("sub-500", "sub-503"):
                code = 500 if subscription_id == "sub-500" else 503
                return self.sp_error(code, "InternalFailure" if code == 500 else "ServiceUnavailable",
                                     "We encountered an internal error. Please try again.")
            key = (notification_type, subscription_id)
            if key not in self.state.subscriptions:
                return self.sp_error(404, "NotFound", "The resource specified does not exist.")
            self.state.subscriptions.discard(key)
        self.sp_reply(200, {})


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--lwa-client", action="append", default=[],
                        help="client_id:client_secret the token endpoint accepts (repeatable)")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="expires_in, seconds")
    parser.add_argument("--sp-rate", type=float, default=1.0, help="SP-API requests per second")
    parser.add_argument("--sp-burst", type=int, default=5)
    args = parser.parse_args()
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
