"""Look at a brief as a reader would: the HTML in headless Chromium, the PDF as page images.

    python docs/screenshot_brief.py BRIEF_DIR [--out DIR]

Writes ``html.png`` (a full-length screenshot of brief.html from Debian's
``chromium``) and ``pdf-N.png`` (each page of brief.pdf from poppler's
``pdftoppm``) into ``BRIEF_DIR/screens`` (or --out). Needs
``apt-get install chromium poppler-utils``; says which is missing otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("brief", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--height", type=int, default=6000, help="screenshot height in pixels")
    args = ap.parse_args()
    out = args.out or args.brief / "screens"
    out.mkdir(parents=True, exist_ok=True)
    html, pdf = args.brief / "brief.html", args.brief / "brief.pdf"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    status = 0
    if browser and html.exists():
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={profile}", "--hide-scrollbars",
                            f"--window-size=1100,{args.height}",
                            f"--screenshot={out / 'html.png'}", html.resolve().as_uri()],
                           check=True, capture_output=True, timeout=120)
        print(out / "html.png")
    else:
        print(f"skipped HTML: {'no brief.html' if browser else 'chromium not installed'}",
              file=sys.stderr)
        status = 1
    if shutil.which("pdftoppm") and pdf.exists():
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(out / "pdf")], check=True,
                       timeout=120)
        for page in sorted(out.glob("pdf-*.png")):
            print(page)
    else:
        print(f"skipped PDF: {'no brief.pdf' if shutil.which('pdftoppm') else 'pdftoppm not installed'}",
              file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
