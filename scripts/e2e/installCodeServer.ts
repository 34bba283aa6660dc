// Idempotent setup for the end-to-end test: the Debian packages it needs, and code-server (a real
// VS Code served over HTTP) installed from the npm registry into the git-ignored .e2e-cache/.
//
// code-server's own postinstall (lib/vscode `npm install --omit=dev`) cannot run unattended here:
// @vscode/ripgrep's postinstall downloads ripgrep from GitHub, which is unreachable, unless its bin/
// folder already exists, and that folder only exists after the nested install has unpacked it. So
// the package is installed with --ignore-scripts and its postinstall's steps are done here, in the
// same order, with Debian's `rg` placed in @vscode/ripgrep/bin before the install scripts run.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIR, runChecked, runCommand, seconds } from './shell';

export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER_PREFIX = path.join(CACHE_DIR, 'code-server');
export const CODE_SERVER_ROOT = path.join(CODE_SERVER_PREFIX, 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_ROOT, 'out', 'node', 'entry.js');
const VSCODE_DIR = path.join(CODE_SERVER_ROOT, 'lib', 'vscode');
const MARKER = path.join(CODE_SERVER_PREFIX, '.convscope-e2e-installed');

/** Debian packages: the browser, ripgrep for code-server's search, and headers for its native modules. */
export const DEBIAN_PACKAGES = ['chromium', 'ripgrep', 'libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'pkg-config'];

/** Files whose absence means the native builds or the postinstall steps did not complete. */
const INSTALL_CHECKS = [
  CODE_SERVER_ENTRY,
  path.join(CODE_SERVER_PREFIX, 'node_modules', 'argon2', 'lib', 'binding', 'napi-v3', 'argon2.node'),
  path.join(VSCODE_DIR, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'),
  path.join(VSCODE_DIR, 'node_modules', '@vscode', 'spdlog', 'build', 'Release', 'spdlog.node'),
  path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'),
  path.join(VSCODE_DIR, 'node_modules.asar'),
  path.join(VSCODE_DIR, 'extensions', 'node_modules'),
];

/** Environment for every code-server invocation: keep its default config and data out of $HOME. */
export function codeServerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(CACHE_DIR, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(CACHE_DIR, 'xdg', 'data'),
    // @vscode/deviceid writes $XDG_CACHE_HOME/Microsoft/DeveloperTools/deviceid.
    XDG_CACHE_HOME: path.join(CACHE_DIR, 'xdg', 'cache'),
  };
}

function npmEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // node-pty's install script runs `npx node-gyp`, which cancels in a non-interactive shell without this.
    npm_config_yes: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
}

async function missingDebianPackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const name of DEBIAN_PACKAGES) {
    const result = await runCommand('dpkg-query', ['-W', '-f=${Status}', name]);
    if (result.code !== 0 || !result.output.includes('install ok installed')) missing.push(name);
  }
  return missing;
}

