"""A scripted upstream on 127.0.0.1: the real HTTP stack talks to it, retries and all.

Only the network of the upstream APIs is replaced; the replies are saved responses in the
upstreams' own formats.
"""

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (to provoke read timeouts)

    @classmethod
    def file(cls, path: Path, content_type: str = "application/json", **kw: object) -> "Reply":
        """A saved response body, served as it was recorded."""
        return cls(body=path.read_bytes(), headers={"Content-Type": content_type}, **kw)  # type: ignore[arg-type]


@dataclass
class Seen:
    """A request the upstream received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeUpstream:
    """Serve scripted replies per path; the last reply of a path repeats."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self.seen: list[Seen] = []
        self.matchers: list[tuple[str, dict[str, str], Reply]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                upstream.seen.append(Seen(parts.path, query, dict(self.headers)))
                reply = upstream._reply(parts.path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _reply(self, path: str, query: dict[str, list[str]]) -> Reply:
        for want_path, want_query, reply in self.matchers:
            if want_path == path and all(
                query.get(k, [None])[0] == v for k, v in want_query.items()
            ):
                return reply
        queue = self.scripts.get(path)
        if not queue:
            return Reply(404, b'{"error": "not found"}', {"Content-Type": "application/json"})
        return queue.popleft() if len(queue) > 1 else queue[0]

    def script(self, path: str, *replies: Reply) -> None:
        """Answer requests for `path` with these replies in turn, the last one for ever."""
        self.scripts[path] = deque(replies)

    def match(self, path: str, query: dict[str, str], reply: Reply) -> None:
        """Answer requests for `path` whose query has these values (e.g. an offset) with `reply`."""
        self.matchers.append((path, query, reply))

    @property
    def base(self) -> str:
        """The upstream's base URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeUpstream":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
