"""An HTTP server for kerascope's remote tests: serves a folder, honours Range (bytes=a-b,
bytes=a-, bytes=-n), and misbehaves on purpose under some path prefixes:

  /ok/NAME          served properly
  /flaky/NAME       the first GET of each NAME answers 500, the next ones properly
  /stall/NAME       the first GET of each NAME waits 10 s before answering (a timeout)
  /ignore-range/NAME  always 200 with the whole body, whatever Range says
  /truncate/NAME    206 announcing the range asked, but sends half of it and closes
  /forbidden/NAME   403
  (a NAME that does not exist: 404)

GET /__stats answers {"requests": {prefix: count}, "bytes": {prefix: bytes}}.

Usage: range_server.py FOLDER PORT_FILE [--latency SECONDS]
The server binds 127.0.0.1 on a free port, writes the port to PORT_FILE, and serves until
killed. With --latency, every request waits that long first (the benchmark's proxy).
"""

import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(sys.argv[1])
PORT_FILE = sys.argv[2]
LATENCY = float(sys.argv[sys.argv.index("--latency") + 1]) if "--latency" in sys.argv else 0.0
LOCK = threading.Lock()
STATS = {"requests": {}, "bytes": {}}
FLAKY_SEEN = set()


def count(prefix, sent):
    with LOCK:
        STATS["requests"][prefix] = STATS["requests"].get(prefix, 0) + 1
        STATS["bytes"][prefix] = STATS["bytes"].get(prefix, 0) + sent


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_plain(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if LATENCY:
            time.sleep(LATENCY)
        if self.path == "/__stats":
            with LOCK:
                return self.send_plain(200, json.dumps(STATS).encode())
        parts = self.path.lstrip("/").split("/", 1)
        if len(parts) != 2:
            return self.send_plain(404)
        mode, name = parts
        path = os.path.normpath(os.path.join(ROOT, name))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            count(mode, 0)
            return self.send_plain(404)
        if mode == "forbidden":
            count(mode, 0)
            return self.send_plain(403)
        if mode in ("flaky", "stall") and self.command == "GET":
            with LOCK:
                first = (mode, name) not in FLAKY_SEEN
                FLAKY_SEEN.add((mode, name))
            if first and mode == "flaky":
                count(mode, 0)
                return self.send_plain(500, b"try again")
            if first:
                time.sleep(10)
        size = os.path.getsize(path)
        start, end = 0, size  # end exclusive
        ranged = False
        header = self.headers.get("Range")
        if header and mode != "ignore-range":
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
            if not m or (m.group(1) == "" and m.group(2) == ""):
                return self.send_plain(416)
            if m.group(1) == "":
                start, end = max(0, size - int(m.group(2))), size
            else:
                start = int(m.group(1))
                end = size if m.group(2) == "" else min(size, int(m.group(2)) + 1)
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ranged = True
        self.send_response(206 if ranged else 200)
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", "Mon, 07 Dec 2026 00:00:00 GMT")
        self.send_header("ETag", f'"{size}"')
        self.end_headers()
        if self.command == "HEAD":
            return count(mode, 0)
        send = end - start
        if mode == "truncate":
            send //= 2
        sent = 0
        try:
            with open(path, "rb") as f:
                f.seek(start)
                while sent < send:
                    chunk = f.read(min(1 << 20, send - sent))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        count(mode, sent)
        if mode == "truncate":
            self.close_connection = True


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
