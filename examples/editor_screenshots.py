"""Take the README's screenshots of the storyboard editor (`director edit`), with the headless system Chromium.

    python examples/editor_screenshots.py            # writes examples/editor.png, editor_render.png, editor_shots.png
                                                     # and the_kite.shot_board.png

Plans examples/the_kite.fountain into a temporary project, serves it on 127.0.0.1, moves Biscuit in
scene 3, renders, moves him again and renders the changed scene only. Then cuts scene 1 into shots
(a wide, a medium on whoever speaks, a close-up on Mira panning right), renders again and keeps the
shot board that render wrote beside the movie. Needs `pip install -e ".[test]"`
and `apt-get install chromium`.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


def serve(app) -> tuple[str, object]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # so asyncio sets TCP_NODELAY
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/", server


def drag(page, selector: str, dx: float, dy: float) -> None:
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()


def seek(page, t: float) -> None:
    """Click the timeline at `t` seconds into the scene (the timeline pads 10 of its units on each side)."""
    duration = float(page.eval_on_selector("#timeline", "e => e.dataset.duration"))
    box = page.locator("#timeline").bounding_box()
    pad = 10 * box["width"] / max(200, page.eval_on_selector("#timeline", "e => e.clientWidth"))
    page.mouse.click(box["x"] + pad + (box["width"] - 2 * pad) * t / duration, box["y"] + box["height"] - 20)
    page.wait_for_function(f"document.querySelector('#time').textContent === '{t:.2f} s'")


def cut_into_shots(page) -> None:
    """Scene 1 as three shots: the wide it was, a medium on whoever speaks, a close-up on Mira panning right."""
    page.click("#strip .card[data-scene='scene_1']")
    seek(page, 1.0)
    page.click("#add-shot")  # the second half of the wide shot: a medium on Mira, who speaks then
    page.wait_for_function("document.querySelectorAll('#timeline rect.shot').length === 2")
    seek(page, 7.5)
    page.click("#split-shot")
    page.wait_for_function("document.querySelectorAll('#timeline rect.shot').length === 3")
    page.select_option("#shot-size", "close_up")
    page.select_option("#shot-move", "pan")
    page.wait_for_selector("#shot-direction")
    page.select_option("#shot-direction", "right")
    page.wait_for_function("!document.querySelector('#shot-actions').dataset.busy")
    seek(page, 6.0)


def save_small(page, path: Path) -> None:
    """A screenshot as a 256-colour PNG: a UI needs no more, and the file stays small."""
    from PIL import Image

    page.screenshot(path=str(path))
    image = Image.open(path).convert("RGB")
    palette = image.quantize(256, method=Image.Quantize.MEDIANCUT)
    image.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)  # dithered: no banding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=EXAMPLES)
    args = parser.parse_args()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from director.editor.app import create_app
    from director.editor.project import open_project

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "the_kite.fountain"
        script.write_text((EXAMPLES / "the_kite.fountain").read_text())
        project, _ = open_project(script)
        url, server = serve(create_app(project))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']")
            page.click("#strip .card[data-scene='scene_3']")
            time.sleep(0.5)
            drag(page, "#canvas g.box[data-entity='biscuit'] rect.body", -160, -12)
            time.sleep(1.0)
            save_small(page, args.out / "editor.png")

            page.click("#save")
            page.click("#render")
            page.wait_for_selector("#render-summary", timeout=60_000)
            drag(page, "#canvas g.box[data-entity='biscuit'] rect.body", 60, 0)
            page.click("#save")
            page.wait_for_function("document.querySelector('#render').textContent === 'Render (1 changed)'")
            page.click("#render")
            page.wait_for_function("document.querySelector('#render-summary')?.textContent.includes('scene_3)')", timeout=60_000)
            page.wait_for_function("document.querySelector('#movie').readyState >= 2")
            page.eval_on_selector("#movie", "v => { v.currentTime = 27; }")
            page.eval_on_selector("#toasts", "t => t.replaceChildren()")
            page.eval_on_selector("#render-summary", "p => p.scrollIntoView()")
            time.sleep(1.0)
            save_small(page, args.out / "editor_render.png")

            cut_into_shots(page)
            page.click(".tabs button[data-tab='scene']")
            page.eval_on_selector("#toasts", "t => t.replaceChildren()")
            time.sleep(1.0)
            save_small(page, args.out / "editor_shots.png")
            page.click("#save")
            page.wait_for_function("document.querySelector('#render').textContent === 'Render (1 changed)'")
            page.click("#render")
            page.wait_for_function("document.querySelector('#render-summary')?.textContent.includes('scene_1)')", timeout=120_000)
            browser.close()
        server.should_exit = True
        board = Image.open(project.path("renders/movie.contact.png"))
        board.quantize(256, method=Image.Quantize.MEDIANCUT).save(args.out / "the_kite.shot_board.png", optimize=True)
    print(f"wrote {', '.join(str(args.out / n) for n in ('editor.png', 'editor_render.png', 'editor_shots.png', 'the_kite.shot_board.png'))}")


if __name__ == "__main__":
    main()
