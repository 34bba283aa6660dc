#!/usr/bin/env python3
"""PyTorch reference for Convscope's benchmark: the same models (seeded random weights), the same
computations and the same batching as the engine's jobs, timed the same way.

Reads the plan as JSON on stdin (written by bench/runBench.ts) and prints the timings as JSON:
{"torch": version, "threads": n, "results": {workload id: [{"steps": s, "ms": [...]}]}}.
"""
import json
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

VGG16_BLOCKS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]
RMS_EPSILON = 1e-5


class Layer:
    """One Keras layer: its name, whether its output is 4-D (an activation grid), and its function."""

    def __init__(self, name, module, spatial):
        self.name = name
        self.module = module
        self.spatial = spatial


def conv(name, cin, cout, padding):
    # Keras' Conv2D with activation='relu' is one layer: convolution and ReLU.
    return Layer(name, nn.Sequential(nn.Conv2d(cin, cout, 3, padding=padding), nn.ReLU()), True)


def pool(name):
    return Layer(name, nn.MaxPool2d(2, 2), True)


def vgg16_layers(include_top):
    layers, cin = [], 3
    for block, (count, filters) in enumerate(VGG16_BLOCKS, start=1):
        for index in range(1, count + 1):
            layers.append(conv(f"block{block}_conv{index}", cin, filters, 1))
            cin = filters
        layers.append(pool(f"block{block}_pool"))
    if include_top:
        layers += [
            Layer("flatten", nn.Flatten(), False),
            Layer("fc1", nn.Sequential(nn.Linear(7 * 7 * 512, 4096), nn.ReLU()), False),
            Layer("fc2", nn.Sequential(nn.Linear(4096, 4096), nn.ReLU()), False),
            Layer("predictions", nn.Sequential(nn.Linear(4096, 1000), nn.Softmax(dim=1)), False),
        ]
    return layers, 224


def chollet_layers():
    layers, cin = [], 3
    for index, filters in enumerate([32, 64, 128, 128], start=1):
        layers += [conv(f"conv2d_{index}", cin, filters, 0), pool(f"max_pooling2d_{index}")]
        cin = filters
    layers += [
        Layer("flatten", nn.Flatten(), False),
        Layer("dense_1", nn.Sequential(nn.Linear(7 * 7 * 128, 512), nn.ReLU()), False),
        Layer("dense_2", nn.Sequential(nn.Linear(512, 1), nn.Sigmoid()), False),
    ]
    return layers, 150


def shapes_layers():
    """The example model's architecture (examples/shapes/model.json); random weights time the same."""
    layers, cin = [], 3
    for index, filters in enumerate([16, 32, 64, 64], start=1):
        layers.append(conv(f"conv2d_{index}", cin, filters, 1))
        if index < 4:
            layers.append(pool(f"max_pooling2d_{index}"))
        cin = filters
    layers += [
        Layer("global_average_pooling2d", nn.AdaptiveAvgPool2d(1), False),
        Layer("flatten", nn.Flatten(), False),
        Layer("predictions", nn.Sequential(nn.Linear(64, 3), nn.Softmax(dim=1)), False),
    ]
    return layers, 64


BUILDERS = {
    "vgg16Base": lambda: vgg16_layers(False),
    "vgg16": lambda: vgg16_layers(True),
    "cholletConvnet": chollet_layers,
    "shapes": shapes_layers,
}


class Model:
    def __init__(self, name):
        torch.manual_seed(0)
        self.layers, self.input_size = BUILDERS[name]()
        for layer in self.layers:
            layer.module.eval()
            for parameter in layer.module.parameters():
                # Only input gradients are ever needed, as in the engine.
                parameter.requires_grad_(False)

    def index_of(self, name):
        return next(i for i, layer in enumerate(self.layers) if layer.name == name)

    def run(self, x, start=0, stop=None):
        for layer in self.layers[start:stop]:
            x = layer.module(x)
        return x

    def last_convolution(self):
        return max(i for i, layer in enumerate(self.layers) if isinstance(layer.module, nn.Sequential) and isinstance(layer.module[0], nn.Conv2d))


def preprocess(pixels, mode):
    if mode == "rescale":
        return pixels / 255
    if mode == "none":
        return pixels
    raise ValueError(f"preprocessing {mode} is not mirrored here")


def pixel_image(size, batch=1):
    generator = torch.Generator().manual_seed(1)
    return torch.rand(batch, 3, size, size, generator=generator) * 255


