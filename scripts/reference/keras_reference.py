"""The golden results computed by Keras 3 on TensorFlow: the models loaded by Keras from their own
files, and Grad-CAM as the study notes compute it (Chollet 5.4.3), in its TensorFlow 2 form: the
notes' K.gradients / K.function become a GradientTape, the rest is the notes' code line for line.
"""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Keras 3 warns that a Keras 2 model's input structure is a list; the model runs the same.
warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from seeded_weights import seeded_kernel_and_bias  # noqa: E402

NAME = f"Keras {keras.__version__} on TensorFlow {tf.__version__} (the study notes' Grad-CAM with a GradientTape)"


def cats_vs_dogs(seed):
    """The study notes' cats-vs-dogs convnet (Chollet 5.2) with seeded weights (seeded_weights.py)."""
    layers = [keras.Input((150, 150, 3))]
    for index, filters in enumerate([32, 64, 128, 128], start=1):
        layers += [
            keras.layers.Conv2D(filters, 3, activation="relu", name=f"conv2d_{index}"),
            keras.layers.MaxPooling2D(2, name=f"max_pooling2d_{index}"),
        ]
    layers += [
        keras.layers.Flatten(name="flatten_1"),
        keras.layers.Dropout(0.5, name="dropout_1"),
        keras.layers.Dense(512, activation="relu", name="dense_1"),
        keras.layers.Dense(1, activation="sigmoid", name="dense_2"),
    ]
    model = keras.Sequential(layers, name="cats_and_dogs_small")
    weighted = [layer for layer in model.layers if layer.weights]
    for layer_index, layer in enumerate(weighted):
        layer.set_weights(list(seeded_kernel_and_bias(seed, layer_index, tuple(layer.weights[0].shape))))
    return model


def load(case, real_models):
    kind, source = case["model"]
    if kind == "seeded":
        return cats_vs_dogs(source)
    return keras.saving.load_model(os.path.join(real_models, source), compile=False)


def layer_outputs_model(model, names):
    """A model from the input to the named layers' outputs and the class scores. A Sequential model
    is traced afresh: Keras 3 builds a loaded Sequential model more than once, and its layers'
    `output` can belong to a different trace than `model.outputs`, with no gradient between them."""
    if isinstance(model, keras.Sequential):
        inputs = keras.Input(model.inputs[0].shape[1:])
        outputs, x = {}, inputs
        for layer in model.layers:
            x = layer(x)
            outputs[layer.name] = x
        return keras.Model(inputs, [outputs[name] for name in names] + [x])
    return keras.Model(model.inputs, [model.get_layer(name).output for name in names] + [model.outputs[0]])


def spatial_layers(model, _x):
    return [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4]


def predictions(model, x, binary):
    scores = np.asarray(model(x, training=False))[0].astype(np.float64)
    return [1 - scores[0], scores[0]] if binary else list(scores)


def activations(model, x, layers):
    activation_model = layer_outputs_model(model, layers)
    outputs = activation_model(x, training=False)[:-1]
    return {name: np.asarray(output) for name, output in zip(layers, outputs)}


def grad_cam(model, x, layer, class_index, binary):
    """The notes: the class's output (one sigmoid unit: p for class 1, 1 - p for class 0), its
    gradient at the layer's output, pooled per channel, each channel weighted, the channel mean,
    np.maximum(heatmap, 0) and heatmap /= np.max(heatmap)."""
    grad_model = layer_outputs_model(model, [layer])
    with tf.GradientTape() as tape:
        conv_layer_output, preds = grad_model(x, training=False)
        class_output = (preds[:, 0] if class_index == 1 else 1 - preds[:, 0]) if binary else preds[:, class_index]
    grads = tape.gradient(class_output, conv_layer_output)
    pooled_grads = keras.ops.mean(grads, axis=(0, 1, 2))
    conv_layer_output_value = np.array(conv_layer_output[0])
    pooled_grads_value = np.asarray(pooled_grads)
    for i in range(conv_layer_output_value.shape[-1]):
        conv_layer_output_value[:, :, i] *= pooled_grads_value[i]
    heatmap = np.mean(conv_layer_output_value, axis=-1)
    heatmap = np.maximum(heatmap, 0)
    peak = np.max(heatmap)
    if peak > 0:
        heatmap /= peak
    return heatmap, float(np.asarray(class_output)[0])
