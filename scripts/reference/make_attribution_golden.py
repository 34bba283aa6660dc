#!/usr/bin/env python3
"""Golden attributions and faithfulness scores for test/unit/attributions.unit.test.ts and
test/unit/faithfulness.unit.test.ts, computed with PyTorch from the papers' formulas on the same
weights (the networks rebuilt by keras_in_torch.py), independently of TensorFlow.js:

    /usr/bin/python3 scripts/reference/make_attribution_golden.py [case id …]
        # writes test/fixtures/golden-attributions/ (all cases: a few minutes, mostly ROAD's dense
        # solves of the 64×64 images)

Models (CASES): the example model (examples/shapes, TF.js layers format, softmax), the MNIST CNN
(Keras 3 .keras; the tests also run its TF.js graph model, which has the same weights), the FER
mini-Xception (Keras 2 HDF5: separable convolutions, batch normalization, residual adds) from
../shared/realmodels, and a small seeded convnet with one sigmoid unit (weights from
seeded_weights.py, which the tests rebuild bit for bit, also inside a nested model). Inputs are PNGs
at exactly each model's input size.

Per case: the explained class and score; saliency, SmoothGrad, Integrated Gradients, Guided
Backprop, Guided Grad-CAM and occlusion maps; the Sobel and (a digest of) the random baseline map;
the deletion and insertion curves and ROAD scores of the saliency, random and Sobel maps.

Conventions shared with src/engine/analyses/attributions and faithfulness (their comments give the
formulas): maps are row-major [height, width]; |·| max over channels for the gradient maps, sum
over channels for Integrated Gradients; seeded noise is mulberry32 (seeded_weights.py) with stream k
of seed s starting at (s + (k + 1) · 0x9E3779B1) mod 2^32, normal deviates by Box–Muller on pairs
(u1, u2): sqrt(-2 ln(1 - u1)) · (cos, sin)(2π u2). Maps are stored as integers, value ≈ int · scale /
100000 (5 significant digits of the largest |value|); the faithfulness scores are computed here
from the stored (decoded) saliency and Sobel maps, so both sides rank exactly the same values.
"""
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import keras_in_torch as kt
from seeded_weights import mulberry32, seeded_kernel_and_bias, tensor_seed

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "golden-attributions")
GOLDEN_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "golden")
REAL_MODELS = os.path.abspath(os.path.join(REPO_ROOT, "..", "shared", "realmodels"))

SIGMOID_SEED = 34
MAP_DIGITS = 100000

SETTINGS = {
    "smoothGrad": {"samples": 8, "noiseLevel": 0.15, "seed": 11},
    "integratedGradients": {"steps": 16},
    "faithfulness": {"steps": 16, "deletionValue": 0.0, "roadFractions": [0.2, 0.4, 0.6, 0.8], "roadNoiseLevel": 0.002, "roadSeed": 3, "randomSeed": 5},
}

CASES = [
    {
        "id": "shapes",
        "about": "The example model (examples/shapes/model.json), a triangle sample resized to 64×64 by NEAREST",
        "model": ("tfjs", "examples/shapes/model.json"),
        "image": ("triangle_64x64.png", "examples/shapes/triangle-1.png", 64, 64),
        "preprocess": "rescale",
        "binary": False,
        "classIndex": None,
        "score": "logit",
        "gradCamLayer": "conv2d_4",
        "occlusion": {"window": 8, "stride": 4},
    },
    {
        "id": "mnist_cnn",
        "about": "The Keras 3 MNIST CNN of ../shared/realmodels (its TF.js graph model has the same weights)",
        "model": ("real", "mnist-cnn-keras3-and-graph/Subhadip_Hensh_MNIST_CNN.keras"),
        "image": ("../golden/mnist_seven_28x28.png",),
        "preprocess": "rescale",
        "binary": False,
        "classIndex": None,
        "score": "logit",
        "gradCamLayer": "conv2d_1",
        # 28 = 0, 3, …, 21 and the last window flush with the edge at 22.
        "occlusion": {"window": 6, "stride": 3},
    },
    {
        "id": "fer_mini_xception",
        "about": "The Keras 2 HDF5 FER2013 mini-Xception of ../shared/realmodels",
        "model": ("real", "fer-minixception-h5/fer2013_mini_XCEPTION.102-0.66.hdf5"),
        "image": ("../golden/face_64x64.png",),
        "preprocess": "tf",
        "binary": False,
        "classIndex": None,
        "score": "logit",
        "gradCamLayer": "conv2d_7",
        "occlusion": {"window": 8, "stride": 4},
    },
    {
        "id": "seeded_sigmoid",
        "about": f"A small convnet with one sigmoid unit, weights from seeded_weights.py with seed {SIGMOID_SEED}; class 0 (1 − p) explained by its output",
        "model": ("seeded", SIGMOID_SEED),
        "image": ("colour_32x32.png", "test/fixtures/golden/cats_vs_dogs_150x150.png", 32, 32),
        "preprocess": "rescale",
        "binary": True,
        "classIndex": 0,
        "score": "output",
        "gradCamLayer": "conv2d_2",
        "occlusion": {"window": 6, "stride": 4},
    },
]


