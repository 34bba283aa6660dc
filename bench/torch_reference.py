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
    """One Keras layer: its name, whether its output is 4-D (an activation grid), its function, the
    layers whose outputs it takes (by default the one before it) and, for a convolution, its
    filters."""

    def __init__(self, name, module, spatial, inputs=None, channels=None):
        self.name = name
        self.module = module
        self.spatial = spatial
        self.inputs = inputs
        self.channels = channels


class Add(nn.Module):
    def forward(self, a, b):
        return a + b


def conv(name, cin, cout, padding):
    # Keras' Conv2D with activation='relu' is one layer: convolution and ReLU.
    return Layer(name, nn.Sequential(nn.Conv2d(cin, cout, 3, padding=padding), nn.ReLU()), True, channels=cout)


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


# MobileNetV2's inverted residual blocks after the first: output channels (before alpha), stride.
MOBILENET_V2_BLOCKS = [(24, 2), (24, 1), (32, 2), (32, 1), (32, 1), (64, 2), (64, 1), (64, 1), (64, 1),
                       (96, 1), (96, 1), (96, 1), (160, 2), (160, 1), (160, 1), (320, 1)]


def make_divisible(value, divisor=8):
    """Keras' _make_divisible."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def mobilenet_v2_layers(alpha):
    """Keras' MobileNetV2(alpha) at 224 with its layer names, as bench/benchModels.ts builds it:
    1x1 convolutions without bias, BatchNormalization (eps 1e-3), ReLU(6), ZeroPadding2D
    ((0, 1), (0, 1)) before each stride-2 depthwise convolution, which is 'valid'."""
    layers = []

    def conv1x1(name, cin, cout):
        layers.append(Layer(name, nn.Conv2d(cin, cout, 1, bias=False), True, channels=cout))

    def batch_norm(name, channels):
        layers.append(Layer(name, nn.BatchNorm2d(channels, eps=1e-3), True))

    def relu6(name):
        layers.append(Layer(name, nn.ReLU6(), True))

    first = make_divisible(32 * alpha)
    layers.append(Layer("Conv1", nn.Conv2d(3, first, 3, stride=2, padding=1, bias=False), True, channels=first))
    batch_norm("bn_Conv1", first)
    relu6("Conv1_relu")
    cin = first
    for block_id, (filters, stride) in enumerate([(16, 1)] + MOBILENET_V2_BLOCKS):
        cout = make_divisible(int(filters * alpha))
        prefix = "expanded_conv_" if block_id == 0 else f"block_{block_id}_"
        block_input = layers[-1].name
        channels = cin
        if block_id > 0:
            channels = 6 * cin
            conv1x1(prefix + "expand", cin, channels)
            batch_norm(prefix + "expand_BN", channels)
            relu6(prefix + "expand_relu")
        if stride == 2:
            layers.append(Layer(prefix + "pad", nn.ZeroPad2d((0, 1, 0, 1)), True))
        layers.append(Layer(prefix + "depthwise", nn.Conv2d(channels, channels, 3, stride=stride, padding=1 if stride == 1 else 0, groups=channels, bias=False), True, channels=channels))
        batch_norm(prefix + "depthwise_BN", channels)
        relu6(prefix + "depthwise_relu")
        conv1x1(prefix + "project", channels, cout)
        batch_norm(prefix + "project_BN", cout)
        if cin == cout and stride == 1:
            layers.append(Layer(prefix + "add", Add(), True, inputs=[block_input, prefix + "project_BN"]))
        cin = cout
    last = make_divisible(1280 * alpha) if alpha > 1 else 1280
    conv1x1("Conv_1", cin, last)
    batch_norm("Conv_1_bn", last)
    relu6("out_relu")
    layers += [
        Layer("global_average_pooling2d", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), False),
        Layer("predictions", nn.Sequential(nn.Linear(last, 1000), nn.Softmax(dim=1)), False),
    ]
    return layers, 224


BUILDERS = {
    "vgg16Base": lambda: vgg16_layers(False),
    "vgg16": lambda: vgg16_layers(True),
    "cholletConvnet": chollet_layers,
    "shapes": shapes_layers,
    "mobilenetV2Alpha035": lambda: mobilenet_v2_layers(0.35),
    "mobilenetV2Alpha100": lambda: mobilenet_v2_layers(1.0),
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

    def run(self, x, start=0, stop=None, outputs=None, keep=None):
        """Runs layers[start:stop] on x (the output of layer start - 1). `outputs` holds earlier
        layers' outputs by name, for layers that take more than the one before them (residual
        adds); `keep(layer, output)` sees each output."""
        outputs = {} if outputs is None else outputs
        for index in range(start, len(self.layers) if stop is None else stop):
            layer = self.layers[index]
            x = layer.module(*[outputs[name] for name in layer.inputs]) if layer.inputs else layer.module(x)
            outputs[layer.name] = x
            if keep:
                keep(layer, x)
        return x

    def last_convolution(self):
        return max(i for i, layer in enumerate(self.layers) if isinstance(layer.module, nn.Sequential) and isinstance(layer.module[0], nn.Conv2d))


def preprocess(pixels, mode):
    if mode == "rescale":
        return pixels / 255
    if mode == "none":
        return pixels
    if mode == "caffe":
        # Keras' VGG preprocess_input: RGB to BGR, minus the ImageNet means (NCHW here).
        return pixels[:, [2, 1, 0]] - torch.tensor([103.939, 116.779, 123.68]).reshape(1, 3, 1, 1)
    if mode == "tf":
        # Keras' MobileNet preprocess_input: [-1, 1].
        return pixels / 127.5 - 1
    raise ValueError(f"preprocessing {mode} is not mirrored here")


def pixel_image(size, batch=1):
    generator = torch.Generator().manual_seed(1)
    return torch.rand(batch, 3, size, size, generator=generator) * 255


def activations_job(model, workload):
    """computeActivations: one forward pass, every 4-D layer output kept and read out."""
    x = preprocess(pixel_image(model.input_size), workload["preprocess"])
    outputs = []
    with torch.no_grad():
        model.run(x, keep=lambda layer, output: outputs.append(output.numpy()) if layer.spatial else None)
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
        channels = model.layers[stop - 1].channels
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


RESCORING_BATCH = 32


def class_score(output, class_index, binary, logit=False):
    """The class's score per batch row; one sigmoid unit scores class 0 by 1 − p (or −logit)."""
    if not binary:
        return output[:, class_index]
    unit = output[:, 0]
    return unit if class_index == 1 else (-unit if logit else 1 - unit)


