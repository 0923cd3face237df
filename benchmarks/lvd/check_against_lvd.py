"""Check our rebuild against LVD's own code, prompt by prompt: same prompts, same verdicts.

    python benchmarks/lvd/check_against_lvd.py                      # LVD's two GPT caches
    python benchmarks/lvd/check_against_lvd.py --answers plans.json # also answers in LVD's cache format

Runs LVD's evaluation (`prompt.get_prompts('lvd', return_predicates=True)`, its cached-answer
parser `utils.llm.get_parsed_layout_with_cache` and `utils.eval.evaluate_with_layout`, as
`scripts/eval_stage_one.py` does) from a fetched copy of TonyLianLong/LLM-groundedVideoDiffusion
(a git directory; the files are taken at LVD_COMMIT into a temporary folder, nothing of theirs
is kept), next to ours, and prints any prompt where the prompt, category or verdict differ.

LVD's code needs `inflect` (not a dependency of director: install it in a scratch
environment, `pip install "inflect>=7"`). Its plotting, video and HTTP imports are not
needed for scoring and are replaced by empty modules. `--answers` takes a JSON object of
prompt -> list of LVD-format answers, or the rows `bench_lvd.py --json` writes (their
`layout` texts are grouped by prompt in order; every plan must have one, i.e. none invalid).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import types
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LVD_COMMIT = "22d90d2994ac3a938367383a11a5608f7fe73147"
LVD_FILES = ["prompt.py", "utils/eval", "utils/parse.py", "utils/llm.py", "utils/cache.py", "cache"]
UNUSED_IMPORTS = ["matplotlib", "matplotlib.patches", "matplotlib.collections", "matplotlib.pyplot", "imageio", "requests", "pyjson5", "easydict"]


def extract_lvd(git_dir: Path, into: Path) -> None:
    archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", LVD_COMMIT, *LVD_FILES], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "utils" / "__init__.py").write_text("")  # theirs pulls in torch and cv2 helpers that scoring does not use


def import_lvd(root: Path):
    """LVD's prompt and evaluation modules, with the imports scoring never uses replaced by empty modules."""
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["matplotlib.patches"].Polygon = None  # type: ignore[attr-defined]
    sys.modules["matplotlib.collections"].PatchCollection = None  # type: ignore[attr-defined]
    sys.modules["easydict"].EasyDict = dict  # type: ignore[attr-defined]
    sys.path.insert(0, str(root))
    import utils  # noqa: F401 - LVD's package, from `root`

    sys.modules["utils.guidance"] = utils.guidance = types.ModuleType("utils.guidance")  # used only with a tokenizer
    import prompt as lvd_prompt
    from utils import cache as lvd_cache
    from utils.eval import evaluate_with_layout
    from utils.llm import get_parsed_layout_with_cache

    return lvd_prompt, lvd_cache, get_parsed_layout_with_cache, evaluate_with_layout


def lvd_verdicts(lvd, cache_path: Path) -> list[tuple[str, str, bool]]:
    lvd_prompt, lvd_cache, get_layout, evaluate = lvd
    verdicts = []
    with contextlib.redirect_stdout(io.StringIO()):  # LVD prints every condition
        lvd_cache.cache_path = str(cache_path)
        lvd_cache.init_cache()
        lvd_cache.reset_cache_access()
        for text, predicate in lvd_prompt.get_prompts("lvd", return_predicates=True):
            text = text.strip().rstrip(".")
            layout = get_layout(text, {"template": None}, cache_miss_allowed=False)
            kind, ok = evaluate(layout, predicate, 6, height=512, width=512)
            verdicts.append((text, kind, bool(ok)))
    return verdicts


def as_lvd_cache(path: Path, into: Path) -> Path:
    """`path` itself if it is an LVD cache (prompt -> answers); rows of `bench_lvd.py --json` grouped into one."""
    data = json.loads(path.read_text())
    if isinstance(data, dict):
        return path
    grouped: dict[str, list[str]] = {}
    for row in data:
        grouped.setdefault(row["prompt"], []).append(row.get("layout") or "")
    out = into / f"{path.stem}.lvd-cache.json"
    out.write_text(json.dumps(grouped))
    return out


def our_verdicts(cache_path: Path) -> list[tuple[str, str, bool]]:
    from benchmarks.lvd.parse import answer_to_video, replay_cache
    from benchmarks.lvd.prompts import lvd_cases

    cases = lvd_cases()
    answers = replay_cache(json.loads(cache_path.read_text()), [c.prompt for c in cases])
    return [(c.prompt, c.category, c.rule.check(answer_to_video(a)) is None) for c, a in zip(cases, answers, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lvd-repo", type=Path, default=Path("/work/.mirror/TonyLianLong+LLM-groundedVideoDiffusion/repo"), help="git directory of LVD's repository")
    parser.add_argument("--answers", type=Path, nargs="*", default=[], help="more answer files in LVD's cache format")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT))
    with tempfile.TemporaryDirectory(prefix="lvd-") as scratch:
        root = Path(scratch)
        extract_lvd(args.lvd_repo, root)
        lvd = import_lvd(root)
        files = [root / "cache" / f"cache_lvd_v0.1_{m}.json" for m in ("gpt-4-1106-preview", "gpt-3.5-turbo")]
        files += [as_lvd_cache(path, root) for path in args.answers]
        failed = False
        for path in files:
            theirs, ours = lvd_verdicts(lvd, path), our_verdicts(path)
            differ = [k for k, (a, b) in enumerate(zip(theirs, ours, strict=True)) if a != b]
            print(f"{path.name}: {len(ours)} prompts, LVD's code passes {sum(v for *_, v in theirs)}, ours {sum(v for *_, v in ours)}; "
                  f"prompts where prompt, category or verdict differ: {differ or 'none'}")
            failed |= bool(differ)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
