"""Keras layer graphs evaluated with PyTorch, independently of TensorFlow and TensorFlow.js.

A network is a list of Keras layer nodes (class name, config, inbound layer names) with their
weights as numpy arrays, read from the model's own file (a Keras 3 `.keras` zip or a Keras 2 HDF5
file) or given directly. Tensors stay channels-last (NHWC) between layers, as in Keras, so that
Flatten, activations and Grad-CAM read in Keras' order; convolutions and pooling permute to
PyTorch's NCHW and back. 'same' padding is TensorFlow's: the odd pixel goes after (bottom, right).
"""
import io
import json
import math
import os
import zipfile

import h5py
import numpy as np
import torch
import torch.nn.functional as F

from seeded_weights import seeded_kernel_and_bias

NAME = f"PyTorch {torch.__version__} running the Keras layer graph (scripts/reference/keras_in_torch.py)"


class Node:
    """One Keras layer: its name, class, config, the names of the layers feeding it, and its weights."""

    def __init__(self, name, class_name, config, inbound, weights=None):
        self.name = name
        self.class_name = class_name
        self.config = config
        self.inbound = inbound
        self.weights = weights or {}


def pair(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


def same_padding(size, kernel, stride, dilation):
    """TensorFlow's 'same' padding of one spatial dimension: (before, after)."""
    effective = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def pad_nchw(x, config, kernel_size, value=0.0):
    """Pads an NCHW tensor for a layer with `padding` 'same' (TensorFlow's split); 'valid' is unpadded."""
    if config.get("padding", "valid") == "valid":
        return x
    strides, dilation = pair(config.get("strides", 1)), pair(config.get("dilation_rate", 1))
    top, bottom = same_padding(x.shape[2], kernel_size[0], strides[0], dilation[0])
    left, right = same_padding(x.shape[3], kernel_size[1], strides[1], dilation[1])
    return F.pad(x, (left, right, top, bottom), value=value)


def to_nchw(x):
    return x.permute(0, 3, 1, 2)


def to_nhwc(x):
    return x.permute(0, 2, 3, 1)


def activate(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return F.relu(x)
    if name == "softmax":
        return F.softmax(x, dim=-1)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    raise NotImplementedError(f"activation {name}")


def tensor(array):
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def conv2d(x, node):
    c = node.config
    kernel = node.weights["kernel"]  # (kh, kw, in, out)
    y = to_nchw(x)
    y = pad_nchw(y, c, kernel.shape[:2])
    y = F.conv2d(y, tensor(kernel.transpose(3, 2, 0, 1)), stride=pair(c.get("strides", 1)), dilation=pair(c.get("dilation_rate", 1)))
    if c.get("use_bias", True):
        y = y + tensor(node.weights["bias"]).reshape(1, -1, 1, 1)
    return activate(to_nhwc(y), c.get("activation"))


def depthwise(y, depthwise_kernel, c):
    """NCHW depthwise convolution; Keras' output channel c * multiplier + m is PyTorch's group c, member m."""
    kh, kw, channels, multiplier = depthwise_kernel.shape
    weight = depthwise_kernel.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw)
    y = pad_nchw(y, c, (kh, kw))
    return F.conv2d(y, tensor(weight), stride=pair(c.get("strides", 1)), dilation=pair(c.get("dilation_rate", 1)), groups=channels)


def depthwise_conv2d(x, node):
    c = node.config
    y = depthwise(to_nchw(x), node.weights["depthwise_kernel"], c)
    if c.get("use_bias", True):
        y = y + tensor(node.weights["bias"]).reshape(1, -1, 1, 1)
    return activate(to_nhwc(y), c.get("activation"))


def separable_conv2d(x, node):
    c = node.config
    y = depthwise(to_nchw(x), node.weights["depthwise_kernel"], c)
    y = F.conv2d(y, tensor(node.weights["pointwise_kernel"].transpose(3, 2, 0, 1)))
    if c.get("use_bias", True):
        y = y + tensor(node.weights["bias"]).reshape(1, -1, 1, 1)
    return activate(to_nhwc(y), c.get("activation"))


def batch_normalization(x, node):
    c, w = node.config, node.weights
    axis = c.get("axis", -1)
    axis = axis[0] if isinstance(axis, list) else axis
    if axis not in (-1, 3):
        raise NotImplementedError(f"BatchNormalization on axis {axis}")
    y = (x - tensor(w["moving_mean"])) / torch.sqrt(tensor(w["moving_variance"]) + c.get("epsilon", 1e-3))
    if c.get("scale", True):
        y = y * tensor(w["gamma"])
    if c.get("center", True):
        y = y + tensor(w["beta"])
    return y


def max_pooling2d(x, node):
    c = node.config
    size = pair(c.get("pool_size", 2))
    strides = pair(c.get("strides") or size)
    y = pad_nchw(to_nchw(x), {**c, "strides": strides}, size, value=-math.inf)
    return to_nhwc(F.max_pool2d(y, size, strides))


def average_pooling2d(x, node):
    c = node.config
    size = pair(c.get("pool_size", 2))
    strides = pair(c.get("strides") or size)
    y = to_nchw(x)
    if c.get("padding", "valid") == "same":
        # TensorFlow averages over the window's pixels inside the image only.
        summed = F.avg_pool2d(pad_nchw(y, {**c, "strides": strides}, size), size, strides, divisor_override=1)
        counts = F.avg_pool2d(pad_nchw(torch.ones_like(y[:, :1]), {**c, "strides": strides}, size), size, strides, divisor_override=1)
        return to_nhwc(summed / counts)
    return to_nhwc(F.avg_pool2d(y, size, strides))


def dense(x, node):
    c = node.config
    y = x @ tensor(node.weights["kernel"])
    if c.get("use_bias", True):
        y = y + tensor(node.weights["bias"])
    return activate(y, c.get("activation"))


LAYERS = {
    "InputLayer": lambda inputs, node: inputs[0],
    "Conv2D": lambda inputs, node: conv2d(inputs[0], node),
    "DepthwiseConv2D": lambda inputs, node: depthwise_conv2d(inputs[0], node),
    "SeparableConv2D": lambda inputs, node: separable_conv2d(inputs[0], node),
    "BatchNormalization": lambda inputs, node: batch_normalization(inputs[0], node),
    "Activation": lambda inputs, node: activate(inputs[0], node.config["activation"]),
    "ReLU": lambda inputs, node: F.relu(inputs[0]),
    "MaxPooling2D": lambda inputs, node: max_pooling2d(inputs[0], node),
    "AveragePooling2D": lambda inputs, node: average_pooling2d(inputs[0], node),
    "GlobalAveragePooling2D": lambda inputs, node: inputs[0].mean(dim=(1, 2)),
    "Add": lambda inputs, node: sum(inputs[1:], inputs[0]),
    "Flatten": lambda inputs, node: inputs[0].reshape(inputs[0].shape[0], -1),
    "Dropout": lambda inputs, node: inputs[0],
    "Dense": lambda inputs, node: dense(inputs[0], node),
}


class Network:
    """Nodes in a topological order; the first takes the input and the last gives the output."""

    def __init__(self, nodes):
        self.nodes = nodes
        for node in nodes:
            if node.class_name not in LAYERS:
                raise NotImplementedError(f"layer class {node.class_name} ({node.name})")

    def run(self, x, detach_at=None):
        """All layer outputs by name, in inference mode. `detach_at`: that layer's output becomes a
        leaf that requires a gradient, so back-propagation stops there (as the engine's probe does)."""
        x = tensor(x) if isinstance(x, np.ndarray) else x
        outputs = {}
        for node in self.nodes:
            inputs = [outputs[name] for name in node.inbound] if node.inbound else [x]
            y = LAYERS[node.class_name](inputs, node)
            if node.name == detach_at:
                y = y.detach().requires_grad_(True)
            outputs[node.name] = y
        return outputs

    @property
    def output_name(self):
        return self.nodes[-1].name

    def node(self, name):
        return next(node for node in self.nodes if node.name == name)


def sequential_nodes(layer_specs):
    """Chains (name, class, config, weights) specs, each fed by the one before."""
    nodes, previous = [], None
    for name, class_name, config, weights in layer_specs:
        nodes.append(Node(name, class_name, config, [previous] if previous else [], weights))
        previous = name
    return nodes


# ----------------------------------------------------------------------------------------------
# Model files


# Keras' weight order per layer class (Keras 3 stores weights by position, vars/0, vars/1, …).
WEIGHT_ORDER = {
    "Conv2D": ["kernel", "bias"],
    "Dense": ["kernel", "bias"],
    "DepthwiseConv2D": ["depthwise_kernel", "bias"],
    "SeparableConv2D": ["depthwise_kernel", "pointwise_kernel", "bias"],
    "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"],
}


