"""A small OpenAI-compatible chat-completions server for judge and model-adapter tests, run as its own process.

    python tests/judge_server.py MODE [REPLY]

MODE is `ok` (answer REPLY; with REPLY "auto", the first number in a MathVista response; with REPLY "model",
"yes" or "no" decided by a hash of the whole request, as a deterministic stand-in for a VLM), `fail` (HTTP 500
every time), `slow` (sleep 30 s before answering) or `flaky` (as `ok`, but the first time it sees a request
whose hash is even it refuses it with HTTP 503 or 429, so clients must retry; which requests fail once does
not depend on their order or concurrency). It listens on 127.0.0.1 on a free port and prints
the port on its first line. GET /stats returns {"chat_requests": n, "authorization": [headers seen],
"requests": [summary of each request body]}, so tests can count HTTP calls, check which key was sent and
what was asked (sampling settings, the kinds of content parts, the image URLs' prefixes) and when (`time`,
seconds since the epoch, as the server received it).

Whatever the MODE, a request's model name can pick a hostile behaviour, so one test asks for one case:

    retry-after:N        the first time it sees a request, HTTP 429 with `Retry-After: N` (seconds)
    retry-after-date:N   the same, with `Retry-After` as an HTTP date N seconds ahead
    empty                answers with an empty string, as a server stopping at a stop string does
    echo-auth[:N]        HTTP 401 whose body echoes the Authorization header and the request path (after N
                         characters of padding, so a test can put the key across a cut)
    echo-auth-answer     answers 200 with the Authorization header and the request path as its text
    huge:N               answers "yes" followed by N characters, whatever max_tokens says
    drip:S               sends an answer's headers, then its body one byte every S seconds
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"
REPLY = sys.argv[2] if len(sys.argv) > 2 else "auto"
_lock = threading.Lock()
_stats: dict = {"chat_requests": 0, "authorization": [], "requests": [], "refused": 0}
_seen: set[bytes] = set()


def auto_reply(prompt: str) -> str:
    """What a MathVista extraction judge might say: the first number in the model's response."""
    response = prompt.rsplit("\n\nExtracted answer: ", 1)[0].rsplit("\n\n", 1)[-1]
    number = re.search(r"-?\d+(?:\.\d+)?", response)
    return number.group(0) if number else "none"


def request_digest(request: dict) -> bytes:
    return hashlib.sha256(json.dumps(request["messages"], sort_keys=True).encode()).digest()


def model_reply(request: dict) -> str:
    return "yes" if request_digest(request)[0] % 2 == 0 else "no"


def summary(request: dict) -> dict:
    """What a test may want to know about a request body, without its (large) image data."""
    content = request["messages"][-1]["content"]
    parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
    return {
        "model": request.get("model"),
        "temperature": request.get("temperature"),
        "seed": request.get("seed"),
        "max_tokens": request.get("max_tokens"),
        "stop": request.get("stop"),
        "roles": [message["role"] for message in request["messages"]],
        "parts": [part["type"] for part in parts],
        "image_urls": [part["image_url"]["url"][:22] for part in parts if part["type"] == "image_url"],
        "text": "".join(part.get("text", "") for part in parts),
        "time": time.time(),
    }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with _lock:
            self._send(200, dict(_stats))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        with _lock:
            _stats["chat_requests"] += 1
            _stats["authorization"].append(self.headers.get("Authorization"))
            _stats["requests"].append(summary(request))
            digest = request_digest(request)
            first_time = digest not in _seen
            refuse = MODE == "flaky" and digest[1] % 2 == 0 and first_time
            _seen.add(digest)
            _stats["refused"] += refuse
        if self._hostile(request, first_time):
            return
        if refuse:
            self._send(503 if digest[2] % 2 else 429, {"error": {"message": "try again"}})
            return
        if MODE == "fail":
            self._send(500, {"error": {"message": "internal error"}})
            return
        if MODE == "slow":
            time.sleep(30)
        if REPLY == "model":
            content = model_reply(request)
        elif REPLY == "auto":
            content = auto_reply(request["messages"][-1]["content"])
        else:
            content = REPLY
        self._answer(request, content)

    def _hostile(self, request: dict, first_time: bool) -> bool:
        """The behaviour the request's model name picks (see the module's text); False when it picks none."""
        kind, _, value = str(request.get("model", "")).partition(":")
        echoed = f"{self.headers.get('Authorization')} {self.path}"
        if kind in ("retry-after", "retry-after-date") and first_time:
            wait = formatdate(time.time() + float(value), usegmt=True) if kind == "retry-after-date" else value
            self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": wait})
        elif kind == "echo-auth":
            padding = "x" * int(value or 0)
            self._send(401, {"error": {"message": f"{padding}Incorrect API key provided: {echoed}"}})
        elif kind == "drip":
            self._drip(float(value))
        elif kind in ("empty", "echo-auth-answer", "huge"):
            answers = {"empty": "", "echo-auth-answer": f"you sent {echoed}"}
            self._answer(request, answers[kind] if kind in answers else "yes" + "x" * int(value))
        else:
            return False
        return True

    def _drip(self, pause: float) -> None:
        body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "yes"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(pause)
        except OSError:  # the client gave up
            pass

    def _answer(self, request: dict, content: str) -> None:
        self._send(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            },
        )


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
