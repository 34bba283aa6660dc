#!/usr/bin/env python3
"""Golden class activation maps for test/unit/camGolden.unit.test.ts, computed by PyTorch on the
same weights (keras_in_torch.py rebuilds each network from its own file), every method from its
paper's formula, and kept in test/fixtures/golden-cam/.

    /usr/bin/python3 scripts/reference/make_cam_golden.py            # write them all
    /usr/bin/python3 scripts/reference/make_cam_golden.py --only shapes

Methods (G is the class score's gradient at the layer's output A, channels k):
  gradcam      the study notes' Grad-CAM: mean over k of A_k · mean(G_k)
  gradcampp    Grad-CAM++ (Chattopadhay et al. 2018): w_k = Σ α·ReLU(G), α = G² / (2G² + ΣA·G³)
  xgradcam     XGrad-CAM (Fu et al. 2020): w_k = Σ G·A / ΣA
  layercam     LayerCAM (Jiang et al. 2021): Σ_k ReLU(G_k)·A_k
  hirescam     HiResCAM (Draelos & Carin 2020): Σ_k G_k·A_k
  eigencam     Eigen-CAM (Muhammad & Yeasin 2020): A (h·w × k) times its first right singular vector
  scorecam     Score-CAM (Wang et al. 2020): softmax over k of the class logit of the image masked by
               each upsampled, min-max scaled A_k
  ablationcam  Ablation-CAM (Desai & Ramaswamy 2020): w_k = (y − y_k) / y, y_k with channel k zeroed
Every map then goes through a ReLU and is divided by its maximum. The score is the class's output
(after the softmax or sigmoid; class 0 of one sigmoid unit is 1 − p), Score-CAM's the class logit.

Inputs are PNGs at exactly each model's input size, read back from the file before use.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_in_torch as kt  # noqa: E402
from make_golden import preprocess, read_image, rounded  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAM_GOLDEN_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "golden-cam")
REAL_MODELS = os.path.abspath(os.path.join(REPO_ROOT, "..", "shared", "realmodels"))

METHODS = ["gradcam", "gradcampp", "xgradcam", "layercam", "hirescam", "eigencam", "scorecam", "ablationcam"]

CASES = [
    {
        "id": "shapes",
        "about": "The example model (examples/shapes, a TF.js layers model.json), on triangle-1.png resized to 64×64",
        "model": ("tfjs", "examples/shapes/model.json"),
        "image": ("example", "examples/shapes/triangle-1.png", "shapes_triangle_64x64.png", 64),
        "preprocess": "rescale",
        "binary": False,
        "layers": ["conv2d_4", "conv2d_3"],
    },
    {
        "id": "cats_vs_dogs",
        "about": "The study notes' cats-vs-dogs convnet with seeded weights (seeded_weights.py): one sigmoid unit",
        "model": ("seeded", 2024),
        "image": ("golden", "cats_vs_dogs_150x150.png"),
        "preprocess": "rescale",
        "binary": True,
        "layers": ["conv2d_4"],
    },
    {
        "id": "mnist_cnn",
        "about": "The Keras 3.10 MNIST CNN of ../shared/realmodels (its TF.js graph model has the same weights)",
        "model": ("file", "mnist-cnn-keras3-and-graph/Subhadip_Hensh_MNIST_CNN.keras"),
        "image": ("golden", "mnist_seven_28x28.png"),
        "preprocess": "rescale",
        "binary": False,
        "layers": ["conv2d_1", "conv2d"],
    },
    {
        "id": "fer_mini_xception",
        "about": "The Keras 2.0.5 HDF5 FER2013 mini-Xception of ../shared/realmodels (residual joins after the earlier layer)",
        "model": ("file", "fer-minixception-h5/fer2013_mini_XCEPTION.102-0.66.hdf5"),
        "image": ("golden", "face_64x64.png"),
        "preprocess": "tf",
        "binary": False,
        "layers": ["conv2d_7", "batch_normalization_8"],
    },
]


# ----------------------------------------------------------------------------------------------
# Models




def load(case):
    kind, source = case["model"]
    if kind == "tfjs":
        return kt.load_tfjs_sequential(os.path.join(REPO_ROOT, source))
    return kt.load(case, REAL_MODELS)


def image_of(case):
    """[1, height, width, channels] pixels, 0–255, from a PNG at the model's input size."""
    spec = case["image"]
    if spec[0] == "golden":
        return read_image(spec[1]), spec[1]
    _, source, name, side = spec
    path = os.path.join(CAM_GOLDEN_DIR, name)
    if not os.path.exists(path):
        Image.open(os.path.join(REPO_ROOT, source)).convert("RGB").resize((side, side), Image.BILINEAR).save(path, optimize=True)
    pixels = np.asarray(Image.open(path))
    return pixels.reshape(1, pixels.shape[0], pixels.shape[1], -1), name


