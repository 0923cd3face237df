"""The `diffusers` renderer: public pretrained checkpoints driven through diffusers' pipelines, on a GPU.

- `renderer.py`: `DiffusersRenderer`, the renderer protocol on top of the pipelines, and their loading;
- `config.py`: `DiffusersConfig`, the TOML/JSON file that chooses checkpoints and sampling;
- keyframes (the global model): `layout_guidance.py` (any Stable Diffusion) or `gligen.py`, both
  prepared by `keyframe_plan.py`;
- infill (the local model): `ltx_infill.py`, `wan_infill.py` or `sparsectrl_infill.py`, each
  mapping its window through `infill_window.py`;
- `identity.py` / `layout_attention.py`: what keeps an entity the same and inside its box;
- `framing.py`: a shot's size, angle and camera move in the prompt's words;
- `preflight.py`: the memory estimate made before a pipeline goes onto the GPU;
- `random_pipelines.py`: randomly initialised copies of the pipelines (`random:tiny`, `random:full`).

Importing this package imports nothing heavy.
"""
