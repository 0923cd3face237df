"""Model-based metrics with tiny, seeded, random models of the real architectures, loaded from disk
the way users' models are. Values are meaningless; what they must satisfy is not."""

from __future__ import annotations

import pytest

for _module in ("scipy", "skimage", "matplotlib"):  # the `eval` extras: pip install -e ".[eval]"
    pytest.importorskip(_module)

import numpy as np

pytest.importorskip("torch")
pytest.importorskip("transformers")

# The Inception and I3D files of the FID / FVD literature are TorchScript, which torch now marks deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

from director.evaluate import EvalConfig, evaluate_movie  # noqa: E402
from director.evaluate.detectors import Detection, EntityQuery, load_detector  # noqa: E402
from director.evaluate.extractors import (  # noqa: E402
    InceptionEmbedder,
    ModelUnavailable,
    load_clip,
    load_inception,
    load_video_model,
)
from director.storyboard import Entity  # noqa: E402
from tests.evaluate.tiny_models import (  # noqa: E402
    TinyI3D,
    TinyInception,
    save_tiny_clip,
    save_tiny_owlvit,
    save_tiny_videomae,
    save_torchscript,
)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_models")
    paths = {}
    for name, save in (("clip", save_tiny_clip), ("owlvit", save_tiny_owlvit), ("videomae", save_tiny_videomae)):
        (folder / name).mkdir()
        paths[name] = str(save(folder / name))
    paths["inception"] = str(save_torchscript(TinyInception, folder / "inception-2015-12-05.pt"))
    paths["i3d"] = str(save_torchscript(TinyI3D, folder / "i3d_torchscript.pt"))
    return paths


def frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (36, 64, 3), dtype=np.uint8) for _ in range(n)]


def test_clip_embeddings_are_unit_length_and_deterministic(models):
    clip = load_clip(models["clip"])
    images = clip.images(frames(3))
    assert images.shape == (3, 16)
    assert np.linalg.norm(images, axis=1) == pytest.approx(np.ones(3), abs=1e-5)
    assert clip.images(frames(3)) == pytest.approx(images, abs=1e-6)
    texts = clip.texts(["a cat", "a dog runs from the left to the right " * 20])  # long text is truncated, not refused
    assert texts.shape == (2, 16)


def test_clip_metrics_run_on_a_movie_with_its_storyboard(models, rendered):
    config = EvalConfig(clip=models["clip"], inception=None, video_model=None)
    report = evaluate_movie(rendered.movie, storyboard=rendered.board, config=config)
    clipsim, consistency = report.metric("clipsim"), report.metric("frame_consistency_clip")
    assert -1 <= clipsim.value <= 1 and clipsim.detail["texts"] == 2  # one text per scene
    assert -1 <= consistency.value <= 1 and consistency.detail["scenes"] == 2
    assert report.metric("identity_consistency").detail["features"] == "clip"
    curve = [v for v in report.per_frame.clip_consistency if v is not None]
    assert len(curve) == report.frames - 2  # every frame but the first of each scene
    assert report.models["clip"] == models["clip"]


def test_fid_and_kid_of_a_movie_with_itself_are_zero_and_grow_for_another(models, rendered, tmp_path):
    config = EvalConfig(clip=None, inception=models["inception"], video_model=None)
    same = evaluate_movie(rendered.movie, reference=rendered.movie, config=config)
    assert same.metric("fid").value == pytest.approx(0.0, abs=1e-6)
    assert same.metric("kid").value == pytest.approx(0.0, abs=1e-4)  # unbiased: near 0, may dip below
    assert same.metric("inception_score").value >= 1.0
    noise = tmp_path / "noise.mp4"
    write_video(noise, frames(24, seed=1))
    other = evaluate_movie(rendered.movie, reference=noise, config=config)
    assert other.metric("fid").value > 1e-3  # random features are small; noise is still far from the movie
    assert other.metric("kid").value > same.metric("kid").value + 1e-6


