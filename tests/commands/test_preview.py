"""`briefing preview`: the local server, its routes, its build events, and a clean stop."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import CLAIM

from briefing.errors import BriefingError
from briefing.preview import EVENTS_PATH, SCRIPT_PATH, Preview

pytest.importorskip("watchfiles")
WAIT = 60  # seconds: the most any step may take before the test fails instead of hanging


def _until(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {WAIT} s")


def _get(url: str, path: str, host: str | None = None) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or parts.netloc)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


class Events:
    """The preview's event stream, read message by message."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
        self.conn.request("GET", EVENTS_PATH)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200 and self.resp.getheader("Content-Type").startswith("text/event-stream")

    def next(self) -> dict:
        while True:
            line = self.resp.fp.readline().decode()
            if not line:
                pytest.fail("the event stream ended")
            if line.startswith("data: "):
                return json.loads(line[6:])

    def until(self, predicate) -> dict:
        while True:
            msg = self.next()
            if predicate(msg):
                return msg

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def preview(make_workspace):
    ws = make_workspace()
    pv = Preview(ws, audience="analyst", echo=lambda line: None)
    with pv:
        _until(lambda: pv.state.version >= 1, "the first build")
        yield pv
    assert not pv.out_dir.exists(), "the temporary output folder is removed on stop"


def _edit_claim(ws: Path, **changes) -> None:
    path = ws / "evidence" / "claim-a.yaml"
    path.write_text(yaml.safe_dump({**CLAIM, **changes}, sort_keys=False), encoding="utf-8")


def test_serves_the_preview_page_its_script_and_the_edition(preview):
    assert preview.url.startswith("http://127.0.0.1:") and preview.state.error is None
    status, headers, body = _get(preview.url, "/")
    page = body.decode()
    assert status == 200 and f'<script src="{SCRIPT_PATH}" defer></script>' in page
    assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline" not in page
    edition = f"/{preview.state.page}"
    assert f'src="{edition}?v=1"' in page and 'id="preview-banner" role="alert" hidden' in page
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page  # no allow-scripts
    status, headers, body = _get(preview.url, edition + "?v=1")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<script" not in body
    assert b"Something happened." in body
    status, headers, body = _get(preview.url, SCRIPT_PATH)
    assert status == 200 and b"EventSource" in body and headers["Content-Type"].startswith("text/javascript")


@pytest.mark.parametrize("path", [
    "/../briefing.yaml", "/%2e%2e/briefing.yaml", "/..%2fbriefing.yaml", "/briefing.yaml", "/evidence/claim-a.yaml",
    "//etc/passwd", "/%2Fetc%2Fpasswd", "/manifest.json", "/.build.lock", "/.cache/", "/__preview__/",
    "/__preview__/../briefing.yaml", "/PAGE/../../briefing.yaml", "/PAGE%00", "/PAGE/",
])
def test_only_the_edition_and_its_own_routes_are_served(preview, path):
    status, _, body = _get(preview.url, path.replace("PAGE", preview.state.page))
    assert status == 404 and body == b"not found\n"


def test_a_request_for_another_host_is_refused(preview):
    status, _, _ = _get(preview.url, "/", host="attacker.example:80")
    assert status == 403


def test_events_follow_every_build_and_a_broken_file_keeps_the_last_good_page(preview):
    events = Events(preview.url)
    try:
        first = events.next()
        assert first["built"] == 1 and first["error"] is None and first["page"] == f"/{preview.state.page}"
        _edit_claim(preview.root, claim="Something else happened entirely.")
        good = events.until(lambda m: m["built"] > 1)
        assert good["error"] is None
        _, _, body = _get(preview.url, good["page"])
        assert b"Something else happened entirely." in body
        (preview.root / "evidence" / "claim-a.yaml").write_text("id: claim-a\nclaim: [unclosed\n", encoding="utf-8")
        bad = events.until(lambda m: m["error"])
        assert bad["built"] == good["built"] and bad["page"] == good["page"]
        assert bad["error"].startswith("evidence/claim-a.yaml:") and "showing the last good briefing" in bad["error"]
        assert "\n" not in bad["error"]
        _, _, body = _get(preview.url, bad["page"])
        assert b"Something else happened entirely." in body  # the last good page stays
        _, _, wrapper = _get(preview.url, "/")
        assert b'role="alert">evidence/claim-a.yaml:' in wrapper
        _edit_claim(preview.root, claim="Fixed <again> & well.")
        fixed = events.until(lambda m: m["built"] > bad["built"])
        assert fixed["error"] is None
        _, _, body = _get(preview.url, fixed["page"])
        assert b"Fixed &lt;again&gt; &amp; well." in body
    finally:
        events.close()


def test_a_workspace_that_never_built_shows_the_error_and_no_page(make_workspace):
    ws = make_workspace(evidence={"claim-a.yaml": "id: [unclosed\n"})
    with Preview(ws, echo=lambda line: None) as pv:
        _until(lambda: pv.state.version >= 1, "the first build")
        assert pv.state.page is None and pv.state.error.startswith("evidence/claim-a.yaml:")
        status, _, body = _get(pv.url, "/")
        assert status == 200 and b"No good build yet" in body and b"evidence/claim-a.yaml:" in body


def test_refuses_a_folder_that_is_not_a_workspace_and_a_port_in_use(tmp_path, make_workspace):
    with pytest.raises(BriefingError, match="no briefing.yaml"):
        Preview(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(BriefingError, match="cannot listen on 127.0.0.1"):
            Preview(make_workspace(), port=busy.getsockname()[1])


def test_the_command_prints_its_url_and_stops_cleanly_on_ctrl_c(make_workspace, tmp_path):
    ws = make_workspace()
    out = tmp_path / "keep"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "briefing", "preview", "-w", str(ws), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        assert first.startswith("preview at http://127.0.0.1:") and first.rstrip().endswith("(Ctrl-C stops)")
        url = first.split()[2]
        built = proc.stdout.readline()
        assert built.startswith("first build: built "), built
        status, _, _ = _get(url, "/")
        assert status == 200
        events = Events(url)  # an open page must not keep the server from stopping
        events.next()
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped the preview" in rest and "Traceback" not in err
    assert list(out.glob("*.html")), "an --out folder is kept"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", urlsplit(url).port), timeout=2).close()
