"""A loopback stand-in for APNs, Google's OAuth2 token endpoint and FCM HTTP v1, run by
hypercorn over TLS (HTTP/2 through ALPN). It checks what the real services check and records
every request for the tests:

- APNs `POST /3/device/<token>`: HTTP/2 only; `authorization: bearer <JWT>` verified ES256
  with the provider key's public half, header `kid`, claims `iss` (team) and `iat` (not older
  than an hour); `apns-topic` one of the configured bundle ids (`.voip` for `apns-push-type:
  voip`), `apns-push-type` voip/alert/background, `apns-priority` 5/10.
- OAuth2 `POST /token`: the RFC 7523 JWT-bearer grant, the assertion verified RS256 with the
  service account's public key, `iss`, `aud` (this endpoint), `scope`, `exp` <= `iat` + 3600;
  answers an access token.
- FCM `POST /v1/projects/<id>/messages:send`: HTTP/2, `authorization: Bearer` with a token this
  stand-in issued, the project configured, a `message.token`.

Errors on demand: a device token starting with `gone-` answers 410 (APNs) or 404 UNREGISTERED
(FCM); `POST /_control/mode {"mode": "normal"|"stall"|"error503"}` makes every push stall
(never answered while the mode lasts) or answer 503. `GET /_control/received` lists what came.
Configured by environment variables (see `configure`): `PUSH_STANDIN_CONFIG` names a JSON file.
"""
import asyncio
import json
import os
import secrets
import time
import urllib.parse

import jwt

CONFIG = {}
RECEIVED = []
ACCESS_TOKENS = set()
MODE = {"mode": "normal"}


def configure():
    if not CONFIG:
        with open(os.environ["PUSH_STANDIN_CONFIG"]) as source:
            CONFIG.update(json.load(source))
        for name in ("apns_public_key", "fcm_public_key"):
            with open(CONFIG[name]) as key:
                CONFIG[name + "_pem"] = key.read()


async def read_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def respond(send, status, payload=None, headers=()):
    data = json.dumps(payload).encode() if payload is not None else b""
    head = [(b"content-type", b"application/json")] + list(headers)
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": data})