# ----------------------------------------------------------------------------------------------
# Runs: the class score, from the image or with a layer's output replaced


def run(network, x, replace=None, logits=False, detach_at=None):
    """All layer outputs. `replace`: (layer, tensor) put in place of that layer's output (the
    layers before it still run on x, and a join with a branch around it broadcasts over the batch).
    `logits`: the last layer's activation is left out."""
    outputs = {}
    last = network.nodes[-1]
    for node in network.nodes:
        inputs = [outputs[name] for name in node.inbound] if node.inbound else [x]
        if replace is not None and node.name == replace[0]:
            y = replace[1]
        elif logits and node is last and node.class_name == "Activation":
            y = inputs[0]
        elif logits and node is last:
            y = kt.LAYERS[node.class_name](inputs, kt.Node(node.name, node.class_name, {**node.config, "activation": "linear"}, node.inbound, node.weights))
        else:
            y = kt.LAYERS[node.class_name](inputs, node)
        if node.name == detach_at:
            y = y.detach().requires_grad_(True)
        outputs[node.name] = y
    return outputs


def class_score(output, class_index, binary, logit):
    """The class's score per batch row; one sigmoid unit scores class 0 by 1 − p (or −logit)."""
    if not binary:
        return output[:, class_index]
    unit = output[:, 0]
    if class_index == 1:
        return unit
    return -unit if logit else 1 - unit


def finish(raw):
    """The ReLU and the division by the maximum every method shares."""
    cam = np.maximum(np.asarray(raw, np.float64), 0)
    peak = cam.max()
    return cam / peak if peak > 0 else cam


# ----------------------------------------------------------------------------------------------
# The methods, each from its paper


def cam(network, x, layer, class_index, binary, method):
    outputs = run(network, x, detach_at=layer)
    A = outputs[layer]
    y = class_score(outputs[network.output_name], class_index, binary, logit=False)[0]
    (G,) = torch.autograd.grad(y, A)
    A, G = A.detach()[0].double(), G[0].double()  # [h, w, k]
    if method == "gradcam":
        raw = (A * G.mean(dim=(0, 1))).mean(dim=-1)
    elif method == "gradcampp":
        g2, g3 = G**2, G**3
        denominator = 2 * g2 + A.sum(dim=(0, 1)) * g3
        alpha = torch.where(denominator != 0, g2 / torch.where(denominator != 0, denominator, torch.ones_like(denominator)), torch.zeros_like(denominator))
        raw = (A * (alpha * F.relu(G)).sum(dim=(0, 1))).sum(dim=-1)
    elif method == "xgradcam":
        sums = A.sum(dim=(0, 1))
        weights = torch.where(sums != 0, (G * A).sum(dim=(0, 1)) / torch.where(sums != 0, sums, torch.ones_like(sums)), torch.zeros_like(sums))
        raw = (A * weights).sum(dim=-1)
    elif method == "layercam":
        raw = (F.relu(G) * A).sum(dim=-1)
    elif method == "hirescam":
        raw = (G * A).sum(dim=-1)
    elif method == "eigencam":
        matrix = A.reshape(-1, A.shape[-1]).numpy()
        _, _, vt = np.linalg.svd(matrix, full_matrices=False)
        projection = matrix @ vt[0]
        raw = torch.from_numpy((projection if projection.sum() >= 0 else -projection).reshape(A.shape[:2]))
    elif method == "scorecam":
        raw = score_cam(network, x, A, class_index, binary)
    elif method == "ablationcam":
        raw = ablation_cam(network, x, layer, A, float(y), class_index, binary)
    else:
        raise ValueError(method)
    return finish(raw.numpy()), float(y)


