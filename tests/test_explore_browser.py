"""`hedgesim explore` in a real browser (issue 17): start the server, load the page in Debian's
headless Chromium through Selenium, move a slider, check the key figure changes to what
`hedgesim run` prints for the same settings, save the scenario and run it, make a brief, and
show a bad setting as a message on the page.

Skipped unless the explore extra (Solara), Selenium, and Debian's ``chromium`` and
``chromium-driver`` are installed: CI installs only ``.[test]``. To run it::

    apt-get install -y chromium chromium-driver
    pip install -e ".[test,explore-test]"
    HEDGESIM_EXPLORE_SCREENSHOT=docs/img/explore.png python -m pytest tests/test_explore_browser.py -s

It prints the start-up time and the update latency it measured; with
``HEDGESIM_EXPLORE_SCREENSHOT`` set it also writes the page's screenshot there (the README's).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
for module in ("solara", "solara_assets", "selenium"):
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e \".[explore-test]\")")
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LEVER = "russia.trade_subsidy_rate"
PRESSES = 30  # arrow-right presses: 0 -> 0.30 at the slider's step of 0.01
STARTUP_LIMIT = 5.0


class Server:
    """`hedgesim explore` as a user starts it, in its own process; its address from stdout."""

    def __init__(self, tmp: Path) -> None:
        self.lines: list[str] = []
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "explore", "baseline", "--port", "0",
             "--save-dir", str(tmp / "scenarios"), "--out", str(tmp / "results"),
             "--briefs", str(tmp / "briefs")],
            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.ready = threading.Event()
        self.url = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"http://127\.0\.0\.1:\d+/", line)
            if m and not self.url:
                self.url, self.seconds = m.group(0), time.perf_counter() - self.started
                self.ready.set()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explore_browser")
    (tmp / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp / "scenarios" / "baseline.yaml")
    server = Server(tmp)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,1900", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}"):
        options.add_argument(arg)
    driver = None
    try:
        assert server.ready.wait(60), "no address printed:\n" + "".join(server.lines)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_window_size(1500, 1900)
        yield tmp, server, driver
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


def text_of(driver, css: str) -> str:
    for _ in range(50):  # the page may redraw the element between finding and reading it
        try:
            found = driver.find_elements(By.CSS_SELECTOR, css)
            return found[0].text.strip() if found else ""
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f"{css} kept being redrawn")


def wait_for(driver, css: str, timeout: float = 60.0, text=None):
    def ready(d):
        found = d.find_elements(By.CSS_SELECTOR, css)
        if not found:
            return False
        return found[0] if text is None or text(found[0].text) else False

    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,)).until(ready)


def focus(driver, lever: str) -> None:
    """Give a lever's slider the keyboard focus (the thumb has no size of its own to click)."""
    handle = driver.find_element(By.CSS_SELECTOR, f".hs-lever-{lever.replace('.', '-')} [role=slider]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();",
                          handle)


def keys(driver, *pressed: str) -> None:
    chain = ActionChains(driver)
    for key in pressed:
        chain.send_keys(key)
    chain.perform()


def retry(read, tries: int = 100):
    """``read()``, again while the page redraws what it reads (a stale element)."""
    for _ in range(tries):
        try:
            return read()
        except StaleElementReferenceException:
            time.sleep(0.05)
    return read()


def wait_text(driver, css: str, ok, timeout: float = 60.0) -> str:
    """The text of ``css`` once ``ok(text)``."""
    WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: ok(text_of(d, css)))
    return text_of(driver, css)


def field(driver, label: str):
    return driver.find_element(By.XPATH, f"//label[contains(., '{label}')]/following-sibling::input")


def type_into(driver, label: str, text: str) -> None:
    """Replace a text field's content, as typed, and wait until the page holds it."""
    retry(lambda: field(driver, label).send_keys(Keys.CONTROL, "a"))
    retry(lambda: field(driver, label).send_keys(text))
    WebDriverWait(driver, 30, poll_frequency=0.05).until(
        lambda d: retry(lambda: field(d, label).get_attribute("value")) == text)
    time.sleep(0.3)  # the last keystrokes reach the server


def click(driver, button: str) -> None:
    retry(lambda: driver.find_element(By.XPATH, f"//button[contains(., '{button}')]").click())


