// Builds and packages the extension the way a release does (`vsce package`, which runs the
// production build through `vscode:prepublish`), then checks that the .vsix holds what the
// extension needs at run time. Packaging problems are reported with a diagnosis, not patched.
import { existsSync } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIR, REPO_ROOT, runCommand, seconds, tail } from './shell';

export const VSIX_PATH = path.join(CACHE_DIR, 'convscope.vsix');

export class PackagingError extends Error {
  override name = 'PackagingError';
}

/** Entries that must be in the .vsix (under `extension/`); a RegExp matches any one entry. */
const REQUIRED_ENTRIES: { what: string; test: string | RegExp }[] = [
  { what: 'the extension bundle', test: 'extension/dist/extension.js' },
  { what: 'the engine worker bundle', test: 'extension/dist/worker.js' },
  { what: 'the TF.js WASM binaries', test: /^extension\/dist\/wasm\/[^/]+\.wasm$/ },
  { what: 'the webview script', test: 'extension/dist/webview/main.js' },
  { what: 'the webview stylesheet', test: 'extension/dist/webview/styles.css' },
  { what: 'sharp (image decoding)', test: 'extension/node_modules/sharp/package.json' },
  { what: "sharp's native binary for linux-x64", test: /^extension\/node_modules\/@img\/sharp-linux-x64\/lib\/[^/]+\.node$/ },
  { what: "libvips for sharp's binary", test: /^extension\/node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/ },
  { what: '@tensorflow/tfjs', test: 'extension/node_modules/@tensorflow/tfjs/package.json' },
  { what: '@tensorflow/tfjs-backend-wasm', test: 'extension/node_modules/@tensorflow/tfjs-backend-wasm/package.json' },
  { what: 'the manifest', test: 'extension/package.json' },
];

/** The names in a zip file's central directory (enough of the format for a .vsix). */
export async function listZipEntries(zipPath: string): Promise<string[]> {
  const file = await open(zipPath, 'r');
  try {
    const { size } = await file.stat();
    const tailLength = Math.min(size, 65_557);
    const end = Buffer.alloc(tailLength);
    await file.read(end, 0, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (end.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new PackagingError(`${zipPath} is not a zip file (no end of central directory)`);
    const count = end.readUInt16LE(eocd + 10);
    const directorySize = end.readUInt32LE(eocd + 12);
    const directoryOffset = end.readUInt32LE(eocd + 16);
    const directory = Buffer.alloc(directorySize);
    await file.read(directory, 0, directorySize, directoryOffset);
    const names: string[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (directory.readUInt32LE(at) !== 0x02014b50) throw new PackagingError(`${zipPath}: corrupt central directory at entry ${i}`);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      names.push(directory.toString('utf8', at + 46, at + 46 + nameLength));
      at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  } finally {
    await file.close();
  }
}

/** What vsce's output says went wrong, with the change that would fix it. */
function diagnose(output: string): string {
  const hints: string[] = [];
  const icon = /specified icon '([^']+)' wasn't found/.exec(output);
  if (icon) {
    const file = icon[1].replace(/^extension\//, '');
    hints.push(
      `package.json declares "icon": "${file}" but ${existsSync(path.join(REPO_ROOT, file)) ? 'it is excluded from the package' : 'the file does not exist'}. ` +
        `Fix: add ${file} (a 128×128 PNG; .vscodeignore already keeps media/**), or remove "icon" from package.json.`,
    );
  }
  if (/README\.md/.test(output) && /edit the README/i.test(output)) {
    hints.push('vsce refuses the template README.md. Fix: write a real README.md.');
  }
  const missingDeps = [...output.matchAll(/missing: ([^\s,]+)/g)].map((match) => match[1]);
  if (missingDeps.length > 0 || /npm (ERR!|error) (missing|invalid|extraneous)/.test(output)) {
    hints.push(
      `vsce's dependency check (npm list --production) failed${missingDeps.length ? ` on ${missingDeps.join(', ')}` : ''}. ` +
        'Fix: `npm ci` so node_modules matches package-lock.json, or make the dependency optional / add it.',
    );
  }
  if (/LICENSE/.test(output) && /not found/i.test(output)) hints.push('vsce wants a LICENSE file. Fix: add LICENSE or "license" in package.json.');
  if (/repository/i.test(output) && /missing/i.test(output)) hints.push('vsce wants a "repository" field in package.json.');
  return hints.length > 0 ? hints.map((hint) => `  • ${hint}`).join('\n') : '  • (no known cause recognised; see vsce output above)';
}

/** `vsce package --out .e2e-cache/convscope.vsix` (with the production build), then checks its contents. */
export async function packageExtension(log: (line: string) => void): Promise<{ vsix: string; entries: number; bytes: number; ms: number }> {
  const started = Date.now();
  await rm(VSIX_PATH, { force: true });
  const vsce = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
  if (!existsSync(vsce)) throw new PackagingError(`${vsce} is missing: run npm install (@vscode/vsce is a devDependency)`);
  log(`vsce package --out ${path.relative(REPO_ROOT, VSIX_PATH)}`);
  const result = await runCommand(vsce, ['package', '--out', VSIX_PATH], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  if (result.code !== 0 || !existsSync(VSIX_PATH)) {
    throw new PackagingError(
      `vsce package failed (exit code ${result.code}).\n--- vsce output (tail) ---\n${tail(result.output.trim(), 3000)}\n--- diagnosis ---\n${diagnose(result.output)}`,
    );
  }
  const entries = await listZipEntries(VSIX_PATH);
  const missing = REQUIRED_ENTRIES.filter(({ test }) => !entries.some((name) => (typeof test === 'string' ? name === test : test.test(name))));
  if (missing.length > 0) {
    throw new PackagingError(
      `${VSIX_PATH} lacks:\n${missing.map(({ what, test }) => `  • ${what} (${String(test)})`).join('\n')}\n` +
        'Check .vscodeignore (it must keep these paths) and that `npm run build` produced dist/.',
    );
  }
  const { size } = await stat(VSIX_PATH);
  const ms = Date.now() - started;
  log(`packaged ${path.relative(REPO_ROOT, VSIX_PATH)}: ${entries.length} files, ${(size / 2 ** 20).toFixed(1)} MiB, in ${seconds(ms)}`);
  return { vsix: VSIX_PATH, entries: entries.length, bytes: size, ms };
}

if (require.main === module) {
  packageExtension((line) => console.log(line)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