# ----------------------------------------------------------------------------------------------
# Models and inputs




def seeded_sigmoid(seed):
    """32×32×3 → Conv2D 8 (3×3, relu) → MaxPooling 2 → Conv2D 16 (3×3, relu) → Flatten → Dense 1 sigmoid."""
    conv1 = seeded_kernel_and_bias(seed, 0, (3, 3, 3, 8))
    conv2 = seeded_kernel_and_bias(seed, 1, (3, 3, 8, 16))
    dense = seeded_kernel_and_bias(seed, 2, (13 * 13 * 16, 1))
    specs = [
        ("input_1", "InputLayer", {}, {}),
        ("conv2d_1", "Conv2D", {"activation": "relu"}, {"kernel": conv1[0], "bias": conv1[1]}),
        ("max_pooling2d_1", "MaxPooling2D", {"pool_size": [2, 2]}, {}),
        ("conv2d_2", "Conv2D", {"activation": "relu"}, {"kernel": conv2[0], "bias": conv2[1]}),
        ("flatten_1", "Flatten", {}, {}),
        ("dense_1", "Dense", {"activation": "sigmoid"}, {"kernel": dense[0], "bias": dense[1]}),
    ]
    return kt.Network(kt.sequential_nodes(specs))


def load_model(case):
    kind, source = case["model"]
    if kind == "tfjs":
        return kt.load_tfjs_sequential(os.path.join(REPO_ROOT, source))
    if kind == "seeded":
        return seeded_sigmoid(source)
    path = os.path.join(REAL_MODELS, source)
    return kt.load_keras3_sequential(path) if source.endswith(".keras") else kt.load_keras2_hdf5(path)


def image_path(case):
    return os.path.normpath(os.path.join(OUT_DIR, case["image"][0]))


def write_image(case):
    """Inputs made here: a larger picture resized to the model's size by NEAREST, as Keras' load_img does."""
    if len(case["image"]) == 1:
        return
    name, source, height, width = case["image"]
    picture = Image.open(os.path.join(REPO_ROOT, source)).convert("RGB")
    picture.resize((width, height), Image.NEAREST).save(os.path.join(OUT_DIR, name), optimize=True)


def read_input(case):
    pixels = np.asarray(Image.open(image_path(case)))
    pixels = pixels.reshape(1, pixels.shape[0], pixels.shape[1], -1).astype(np.float64)
    if case["preprocess"] == "rescale":
        return (pixels / 255).astype(np.float32)
    if case["preprocess"] == "tf":
        return (pixels / 127.5 - 1).astype(np.float32)
    raise ValueError(case["preprocess"])


# ----------------------------------------------------------------------------------------------
# The class score


