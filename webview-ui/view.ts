// What every panel kind's view offers the entry point, and how the page says which kind it is.
import type { HostToWebviewMessage, PanelViewKind } from '../src/shared/protocol';

export interface WebviewView {
  readonly kind: PanelViewKind;
  /** Shows a host message; a view ignores message types that belong to another panel kind. */
  handleMessage(message: HostToWebviewMessage): void;
}

export const PANEL_VIEW_KINDS: readonly PanelViewKind[] = ['activations', 'filters', 'gradcam', 'summary', 'dataset'];

/** The kind named by the root's `data-view`; activations when it is absent or unknown. */
export function viewKindOf(root: HTMLElement): PanelViewKind {
  const named = root.dataset.view;
  return PANEL_VIEW_KINDS.find((kind) => kind === named) ?? 'activations';
}
