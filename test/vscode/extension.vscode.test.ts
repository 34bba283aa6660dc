// Inside a real VS Code: the user's scenarios through the extension's commands and exported API.
import assert from 'node:assert/strict';
import { truncate, cp } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ConvscopeApi } from '../../src/extension';

async function activateConvscope(): Promise<ConvscopeApi> {
  const extension = vscode.extensions.all.find((candidate) => candidate.packageJSON.name === 'convscope');
  assert.ok(extension, 'the Convscope extension is installed');
  return (await extension.activate()) as ConvscopeApi;
}

function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(folder, 'a workspace folder is open');
  return folder;
}

describe('Convscope in VS Code', function () {
  let api: ConvscopeApi;
  let modelPath: string;
  let imagePath: string;

  before(async function () {
    api = await activateConvscope();
    modelPath = path.join(workspaceFolder(), 'shapes', 'model.json');
    const samples = await vscode.workspace.findFiles('shapes/*.png');
    assert.ok(samples.length > 0, 'sample images in the workspace');
    imagePath = samples[0].fsPath;
  });

  it('contributes its commands', async function () {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['convscope.visualizeModel', 'convscope.openModel', 'convscope.visualizeWithImage']) assert.ok(commands.includes(id), id);
  });

  it('shows the activation grids of 8 layers in a panel', async function () {
    const outcome = await api.visualize({ modelPath, imagePath });
    assert.equal(outcome.state, 'finished');
    if (outcome.state !== 'finished') return;
    assert.equal(outcome.layers.length, 8);
    for (const layer of outcome.layers) {
      const [, height, width, channels] = layer.shape;
      assert.equal(layer.grid.width, Math.min(16, channels) * width);
      assert.equal(layer.grid.height, Math.ceil(channels / 16) * height);
    }
    assert.ok(api.host.panelOf('activations', modelPath), 'a panel is open for the model');
    const summary = await api.openModel(modelPath);
    assert.ok(summary, 'the model is listed in the sidebar');
  });

  it('reports a broken model clearly and keeps working', async function () {
    const brokenFolder = path.join(workspaceFolder(), 'broken');
    await cp(path.dirname(modelPath), brokenFolder, { recursive: true });
    const shard = (await vscode.workspace.findFiles('broken/*.bin'))[0].fsPath;
    await truncate(shard, 64);
    const broken = await api.visualize({ modelPath: path.join(brokenFolder, 'model.json'), imagePath });
    assert.equal(broken.state, 'failed');
    if (broken.state === 'failed') assert.match(broken.message, /model\.json: its weight files .* hold 64 bytes/);
    const again = await api.visualize({ modelPath, imagePath });
    assert.equal(again.state, 'finished');
  });
});