def load_keras3_sequential(path):
    """A Keras 3 `.keras` zip holding a Sequential model: config.json and model.weights.h5."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights_file = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    if config["class_name"] != "Sequential":
        raise NotImplementedError("only Sequential .keras models are read here")
    specs = []
    for layer in config["config"]["layers"]:
        class_name, layer_config = layer["class_name"], layer["config"]
        name = layer_config["name"]
        weights = {}
        group = weights_file["layers"].get(name)
        if group is not None and "vars" in group and len(group["vars"]) > 0:
            order = WEIGHT_ORDER[class_name]
            if class_name in ("Conv2D", "Dense", "DepthwiseConv2D", "SeparableConv2D") and not layer_config.get("use_bias", True):
                order = order[:-1]
            weights = {key: np.array(group["vars"][str(i)]) for i, key in enumerate(order)}
        specs.append((name, class_name, layer_config, weights))
    if specs[0][1] != "InputLayer":
        raise NotImplementedError("the Sequential model has no InputLayer entry")
    return Network(sequential_nodes(specs))


def load_keras2_hdf5(path):
    """A Keras 2 HDF5 Functional model: `model_config` JSON attribute, weights under model_weights/<layer>/."""
    file = h5py.File(path, "r")
    config = json.loads(file.attrs["model_config"])
    if config["class_name"] != "Model":
        raise NotImplementedError("only Functional (Model) HDF5 files are read here")
    nodes = []
    for layer in config["config"]["layers"]:
        name = layer["config"]["name"]
        inbound = [entry[0] for entry in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        weights = {}
        if name in file["model_weights"]:
            group = file["model_weights"][name]
            for weight_name in group.attrs.get("weight_names", []):
                weight_name = weight_name.decode() if isinstance(weight_name, bytes) else weight_name
                key = weight_name.split("/")[-1].split(":")[0]
                weights[key] = np.array(group[weight_name])
        nodes.append(Node(name, layer["class_name"], layer["config"], inbound, weights))
    return Network(nodes)


def cats_vs_dogs(seed):
    """The study notes' cats-vs-dogs convnet (Chollet 5.2) with seeded weights (seeded_weights.py)."""
    specs = [("input_1", "InputLayer", {"batch_shape": [None, 150, 150, 3]}, {})]
    channels = 3
    for index, filters in enumerate([32, 64, 128, 128], start=1):
        kernel, bias = seeded_kernel_and_bias(seed, index - 1, (3, 3, channels, filters))
        specs += [
            (f"conv2d_{index}", "Conv2D", {"activation": "relu"}, {"kernel": kernel, "bias": bias}),
            (f"max_pooling2d_{index}", "MaxPooling2D", {"pool_size": [2, 2]}, {}),
        ]
        channels = filters
    dense_1_kernel, dense_1_bias = seeded_kernel_and_bias(seed, 4, (7 * 7 * 128, 512))
    dense_2_kernel, dense_2_bias = seeded_kernel_and_bias(seed, 5, (512, 1))
    specs += [
        ("flatten_1", "Flatten", {}, {}),
        ("dropout_1", "Dropout", {"rate": 0.5}, {}),
        ("dense_1", "Dense", {"activation": "relu"}, {"kernel": dense_1_kernel, "bias": dense_1_bias}),
        ("dense_2", "Dense", {"activation": "sigmoid"}, {"kernel": dense_2_kernel, "bias": dense_2_bias}),
    ]
    return Network(sequential_nodes(specs))


