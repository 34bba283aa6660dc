// The visualization webview's HTML: a strict CSP (scripts by nonce only), the bundled script and
// stylesheet from dist/webview, and an empty root the script fills in with the panel's view.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { PanelViewKind } from '../../shared/protocol';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function renderPanelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: PanelViewKind): string {
  const nonce = randomBytes(16).toString('base64');
  const root = webviewRoot(extensionUri);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js'));
  const styles = webview.asWebviewUri(vscode.Uri.joinPath(root, 'styles.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob: data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${styles.toString()}">
  <title>Convscope</title>
</head>
<body>
  <div id="app" data-view="${view}"></div>
  <script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
