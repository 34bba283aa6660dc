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
import { CACHE_DIR, CommandError, runChecked, runCommand, seconds, sleep } from './shell';

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

/** Another apt or dpkg (unattended-upgrades, a second install) may hold the package locks: waited for this long at most. */
const APT_LOCK_WAIT_MS = 10 * 60_000;
const APT_LOCK_RETRY_MS = 10_000;
/** What apt-get says when the dpkg lock, its frontend lock or the lists lock is held. */
const APT_LOCK_HELD = /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock (the )?(administration )?directory|is another process using it/i;

/**
 * Runs apt-get, waiting (up to APT_LOCK_WAIT_MS) while another process holds its locks, instead of
 * failing at once; any other failure is thrown with apt-get's output.
 */
async function aptGet(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + APT_LOCK_WAIT_MS;
  // apt 1.9.11 and later wait for the dpkg lock themselves this long; the retries also cover `update`'s lists lock.
  const command = ['-o', `DPkg::Lock::Timeout=${APT_LOCK_RETRY_MS / 1000}`, ...args];
  for (;;) {
    const result = await runCommand('apt-get', command, { env, timeoutMs });
    if (result.code === 0) return;
    const shown = ['apt-get', ...command].join(' ');
    if (!APT_LOCK_HELD.test(result.output)) throw new CommandError(shown, result, result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`);
    if (Date.now() > deadline) throw new CommandError(shown, result, `could not get the package lock within ${APT_LOCK_WAIT_MS / 60_000} min: another apt or dpkg holds it`);
    log(`apt-get ${args[0]}: another process holds the package lock; waiting for it (up to ${Math.ceil((deadline - Date.now()) / 60_000)} min more)`);
    await sleep(APT_LOCK_RETRY_MS);
  }
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
  await aptGet(['update', '-q'], env, 300_000, log);
  await aptGet(['install', '-y', '-q', '--no-install-recommends', ...missing], env, 600_000, log);
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
