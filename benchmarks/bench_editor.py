"""The storyboard editor's two numbers: preview latency after an edit, and re-render time after editing one scene.

    python benchmarks/bench_editor.py              # preview over HTTP + re-render through the editor's render job
    python benchmarks/bench_editor.py --browser    # also: the preview loop in headless Chromium (needs apt chromium)

1. **Preview latency**: the editor app runs in uvicorn on 127.0.0.1, as under `director edit`. For every
   scene of examples/the_kite.fountain (512x288), a box is moved and POST /api/preview asks for the frame
   at that keyframe; each request differs from the last, so nothing is cached. Reported: wall time seen
   by the client (median and 95th percentile) and the server's own draw + PNG time (Server-Timing).
   The server is `director edit` in its own process. With `--browser`: a box is dragged in the page,
   and the page's own timing, from the drag step's request to the new image decoded, is read back
   (what a person waits for).
2. **Re-render after an edit**: a five-scene script is planned into a project and rendered through the
   editor's render job (the same path as the Render button); then one box of scene 3 is moved, saved, and
   rendered again. Reported: jobs rendered / from the cache and wall time for both.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """Scene 1: A girl walks from the left to the right. A dog follows her.
Scene 2: A red ball rolls from the right to the left. The dog chases the ball.
Scene 3: A bird first flies to the top left, then to the bottom right. A cat sits on a bench.
Scene 4: A boat sails from the left to the right on the sea. A gull flies above the boat.
Scene 5: At night, the girl sits beside a tree. The dog sleeps under the tree.
"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


def serve(project_dir: Path) -> tuple[str, subprocess.Popen]:
    """`director edit PROJECT --port 0` in its own process, as a person runs it; returns its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "director.cli", "edit", str(project_dir), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    for line in process.stdout:
        if line.startswith("director editor: "):
            return line.split(": ", 1)[1].strip(), process
    raise RuntimeError("the editor did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def preview_over_http(url: str, board: dict, edits: int) -> tuple[list[float], list[float]]:
    import httpx

    walls, server_ms = [], []
    # TCP_NODELAY as browsers set it: otherwise Nagle's algorithm holds the request body back ~40 ms.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(base_url=url, timeout=30, transport=transport) as client:
        for scene in board["scenes"]:
            frame = scene["layouts"][0]
            entity = next(iter(frame["boxes"]))
            for k in range(edits + 2):
                box = frame["boxes"][entity]
                shift = 0.01 if k % 2 else -0.01  # a different box every request
                width = box["x1"] - box["x0"]
                box["x0"] = round(min(max(box["x0"] + shift, 0.0), 1.0 - width), 4)
                box["x1"] = round(box["x0"] + width, 4)
                body = {"scene": scene, "entities": board["entities"], "fps": board["fps"], "width": board["width"],
                        "height": board["height"], "style": board["style"], "t": frame["t"], "max_width": 640}
                started = time.perf_counter()
                response = client.post("/api/preview", json=body)
                wall = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if k < 2:
                    continue  # warm-up: the first draw of a background paints and caches it
                walls.append(wall)
                timing = dict(part.split(";dur=") for part in response.headers["server-timing"].split(", "))
                server_ms.append(sum(float(v) for v in timing.values()))
    return walls, server_ms


def preview_in_browser(url: str, chromium: str, steps: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_function("document.querySelector('#preview').dataset.count !== undefined")
        times = []
        for scene in range(5):
            page.click(f"#strip .card:nth-child({scene + 1})")
            page.wait_for_timeout(300)
            body = page.locator("#canvas g.box rect.body").first
            box = body.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            for k in range(steps):
                count = page.eval_on_selector("#preview", "img => Number(img.dataset.count)")
                x += 6 if k % 2 == 0 else -4
                page.mouse.move(x, y)  # the page asks for a preview at once, and times it until decoded
                page.wait_for_function(f"Number(document.querySelector('#preview').dataset.count) > {count}")
                times.append(float(page.eval_on_selector("#preview", "img => img.dataset.ms")))
            page.mouse.up()
        browser.close()
    return times


def rerender(tmp: Path) -> list[tuple[str, object, float]]:
    from director.api import Director
    from director.editor.project import Project
    from director.editor.render_job import RenderRunner
    from director.storyboard import Box

    project = Project.create(tmp / "five", Director().plan(SCRIPT))
    runner = RenderRunner(project)
    rows = []
    for label in ("all 5 scenes, cold", "after editing scene 3", "nothing changed"):
        if label == "after editing scene 3":
            data = project.board.model_dump()
            scene = data["scenes"][2]
            entity = scene["entities"][-1]
            for frame in scene["layouts"]:
                if entity in frame["boxes"]:
                    frame["boxes"][entity] = Box(x0=0.05, y0=0.55, x1=0.2, y1=0.8).model_dump()
            project.save(type(project.board).model_validate(data), project.version)
        started = time.perf_counter()
        runner.start("animatic")
        status = runner.wait()
        rows.append((label, status, time.perf_counter() - started))
        assert status.state == "done", status.error
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=20, help="Preview requests per scene.")
    parser.add_argument("--browser", action="store_true", help="Also measure the preview loop in headless Chromium.")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from director.editor.project import open_project

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "the_kite.fountain"
        script.write_text((ROOT / "examples" / "the_kite.fountain").read_text())
        project, _ = open_project(script)
        url, server = serve(project.root)
        try:
            walls, server_ms = preview_over_http(url, project.board.model_dump(mode="json"), args.edits)
            browser = preview_in_browser(url, args.chromium, args.edits) if args.browser else None
        finally:
            server.terminate()
            server.wait(10)
        rows = rerender(Path(tmp))

    print("| preview of one frame after an edit (the_kite, 512x288) | requests | median ms | p95 ms |")
    print("|---|---|---|---|")
    print(f"| HTTP round trip, client side | {len(walls)} | {statistics.median(walls):.1f} | {percentile(walls, 0.95):.1f} |")
    print(f"| server: draw + PNG | {len(server_ms)} | {statistics.median(server_ms):.1f} | {percentile(server_ms, 0.95):.1f} |")
    if browser:
        print(f"| in Chromium: drag step to the new image decoded | {len(browser)} | {statistics.median(browser):.1f} | {percentile(browser, 0.95):.1f} |")
    print()
    print("| render through the editor (5 scenes, animatic) | jobs rendered | jobs from cache | scenes rendered | wall s |")
    print("|---|---|---|---|---|")
    for label, status, wall in rows:
        print(f"| {label} | {status.jobs_rendered} | {status.jobs_cached} | {len(status.rendered_by_scene)} | {wall:.2f} |")


if __name__ == "__main__":
    main()