def test_fvd_kvd_and_video_inception_score_with_a_transformers_video_classifier(models, rendered, tmp_path):
    config = EvalConfig(clip=None, inception=None, video_model=models["videomae"], clip_length=4)
    noise = tmp_path / "noise.mp4"
    write_video(noise, frames(24, seed=2))
    report = evaluate_movie(rendered.movie, reference=noise, config=config)
    fvd = report.metric("fvd")
    assert fvd.value > 0 and fvd.detail["clips"] == 6 and fvd.detail["reference_clips"] == 6
    assert report.metric("kvd").value is not None
    vis = report.metric("video_inception_score")
    assert 1.0 <= vis.value <= 5.0  # at most the number of classes
    same = evaluate_movie(rendered.movie, reference=rendered.movie, config=config)
    assert same.metric("fvd").value == pytest.approx(0.0, abs=1e-3) and same.metric("fvd").value < fvd.value


def test_an_i3d_torchscript_gives_fvd_but_no_video_inception_score(models, rendered):
    config = EvalConfig(clip=None, inception=None, video_model=models["i3d"], clip_length=4)
    report = evaluate_movie(rendered.movie, reference=rendered.movie, config=config)
    assert report.metric("fvd").value == pytest.approx(0.0, abs=1e-3)
    assert report.metric("fvd").detail["dims"] == 400
    assert "no class probabilities" in report.metric("video_inception_score").skipped


def test_torchvision_style_inception_gives_pool_features_and_probabilities():
    import torch

    class Inception3Like(torch.nn.Module):  # the attributes torchvision's Inception3 has: avgpool, dropout, fc
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, stride=4)
            self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
            self.fc = torch.nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.avgpool(self.conv(x)), 1))

    torch.manual_seed(0)
    features, probabilities = InceptionEmbedder(Inception3Like(), input_size=64)(frames(3))
    assert features.shape == (3, 8) and probabilities.shape == (3, 10)
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(3))


def test_owlvit_detector_loads_through_the_registry_and_returns_boxes_in_the_frame(models):
    queries = [
        EntityQuery.from_entity(Entity(id="cat", name="cat", category="cat")),
        EntityQuery.from_entity(Entity(id="dog", name="Rex", category="dog", description="a brown dog")),
    ]
    detector = load_detector("owlvit", {"model": models["owlvit"], "threshold": 0.0})
    found = detector.detect(frames(2), queries)
    assert len(found) == 2 and any(found)
    for per_frame in found:
        assert set(per_frame) <= {"cat", "dog"}
        for detection in per_frame.values():
            assert isinstance(detection, Detection) and 0 <= detection.score <= 1
            assert 0 <= detection.box.x0 < detection.box.x1 <= 1
    # Each entity gets the best-scoring box labelled with its query (checked against the raw post-processing).
    import torch

    with torch.no_grad():
        inputs = detector.processor(text=[[q.text for q in queries]], images=[frames(2)[0]], return_tensors="pt",
                                    padding="max_length", truncation=True, max_length=16)
        raw = detector.processor.post_process_grounded_object_detection(detector.model(**inputs), threshold=0.0, target_sizes=[(36, 64)])[0]
    for k, query in enumerate(queries):
        scores = [s for s, label in zip(raw["scores"].tolist(), raw["labels"].tolist(), strict=True) if label == k]
        if query.id in found[0]:
            assert found[0][query.id].score == pytest.approx(max(scores))


def test_unloadable_models_say_which_metrics_need_them_and_how_to_point_to_one(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"CLIPSIM.*--clip"):
        load_clip(str(tmp_path / "missing"))
    not_a_model = tmp_path / "notes.pt"
    not_a_model.write_text("hello")
    with pytest.raises(ModelUnavailable, match=r"FID, KID and the Inception Score.*--inception"):
        load_inception(str(not_a_model))
    with pytest.raises(ModelUnavailable, match=r"FVD, KVD.*--video-model"):
        load_video_model(None)
    with pytest.raises(ModelUnavailable, match=r"layout alignment.*--detector-model"):
        load_detector("owlvit", {"model": str(tmp_path / "missing")})


def write_video(path, images, fps: int = 6) -> None:
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(str(path), (images[0].shape[1], images[0].shape[0]), fps=fps, codec="libx264", pix_fmt_out="yuv420p")
    writer.send(None)
    for image in images:
        writer.send(np.ascontiguousarray(image))
    writer.close()
