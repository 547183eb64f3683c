"""`briefing preview`: the HTML edition on a local web server, rebuilt and refreshed on every save.

The server is the standard library's ThreadingHTTPServer: it serves four fixed routes to one
browser on 127.0.0.1, which needs no framework, and server-sent events are a plain streaming
response (a thread per open page). Rebuilding is `briefing watch` itself (watch.watch), so the
preview sees exactly the changes a watch would.

Routes, and nothing else (every other path is 404, so no URL can reach a file outside them):
- `/`                        the preview page: a banner and the edition in an iframe;
- `/__preview__/reload.js`   the preview page's script (the edition itself has none);
- `/__preview__/events`      the event stream: one JSON message per build, good or failed;
- `/<edition>.html`          the last good edition, as built (it is self-contained: no assets).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import yaml

from .errors import BriefingError
from .watch import watch

if TYPE_CHECKING:  # for annotations only: build is loaded when the watch starts
    from .build import BuildResult

HOST = "127.0.0.1"
SCRIPT_PATH = "/__preview__/reload.js"
EVENTS_PATH = "/__preview__/events"
HEARTBEAT_SECONDS = 10.0  # an idle stream sends a comment this often, so a closed tab is noticed

RELOAD_JS = """\
"use strict";
// The preview page's only script: follow the build events, refresh the edition, show build errors.
(function () {
  var frame = document.getElementById("preview-frame");
  var banner = document.getElementById("preview-banner");
  var shown = Number(document.body.getAttribute("data-version"));
  var scrollY = 0;
  frame.addEventListener("load", function () {
    try { frame.contentWindow.scrollTo(0, scrollY); } catch (e) { /* nothing to restore */ }
  });
  function reload(page, version) {
    try { scrollY = frame.contentWindow.scrollY; } catch (e) { scrollY = 0; }
    frame.src = page + "?v=" + version;
  }
  var events = new EventSource("/__preview__/events");
  events.onmessage = function (message) {
    var state = JSON.parse(message.data);
    if (state.error) {
      banner.textContent = state.error;
      banner.hidden = false;
    } else {
      banner.hidden = true;
      banner.textContent = "";
    }
    if (state.page && state.built > shown) {
      shown = state.built;
      reload(state.page, state.built);
    }
  };
})();
"""

WRAPPER_CSS = ("html,body{margin:0;height:100%;font-family:sans-serif}"
               "body{display:flex;flex-direction:column}"
               "#preview-banner{background:#8B0000;color:#FFFFFF;padding:.5rem 1rem;font-size:.95rem;"
               "font-family:monospace;white-space:pre-wrap;overflow-wrap:anywhere}"
               "#preview-banner[hidden]{display:none}"
               "#preview-frame{flex:1;border:0;width:100%}"
               ".preview-empty{padding:2rem;color:#5A6270}")


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


WRAPPER_CSP = (f"default-src 'none'; script-src 'self'; connect-src 'self'; frame-src 'self'; "
               f"style-src '{_hash(WRAPPER_CSS)}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class PreviewState:
    """What the server shows: the last good edition's name and build number, and the last build's error."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.version = 0  # every build, good or failed
        self.built = 0  # the version of the last good build
        self.page: str | None = None  # the edition's file name
        self.error: str | None = None
        self.closing = False

    def update(self, result: BuildResult | None, errors: list[str]) -> None:
        """Record a build (watch's on_build): a good one replaces the page, a failed one only sets the error."""
        with self.cond:
            self.version += 1
            if result is not None and "html" in result.outputs:
                self.page = Path(result.outputs["html"]).name
                self.built = self.version
                self.error = None
            else:
                first = errors[0] if errors else "the build failed"
                more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
                keep = "; showing the last good briefing" if self.page else ""
                self.error = f"{first}{more}{keep}"
            self.cond.notify_all()

    def message(self) -> dict[str, Any]:
        """The event a page receives: what to show now."""
        return {"version": self.version, "built": self.built,
                "page": f"/{self.page}" if self.page else None, "error": self.error}

    def close(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()


def wrapper_page(state: PreviewState, title: str) -> str:
    """The preview page: an error banner over the edition (in an iframe); its script follows the build events."""
    with state.cond:
        msg = state.message()
    banner = html.escape(msg["error"] or "")
    hidden = "" if msg["error"] else " hidden"
    # A second wall around the edition: the frame may run no script at all (the edition has none), but stays
    # same-origin so the preview's script can keep the scroll position; links may open new tabs.
    sandbox = 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"'
    if msg["page"]:
        body = (f'<iframe id="preview-frame" {sandbox} title="{html.escape(title)}" '
                f'src="{html.escape(msg["page"])}?v={msg["built"]}"></iframe>')
    else:
        body = (f'<iframe id="preview-frame" {sandbox} title="Briefing preview" src="about:blank"></iframe>'
                '<p class="preview-empty">No good build yet: fix the error above and save.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>Preview: {html.escape(title)}</title>\n<style>{WRAPPER_CSS}</style>\n"
            f'<script src="{SCRIPT_PATH}" defer></script>\n</head>\n'
            f'<body data-version="{msg["built"]}">\n'
            f'<div id="preview-banner" role="alert"{hidden}>{banner}</div>\n{body}\n</body>\n</html>\n')


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal shows builds, not requests

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:  # noqa: N802
        if not self._host_ok():
            return self._send(HTTPStatus.FORBIDDEN, b"forbidden\n", "text/plain", head=head)
        path = unquote(urlsplit(self.path).path)
        state = self.server.state
        if path == "/":
            wrapper = wrapper_page(state, self.server.title).encode("utf-8")
            return self._send(HTTPStatus.OK, wrapper, "text/html; charset=utf-8", csp=WRAPPER_CSP, head=head)
        if path == SCRIPT_PATH:
            return self._send(HTTPStatus.OK, RELOAD_JS.encode("utf-8"), "text/javascript; charset=utf-8", head=head)
        if path == EVENTS_PATH and not head:
            return self._events()
        with state.cond:
            page = state.page
        if page and path == f"/{page}":
            # Only ever this one file, by the name the build gave it: no path from the URL reaches the disk.
            data: bytes | None
            try:
                data = (self.server.out_dir / page).read_bytes()
            except OSError:
                data = None
            if data is not None:
                return self._send(HTTPStatus.OK, data, "text/html; charset=utf-8", head=head)
        return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head=head)

    def _host_ok(self) -> bool:
        """Only requests addressed to this server by loopback name (a guard against DNS rebinding)."""
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _send(self, status: HTTPStatus, body: bytes, ctype: str, *, csp: str | None = None,
              head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        state = self.server.state
        seen = -1
        try:
            while True:
                with state.cond:
                    if state.version == seen and not state.closing:
                        state.cond.wait(HEARTBEAT_SECONDS)
                    if state.closing:
                        return
                    changed = state.version != seen
                    seen = state.version
                    msg = state.message()
                line = f"data: {json.dumps(msg)}\n\n" if changed else ": ping\n\n"
                self.wfile.write(line.encode("utf-8"))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the page was closed


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never keeps the process alive
    allow_reuse_address = False  # never share a port with another server

    def __init__(self, state: PreviewState, out_dir: Path, title: str, port: int) -> None:
        self.state = state
        self.out_dir = out_dir
        self.title = title
        super().__init__((HOST, port), _Handler)


class Preview:
    """A running preview: the server (bound on creation), and `start()` the watch that rebuilds the edition."""

    def __init__(self, root: Path, *, audience: str | None = None, out_dir: Path | None = None, port: int = 0,
                 echo: Callable[[str], None] | None = None) -> None:
        self.root = Path(root)
        if not (self.root / "briefing.yaml").is_file():
            raise BriefingError("no briefing.yaml: is this a workspace? (create one with `briefing init DIR`)",
                                str(self.root / "briefing.yaml"))
        self.audience = audience
        self.out_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="briefing-preview-"))
        self._temp = None if out_dir else self.out_dir
        self.echo = echo or (lambda line: None)  # the library prints nothing itself: the command passes one
        self.state = PreviewState()
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        try:
            self.server = _Server(self.state, self.out_dir, _title(self.root), port)
        except OSError as exc:
            self._remove_temp()
            raise BriefingError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        return f"http://{HOST}:{self.server.server_address[1]}/"

    def start(self) -> None:
        """Serve, and build now and after every change (each in its own thread)."""
        serve = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="briefing-preview-server", daemon=True)

        def run_watch() -> None:
            try:
                watch(self.root, audience=self.audience, formats=("html",), out_dir=self.out_dir,
                      stop=self.stop_event, echo=self.echo, on_ready=self.ready.set, on_build=self.state.update)
            except Exception as exc:  # the watcher itself failed: say so on the page and the terminal
                self.state.update(None, [f"error: the watch stopped: {type(exc).__name__}: {exc}"])
                self.echo(f"error: the watch stopped: {type(exc).__name__}: {exc}")
            finally:
                self.ready.set()

        watcher = threading.Thread(target=run_watch, name="briefing-preview-watch", daemon=True)
        self._threads = [serve, watcher]
        serve.start()
        watcher.start()

    def stop(self) -> None:
        """Stop watching and serving; wait for a build in progress to finish; remove the temporary folder."""
        self.stop_event.set()
        self.state.close()
        if self._threads:  # shutdown() waits for serve_forever, so only once it runs
            self.server.shutdown()
        self.server.server_close()
        for t in self._threads:
            t.join()
        self._remove_temp()

    def _remove_temp(self) -> None:
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _title(root: Path) -> str:
    """The briefing's title for the preview tab (read loosely: a broken briefing.yaml still gets a preview)."""
    with contextlib.suppress(Exception):
        path = root / "briefing.yaml"
        if path.stat().st_size > 1 << 20:
            return "Briefing"
        data = yaml.safe_load(path.read_text("utf-8"))
        if isinstance(data, dict) and isinstance(title := data.get("title"), str):
            return title
    return "Briefing"
