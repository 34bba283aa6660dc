// code-server for one test run: a fresh profile (user data and extensions in a temp folder), the
// .vsix installed into it, and the server on a free loopback port, stopped with its whole process
// group (extension host, engine worker, file watcher) when the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CODE_SERVER_ENTRY, codeServerEnv } from './installCodeServer';
import { descendantPids, isAlive, killGroup, killPids, runCommand, sleep, tail } from './shell';

export interface Profile {
  root: string;
  userDataDir: string;
  extensionsDir: string;
  configFile: string;
}

/** User settings that keep the workbench quiet and deterministic for a test. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'window.confirmBeforeClose': 'never',
  'chat.commandCenter.enabled': false,
  'explorer.autoReveal': false,
};

/** A new profile under `root`: empty extensions folder, settings.json, and a code-server config without a password. */
export async function createProfile(root: string): Promise<Profile> {
  const profile: Profile = {
    root,
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
    configFile: path.join(root, 'config.yaml'),
  };
  await mkdir(path.join(profile.userDataDir, 'User'), { recursive: true });
  await mkdir(profile.extensionsDir, { recursive: true });
  await writeFile(path.join(profile.userDataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  await writeFile(profile.configFile, 'auth: none\ncert: false\n');
  return profile;
}

function profileArgs(profile: Profile): string[] {
  return ['--config', profile.configFile, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir];
}

/** `code-server --install-extension file.vsix` into the profile; resolves to the installed extension's folder. */
export async function installExtension(profile: Profile, vsix: string, extensionId: string): Promise<string> {
  const result = await runCommand(process.execPath, [CODE_SERVER_ENTRY, ...profileArgs(profile), '--force', '--install-extension', vsix], {
    env: codeServerEnv(),
    timeoutMs: 180_000,
  });
  const folders = existsSync(profile.extensionsDir) ? await readdir(profile.extensionsDir) : [];
  const folder = folders.find((name) => name.toLowerCase().startsWith(`${extensionId.toLowerCase()}-`));
  if (result.code !== 0 || !folder) {
    throw new Error(
      `code-server --install-extension ${vsix} ${result.code !== 0 ? `exited with ${result.code}` : `left no ${extensionId}-* folder in ${profile.extensionsDir}`}\n${tail(result.output, 3000)}`,
    );
  }
  return path.join(profile.extensionsDir, folder);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => {
      request.destroy();
      resolve(0);
    });
  });
}

export interface RunningCodeServer {
  url: string;
  port: number;
  pid: number;
  logFile: string;
  /** Stops the server and every process it started; safe to call twice. */
  stop(): Promise<void>;
}

/** Serves `folder` with code-server on a free loopback port; resolves once /healthz answers. */
export async function startCodeServer(profile: Profile, folder: string, logFile: string, timeoutMs = 60_000): Promise<RunningCodeServer> {
  const port = await freePort();
  const args = [
    CODE_SERVER_ENTRY,
    ...profileArgs(profile),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    folder,
  ];
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(process.execPath, args, { env: codeServerEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `code-server exited (${signal ?? `code ${code}`}) — see ${logFile}`;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Its children (extension host, engine worker, pty host, file watcher) are noted first: once the
    // server is gone they are no longer its descendants.
    const children = descendantPids(pid);
    killGroup(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
    killGroup(pid, 'SIGKILL');
    killPids([...children, ...descendantPids(pid)].filter(isAlive));
    await sleep(100);
    log.end();
  };

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(exited);
    }
    if ((await httpStatus(`${url}healthz`)) === 200) return { url, port, pid, logFile, stop };
    await sleep(250);
  }
  await stop();
  throw new Error(`code-server did not answer ${url}healthz within ${timeoutMs / 1000} s — see ${logFile}`);
}