def score_cam(network, x, A, class_index, binary):
    height, width = x.shape[1:3]
    maps = A.permute(2, 0, 1)[None].float()  # [1, k, h, w]
    upsampled = F.interpolate(maps, size=(height, width), mode="bilinear", align_corners=False)[0]  # [k, H, W]
    low = upsampled.amin(dim=(1, 2), keepdim=True)
    span = upsampled.amax(dim=(1, 2), keepdim=True) - low
    masks = torch.where(span > 0, (upsampled - low) / torch.where(span > 0, span, torch.ones_like(span)), torch.zeros_like(upsampled))
    with torch.no_grad():
        masked = x * masks[..., None]  # [k, H, W, C]
        logits = class_score(run(network, masked, logits=True)[network.output_name], class_index, binary, logit=True)
    weights = torch.softmax(logits.double(), dim=0)
    return (A * weights).sum(dim=-1)


def ablation_cam(network, x, layer, A, y, class_index, binary):
    channels = A.shape[-1]
    ablated = A.float()[None].repeat(channels, 1, 1, 1)
    ablated[torch.arange(channels), :, :, torch.arange(channels)] = 0
    with torch.no_grad():
        scores = class_score(run(network, x, replace=(layer, ablated))[network.output_name], class_index, binary, logit=False).double()
    weights = (y - scores) / (y if y != 0 else 1)
    return (A * weights).sum(dim=-1)


# ----------------------------------------------------------------------------------------------


def compute(case):
    network = load(case)
    pixels, image = image_of(case)
    x = kt.tensor(preprocess(pixels, case["preprocess"]))
    with torch.no_grad():
        outputs = run(network, x)[network.output_name][0].double().numpy()
    predictions = [1 - outputs[0], outputs[0]] if case["binary"] else list(outputs)
    ranked = list(np.argsort(predictions)[::-1])
    maps = []
    for position, layer in enumerate(case["layers"]):
        # The top two classes at the default layer, the top class at the earlier one.
        classes = [int(c) for c in ranked[: 2 if position == 0 else 1]]
        for method in METHODS:
            for class_index in classes:
                heatmap, score = cam(network, x, layer, class_index, case["binary"], method)
                maps.append({"method": method, "layer": layer, "classIndex": class_index, "score": rounded([score])[0], "size": list(heatmap.shape), "heatmap": rounded(heatmap)})
    return {
        "id": case["id"],
        "about": case["about"],
        "generatedBy": "scripts/reference/make_cam_golden.py",
        "implementation": f"PyTorch {torch.__version__}, the CAM formulas of scripts/reference/make_cam_golden.py on the Keras layer graph of keras_in_torch.py",
        "model": {"kind": case["model"][0], "source": case["model"][1]},
        "image": image,
        "imageDir": "golden-cam" if case["image"][0] == "example" else "golden",
        "preprocess": case["preprocess"],
        "binary": case["binary"],
        "predictions": rounded(predictions),
        "defaultLayer": case["layers"][0],
        "maps": maps,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="case ids (default: all)")
    args = parser.parse_args()
    torch.set_grad_enabled(True)
    os.makedirs(CAM_GOLDEN_DIR, exist_ok=True)
    for case in CASES:
        if args.only and case["id"] not in args.only:
            continue
        if case["model"][0] == "file" and not os.path.isdir(REAL_MODELS):
            print(f"skipped {case['id']}: {REAL_MODELS} is absent")
            continue
        golden = compute(case)
        path = os.path.join(CAM_GOLDEN_DIR, f"{case['id']}.json")
        with open(path, "w") as file:
            json.dump(golden, file, separators=(",", ":"))
            file.write("\n")
        print(f"wrote {os.path.relpath(path, REPO_ROOT)} ({os.path.getsize(path)} bytes), {len(golden['maps'])} maps")


if __name__ == "__main__":
    main()