def head_outputs(network, x, score, detach_at=None):
    """All layer outputs; with score 'logit' the head's softmax or sigmoid is left out, and the head's value is under 'scores'."""
    last = network.nodes[-1]
    if score == "logit" and last.class_name == "Activation":
        outputs = network.run(x, detach_at=detach_at)
        outputs["scores"] = outputs[last.inbound[0]]
        return outputs
    saved = last.config
    if score == "logit":
        last.config = {**saved, "activation": "linear"}
    try:
        outputs = network.run(x, detach_at=detach_at)
    finally:
        last.config = saved
    outputs["scores"] = outputs[network.output_name]
    return outputs


def class_score(values, binary, class_index, score):
    """Per image: column class_index; one sigmoid unit gives class 0 as 1 − p (or −logit)."""
    if not binary:
        return values[:, class_index]
    unit = values[:, 0]
    if class_index == 1:
        return unit
    return -unit if score == "logit" else 1 - unit


def scores_of(network, case, class_index, score, images):
    """The class score of each image of a batch ([n, h, w, c] float32), in batches of 32."""
    results = []
    with torch.no_grad():
        for start in range(0, len(images), 32):
            values = head_outputs(network, images[start : start + 32], score)["scores"]
            results.append(class_score(values, case["binary"], class_index, score).numpy())
    return np.concatenate(results).astype(np.float64)


def gradients_of(network, case, class_index, score, images):
    """The score's gradient with respect to each image (float32 [n, h, w, c])."""
    x = torch.from_numpy(np.ascontiguousarray(images, np.float32)).requires_grad_(True)
    values = head_outputs(network, x, score)["scores"]
    total = class_score(values, case["binary"], class_index, score).sum()
    (gradient,) = torch.autograd.grad(total, x)
    return gradient.numpy().astype(np.float64)


# ----------------------------------------------------------------------------------------------
# Attributions, from the papers' formulas


def max_abs_over_channels(values):
    return np.abs(values).max(axis=-1)


