#!/usr/bin/env python3
"""Serves the web build the way a real host should (see the README's "Hosting").

    python3 web/serve.py DIR PORT

- `.wasm` as `application/wasm`, so the browser compiles while it downloads;
- a file's precompressed twin (`X.br`, else `X.gz`) when the browser accepts that
  encoding, with `Content-Encoding` and `Vary: Accept-Encoding`;
- `Cache-Control: no-cache` with an ETag, so a reload revalidates instead of
  downloading again, and a new build is never stale.

Loopback only. Python's standard library only.
"""
import email.utils
import http.server
import os
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".ron": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            self.send_error(404, "Not found")
            return None
        accepted = {e.split(";")[0].strip() for e in self.headers.get("Accept-Encoding", "").split(",")}
        body, encoding = path, None
        for enc, ext in (("br", ".br"), ("gzip", ".gz")):
            if enc in accepted and os.path.isfile(path + ext):
                body, encoding = path + ext, enc
                break
        st = os.stat(body)
        etag = '"%x-%x%s"' % (int(st.st_mtime), st.st_size, "-" + encoding if encoding else "")
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        f = open(body, "rb")
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(os.path.splitext(path)[1], "application/octet-stream"))
        self.send_header("Content-Length", str(st.st_size))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        # The uncompressed size, for the loading bar's progress.
        self.send_header("X-Content-Length", str(os.stat(path).st_size))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        self.end_headers()
        return f

    def log_message(self, fmt, *args):
        sys.stderr.write("serve: " + (fmt % args) + "\n")


if __name__ == "__main__":
    directory, port = sys.argv[1], int(sys.argv[2])
    handler = lambda *a, **k: Handler(*a, directory=directory, **k)
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()
