"""The HTML report, opened in real headless Chromium (Debian's `chromium`,
which `./dev test` installs when missing): the charts render, the figures
are in the page, nothing is fetched from anywhere, and it prints."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine
from tests.reportlog import fill

ROOT = Path(__file__).resolve().parent.parent
# Without the networking flags Chromium keeps trying to reach outside hosts.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    path = os.environ.get("ROLE_DIFF_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium is not installed: ./dev test installs it as root (apt-get install chromium)")
    return path


def run_report(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"ROLE_DIFF_DATABASE_URL": url, "ROLE_DIFF_LOG": "on", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )


def test_the_html_report_renders_in_headless_chromium(engine: Engine, tmp_path: Path) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    filled = fill(engine, tmp_path / "log.db")
    page_path = tmp_path / "report.html"
    out = run_report(filled.url, "--html", str(page_path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    html = page_path.read_text(encoding="utf-8")
    # Self-contained: no scripts, no external stylesheets, fonts or images.
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=FLAGS[1:], headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri(), wait_until="load")
            # The three charts are drawn, at a readable size.
            boxes = {
                chart: page.locator(f"svg#{chart}").bounding_box()
                for chart in ("chart-days", "chart-helpfulness", "chart-platforms")
            }
            for chart, box in boxes.items():
                assert box is not None and box["width"] >= 600 and box["height"] >= 120, (chart, box)
            # The chart text is text (axis labels, the legend) that the browser laid out.
            days_text = page.locator("svg#chart-days").text_content() or ""
            assert "answered" in days_text and "declined" in days_text
            assert "mlops" in (page.locator("svg#chart-helpfulness").text_content() or "")
            # The figures are in the DOM as the JSON has them.
            totals = data["totals"]
            assert page.locator("[data-figure=questions] b").inner_text() == f"{totals['questions']:,}"
            assert page.locator("[data-figure=answered] b").inner_text() == f"{totals['answered']:,}"
            assert page.locator("[data-figure=answer_rate] b").inner_text() == f"{100 * totals['answer_rate']:.1f} %"
            rows = page.locator("#table-unanswered tbody tr")
            assert rows.count() == len(data["unanswered"]["clusters"])
            assert "vpn" in rows.nth(0).inner_text().lower()
            worst = page.locator("#table-helpfulness tbody tr").nth(0).inner_text()
            assert "mlops" in worst and filled.mlops_question_of_bob in worst
            assert page.locator("#list-never-matched li").count() == len(data["never_matched"])
            shot = page.screenshot(full_page=True)
            # Print: the charts stay on the page.
            page.emulate_media(media="print")
            assert page.locator("svg#chart-days").bounding_box()["width"] >= 400
        finally:
            browser.close()
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests

    image = Image.open(io.BytesIO(shot)).convert("RGB")
    width, height = image.size
    assert width == 1280 and height >= 1500
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # text, bars, hatching: far from blank
    non_white = sum(n for n, c in colours if c != (255, 255, 255))
    assert non_white / (width * height) > 0.03
    # The chart's bars are there in the palette's colours (answered blue, declined orange).
    assert any(c == (0, 114, 178) for _, c in colours) and any(c == (230, 159, 0) for _, c in colours)
