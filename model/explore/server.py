"""Serve the explorer's page on 127.0.0.1 with Solara under uvicorn, offline.

Offline means the page's JavaScript, CSS and fonts come from files installed with the
``explore`` extra (the ``solara-assets`` package fills Solara's asset cache), Solara's usage
telemetry is off, and production mode skips its call home; :func:`missing_assets` names any
file the installed Solara's page template asks for that is not on disk, and
:func:`serve` refuses to start rather than serve a page that would reach for a CDN.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from model.errors import HedgesimError

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
EXTRA = 'pip install -e ".[explore]"'
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports
    "SOLARA_MODE": "production",  # no call home (solara.dev check), no file watching
    "SOLARA_ASSETS_PROXY": "True",  # serve cdn/ paths from the local asset cache
    "SOLARA_THEME_LOADER": "plain",
}
APP = "model.explore.page"


def missing_extra() -> str | None:
    """A one-line message if the ``explore`` extra is not installed, else None."""
    absent = [m for m in ("solara", "solara_assets", "uvicorn")
              if importlib.util.find_spec(m) is None]
    if absent:
        return (f"hedgesim explore needs the explore extra ({', '.join(absent)} not installed): "
                f"{EXTRA}")
    return None


def missing_assets() -> list[str]:
    """Asset folders the page template loads (``{{cdn}}/package@version``) that the local asset
    cache lacks, for the Vue version the installed ipyvue gives (the extra pins Vue 2, whose
    assets solara-assets carries)."""
    import ipyvue
    import solara
    import solara.server.settings as settings

    vue3 = ipyvue.__version__.startswith("3")
    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8")
    wanted = sorted({m for m in re.findall(r"\{\{cdn\}\}/(@?[\w.-]+(?:/[\w.-]+)?@[\d.]+)", text)
                     if ("vuetify3" in m) == vue3 or "vuetify" not in m})
    cache = Path(settings.assets.proxy_cache_dir)
    return [w for w in wanted if not (cache / w).is_dir()]


def _socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise HedgesimError(None, "--port", f"cannot listen on {HOST}:{port} ({exc.strerror}); "
                            "choose another port, or --port 0 for any free one") from None
    sock.set_inheritable(True)
    return sock


def serve(scenario: str = "baseline", port: int = DEFAULT_PORT, save_dir: str | Path | None = None,
          out: str | Path = "results", briefs: str | Path = "briefs",
          point_estimate: bool = False, echo: Callable[[str], None] = print) -> None:
    """Check the scenario, start the page, print its address and serve until Ctrl-C."""
    started = time.perf_counter()
    from model.explore.session import Explorer

    # the scenario first (a mistyped name is the likelier mistake), then the extra
    explorer = Explorer(scenario, save_dir=save_dir, out=out, briefs=briefs,
                        calibration="point" if point_estimate else "posterior")
    problem = missing_extra()
    if problem:
        raise HedgesimError(None, None, problem)
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    # Solara warns on every page load served to 127.0.0.1 over http that its session cookie
    # cannot be SameSite=None; a local page needs no cross-site cookie (it falls back to Lax)
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    os.environ["SOLARA_APP"] = APP
    os.environ["HEDGESIM_EXPLORE_SCENARIO"] = str(scenario)

    from model.explore import page

    page.EXPLORER = explorer
    lacking = missing_assets()
    if lacking:
        raise HedgesimError(None, "explore", "the page's assets are not installed ("
                            + ", ".join(lacking) + f"); the page would need the network: {EXTRA}")
    sock = _socket(port)
    port = sock.getsockname()[1]

    import uvicorn

    config = uvicorn.Config("solara.server.starlette:app", log_level="warning", lifespan="on",
                            ws_ping_interval=None)
    server = uvicorn.Server(config)

    def warm() -> None:  # the first view is computed while the browser connects
        try:
            explorer.view(explorer.initial())
        except Exception:  # the page shows the message itself when it asks
            pass

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.02)
        if server.started:
            echo(f"hedgesim explore: http://{HOST}:{port}/ (scenario {explorer.start}; "
                 f"ready in {time.perf_counter() - started:.1f} s; Ctrl-C to stop)")
            threading.Thread(target=warm, daemon=True).start()

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shut down cleanly, then passed Ctrl-C on
        pass
    finally:
        sock.close()
        explorer.close()
    echo("hedgesim explore: stopped")
