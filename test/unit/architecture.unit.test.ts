// ARCHITECTURE.md matches the tree: every path it names exists, and every folder of src/ and
// src/engine/ is described there.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/engineFixtures';

const text = readFileSync(path.join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8');

/** Folders directly under `folder`, relative to the repository. */
function subfolders(folder: string): string[] {
  return readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${folder}/${entry.name}`);
}

describe('ARCHITECTURE.md', () => {
  it('names only paths that exist', () => {
    const named = [...text.matchAll(/`((?:src|webview-ui|test)\/[\w./-]+?)`/g)].map((match) => match[1].replace(/\/\*\*?.*$/, ''));
    assert.ok(named.length > 20, `found ${named.length} paths`);
    const missing = named.filter((name) => !existsSync(path.join(REPO_ROOT, name)));
    assert.deepEqual(missing, []);
  });

  it('describes every folder of src and of the engine', () => {
    const folders = [...subfolders('src'), ...subfolders('src/engine').map((folder) => folder.replace('src/engine/', ''))];
    const undescribed = folders.filter((folder) => !text.includes(`\`${folder}`) && !text.includes(`${folder}/\``));
    assert.deepEqual(undescribed, []);
  });
});
