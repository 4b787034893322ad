"""A small OpenAI-compatible chat-completions server for judge tests, run as its own process.

    python tests/judge_server.py MODE [REPLY]

MODE is `ok` (answer REPLY; with REPLY "auto", the first number in a MathVista response), `fail` (HTTP 500 every
time) or `slow` (sleep 30 s before answering). It listens on 127.0.0.1 on a free port and prints
the port on its first line. GET /stats returns {"chat_requests": n, "authorization": [headers seen]},
so tests can count HTTP calls and check which key was sent.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"
REPLY = sys.argv[2] if len(sys.argv) > 2 else "auto"
_lock = threading.Lock()
_stats: dict = {"chat_requests": 0, "authorization": []}


def auto_reply(prompt: str) -> str:
    """What a MathVista extraction judge might say: the first number in the model's response."""
    response = prompt.rsplit("\n\nExtracted answer: ", 1)[0].rsplit("\n\n", 1)[-1]
    number = re.search(r"-?\d+(?:\.\d+)?", response)
    return number.group(0) if number else "none"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
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
        if MODE == "fail":
            self._send(500, {"error": {"message": "internal error"}})
            return
        if MODE == "slow":
            time.sleep(30)
        prompt = request["messages"][-1]["content"]
        content = auto_reply(prompt) if REPLY == "auto" else REPLY
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
