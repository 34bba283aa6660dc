// How a layer row looks in the sidebar: its kind (and codicon), its description and its tooltip
// with the layer's config. No vscode import, so it is tested in plain Node.
import { ownLayerName } from '../../shared/layerNames';
import { formatShape } from '../../shared/shapes';
import type { LayerConfig, LayerConfigValue, LayerInfo } from '../../shared/types';

export type LayerKind = 'model' | 'conv' | 'pooling' | 'dense' | 'normalization' | 'activation' | 'input' | 'other';

/** The codicon each kind of layer is drawn with. */
export const LAYER_KIND_ICONS: Readonly<Record<LayerKind, string>> = {
  model: 'symbol-namespace',
  conv: 'symbol-array',
  pooling: 'fold-down',
  dense: 'symbol-operator',
  normalization: 'symbol-ruler',
  activation: 'zap',
  input: 'sign-in',
  other: 'symbol-misc',
};

const ACTIVATION_CLASSES = new Set(['Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax']);
const GRAPH_ACTIVATION_OPS = new Set(['Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Prelu', 'Sigmoid', 'Tanh', 'Softmax', 'Swish']);

/** Keras layer classes, and the ops TF.js graph models name their nodes by. */
export function layerKindOf(className: string, isModel = false): LayerKind {
  if (isModel) return 'model';
  if (className === 'InputLayer' || className === 'Placeholder') return 'input';
  if (/^(Separable|Depthwise)?Conv[123]D(Transpose)?$/.test(className) || /^_?Fused(Depthwise)?Conv2[Dd]|^DepthwiseConv2dNative$/.test(className)) return 'conv';
  if (/Pooling[123]D$/.test(className) || /^(MaxPool|AvgPool)$/.test(className)) return 'pooling';
  if (className === 'Dense' || className === 'MatMul' || className === '_FusedMatMul') return 'dense';
  if (/Normalization$/.test(className) || /^FusedBatchNorm/.test(className)) return 'normalization';
  if (ACTIVATION_CLASSES.has(className) || GRAPH_ACTIVATION_OPS.has(className)) return 'activation';
  return 'other';
}

const CONFIG_LABELS: Readonly<Record<string, string>> = {
  filters: 'Filters',
  units: 'Units',
  kernel_size: 'Kernel size',
  pool_size: 'Pool size',
  strides: 'Strides',
  padding: 'Padding',
  activation: 'Activation',
  rate: 'Rate',
  use_bias: 'Bias',
};

/** `[3, 3]` → `3 × 3`, `true` → `yes`. */
export function formatConfigValue(value: LayerConfigValue): string {
  if (Array.isArray(value)) return value.map((item) => (item === null ? 'None' : String(item))).join(' × ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** `Kernel size: 3 × 3`, one line per config entry, in the config's order. */
export function layerConfigLines(config: LayerConfig | undefined): string[] {
  return Object.entries(config ?? {}).map(([key, value]) => `${CONFIG_LABELS[key] ?? key}: ${formatConfigValue(value)}`);
}

/**
 * A tree row's label: a nested model's layer by its own name, a graph model's op node by the last
 * segment of its name (its name scope is the folder above it).
 */
export function layerLabel(layer: LayerInfo): string {
  return layer.group !== undefined ? layer.name.slice(layer.name.lastIndexOf('/') + 1) : ownLayerName(layer);
}

const formatCount = (count: number) => count.toLocaleString('en-US');

/** The row's description: `Conv2D · (None, 62, 62, 16) · 448 params`. */
export function layerDescription(layer: LayerInfo): string {
  return `${layer.className} · ${formatShape(layer.outputShape)} · ${formatCount(layer.paramCount)} params`;
}

/** The row's tooltip, as plain-text lines: name and class, output, parameters, then the config. */
export function layerTooltipLines(layer: LayerInfo): string[] {
  const frozen = layer.paramCount - layer.trainableParamCount;
  return [
    `${layer.name} (${layer.className})`,
    `Output: ${formatShape(layer.outputShape)}`,
    `Parameters: ${formatCount(layer.paramCount)}${frozen > 0 ? ` (${formatCount(frozen)} non-trainable)` : ''}`,
    ...layerConfigLines(layer.config),
  ];
}
