// The model file in the active editor tab, which palette commands use without asking (when no
// Convscope panel is in front).
import * as vscode from 'vscode';
import { isModelFile } from './pickers';

/** model.json opens in a text editor, .h5 and .keras in a binary or custom one: the tab knows either. */
export function activeEditorModelPath(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
  return uri?.scheme === 'file' && isModelFile(uri.fsPath) ? uri.fsPath : undefined;
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input && typeof input === 'object' && 'uri' in input && input.uri instanceof vscode.Uri ? input.uri : undefined;
}