def check_apns(headers, token):
    """None if the request is what APNs accepts, else (status, reason)."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("bearer "):
        return 403, "MissingProviderToken"
    provider_token = authorization[len("bearer "):]
    try:
        header = jwt.get_unverified_header(provider_token)
        claims = jwt.decode(provider_token, CONFIG["apns_public_key_pem"], algorithms=["ES256"],
                            options={"verify_aud": False, "require": ["iss", "iat"]})
    except jwt.PyJWTError:
        return 403, "InvalidProviderToken"
    if header.get("alg") != "ES256" or header.get("kid") != CONFIG["apns_key_id"] or claims["iss"] != CONFIG["apns_team"]:
        return 403, "InvalidProviderToken"
    if claims["iat"] < time.time() - 3600:
        return 403, "ExpiredProviderToken"
    push_type = headers.get("apns-push-type")
    if push_type not in ("voip", "alert", "background"):
        return 400, "InvalidPushType"
    topic = headers.get("apns-topic", "")
    base = topic[:-len(".voip")] if topic.endswith(".voip") else topic
    if base not in CONFIG["apns_topics"] or (push_type == "voip") != topic.endswith(".voip"):
        return 400, "BadTopic"
    if headers.get("apns-priority") not in ("5", "10"):
        return 400, "BadPriority"
    if not headers.get("apns-expiration", "").isdigit():
        return 400, "BadExpirationDate"
    if token.startswith("gone-"):
        return 410, "Unregistered"
    return None


def check_assertion(form):
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return "unsupported_grant_type"
    try:
        claims = jwt.decode(form.get("assertion", ""), CONFIG["fcm_public_key_pem"], algorithms=["RS256"],
                            audience=CONFIG["token_url"], options={"require": ["iss", "aud", "iat", "exp", "scope"]})
    except jwt.PyJWTError as error:
        return "invalid_grant: %s" % error
    if claims["iss"] != CONFIG["client_email"] or claims["exp"] - claims["iat"] > 3600:
        return "invalid_grant: iss or lifetime"
    if "https://www.googleapis.com/auth/firebase.messaging" not in claims["scope"].split():
        return "invalid_scope"
    return None


async def push_mode():
    """Stalls while the mode is stall; the status to answer with in error503 mode."""
    while MODE["mode"] == "stall":
        await asyncio.sleep(0.05)
    return 503 if MODE["mode"] == "error503" else None


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                configure()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    configure()
    path, method = scope["path"], scope["method"]
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    body = await read_body(receive)
    arrived = time.time()
    if path == "/_control/received":
        return await respond(send, 200, RECEIVED)
    if path == "/_control/mode" and method == "POST":
        MODE.update(json.loads(body))
        return await respond(send, 200, MODE)
    if path == "/_control/reset" and method == "POST":
        RECEIVED.clear()
        MODE["mode"] = "normal"
        return await respond(send, 200, {})
    record = {"path": path, "method": method, "http_version": scope.get("http_version"), "headers": headers,
              "arrived": arrived}
    if path.startswith("/3/device/") and method == "POST":
        record["service"] = "apns"
        record["token"] = path[len("/3/device/"):]
        record["body"] = json.loads(body or b"null")
        if scope.get("http_version") != "2":
            record["error"] = "not HTTP/2"
            RECEIVED.append(record)
            return await respond(send, 505, {"reason": "HTTP/2 required"})
        failure = check_apns(headers, record["token"])
        RECEIVED.append(record)  # listed on arrival: a stalled push shows before it is answered
        status = await push_mode() if failure is None else None
        record["answered"] = status or (failure[0] if failure else 200)
        if failure:
            record["error"] = failure[1]
        if status:
            return await respond(send, status, {"reason": "ServiceUnavailable"})
        if failure:
            return await respond(send, failure[0], {"reason": failure[1]})
        return await respond(send, 200, None, [(b"apns-id", secrets.token_hex(16).encode())])
    if path == "/token" and method == "POST":
        form = dict(urllib.parse.parse_qsl(body.decode()))
        record["service"] = "oauth2"
        failure = check_assertion(form)
        record["error"] = failure
        RECEIVED.append(record)
        if failure:
            return await respond(send, 400, {"error": failure})
        token = "ya29." + secrets.token_urlsafe(24)
        ACCESS_TOKENS.add(token)
        return await respond(send, 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
    prefix = "/v1/projects/%s/messages:send" % CONFIG["fcm_project"]
    if path.startswith("/v1/projects/") and method == "POST":
        record["service"] = "fcm"
        record["body"] = json.loads(body or b"null")
        message = (record["body"] or {}).get("message", {})
        record["token"] = message.get("token", "")
        authorization = headers.get("authorization", "")
        failure = None
        if scope.get("http_version") != "2":
            failure = (505, "not HTTP/2")
        elif path != prefix:
            failure = (404, "NOT_FOUND: unknown project")
        elif not authorization.startswith("Bearer ") or authorization[7:] not in ACCESS_TOKENS:
            failure = (401, "UNAUTHENTICATED")
        elif not record["token"]:
            failure = (400, "INVALID_ARGUMENT")
        elif record["token"].startswith("gone-"):
            failure = (404, "UNREGISTERED")
        RECEIVED.append(record)
        status = await push_mode() if failure is None else None
        record["answered"] = status or (failure[0] if failure else 200)
        if failure:
            record["error"] = failure[1]
        if status:
            return await respond(send, status, {"error": {"code": status, "status": "UNAVAILABLE"}})
        if failure:
            return await respond(send, failure[0], {"error": {"code": failure[0], "status": failure[1].split(":")[0],
                                                              "details": [{"errorCode": failure[1].split(":")[0]}]}})
        return await respond(send, 200, {"name": "projects/%s/messages/%s" % (CONFIG["fcm_project"], secrets.token_hex(8))})
    return await respond(send, 404, {"reason": "no such path"})
