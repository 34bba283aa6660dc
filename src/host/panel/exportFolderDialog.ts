// Where a panel's export goes: a folder the user picks, starting at the image's folder (or the
// workspace, for the example model's images inside the extension), and how the result is shown.
import * as vscode from 'vscode';
import { defaultExportFolder } from './activationExport';

export async function askExportFolder(title: string, imagePath: string, extensionPath: string): Promise<string | undefined> {
  const workspaceFolder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const uris = await vscode.window.showOpenDialog({
    title,
    defaultUri: vscode.Uri.file(defaultExportFolder(imagePath, extensionPath, workspaceFolder)),
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Export Here',
  });
  return uris?.[0]?.fsPath;
}

/** Says what was saved, offering to reveal the first file in the Explorer (or the OS, outside the workspace). */
export function announceExport(message: string, firstFile: string): void {
  const first = vscode.Uri.file(firstFile);
  const inWorkspace = vscode.workspace.getWorkspaceFolder(first) !== undefined;
  const reveal = inWorkspace ? 'Reveal in Explorer' : 'Reveal in File Manager';
  void vscode.window
    .showInformationMessage(message, reveal)
    .then((choice) => (choice === reveal ? vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', first) : undefined));
}