def activations_job(model, workload):
    """computeActivations: one forward pass, every 4-D layer output kept and read out."""
    x = preprocess(pixel_image(model.input_size), workload["preprocess"])
    outputs = []
    with torch.no_grad():
        for layer in model.layers:
            x = layer.module(x)
            if layer.spatial:
                outputs.append(x.numpy())
    return outputs


def filter_job(model, workload, steps):
    """The `chollet` preset over the filters in batches: loss at the start, `steps` normalised
    gradient-ascent steps (dead images held still), loss at the end."""
    stop = model.index_of(workload["layer"]) + 1
    filters = list(range(workload["filterCount"]))
    size, batch_size = workload["size"], workload["batchSize"]
    results = []
    for start in range(0, len(filters), batch_size):
        batch = filters[start:start + batch_size]
        generator = torch.Generator().manual_seed(start)
        image = torch.rand(len(batch), 3, size, size, generator=generator) * 20 + 128
        channels = model.layers[stop - 1].module[0].out_channels
        mask = F.one_hot(torch.tensor(batch), channels).float().reshape(len(batch), channels, 1, 1)

        def scores(pixels):
            output = model.run(preprocess(pixels, workload["preprocess"]), 0, stop)
            return (output * mask).sum(dim=(1, 2, 3)) / (output.shape[2] * output.shape[3])

        with torch.no_grad():
            loss_start = scores(image).tolist()
        alive = None
        for _ in range(steps):
            image.requires_grad_(True)
            (gradient,) = torch.autograd.grad(scores(image).sum(), image)
            image = image.detach()
            rms = gradient.square().mean(dim=(1, 2, 3), keepdim=True).sqrt()
            gradient = gradient / (rms + RMS_EPSILON)
            if alive is None:
                alive = (rms.reshape(-1) != 0).float().reshape(-1, 1, 1, 1)
            image = image + gradient * 1.0 * alive
        with torch.no_grad():
            loss_end = scores(image).tolist()
        results.append((image.numpy(), loss_start, loss_end))
    return results


def grad_cam_job(model, workload):
    """computeGradCam: the top class's output, differentiated back to the last convolution's output;
    channel weights = mean gradient, heatmap = ReLU of the weighted channel mean, divided by its max."""
    target = model.last_convolution()
    x = preprocess(pixel_image(model.input_size), workload["preprocess"])
    with torch.no_grad():
        feature_map = model.run(x, 0, target + 1)
    feature_map.requires_grad_(True)
    output = model.run(feature_map, target + 1)
    scores = output[0]
    if scores.numel() == 1:
        # One sigmoid unit: classes [1 − p, p].
        p = scores[0]
        class_index = 1 if p.item() >= 0.5 else 0
        score = p if class_index == 1 else 1 - p
    else:
        class_index = int(scores.argmax())
        score = scores[class_index]
    (gradient,) = torch.autograd.grad(score, feature_map)
    pooled = gradient.mean(dim=(0, 2, 3))
    heatmap = (feature_map.detach()[0] * pooled.reshape(-1, 1, 1)).mean(dim=0).clamp(min=0)
    peak = heatmap.max()
    return (heatmap / peak if peak > 0 else heatmap).numpy()


def run_job(model, workload, steps):
    kind = workload["kind"]
    if kind == "activations":
        return activations_job(model, workload)
    if kind == "filterSteps":
        return filter_job(model, workload, steps)
    if kind == "gradCam":
        return grad_cam_job(model, workload)
    raise ValueError(f"unknown workload kind {kind}")


def time_workload(model, workload):
    groups = workload["groups"]
    for _ in range(workload["warmups"]):
        run_job(model, workload, groups[0]["steps"])
    timed = [{"steps": group["steps"], "ms": []} for group in groups]
    # Interleaved rounds, as the TypeScript runner does.
    for round_index in range(max(group["runs"] for group in groups)):
        for group, record in zip(groups, timed):
            if round_index >= group["runs"]:
                continue
            started = time.perf_counter()
            run_job(model, workload, group["steps"])
            record["ms"].append((time.perf_counter() - started) * 1000)
    return timed


def main():
    plan = json.load(sys.stdin)
    threads = plan.get("threads") or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    models = {}
    results = {}
    for workload in plan["workloads"]:
        name = workload["model"]
        if name not in models:
            models[name] = Model(name)
        results[workload["id"]] = time_workload(models[name], workload)
        print(f"torch {workload['id']}: {results[workload['id']]}", file=sys.stderr, flush=True)
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
