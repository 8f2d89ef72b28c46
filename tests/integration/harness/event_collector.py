"""An HTTP endpoint on 127.0.0.1 that Janus's stock sample event handler (janus.eventhandler.sampleevh)
POSTs its events to: one JSON object per request, or an array of them when it groups events.

A module sets EVENT_COLLECTOR = True (or a dict of sampleevh options such as {"events": "plugins"})
and the janus fixture starts one of these first, loads the event handler, and hangs it on the
process as janus.events.
"""
import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PLUGIN_EVENT = 64  # JANUS_EVENT_TYPE_PLUGIN


class EventCollector:
    def __init__(self):
        self.events = []        # every event received, in arrival order
        self.posts = 0          # HTTP requests
        self.grouped_posts = 0  # of which JSON arrays
        self.malformed = []     # bodies that were not JSON
        self._changed = threading.Condition()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                with collector._changed:
                    collector.posts += 1
                    if data is None:
                        collector.malformed.append(body)
                    elif isinstance(data, list):
                        collector.grouped_posts += 1
                        collector.events.extend(data)
                    else:
                        collector.events.append(data)
                    collector._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self._server.server_address[1]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def handler_options(self, events="all", grouping=True):
        return {"backend": self.url, "events": events, "grouping": grouping}

    def plugin_events(self, package):
        """The "data" of every plugin event (type 64) from package, with the envelope's session
        and handle ids added as "_session_id", "_handle_id"."""
        with self._changed:
            found = []
            for event in self.events:
                body = event.get("event") or {}
                if event.get("type") == PLUGIN_EVENT and body.get("plugin") == package:
                    data = dict(body.get("data") or {})
                    data["_session_id"] = event.get("session_id")
                    data["_handle_id"] = event.get("handle_id")
                    found.append(data)
            return found

    def wait_for(self, package, predicate, timeout=10.0):
        """The first plugin event of package for which predicate(data) holds, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for data in self.plugin_events(package):
                    if predicate(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s event matching the test within %.0f s; got %s"
                                         % (package, timeout, json.dumps(self.plugin_events(package))[:3000]))
                self._changed.wait(left)

    async def wait(self, package, predicate, timeout=10.0):
        return await asyncio.to_thread(self.wait_for, package, predicate, timeout)
