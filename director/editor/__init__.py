"""The storyboard editor: `director edit PROJECT` serves one page to review and fix a plan in a browser.

- `project`: the project folder, its versions, undo/redo and the version check on save;
- `app`: the FastAPI app (the JSON API, the page, and the request guards), whose request bodies
  `json_body` reads as strict JSON;
- `serve`: the socket, the access token and Host names, and uvicorn (`director edit` calls it);
- `preview`, `render_job`, `replan`, `cast`: instant previews, background renders,
  re-planning one scene, and cast edits that reach into every scene.

Needs the `editor` extra (`pip install "director[editor]"`): FastAPI and uvicorn.
"""