/** apt-get installs the packages that are missing (after `apt-get update`); nothing when all are there. */
export async function ensureDebianPackages(log: (line: string) => void): Promise<void> {
  const missing = await missingDebianPackages();
  if (missing.length === 0) {
    log(`Debian packages present: ${DEBIAN_PACKAGES.join(', ')}`);
    return;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`Missing Debian packages ${missing.join(', ')}; install them (as root): apt-get update && apt-get install -y ${missing.join(' ')}`);
  }
  log(`Installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runChecked('apt-get', ['update', '-q'], { env, timeoutMs: 300_000 });
  await runChecked('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env, timeoutMs: 600_000 });
  const still = await missingDebianPackages();
  if (still.length > 0) throw new Error(`apt-get did not install: ${still.join(', ')}`);
}

/** The installed code-server's version line, or undefined when it is missing or does not start. */
async function installedVersion(): Promise<string | undefined> {
  if (!existsSync(MARKER) || INSTALL_CHECKS.some((file) => !existsSync(file))) return undefined;
  if ((await readFile(MARKER, 'utf8')).trim() !== CODE_SERVER_VERSION) return undefined;
  const result = await runCommand(process.execPath, [CODE_SERVER_ENTRY, '--version'], { env: codeServerEnv(), timeoutMs: 60_000 });
  const line = result.output.split('\n').find((text) => text.startsWith(CODE_SERVER_VERSION));
  return result.code === 0 ? line : undefined;
}

async function replaceWithSymlink(target: string, linkPath: string): Promise<void> {
  try {
    await lstat(linkPath);
    await rm(linkPath, { recursive: true, force: true });
  } catch {
    // Not there yet.
  }
  await symlink(target, linkPath);
}

/** Installs code-server into .e2e-cache/code-server unless a complete install of the pinned version is there. */
export async function ensureCodeServer(log: (line: string) => void): Promise<{ installed: boolean; ms: number }> {
  const started = Date.now();
  const version = await installedVersion();
  if (version) {
    log(`code-server present: ${version}`);
    return { installed: false, ms: Date.now() - started };
  }
  if (!existsSync('/usr/bin/rg')) throw new Error('ripgrep (/usr/bin/rg) is missing: install the Debian package "ripgrep"');
  log(`Installing code-server ${CODE_SERVER_VERSION} into ${CODE_SERVER_PREFIX} (a few minutes the first time)…`);
  await rm(CODE_SERVER_PREFIX, { recursive: true, force: true });
  await mkdir(CODE_SERVER_PREFIX, { recursive: true });
  const env = npmEnv();
  const echo = '    npm │ ';
  const limit = 900_000;

  // 1. The package itself and its own dependencies, without install scripts (see the header).
  await runChecked('npm', ['install', '--prefix', CODE_SERVER_PREFIX, '--ignore-scripts', '--no-save', `code-server@${CODE_SERVER_VERSION}`], {
    env,
    timeoutMs: limit,
    echoPrefix: echo,
  });
  // 2. code-server's own native dependency (password hashing; loaded at start even with --auth none).
  await runChecked('npm', ['rebuild', 'argon2'], { cwd: CODE_SERVER_PREFIX, env, timeoutMs: limit, echoPrefix: echo });

  // 3. postinstall.sh, step by step: lib/vscode's production dependencies…
  await runChecked('npm', ['install', '--omit=dev', '--ignore-scripts'], { cwd: VSCODE_DIR, env, timeoutMs: limit, echoPrefix: echo });
  //    …with Debian's ripgrep where @vscode/ripgrep would download its own (it skips when bin/ exists)…
  const ripgrepBin = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin');
  await mkdir(ripgrepBin, { recursive: true });
  await replaceWithSymlink('/usr/bin/rg', path.join(ripgrepBin, 'rg'));
  //    …then their install scripts (node-gyp builds of node-pty, spdlog, kerberos, watchdog…),
  await runChecked('npm', ['rebuild'], { cwd: VSCODE_DIR, env, timeoutMs: limit, echoPrefix: echo });
  //    the links postinstall.sh makes,
  await replaceWithSymlink('node_modules', path.join(VSCODE_DIR, 'node_modules.asar'));
  await replaceWithSymlink('code-linux.sh', path.join(VSCODE_DIR, 'bin', 'remote-cli', 'code-server'));
  await replaceWithSymlink('browser-linux.sh', path.join(VSCODE_DIR, 'bin', 'helpers', 'browser.sh'));
  //    and the built-in extensions' dependencies.
  await runChecked('npm', ['install', '--omit=dev'], { cwd: path.join(VSCODE_DIR, 'extensions'), env, timeoutMs: limit, echoPrefix: echo });

  const missing = INSTALL_CHECKS.filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`code-server install is incomplete; missing:\n  ${missing.join('\n  ')}`);
  await writeFile(MARKER, `${CODE_SERVER_VERSION}\n`);
  const installed = await installedVersion();
  if (!installed) throw new Error(`code-server was installed but "${CODE_SERVER_ENTRY} --version" does not report ${CODE_SERVER_VERSION}`);
  const ms = Date.now() - started;
  log(`code-server installed in ${seconds(ms)}: ${installed}`);
  return { installed: true, ms };
}

/** `tsx scripts/e2e/installCodeServer.ts` runs the setup alone. */
if (require.main === module) {
  const log = (line: string) => console.log(line);
  ensureDebianPackages(log)
    .then(() => ensureCodeServer(log))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
