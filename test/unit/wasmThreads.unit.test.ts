import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/engineFixtures';

const PROBE = path.join(REPO_ROOT, 'test', 'support', 'wasmThreadsProbe.ts');

interface ProbeResult {
  backend: string;
  notes: string[];
  threads: number;
  tensors: number;
  forward: number[];
  gradient: number[];
}

/** Each backend in its own process: a process has one WASM module. The timeout catches a process the pool keeps alive. */
async function probe(threads: number): Promise<ProbeResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE, String(threads)], { cwd: REPO_ROOT, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as ProbeResult;
}

function maxDifference(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i])), 0);
}

describe('threaded WASM backend in Node', function () {
  it('runs a pool of two threads, gives the single-threaded build’s values, leaks nothing and lets the process exit', async function () {
    const [threaded, single] = await Promise.all([probe(2), probe(1)]);
    assert.equal(threaded.backend, 'wasm');
    assert.deepEqual(threaded.notes, []);
    assert.equal(threaded.threads, 2);
    assert.equal(single.threads, 1);
    assert.equal(threaded.tensors, 0);
    assert.ok(maxDifference(threaded.forward, single.forward) < 1e-4, `forward: ${maxDifference(threaded.forward, single.forward)}`);
    assert.ok(maxDifference(threaded.gradient, single.gradient) < 1e-3, `gradient: ${maxDifference(threaded.gradient, single.gradient)}`);
    assert.ok(threaded.gradient.some((value) => value !== 0));
  });
});
