"""``hedgesim explore``: an interactive page for the meeting room (issue 17).

``session`` holds everything the page computes, saves and briefs, with no web code (tested
without a browser); ``page`` is the Solara page; ``server`` serves it on 127.0.0.1, offline.
Solara is the optional ``explore`` extra: ``pip install -e ".[explore]"``.
"""

from __future__ import annotations


def serve(*args, **kwargs) -> None:
    """Start the page (see :func:`model.explore.server.serve`)."""
    from model.explore.server import serve as _serve

    _serve(*args, **kwargs)