def grad_cam_job(model, workload):
    """computeGradCam and the other CAM methods (workload "method"): the top class's output,
    differentiated back to the last convolution's output A (C × h × w) giving G; each method's map,
    ReLU, divided by its max. The layer is the one the engine chose (gradCamLayer), else the last
    convolution. Score-CAM and Ablation-CAM re-score RESCORING_BATCH channels per run, as
    pytorch-grad-cam does: the whole model on the masked images, or on the image repeated with the
    target layer's output replaced by ablated copies."""
    method = workload.get("method") or "gradcam"
    target = model.index_of(workload["gradCamLayer"]) if workload.get("gradCamLayer") else model.last_convolution()
    x = preprocess(pixel_image(model.input_size), workload["preprocess"])
    outputs = {}
    with torch.no_grad():
        feature_map = model.run(x, 0, target + 1, outputs)
    feature_map.requires_grad_(True)
    outputs[model.layers[target].name] = feature_map
    output = model.run(feature_map, target + 1, None, outputs)
    scores = output[0]
    binary = scores.numel() == 1
    # One sigmoid unit: classes [1 − p, p].
    class_index = (1 if scores[0].item() >= 0.5 else 0) if binary else int(scores.argmax())
    score = class_score(output, class_index, binary)[0]
    (gradient,) = torch.autograd.grad(score, feature_map)
    A, G = feature_map.detach()[0], gradient[0]
    per_channel = lambda weights: (A * weights.reshape(-1, 1, 1)).sum(dim=0)  # noqa: E731
    if method == "gradcam":
        heatmap = (A * G.mean(dim=(1, 2)).reshape(-1, 1, 1)).mean(dim=0)
    elif method == "gradcampp":
        g2, g3 = G**2, G**3
        denominator = 2 * g2 + A.sum(dim=(1, 2)).reshape(-1, 1, 1) * g3
        alpha = torch.where(denominator != 0, g2 / torch.where(denominator != 0, denominator, torch.ones_like(denominator)), torch.zeros_like(denominator))
        heatmap = per_channel((alpha * F.relu(G)).sum(dim=(1, 2)))
    elif method == "xgradcam":
        sums = A.sum(dim=(1, 2))
        heatmap = per_channel(torch.where(sums != 0, (G * A).sum(dim=(1, 2)) / torch.where(sums != 0, sums, torch.ones_like(sums)), torch.zeros_like(sums)))
    elif method == "layercam":
        heatmap = (F.relu(G) * A).sum(dim=0)
    elif method == "hirescam":
        heatmap = (G * A).sum(dim=0)
    elif method == "eigencam":
        matrix = A.reshape(A.shape[0], -1).T
        projection = matrix @ torch.linalg.svd(matrix, full_matrices=False)[2][0]
        heatmap = (projection if projection.sum() >= 0 else -projection).reshape(A.shape[1:])
    elif method == "scorecam":
        heatmap = per_channel(torch.softmax(score_cam_logits(model, x, A, class_index, binary), dim=0))
    elif method == "ablationcam":
        ablated = ablation_scores(model, x, target, A, class_index, binary)
        heatmap = per_channel((score.detach() - ablated) / score.detach())
    else:
        raise ValueError(f"unknown CAM method {method}")
    heatmap = heatmap.clamp(min=0)
    peak = heatmap.max()
    return (heatmap / peak if peak > 0 else heatmap).numpy()


