"""A cheaper APNs stand-in for bench/push_bench.py: raw python3-h2 on asyncio (no hypercorn, no
ASGI layers), so that the stand-in, not janus, stops being what limits pushes/s. It checks what
APNs checks, as tests/integration/harness/push_standin.py does: HTTP/2 only (TLS with ALPN h2;
an HTTP/1.1 push is refused 505), `authorization: bearer <JWT>` verified ES256 with the provider
key's public half, header `alg` ES256 and `kid`, claims `iss` (team) and `iat` (not older than an
hour), `apns-topic` (a configured bundle id, `.voip` exactly for `apns-push-type: voip`),
`apns-push-type` voip/alert/background, `apns-priority` 5/10, a numeric `apns-expiration`; a
device token starting `gone-` answers 410. Like APNs, which validates a provider token once and
then only its age (a token is reused for up to an hour), the signature of each distinct token is
verified once and remembered; its `iat` is checked on every push.

APNs only (the bench pushes to APNs); `GET /_control/received` and `POST /_control/reset` as in
the hypercorn stand-in, over HTTP/2 or HTTP/1.1 (the bench's control client). Configured by
PUSH_STANDIN_CONFIG as the other one.

    python3 bench/push_standin_fast.py --port P --certfile server.pem --keyfile server.key
"""
import argparse
import asyncio
import json
import os
import secrets
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import jwt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from harness.push_standin import CONFIG, configure  # noqa: E402  (the same config and keys)

RECEIVED = []
VERIFIED = {}  # provider token -> its claims, once its signature and header checked out


def check_apns(headers, token):
    """None if APNs would accept the request, else (status, reason)."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("bearer "):
        return 403, "MissingProviderToken"
    provider_token = authorization[len("bearer "):]
    claims = VERIFIED.get(provider_token)
    if claims is None:
        try:
            header = jwt.get_unverified_header(provider_token)
            claims = jwt.decode(provider_token, CONFIG["apns_public_key_pem"], algorithms=["ES256"],
                                options={"verify_aud": False, "require": ["iss", "iat"]})
        except jwt.PyJWTError:
            return 403, "InvalidProviderToken"
        if header.get("alg") != "ES256" or header.get("kid") != CONFIG["apns_key_id"] or \
                claims["iss"] != CONFIG["apns_team"]:
            return 403, "InvalidProviderToken"
        VERIFIED[provider_token] = claims
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


def handle(method, path, headers, body, http_version):
    """(status, extra headers, body bytes) for one request."""
    if path == "/_control/received":
        return 200, [], json.dumps(RECEIVED).encode()
    if path == "/_control/reset" and method == "POST":
        RECEIVED.clear()
        VERIFIED.clear()
        return 200, [], b"{}"
    if not (path.startswith("/3/device/") and method == "POST"):
        return 404, [], b'{"reason": "no such path (this stand-in serves APNs only)"}'
    record = {"path": path, "method": method, "http_version": http_version, "service": "apns",
              "token": path[len("/3/device/"):], "arrived": time.time()}
    RECEIVED.append(record)
    try:
        record["body"] = json.loads(body or b"null")
    except ValueError:
        record["body"], record["error"], record["answered"] = None, "BadPayload", 400
        return 400, [], b'{"reason": "BadPayload"}'
    failure = (505, "not HTTP/2") if http_version != "2" else check_apns(headers, record["token"])
    record["answered"] = failure[0] if failure else 200
    if failure:
        record["error"] = failure[1]
        return failure[0], [], json.dumps({"reason": failure[1]}).encode()
    return 200, [("apns-id", secrets.token_hex(16))], b""


class Http2(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.h2 = transport.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"
        self.streams = {}
        self.buffer = b""
        if self.h2:
            self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False,
                                                                             header_encoding="utf-8"))
            self.conn.initiate_connection()
            self.conn.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
            transport.write(self.conn.data_to_send())

    def data_received(self, data):
        if not self.h2:
            return self.http1(data)
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.transport.write(self.conn.data_to_send())
            self.transport.close()
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self.streams[event.stream_id] = (dict(event.headers), bytearray())
            elif isinstance(event, h2.events.DataReceived):
                self.streams[event.stream_id][1].extend(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, body = self.streams.pop(event.stream_id)
                status, extra, payload = handle(headers.get(":method"), headers.get(":path"), headers, bytes(body), "2")
                response = [(":status", str(status)), ("content-length", str(len(payload)))] + extra
                self.conn.send_headers(event.stream_id, response, end_stream=not payload)
                if payload:
                    self.conn.send_data(event.stream_id, payload, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.transport.close()
        self.transport.write(self.conn.data_to_send())

    def http1(self, data):
        # The control client only (urllib): one request per connection, Content-Length bodies.
        self.buffer += data
        head, sep, rest = self.buffer.partition(b"\r\n\r\n")
        if not sep:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        if len(rest) < int(headers.get("content-length", "0")):
            return
        status, extra, payload = handle(method, path, headers, rest, "1.1")
        lines = ["HTTP/1.1 %d X" % status, "Content-Length: %d" % len(payload), "Connection: close"]
        lines += ["%s: %s" % pair for pair in extra]
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        self.transport.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    options = parser.parse_args()
    configure()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options.certfile, options.keyfile)
    context.set_alpn_protocols(["h2", "http/1.1"])

    async def serve():
        server = await asyncio.get_running_loop().create_server(Http2, "127.0.0.1", options.port, ssl=context)
        async with server:
            await server.serve_forever()
    asyncio.run(serve())


if __name__ == "__main__":
    main()
