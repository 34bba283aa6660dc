// Names of layers inside nested models. Dependency-free, so the webview bundle can use it too.
import type { LayerInfo } from './types';

/** The layer's own name, without the nested models it sits in (`base/block/conv` → `conv`). */
export function ownLayerName(layer: Pick<LayerInfo, 'name' | 'parent'>): string {
  return layer.parent !== undefined && layer.name.startsWith(`${layer.parent}/`) ? layer.name.slice(layer.parent.length + 1) : layer.name;
}
