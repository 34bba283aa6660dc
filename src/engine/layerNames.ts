// Names of layers inside nested models. Dependency-free, so the webview bundle can use it too.
import type { LayerInfo } from './types';

/**
 * The layer's own name, without the nested models it sits in (`base/block/conv` → `conv`); for a
 * graph model's op node, the last segment of its name (the tree shows its scope as a folder).
 */
export function ownLayerName(layer: Pick<LayerInfo, 'name' | 'parent' | 'group'>): string {
  if (layer.group !== undefined) return layer.name.slice(layer.name.lastIndexOf('/') + 1);
  return layer.parent !== undefined && layer.name.startsWith(`${layer.parent}/`) ? layer.name.slice(layer.parent.length + 1) : layer.name;
}
