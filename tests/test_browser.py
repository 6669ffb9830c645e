"""The home page in a real headless browser (Debian's chromium): pick a library query, click Run,
read the result table the page's JavaScript renders.

The browser is driven over the Chrome DevTools Protocol (websocket-client, test extra). It only
talks to the test server on 127.0.0.1 (background networking, sync and updates are off).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from itertools import count

import pytest

from allkg_server import serve, stop

pytestmark = [pytest.mark.server, pytest.mark.slow]

# The symptoms of ALL that three of the pages list (City of Hope, MedlinePlus, Moffitt).
THREE_SOURCE_SYMPTOMS = {"fever", "fatigue", "weight loss", "loss of appetite", "swollen lymph nodes"}


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs it (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium); the browser test needs it")


class DevTools:
    """A minimal Chrome DevTools Protocol client for one page."""

    def __init__(self, websocket_url: str) -> None:
        import websocket

        self.socket = websocket.create_connection(websocket_url, timeout=30, suppress_origin=True)
        self.ids = count(1)

    def call(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = _chromium()
    pytest.importorskip("websocket", reason="websocket-client is a test dependency: pip install -e '.[test]'")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("chromium did not start its DevTools endpoint within 30 s")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [t for t in json.load(response) if t.get("type") == "page"]
        yield DevTools(pages[0]["webSocketDebuggerUrl"])
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(built_graph_file, tmp_path_factory):
    with serve(built_graph_file, tmp_path_factory.mktemp("serve-browser")) as running:
        yield running


# Runs in the page: choose a library query, wait for its text, click Run, wait for the table.
RUN_IN_PAGE = """
(async () => {
  const wait = async (test, what) => {
    for (let i = 0; i < 200; i++) { if (test()) return; await new Promise(r => setTimeout(r, 50)); }
    throw new Error("timed out waiting for " + what);
  };
  await wait(() => document.readyState === "complete" && window.allkgRun, "the page and editor.js");
  const library = document.getElementById("library");
  library.value = "symptoms_three_sources";
  library.dispatchEvent(new Event("change"));
  await wait(() => document.getElementById("query").value.includes("at least three"), "the library query text");
  document.getElementById("run").click();
  await wait(() => document.querySelector("#results table tbody tr") || document.querySelector("#results pre"),
             "the result table");
  const table = document.querySelector("#results table");
  return {
    status: document.getElementById("status").textContent,
    error: (document.querySelector("#results pre") || {}).textContent || null,
    header: table ? [...table.querySelectorAll("thead th")].map(th => th.textContent) : [],
    rows: table ? [...table.querySelectorAll("tbody tr")].map(tr => [...tr.children].map(td => td.textContent)) : [],
    links: table ? [...table.querySelectorAll("tbody a")].map(a => a.getAttribute("href")).slice(0, 3) : [],
    classes: document.querySelectorAll("#classes tbody tr").length,
  };
})()
"""


def test_home_page_query_editor_runs_a_library_query(browser, server):
    browser.call("Page.enable")
    browser.call("Page.navigate", url=f"{server.base}/")
    result = browser.evaluate(RUN_IN_PAGE)
    assert result["error"] is None, result["error"]
    assert result["header"] == ["symptom", "label", "source_count", "sources"]
    labels = {row[1].removesuffix(" @en") for row in result["rows"]}  # the language tag is shown after the text
    assert THREE_SOURCE_SYMPTOMS <= labels, labels
    assert all(int(row[2]) >= 3 for row in result["rows"])
    assert result["status"].startswith(f"{len(result['rows'])} rows")
    assert result["links"] and all(link.startswith("/id/") for link in result["links"])  # graph IRIs link to pages
    assert result["classes"] > 10  # the class list with counts is on the page too


def test_entity_link_from_results_opens_its_page(browser, server):
    browser.call("Page.navigate", url=f"{server.base}/id/fever")
    heading = browser.evaluate("""
    (async () => {
      for (let i = 0; i < 100 && document.readyState !== "complete"; i++) await new Promise(r => setTimeout(r, 50));
      return [document.querySelector("h1").textContent, document.body.textContent.includes("Moffitt Cancer Center")];
    })()""")
    assert heading == ["fever", True]