def load(case, real_models):
    kind, source = case["model"]
    if kind == "seeded":
        return cats_vs_dogs(source)
    path = f"{real_models}/{source}"
    return load_keras3_sequential(path) if source.endswith(".keras") else load_keras2_hdf5(path)


# ----------------------------------------------------------------------------------------------
# What the engine computes, computed here


def spatial_layers(network, x):
    """The layers (not the input) whose output is 4-D, in order."""
    with torch.no_grad():
        outputs = network.run(x)
    return [node.name for node in network.nodes if node.class_name != "InputLayer" and outputs[node.name].dim() == 4]


def grad_cam(network, x, layer, class_index, binary):
    """The study notes' Grad-CAM: gradient of the class's output (after the softmax or sigmoid;
    class 0 of one sigmoid unit is 1 - p) with respect to `layer`'s output, averaged per channel;
    ReLU of the channel mean of output × weights, divided by its maximum."""
    outputs = network.run(x, detach_at=layer)
    feature_map = outputs[layer]
    scores = outputs[network.output_name][0]
    score = (scores[0] if class_index == 1 else 1 - scores[0]) if binary else scores[class_index]
    (gradient,) = torch.autograd.grad(score, feature_map)
    pooled = gradient.mean(dim=(0, 1, 2))
    heatmap = (feature_map.detach()[0] * pooled).mean(dim=-1).clamp(min=0)
    peak = heatmap.max()
    heatmap = heatmap / peak if peak > 0 else heatmap
    return heatmap.numpy(), float(score)


