"""Seeded weights that the TypeScript tests reproduce bit for bit (test/support/goldenFiles.ts).

mulberry32 is src/engine/seededRandom.ts's generator, ported with the same 32-bit integer
arithmetic (JavaScript's Math.imul and >>> are multiplication and shifts modulo 2**32). Its state
after n draws is seed + n * 0x6d2b79f5, so a whole stream is computed at once with numpy.
"""
import numpy as np

MASK = 0xFFFFFFFF
GOLDEN_RATIO_32 = 0x9E3779B1
BIAS_LIMIT = 0.05


def mulberry32(seed, count):
    """The first `count` draws of mulberry32(seed), as float64 in [0, 1), exactly as in JavaScript."""
    steps = np.arange(1, count + 1, dtype=np.uint64)
    state = ((np.uint64(seed & MASK) + steps * np.uint64(0x6D2B79F5)) & np.uint64(MASK)).astype(np.uint32)
    with np.errstate(over="ignore"):
        t = state
        t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
        t = t ^ (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61)))
        return (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0


def tensor_seed(seed, tensor_index):
    """The stream of the model's weight tensor `tensor_index` (0-based, in Keras' get_weights() order)."""
    return (seed + (tensor_index + 1) * GOLDEN_RATIO_32) & MASK


def uniform(seed, tensor_index, shape, limit):
    """float32 values uniform in (-limit, limit), row-major in `shape`: limit * (2r - 1) in float64, then rounded."""
    count = int(np.prod(shape))
    draws = mulberry32(tensor_seed(seed, tensor_index), count)
    return (limit * (2.0 * draws - 1.0)).astype(np.float32).reshape(shape)


def glorot_limit(shape):
    """Keras' glorot_uniform limit: sqrt(6 / (fan_in + fan_out)), the receptive field counted for kernels."""
    receptive_field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
    return float(np.sqrt(6.0 / (fan_in + fan_out)))


def seeded_kernel_and_bias(seed, layer_index, kernel_shape):
    """A kernel (glorot-uniform limits) and a bias (uniform in ±BIAS_LIMIT) for layer `layer_index`,
    drawn from weight tensors 2 * layer_index and 2 * layer_index + 1."""
    kernel = uniform(seed, 2 * layer_index, kernel_shape, glorot_limit(kernel_shape))
    bias = uniform(seed, 2 * layer_index + 1, (kernel_shape[-1],), BIAS_LIMIT)
    return kernel, bias
