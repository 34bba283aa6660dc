#!/usr/bin/env python3
"""Golden reference results for test/unit/goldenReference.unit.test.ts, computed once by an
implementation independent of TensorFlow.js, and kept in test/fixtures/golden/.

    /opt/refvenv/bin/python scripts/reference/make_golden.py            # write them with Keras + TensorFlow
    /usr/bin/python3 scripts/reference/make_golden.py --implementation torch --check
                                                                         # recompute with PyTorch, compare, record

Each golden file says which implementation produced it (its "implementation" field). The files in
the repository were written by Keras 3 on TensorFlow 2.21 (keras_reference.py: Keras loads the
model files itself and runs the study notes' Grad-CAM) and checked against PyTorch rebuilding the
same networks from the same files (keras_in_torch.py); cross_check.json records that comparison.

Models (see CASES): the study notes' cats-vs-dogs convnet with weights from a seeded generator both
sides implement (seeded_weights.py, test/support/goldenFiles.ts), and the real models in
../shared/realmodels (a Keras 3 MNIST CNN, a Keras 2 HDF5 mini-Xception). Inputs are PNG images this
script draws at exactly each model's input size, so that no resizing or JPEG decoding differs
between the two sides; it reads each image back from its PNG before using it.

What is stored per model: every class's prediction; Grad-CAM heatmaps in full for every class at the
default layer (the last convolution, as src/engine/gradCam.ts picks it) and at one earlier layer that
a max pooling follows; for every layer with a 4-D output, per-channel mean, std, min and max plus a
fixed set of sampled values.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

from seeded_weights import mulberry32

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "golden")
REAL_MODELS = os.path.abspath(os.path.join(REPO_ROOT, "..", "shared", "realmodels"))

CATS_VS_DOGS_SEED = 2024
SAMPLES_PER_LAYER = 24
SIGNIFICANT_DIGITS = 7

# The test's criteria (test/unit/goldenReference.unit.test.ts), used here for --check.
PREDICTION_TOLERANCE = 1e-4
HEATMAP_MIN_CORRELATION = 0.999
HEATMAP_MAX_DIFFERENCE = 0.01
ACTIVATION_RELATIVE_TOLERANCE = 1e-4

CASES = [
    {
        "id": "cats_vs_dogs",
        "about": "The study notes' cats-vs-dogs convnet (Chollet 5.2), weights from mulberry32 with seed 2024 (seeded_weights.py)",
        "model": ("seeded", CATS_VS_DOGS_SEED),
        "image": "cats_vs_dogs_150x150.png",
        "preprocess": "rescale",
        "binary": True,
        # The default layer first (the last convolution), then an earlier one that a max pooling follows.
        "gradCamLayers": ["conv2d_4", "conv2d_3"],
    },
    {
        "id": "mnist_cnn",
        "about": "The Keras 3.10 MNIST CNN of ../shared/realmodels (its TF.js graph model has the same weights)",
        "model": ("file", "mnist-cnn-keras3-and-graph/Subhadip_Hensh_MNIST_CNN.keras"),
        "image": "mnist_seven_28x28.png",
        "preprocess": "rescale",
        "binary": False,
        "gradCamLayers": ["conv2d_1", "conv2d"],
    },
    {
        "id": "fer_mini_xception",
        "about": "The Keras 2.0.5 HDF5 FER2013 mini-Xception of ../shared/realmodels",
        "model": ("file", "fer-minixception-h5/fer2013_mini_XCEPTION.102-0.66.hdf5"),
        "image": "face_64x64.png",
        # The model was trained on pixels scaled to [-1, 1].
        "preprocess": "tf",
        "binary": False,
        # batch_normalization_8's output (negative values included) goes through a 3×3 / 2 'same' max pooling.
        "gradCamLayers": ["conv2d_7", "batch_normalization_8"],
    },
]


# ----------------------------------------------------------------------------------------------
# Input images, drawn at the model's input size


def supersampled(draw, height, width, factor=4):
    """draw(y, x) on a grid `factor` times finer, averaged back: smooth, anti-aliased edges."""
    ys, xs = np.mgrid[0 : height * factor, 0 : width * factor].astype(np.float64)
    fine = draw((ys + 0.5) / factor, (xs + 0.5) / factor)
    return fine.reshape(height, factor, width, factor, *fine.shape[2:]).mean(axis=(1, 3))


def segment_distance(y, x, start, end):
    (y0, x0), (y1, x1) = start, end
    dy, dx = y1 - y0, x1 - x0
    t = np.clip(((y - y0) * dy + (x - x0) * dx) / (dy * dy + dx * dx), 0, 1)
    return np.hypot(y - (y0 + t * dy), x - (x0 + t * dx))


def mnist_seven(y, x):
    """A handwritten-looking 7, white on black, as MNIST digits are."""
    strokes = [((6.5, 7.0), (7.5, 20.5)), ((7.5, 20.5), (22.5, 12.0)), ((14.5, 13.5), (14.0, 19.0))]
    distance = np.min([segment_distance(y, x, *stroke) for stroke in strokes], axis=0)
    return np.where(distance < 1.5, 255.0, 0.0)


def face(y, x):
    """A gray face: lit oval, eyes, brows, nose and a smile, on a darker background."""
    value = 50 + 30 * (x / 64)
    oval = ((x - 32) / 21) ** 2 + ((y - 34) / 26) ** 2 < 1
    value = np.where(oval, 175 - 40 * ((x - 26) ** 2 + (y - 26) ** 2) / 900, value)
    for eye_x in (24, 40):
        value = np.where(((x - eye_x) / 4.5) ** 2 + ((y - 28) / 2.5) ** 2 < 1, 35, value)
        value = np.where(segment_distance(y, x, (21.5, eye_x - 5), (20.5, eye_x + 5)) < 1.2, 60, value)
    value = np.where(segment_distance(y, x, (29, 32), (39, 31)) < 1.0, 120, value)
    smile = (np.abs(y - (47 - 0.04 * (x - 32) ** 2)) < 1.3) & (np.abs(x - 32) < 10)
    value = np.where(smile, 60, value)
    return value


def cats_vs_dogs_image(y, x):
    """Colour bands, a warm disc with two dark eyes, and a stripe: structure at several scales."""
    red = 90 + 60 * np.sin(x / 13)
    green = 120 + 50 * np.cos(y / 19)
    blue = 100 + 40 * np.sin((x + y) / 23)
    disc = (x - 80) ** 2 + (y - 70) ** 2 < 35**2
    red, green, blue = np.where(disc, 205, red), np.where(disc, 150, green), np.where(disc, 90, blue)
    for eye_x in (68, 92):
        eye = (x - eye_x) ** 2 + (y - 62) ** 2 < 5**2
        red, green, blue = np.where(eye, 30, red), np.where(eye, 25, green), np.where(eye, 20, blue)
    stripe = np.abs(x - 1.2 * y + 20) < 6
    blue = np.where(stripe, 230, blue)
    return np.stack([red, green, blue], axis=-1)


def to_pixels(values, noise_seed=None):
    if noise_seed is not None:
        noise = mulberry32(noise_seed, values.size).reshape(values.shape)
        values = values + 24 * (noise - 0.5)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


IMAGES = {
    "mnist_seven_28x28.png": lambda: to_pixels(supersampled(mnist_seven, 28, 28)),
    "face_64x64.png": lambda: to_pixels(supersampled(face, 64, 64)),
    "cats_vs_dogs_150x150.png": lambda: to_pixels(supersampled(cats_vs_dogs_image, 150, 150), noise_seed=7),
}


def write_image(name):
    pixels = IMAGES[name]()
    Image.fromarray(pixels, mode="L" if pixels.ndim == 2 else "RGB").save(os.path.join(GOLDEN_DIR, name), optimize=True)


def read_image(name):
    """The PNG as the model sees it: [1, height, width, channels], 0–255."""
    pixels = np.asarray(Image.open(os.path.join(GOLDEN_DIR, name)))
    return pixels.reshape(1, pixels.shape[0], pixels.shape[1], -1)


def preprocess(pixels, mode):
    """src/engine/preprocess.ts: the arithmetic in float64, each value then rounded to float32."""
    values = pixels.astype(np.float64)
    if mode == "rescale":
        return (values / 255).astype(np.float32)
    if mode == "tf":
        return (values / 127.5 - 1).astype(np.float32)
    raise ValueError(f"preprocessing {mode} is not mirrored here")


# ----------------------------------------------------------------------------------------------
# Results


def rounded(values):
    return [float(f"{float(value):.{SIGNIFICANT_DIGITS}g}") for value in np.asarray(values).ravel()]


def sample_indices(layer_position, size):
    rng = np.random.default_rng(1000 + layer_position)
    return sorted(int(i) for i in rng.choice(size, size=min(SAMPLES_PER_LAYER, size), replace=False))


def activation_record(position, name, values):
    channels = values.reshape(-1, values.shape[-1]).astype(np.float64)
    flat = values.ravel()
    return {
        "layer": name,
        "shape": list(values.shape),
        "mean": rounded(channels.mean(axis=0)),
        "std": rounded(channels.std(axis=0)),
        "min": rounded(channels.min(axis=0)),
        "max": rounded(channels.max(axis=0)),
        "samples": [[i, rounded([flat[i]])[0]] for i in sample_indices(position, flat.size)],
    }


def compute(implementation, case):
    model = implementation.load(case, REAL_MODELS)
    x = preprocess(read_image(case["image"]), case["preprocess"])
    binary = case["binary"]
    scores = implementation.predictions(model, x, binary)
    grad_cams = []
    for layer in case["gradCamLayers"]:
        for class_index in range(len(scores)):
            heatmap, score = implementation.grad_cam(model, x, layer, class_index, binary)
            grad_cams.append({"layer": layer, "classIndex": class_index, "score": rounded([score])[0], "size": list(heatmap.shape), "heatmap": rounded(heatmap)})
    layers = implementation.spatial_layers(model, x)
    outputs = implementation.activations(model, x, layers)
    return {
        "id": case["id"],
        "about": case["about"],
        "generatedBy": "scripts/reference/make_golden.py",
        "implementation": implementation.NAME,
        "model": {"kind": case["model"][0], "source": case["model"][1]},
        "image": case["image"],
        "inputShape": list(x.shape[1:]),
        "preprocess": case["preprocess"],
        "binary": binary,
        "predictions": rounded(scores),
        "defaultGradCamLayer": case["gradCamLayers"][0],
        "gradCam": grad_cams,
        "activations": [activation_record(position, name, outputs[name]) for position, name in enumerate(layers)],
    }


# ----------------------------------------------------------------------------------------------
# --check: the same measures as the TypeScript test


def correlation(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.std() == 0 or b.std() == 0:
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(np.corrcoef(a, b)[0, 1])


def compare(computed, stored):
    """Worst measures of `computed` against `stored`, and the failures beyond the test's criteria."""
    failures = []
    prediction_diff = float(np.max(np.abs(np.subtract(computed["predictions"], stored["predictions"]))))
    if prediction_diff > PREDICTION_TOLERANCE:
        failures.append(f"predictions differ by {prediction_diff:.3g}")
    worst_correlation, worst_heatmap_diff = 1.0, 0.0
    for mine, theirs in zip(computed["gradCam"], stored["gradCam"]):
        r = correlation(mine["heatmap"], theirs["heatmap"])
        diff = float(np.max(np.abs(np.subtract(mine["heatmap"], theirs["heatmap"]))))
        worst_correlation, worst_heatmap_diff = min(worst_correlation, r), max(worst_heatmap_diff, diff)
        if r < HEATMAP_MIN_CORRELATION or diff > HEATMAP_MAX_DIFFERENCE:
            failures.append(f"Grad-CAM {mine['layer']} class {mine['classIndex']}: correlation {r:.6f}, max diff {diff:.3g}")
    worst_activation = 0.0
    for mine, theirs in zip(computed["activations"], stored["activations"]):
        scale = max(max(abs(v) for v in theirs["min"]), max(abs(v) for v in theirs["max"])) or 1.0
        diffs = [np.max(np.abs(np.subtract(mine[key], theirs[key]))) for key in ("mean", "std", "min", "max")]
        diffs.append(np.max(np.abs(np.subtract([v for _, v in mine["samples"]], [v for _, v in theirs["samples"]]))))
        relative = float(max(diffs) / scale)
        worst_activation = max(worst_activation, relative)
        if relative > ACTIVATION_RELATIVE_TOLERANCE:
            failures.append(f"activations of {mine['layer']}: relative difference {relative:.3g}")
    measures = {
        "predictionMaxAbsDiff": prediction_diff,
        "heatmapMinCorrelation": worst_correlation,
        "heatmapMaxAbsDiff": worst_heatmap_diff,
        "activationMaxRelativeDiff": worst_activation,
    }
    return measures, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--implementation", choices=["keras", "torch"], default="keras")
    parser.add_argument("--check", action="store_true", help="recompute, compare with the stored files and record the comparison in cross_check.json instead of writing them")
    parser.add_argument("--only", nargs="*", help="case ids (default: all)")
    args = parser.parse_args()
    if args.implementation == "keras":
        import keras_reference as implementation
    else:
        import keras_in_torch as implementation

    if not os.path.isdir(REAL_MODELS):
        sys.exit(f"{REAL_MODELS} is absent: it holds the real model files the golden results are computed from")
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    cases = [case for case in CASES if not args.only or case["id"] in args.only]
    cross_check_path = os.path.join(GOLDEN_DIR, "cross_check.json")
    cross_check = {}
    if args.check and os.path.exists(cross_check_path):
        with open(cross_check_path) as file:
            cross_check = json.load(file)
    failed = False
    for case in cases:
        path = os.path.join(GOLDEN_DIR, f"{case['id']}.json")
        if args.check:
            with open(path) as file:
                stored = json.load(file)
            measures, failures = compare(compute(implementation, case), stored)
            cross_check[case["id"]] = {"storedBy": stored["implementation"], "checkedBy": implementation.NAME, **measures, "failures": failures}
            print(f"{case['id']}: {json.dumps(measures)}")
            for failure in failures:
                print(f"  FAIL {failure}")
            failed = failed or bool(failures)
        else:
            write_image(case["image"])
            golden = compute(implementation, case)
            with open(path, "w") as file:
                json.dump(golden, file, separators=(",", ":"))
                file.write("\n")
            print(f"wrote {os.path.relpath(path, REPO_ROOT)} ({os.path.getsize(path)} bytes) with {implementation.NAME}")
    if args.check:
        with open(cross_check_path, "w") as file:
            json.dump(cross_check, file, indent=2)
            file.write("\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