def predictions(network, x, binary):
    with torch.no_grad():
        scores = network.run(x)[network.output_name][0].numpy().astype(np.float64)
    return [1 - scores[0], scores[0]] if binary else list(scores)


def activations(network, x, layers):
    with torch.no_grad():
        outputs = network.run(x)
    return {name: outputs[name].numpy() for name in layers}


def load_tfjs_sequential(path):
    """A TF.js layers model.json holding a Sequential model (Keras config in modelTopology), with
    its float32 weights read by name from the shards."""
    with open(path) as file:
        model_json = json.load(file)
    topology = model_json["modelTopology"]
    config = topology.get("model_config", topology)
    if config["class_name"] != "Sequential":
        raise NotImplementedError("only Sequential TF.js models are read here")
    inner = config["config"]
    layers = inner["layers"] if isinstance(inner, dict) else inner
    folder = os.path.dirname(path)
    weights = {}
    for group in model_json["weightsManifest"]:
        data = b"".join(open(os.path.join(folder, shard), "rb").read() for shard in group["paths"])
        offset = 0
        for spec in group["weights"]:
            if spec["dtype"] != "float32":
                raise NotImplementedError(f"weight dtype {spec['dtype']}")
            count = int(np.prod(spec["shape"]))
            weights[spec["name"]] = np.frombuffer(data, np.float32, count, offset).reshape(spec["shape"])
            offset += 4 * count
    specs = [("input", "InputLayer", {}, {})]
    for layer in layers:
        name = layer["config"]["name"]
        own = {key.split("/")[-1]: value for key, value in weights.items() if key.rsplit("/", 1)[0] == name}
        specs.append((name, layer["class_name"], layer["config"], own))
    return Network(sequential_nodes(specs))