def stream_normals(seed, index, count):
    draws = mulberry32(tensor_seed(seed, index), 2 * ((count + 1) // 2))
    radius = np.sqrt(-2 * np.log(1 - draws[0::2]))
    angle = 2 * np.pi * draws[1::2]
    normals = np.empty(2 * len(radius))
    normals[0::2] = radius * np.cos(angle)
    normals[1::2] = radius * np.sin(angle)
    return normals[:count].astype(np.float32)


def saliency(network, case, class_index, score, x):
    """Simonyan et al. 2014: |∂S/∂x|, max over channels."""
    return max_abs_over_channels(gradients_of(network, case, class_index, score, x)[0])


def smooth_grad(network, case, class_index, score, x, samples, noiseLevel, seed):
    """Smilkov et al. 2017: mean gradient over x + N(0, σ²), σ = level · (max − min); then |·|, max over channels."""
    sigma = noiseLevel * (float(x.max()) - float(x.min()))
    noisy = np.stack([(x[0].astype(np.float64) + sigma * stream_normals(seed, k, x.size).reshape(x.shape[1:]).astype(np.float64)).astype(np.float32) for k in range(samples)])
    mean = gradients_of(network, case, class_index, score, noisy).mean(axis=0)
    return max_abs_over_channels(mean)


def integrated_gradients(network, case, class_index, score, x, steps):
    """Sundararajan et al. 2017 with a zero baseline: (x − x′) · trapezoid-rule integral of the gradient on the straight path; summed over channels."""
    baseline = np.zeros_like(x[0], dtype=np.float64)
    alphas = np.arange(steps + 1) / steps
    path = np.stack([(baseline + alpha * (x[0].astype(np.float64) - baseline)).astype(np.float32) for alpha in alphas])
    gradients = gradients_of(network, case, class_index, score, path)
    weights = np.full(steps + 1, 1.0 / steps)
    weights[[0, -1]] = 0.5 / steps
    integral = np.tensordot(weights, gradients, axes=1)
    attributions = (x[0].astype(np.float64) - baseline) * integral
    scores = scores_of(network, case, class_index, score, path[[0, -1]])
    delta = attributions.sum() - (scores[1] - scores[0])
    return attributions.sum(axis=-1), float(delta)


class GuidedRelu(torch.autograd.Function):
    """Springenberg et al. 2015: the gradient passes where the input was positive and the incoming gradient is positive."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0).to(grad.dtype) * (grad > 0).to(grad.dtype)


def guided_gradients(network, case, class_index, score, x):
    """The gradient with every ReLU of the rebuilt network guided (keras_in_torch calls F.relu)."""
    original = F.relu
    F.relu = GuidedRelu.apply
    try:
        return gradients_of(network, case, class_index, score, x)[0]
    finally:
        F.relu = original


def grad_cam(network, case, class_index, score, x, layer):
    """Selvaraju et al.: ReLU(Σ_c mean(∂S/∂A_c) A_c) / channels, divided by its maximum (the engine's normalisation)."""
    outputs = head_outputs(network, torch.from_numpy(x), score, detach_at=layer)
    feature_map = outputs[layer]
    target = class_score(outputs["scores"], case["binary"], class_index, score)[0]
    (gradient,) = torch.autograd.grad(target, feature_map)
    heatmap = (feature_map.detach()[0] * gradient.mean(dim=(0, 1, 2))).mean(dim=-1).clamp(min=0)
    peak = heatmap.max()
    return (heatmap / peak if peak > 0 else heatmap).numpy()


def guided_grad_cam(guided, heatmap, height, width):
    """Guided backprop × Grad-CAM upsampled bilinearly (align_corners=False); |·|, max over channels."""
    upsampled = F.interpolate(torch.from_numpy(heatmap)[None, None], size=(height, width), mode="bilinear", align_corners=False)[0, 0].numpy()
    return max_abs_over_channels(guided * upsampled[..., None])


def window_starts(side, window, stride):
    starts = list(range(0, side - window + 1, stride))
    if starts[-1] != side - window:
        starts.append(side - window)
    return starts


def occlusion(network, case, class_index, score, x, window, stride):
    """Zeiler & Fergus 2014: mean score drop over the windows (set to 0) covering each pixel."""
    height, width = x.shape[1:3]
    windows = [(top, left) for top in window_starts(height, window, stride) for left in window_starts(width, window, stride)]
    images = np.repeat(x, len(windows), axis=0)
    for k, (top, left) in enumerate(windows):
        images[k, top : top + window, left : left + window, :] = 0
    drops = scores_of(network, case, class_index, score, x)[0] - scores_of(network, case, class_index, score, images)
    total = np.zeros((height, width))
    counts = np.zeros((height, width))
    for drop, (top, left) in zip(drops, windows):
        total[top : top + window, left : left + window] += drop
        counts[top : top + window, left : left + window] += 1
    return total / counts


# ----------------------------------------------------------------------------------------------
# Faithfulness


def sobel(x):
    gray = np.pad(x[0].astype(np.float64).mean(axis=-1), 1, mode="edge")
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    height, width = x.shape[1:3]
    windows = np.lib.stride_tricks.sliding_window_view(gray, (3, 3))
    gx = (windows * kx).sum(axis=(-1, -2))
    gy = (windows * kx.T).sum(axis=(-1, -2))
    return np.sqrt(gx**2 + gy**2).reshape(height, width)


def random_map(height, width, seed):
    return mulberry32(seed, height * width).astype(np.float32).reshape(height, width)


def most_relevant_first(relevance):
    return np.argsort(-relevance.ravel().astype(np.float64), kind="stable")


def pixel_count(fraction, total):
    return min(total, max(0, math.floor(fraction * total + 0.5)))


def gaussian_blur(image, sigma):
    """Separable Gaussian, radius ceil(3σ), normalised, edges repeated (image [h, w, c])."""
    radius = math.ceil(3 * sigma)
    kernel = np.exp(-(np.arange(-radius, radius + 1) ** 2) / (2 * sigma * sigma))
    kernel /= kernel.sum()
    padded = np.pad(image.astype(np.float64), ((0, 0), (radius, radius), (0, 0)), mode="edge")
    rows = sum(kernel[i] * padded[:, i : i + image.shape[1]] for i in range(len(kernel)))
    padded = np.pad(rows, ((radius, radius), (0, 0), (0, 0)), mode="edge")
    return sum(kernel[i] * padded[i : i + image.shape[0]] for i in range(len(kernel))).astype(np.float32)


def deletion_insertion(network, case, class_index, x, relevance, steps, deletion_value):
    """Petsiuk et al. 2018 (RISE): class output as the most relevant pixels are deleted / inserted into a blurred copy."""
    height, width, channels = x.shape[1:]
    order = most_relevant_first(relevance)
    blurred = gaussian_blur(x[0], max(1.0, 5 * min(height, width) / 224)).reshape(-1, channels)
    flat = x[0].reshape(-1, channels)
    deleted, inserted = [], []
    for k in range(steps + 1):
        chosen = order[: pixel_count(k / steps, height * width)]
        image = flat.copy()
        image[chosen] = deletion_value
        deleted.append(image.reshape(height, width, channels))
        image = blurred.copy()
        image[chosen] = flat[chosen]
        inserted.append(image.reshape(height, width, channels))
    fractions = np.arange(steps + 1) / steps
    curves = {}
    for name, images in (("deletion", deleted), ("insertion", inserted)):
        scores = scores_of(network, case, class_index, "output", np.stack(images))
        auc = float(np.sum((scores[1:] + scores[:-1]) / 2 * np.diff(fractions)))
        curves[name] = {"scores": scores.tolist(), "auc": auc}
    return curves


NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]


def linear_imputation(image, removed):
    """Rong et al. 2022: each removed pixel = the weighted mean of its neighbours inside the image, solved
    together (dense float64 solve, ROAD's own equations: −Σw · x_i + Σ_removed w · x_n = −Σ_known w · v_n)."""
    height, width, channels = image.shape
    unknowns = np.flatnonzero(removed.ravel())
    index_of = {int(pixel): i for i, pixel in enumerate(unknowns)}
    flat = image.reshape(-1, channels).astype(np.float64)
    a = torch.zeros((len(unknowns), len(unknowns)), dtype=torch.float64)
    b = np.zeros((len(unknowns), channels))
    for i, pixel in enumerate(unknowns):
        y, x = divmod(int(pixel), width)
        total = 0.0
        for (dy, dx), weight in NEIGHBOURS:
            if not (0 <= y + dy < height and 0 <= x + dx < width):
                continue
            neighbour = (y + dy) * width + x + dx
            total += weight
            if neighbour in index_of:
                a[i, index_of[neighbour]] = weight
            else:
                b[i] -= weight * flat[neighbour]
        a[i, i] = -total
    solution = torch.linalg.solve(a, torch.from_numpy(b)).numpy()
    return unknowns, solution


def road(network, case, class_index, x, relevance, fractions, noise_level, seed):
    height, width, channels = x.shape[1:]
    total = height * width
    order = most_relevant_first(relevance)
    sigma = noise_level * (float(x.max()) - float(x.min()))
    images = []
    for k in range(2 * len(fractions)):
        least_first = k >= len(fractions)
        count = pixel_count(fractions[k % len(fractions)], total)
        removed = np.zeros(total, bool)
        removed[order[::-1][:count] if least_first else order[:count]] = True
        unknowns, solution = linear_imputation(x[0], removed.reshape(height, width))
        noise = (sigma * stream_normals(seed, k, x.size).astype(np.float64)).astype(np.float32).reshape(-1, channels)
        image = x[0].reshape(-1, channels).copy()
        image[unknowns] = (solution + noise[unknowns]).astype(np.float32)
        images.append(image.reshape(height, width, channels))
    scores = scores_of(network, case, class_index, "output", np.stack(images))
    morf, lerf = scores[: len(fractions)], scores[len(fractions) :]
    return {"mostRelevantFirst": morf.tolist(), "leastRelevantFirst": lerf.tolist(), "gap": float(lerf.mean() - morf.mean())}


# ----------------------------------------------------------------------------------------------
# Files


def encoded(values):
    """{scale, values}: value ≈ int · scale / 100000, scale the largest |value|."""
    values = np.asarray(values, np.float64)
    scale = float(np.abs(values).max())
    ints = np.rint(values / scale * MAP_DIGITS).astype(int) if scale > 0 else np.zeros(values.shape, int)
    return {"scale": float(f"{scale:.9g}"), "values": ints.ravel().tolist()}


def decoded(entry):
    """As the TypeScript side decodes it: float64 int · scale / 100000, then float32."""
    return (np.asarray(entry["values"], np.float64) * entry["scale"] / MAP_DIGITS).astype(np.float32)


def compute(case):
    network = load_model(case)
    x = read_input(case)
    height, width = x.shape[1:3]
    binary, score = case["binary"], case["score"]
    with torch.no_grad():
        outputs = head_outputs(network, torch.from_numpy(x), "output")["scores"][0].numpy().astype(np.float64)
    class_outputs = [1 - outputs[0], outputs[0]] if binary else outputs.tolist()
    class_index = case["classIndex"] if case["classIndex"] is not None else int(np.argmax(class_outputs))
    args = (network, case, class_index, score, x)
    settings = SETTINGS
    ig_map, ig_delta = integrated_gradients(*args, **settings["integratedGradients"])
    guided = guided_gradients(*args)
    heatmap = grad_cam(*args, case["gradCamLayer"])
    maps = {
        "saliency": encoded(saliency(*args)),
        "smoothgrad": encoded(smooth_grad(*args, **settings["smoothGrad"])),
        "integrated-gradients": encoded(ig_map),
        "guided-backprop": encoded(max_abs_over_channels(guided)),
        "guided-grad-cam": encoded(guided_grad_cam(guided, heatmap, height, width)),
        "occlusion": encoded(occlusion(*args, **case["occlusion"])),
    }
    f = settings["faithfulness"]
    relevance = {
        "saliency": decoded(maps["saliency"]).reshape(height, width),
        "random": random_map(height, width, f["randomSeed"]),
        "sobel": decoded(encoded(sobel(x))).reshape(height, width),
    }
    faithfulness = {}
    for name, values in relevance.items():
        faithfulness[name] = {
            **deletion_insertion(network, case, class_index, x, values, f["steps"], f["deletionValue"]),
            "road": road(network, case, class_index, x, values, f["roadFractions"], f["roadNoiseLevel"], f["roadSeed"]),
        }
    random_values = relevance["random"].ravel()
    return {
        "id": case["id"],
        "about": case["about"],
        "generatedBy": "scripts/reference/make_attribution_golden.py",
        "implementation": f"PyTorch {torch.__version__} on the Keras layer graph (scripts/reference/keras_in_torch.py), the papers' formulas",
        "model": {"kind": case["model"][0], "source": case["model"][1]},
        "image": os.path.relpath(image_path(case), OUT_DIR),
        "inputShape": list(x.shape[1:]),
        "preprocess": case["preprocess"],
        "binary": binary,
        "classOutputs": class_outputs,
        "classIndex": class_index,
        "score": score,
        "gradCamLayer": case["gradCamLayer"],
        "settings": {**settings, "occlusion": case["occlusion"]},
        "maps": maps,
        "integratedGradientsDelta": ig_delta,
        "baselineMaps": {"sobel": encoded(sobel(x)), "randomFirst": random_values[:8].tolist(), "randomMean": float(random_values.astype(np.float64).mean())},
        "faithfulness": faithfulness,
    }


def main():
    if not os.path.isdir(REAL_MODELS):
        sys.exit(f"{REAL_MODELS} is absent: it holds the real model files the golden results are computed from")
    os.makedirs(OUT_DIR, exist_ok=True)
    only = sys.argv[1:]
    for case in CASES:
        if only and case["id"] not in only:
            continue
        write_image(case)
        golden = compute(case)
        path = os.path.join(OUT_DIR, f"{case['id']}.json")
        with open(path, "w") as file:
            json.dump(golden, file, separators=(",", ":"))
            file.write("\n")
        print(f"wrote {os.path.relpath(path, REPO_ROOT)} ({os.path.getsize(path)} bytes): class {golden['classIndex']} of {len(golden['classOutputs'])}, outputs {np.round(golden['classOutputs'], 4).tolist()}")


if __name__ == "__main__":
    main()
