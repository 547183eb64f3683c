"""The HTML edition and the preview in a real browser: headless Chromium driven by Selenium.

Chromium and its driver come from the system's packages (Debian's `chromium` and `chromium-driver`,
installed by .ci/run); Selenium is pointed at /usr/bin/chromedriver so it never downloads a driver.
axe-core (the accessibility check) is read from disk: AXE_CORE_JS, or the npm cache .ci/run fills.
Every test here skips, with the reason, when one of those is missing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from conftest import CLAIM, copy_workspace

from briefing.build import build
from briefing.preview import Preview
from briefing.render_html import contrast

REPO = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: the most a step may take before the test fails instead of hanging
LABELS = {"High confidence", "Moderate confidence", "Low confidence", "Unsubstantiated"}
AXE_CANDIDATES = (REPO / ".ci" / "cache" / "node_modules" / "axe-core" / "axe.min.js",
                  REPO / "node_modules" / "axe-core" / "axe.min.js")


def _browser_paths() -> tuple[str, str]:
    browser = os.environ.get("BRIEFING_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("BRIEFING_CHROMEDRIVER") or shutil.which("chromedriver")
    if not browser:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    if not driver:
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver)")
    return browser, driver


@pytest.fixture(scope="module")
def chrome():
    """One headless Chromium for the module."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install .[test])")
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--hide-scrollbars", "--no-first-run", "--disable-extensions", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except Exception as exc:  # a browser that does not start is an environment problem, not a product bug
        pytest.skip(f"headless Chromium did not start: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    driver.set_script_timeout(WAIT)
    yield driver
    driver.quit()


def _audiences() -> list[str]:
    from briefing.audiences import descriptions

    return [d[0] for d in descriptions(REPO)]


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    """The HTML edition of every shipped audience."""
    out = tmp_path_factory.mktemp("html")
    found = {}
    for name in _audiences():
        result = build(REPO, audience=name, formats=("html",), out_dir=out)
        found[name] = out / Path(result.outputs["html"]).name
    return found


def _errors(driver) -> list[str]:
    """Console errors since the last call (CSP violations included)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _open(driver, path: Path) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.as_uri())


@pytest.mark.parametrize("audience", _audiences())
def test_the_edition_renders_styled_with_no_console_error_and_fetches_nothing(chrome, editions, audience):
    _open(chrome, editions[audience])
    assert _errors(chrome) == []
    # The stylesheet applied (a CSP that blocked it would leave black headings and no masthead bar).
    h1 = chrome.find_element("css selector", "h1")
    assert h1.value_of_css_property("color") != "rgba(0, 0, 0, 1)"
    assert chrome.find_element("css selector", ".masthead").value_of_css_property("position") == "sticky"
    assert chrome.execute_script("return document.scripts.length") == 0
    assert chrome.execute_script("return performance.getEntriesByType('resource').length") == 0


def _rgb(css: str) -> str:
    parts = css[css.index("(") + 1:css.index(")")].split(",")
    return "#" + "".join(f"{int(float(p)):02X}" for p in parts[:3])


def test_every_confidence_label_is_visible_text_on_a_readable_chip(chrome, editions):
    _open(chrome, editions["analyst"])
    chips = chrome.find_elements("css selector", ".confidence")
    assert len(chips) > 40
    seen = set()
    for chip in chips:
        chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", chip)
        assert chip.is_displayed()
        text = chip.text.strip()
        assert text in LABELS, text
        seen.add(text)
        bg, fg = _rgb(chip.value_of_css_property("background-color")), _rgb(chip.value_of_css_property("color"))
        assert contrast(bg, fg) >= 4.5, (text, bg, fg)
        rect = chrome.execute_script("return arguments[0].getBoundingClientRect().toJSON()", chip)
        assert rect["width"] > 20 and rect["height"] > 8
    assert seen == LABELS


def test_reference_links_jump_to_their_entries_and_back(chrome, editions):
    _open(chrome, editions["analyst"])
    link = chrome.find_element("css selector", ".cite a[href^='#ref-']")
    target = link.get_attribute("href").split("#", 1)[1]
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    assert chrome.execute_script("return location.hash") == f"#{target}"
    entry = chrome.find_element("id", target)
    top = chrome.execute_script("return arguments[0].getBoundingClientRect().top", entry)
    header = chrome.execute_script("return document.querySelector('.masthead').getBoundingClientRect().bottom")
    assert header - 2 <= top < 300, "the entry is at the top of the window, not under the sticky header"
    assert entry.text.split()[0].rstrip(".").isdigit()
    back = entry.find_element("css selector", ".backlinks a")
    back.click()
    cite = chrome.execute_script("return location.hash")
    assert cite.startswith("#briefing-cite-")
    assert chrome.find_element("id", cite[1:]).find_elements("css selector", f"a[href='#{target}']")


def test_the_charts_are_drawn_and_named(chrome, editions):
    _open(chrome, editions["analyst"])
    charts = chrome.find_elements("css selector", "figure svg.chart")
    assert len(charts) == 3
    for svg in charts:
        chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", svg)
        assert svg.is_displayed() and svg.get_attribute("role") == "img" and len(svg.get_attribute("aria-label")) > 20
        size = svg.size
        assert size["width"] > 300 and size["height"] > 100
        # Drawn: the SVG has painted shapes inside its box.
        assert chrome.execute_script("return arguments[0].querySelectorAll('path, rect, use').length", svg) > 20


def test_screenshot_of_the_first_screen_of_every_audience(chrome, editions, tmp_path):
    from PIL import Image

    folder = Path(os.environ.get("BRIEFING_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for audience, path in editions.items():
        _open(chrome, path)
        shot = folder / f"{audience}.png"
        assert chrome.save_screenshot(str(shot))
        with Image.open(shot) as img:
            colors = img.convert("RGB").getcolors(maxcolors=1 << 20)
            assert img.size[0] >= 1000 and colors and len(colors) > 50, audience  # text, not a blank page


def test_printed_the_marking_heads_and_foots_every_page(chrome, editions):
    import base64
    import io

    from pypdf import PdfReader

    _open(chrome, editions["executive"])
    pdf = chrome.execute_cdp_cmd("Page.printToPDF", {"displayHeaderFooter": False, "preferCSSPageSize": True})
    pages = PdfReader(io.BytesIO(base64.b64decode(pdf["data"]))).pages
    assert 2 <= len(pages) <= 6
    for n, page in enumerate(pages, 1):
        text = " ".join((page.extract_text() or "").split())
        assert text.count("For internal use") >= 2, n  # the print stylesheet's page header and footer
        assert f"Page {n} of {len(pages)}" in text
        assert "\u21a9" not in text  # back-links are for the screen


def _axe_source() -> str:
    env = os.environ.get("AXE_CORE_JS")
    for candidate in ([Path(env)] if env else []) + list(AXE_CANDIDATES):
        if candidate.is_file():
            return candidate.read_text("utf-8")
    pytest.skip("axe-core is not installed (npm install axe-core; or set AXE_CORE_JS to axe.min.js)")


def _axe(driver) -> list[dict]:
    """The serious and critical accessibility violations axe-core finds on the current page."""
    driver.execute_script(_axe_source())  # WebDriver's script runs outside the page's CSP
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), result
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("audience", _audiences())
def test_no_serious_accessibility_violation(chrome, editions, audience):
    _axe_source()
    _open(chrome, editions[audience])
    assert _axe(chrome) == []


# -- the preview ---------------------------------------------------------------------------------------

def _edit(ws: Path, **changes) -> None:
    (ws / "evidence" / "claim-a.yaml").write_text(yaml.safe_dump({**CLAIM, **changes}, sort_keys=False),
                                                  encoding="utf-8")


def _frame_text(driver) -> str:
    driver.switch_to.default_content()
    driver.switch_to.frame(driver.find_element("id", "preview-frame"))
    try:
        return driver.find_element("tag name", "body").text
    finally:
        driver.switch_to.default_content()


def _wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the frame is between two pages
            value = None
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} within {WAIT} s")


def test_the_preview_refreshes_on_save_and_shows_a_broken_file_in_a_banner(chrome, make_workspace):
    ws = make_workspace()
    with Preview(ws, audience="analyst", echo=lambda line: None) as pv:
        _wait_for(lambda: pv.state.version >= 1 and pv.ready.is_set(), "the first build and the watcher")
        chrome.get_log("browser")
        chrome.get(pv.url)
        _wait_for(lambda: "Something happened." in _frame_text(chrome), "the edition showed in the preview")
        banner = chrome.find_element("id", "preview-banner")
        assert not banner.is_displayed()

        _edit(ws, claim="An edited claim <b>as text</b> appears.")
        _wait_for(lambda: "An edited claim <b>as text</b> appears." in _frame_text(chrome), "the page refreshed")

        (ws / "evidence" / "claim-a.yaml").write_text("id: claim-a\nclaim: [unclosed\n", encoding="utf-8")
        _wait_for(lambda: banner.is_displayed(), "the banner appeared")
        assert banner.text.startswith("evidence/claim-a.yaml:") and "showing the last good briefing" in banner.text
        assert "An edited claim <b>as text</b> appears." in _frame_text(chrome)  # the last good page stays

        _edit(ws, claim="Mended again.")
        _wait_for(lambda: "Mended again." in _frame_text(chrome), "the page refreshed after the fix")
        assert not banner.is_displayed()
        assert _errors(chrome) == []
        if any(p.is_file() for p in AXE_CANDIDATES) or os.environ.get("AXE_CORE_JS"):
            assert _axe(chrome) == []


def test_the_preview_refuses_a_path_traversal_url(chrome, make_workspace):
    ws = make_workspace()
    with Preview(ws, echo=lambda line: None) as pv:
        _wait_for(lambda: pv.state.version >= 1, "the first build")
        for path in ("%2e%2e/briefing.yaml", "..%2fbriefing.yaml", "%2e%2e%2f%2e%2e%2fetc/passwd", "briefing.yaml",
                     "evidence/claim-a.yaml"):
            chrome.get(pv.url + path)
            body = chrome.find_element("tag name", "body").text
            assert body.strip() == "not found", path
            assert "Something happened" not in chrome.page_source and "claim-a" not in body


def test_the_real_workspace_preview_shows_charts(chrome, tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    with Preview(ws, audience="executive", echo=lambda line: None) as pv:
        _wait_for(lambda: pv.state.version >= 1, "the first build")
        assert pv.state.error is None
        chrome.get(pv.url)

        def charts() -> int:
            chrome.switch_to.frame(chrome.find_element("id", "preview-frame"))
            try:
                return len(chrome.find_elements("css selector", "svg.chart"))
            finally:
                chrome.switch_to.default_content()

        assert _wait_for(charts, "the chart showed in the preview") >= 1

        # A refresh keeps the reader where they were on the page.
        def frame_js(script: str):
            chrome.switch_to.frame(chrome.find_element("id", "preview-frame"))
            try:
                return chrome.execute_script(script)
            finally:
                chrome.switch_to.default_content()

        frame_js("window.scrollTo(0, 900)")
        assert frame_js("return window.scrollY") == 900
        data = yaml.safe_load((ws / "briefing.yaml").read_text("utf-8"))
        data["subtitle"] = "A subtitle written during the preview"
        (ws / "briefing.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        _wait_for(lambda: "A subtitle written during the preview" in frame_js("return document.body.textContent"),
                  "the page refreshed")
        _wait_for(lambda: frame_js("return window.scrollY") == 900, "the scroll position came back")