def run_cli(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def figure_cell(output: str, figure: str) -> str:
    for line in output.splitlines():
        if line.startswith(figure):
            return re.split(r"\s{2,}", line.strip())[2]  # figure, 2014, the year asked
    raise AssertionError(f"{figure!r} not in\n{output}")


def test_move_a_slider_save_run_and_brief(session):
    tmp, server, driver = session
    print(f"\nexplore: address printed {server.seconds:.2f} s after start")
    assert server.seconds < STARTUP_LIMIT, server.lines

    driver.get(server.url)
    cell = "#kf-trade_russia_usd"
    wait_for(driver, ".hs-figures " + cell, timeout=60)
    loaded = time.perf_counter() - server.started
    print(f"explore: key figures on the page {loaded:.2f} s after start")
    before = text_of(driver, cell)
    assert before.startswith("$") and text_of(driver, "#kf-base-trade_russia_usd") == before

    # everything the page loaded came from this machine: no CDN
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    foreign = [u for u in urls if not u.startswith((server.url.rstrip("/"), "data:", "blob:"))]
    assert urls and not foreign, foreign

    # a calibrated lever the scenario leaves to the posterior says what the runs draw
    drawn = text_of(driver, "#lw-china-trade_subsidy_rate")
    assert "each run draws its own from the posterior" in drawn and "90% range" in drawn, drawn
    assert text_of(driver, "#lv-china-trade_subsidy_rate").startswith("median ")

    # move the slider with the keyboard, as a person can (Tab to it, then the arrow keys)
    focus(driver, LEVER)
    keys(driver, Keys.HOME, *[Keys.ARROW_RIGHT] * PRESSES)
    moved = time.perf_counter()
    value = f"#lv-{LEVER.replace('.', '-')}"
    wait_for(driver, value, text=lambda t: t == "0.3", timeout=30)
    wait_for(driver, ".hs-figures " + cell, text=lambda t: t and t != before, timeout=30)
    wait_for(driver, ".hs-done", timeout=30)
    latency = time.perf_counter() - moved
    after = text_of(driver, cell)
    assert text_of(driver, f"#lw-{LEVER.replace('.', '-')}") == "(set here for every run, from 2015)"
    print(f"explore: figures and charts updated {latency:.2f} s after the last key press "
          f"(DPRK-Russia trade {before} -> {after})")
    assert after != before

    # one more step, timed alone: the update latency of a single change
    focus(driver, LEVER)
    keys(driver, Keys.ARROW_LEFT)
    t = time.perf_counter()
    wait_for(driver, value, text=lambda x: x == "0.29", timeout=30)
    wait_for(driver, ".hs-figures " + cell, text=lambda x: x and x != after, timeout=30)
    figures = time.perf_counter() - t
    wait_for(driver, ".hs-done", timeout=30)
    print(f"explore: one slider step -> key figures updated in {figures:.2f} s, charts in "
          f"{time.perf_counter() - t:.2f} s ({text_of(driver, '.hs-done')})")
    focus(driver, LEVER)
    keys(driver, Keys.ARROW_RIGHT)
    wait_for(driver, value, text=lambda x: x == "0.3", timeout=30)
    wait_for(driver, ".hs-figures " + cell, text=lambda x: x == after, timeout=30)
    wait_for(driver, ".hs-done", timeout=30)

    # the README's picture: controls from the top, the figures and the first chart
    driver.set_window_size(1500, 1500)
    driver.execute_script("for (const e of document.querySelectorAll("
                          "'.v-navigation-drawer__content')) e.scrollTop = 0; window.scrollTo(0, 0); "
                          "document.activeElement.blur();")
    time.sleep(0.5)
    shot = tmp / "explore.png"
    driver.save_screenshot(str(shot))
    driver.set_window_size(1500, 1900)
    if os.environ.get("HEDGESIM_EXPLORE_SCREENSHOT"):
        shutil.copy(shot, os.environ["HEDGESIM_EXPLORE_SCREENSHOT"])

    # save as scenario, then run it as an analyst would
    type_into(driver, "Scenario name", "meeting_subsidy")
    click(driver, "Save as scenario")
    said = wait_text(driver, ".hs-said", lambda x: "saved" in x or "rror" in x)
    saved = tmp / "scenarios" / "meeting_subsidy.yaml"
    assert saved.is_file(), said
    assert "\nextends: baseline.yaml\n" in saved.read_text()
    run_cli("validate", str(saved), cwd=tmp)
    out = run_cli("run", str(saved), "--year", "2020", "--no-charts", "--out", str(tmp / "cli"),
                  cwd=tmp)
    assert figure_cell(out, "DPRK-Russia trade") == after
    rows = retry(lambda: [[c.text for c in row.find_elements(By.TAG_NAME, "td")][:2] for row in
                          driver.find_elements(By.CSS_SELECTOR, ".hs-figures tr")[1:]])
    assert len(rows) == 7
    for figure, value in rows:
        assert value != "-" and figure_cell(out, figure) == value, figure

    # make brief: runs the saved file and writes the brief
    click(driver, "Make brief")
    said = wait_text(driver, ".hs-brief", lambda x: "brief.html" in x or "rror" in x, timeout=300)
    assert "brief.html" in said, said
    assert (tmp / "briefs" / "meeting_subsidy" / "brief.html").is_file()

    # a bad setting is a message on the page, not a stack trace
    type_into(driver, "Target", "russia_trade_2020>=1e9")
    error = wait_text(driver, ".hs-error", lambda x: "trade_russia_usd" in x)
    assert "target" in error and "\n" not in error.strip(), error
    assert "Traceback" not in retry(lambda: driver.find_element(By.TAG_NAME, "body").text)

    # nor did the server reach for a CDN on the page's behalf (Solara's asset proxy logs it)
    log = "".join(server.lines)
    (tmp / "server.log").write_text(log)
    assert "Could not load URL" not in log and "Traceback" not in log, log[-3000:]