def score_cam_logits(model, x, A, class_index, binary):
    """The class logit of the image masked by each channel, upsampled and scaled to 0..1."""
    upsampled = F.interpolate(A[None], size=x.shape[2:], mode="bilinear", align_corners=False)[0]
    low = upsampled.amin(dim=(1, 2), keepdim=True)
    span = upsampled.amax(dim=(1, 2), keepdim=True) - low
    masks = torch.where(span > 0, (upsampled - low) / torch.where(span > 0, span, torch.ones_like(span)), torch.zeros_like(upsampled))
    head = model.layers[-1].module
    logits = []
    with torch.no_grad():
        for start in range(0, masks.shape[0], RESCORING_BATCH):
            masked = x * masks[start : start + RESCORING_BATCH, None]
            features = model.run(masked, 0, len(model.layers) - 1)
            logits.append(class_score(head[0](features), class_index, binary, logit=True))
    return torch.cat(logits)


def ablation_scores(model, x, target, A, class_index, binary):
    """The class score with each channel of the target layer's output zeroed in turn."""
    channels = A.shape[0]
    scores = []
    with torch.no_grad():
        for start in range(0, channels, RESCORING_BATCH):
            count = min(RESCORING_BATCH, channels - start)
            outputs = {}
            model.run(x.repeat(count, 1, 1, 1), 0, target + 1, outputs)
            ablated = A[None].repeat(count, 1, 1, 1)
            ablated[torch.arange(count), torch.arange(start, start + count)] = 0
            outputs[model.layers[target].name] = ablated
            scores.append(class_score(model.run(ablated, target + 1, None, outputs), class_index, binary))
    return torch.cat(scores)


# The decoded images, made once per size outside the timed jobs (the engine's time excludes decoding).
DATASET_PIXELS = {}


def dataset_job(model, workload):
    """Explain Folder's predictions: `images` images, preprocessed and run forward in batches of
    `batchSize`, each batch's scores read out (the engine's time excludes decoding too)."""
    key = (model.input_size, workload["images"])
    if key not in DATASET_PIXELS:
        DATASET_PIXELS[key] = pixel_image(*key)
    pixels = DATASET_PIXELS[key]
    scores = []
    with torch.no_grad():
        for start in range(0, pixels.shape[0], workload["batchSize"]):
            batch = preprocess(pixels[start : start + workload["batchSize"]], workload["preprocess"])
            scores.append(model.run(batch).numpy())
    return scores


def run_job(model, workload, steps):
    kind = workload["kind"]
    if kind == "dataset":
        return dataset_job(model, workload)
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
