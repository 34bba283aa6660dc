// A long session on the example model through the engine worker (scripts/soak/soakSession.ts), in
// a bounded form, every tenth job a hostile file that must be refused as it should: after every
// job, finished or cancelled, the worker holds exactly the tensors it held before the first (the
// cached model's weights; after a hostile file, whatever of it loaded, until the next job), its
// memory stops growing once every kind of job has run, and a hostile file slows no later answer.
// CONVSCOPE_SOAK_RUNS=200 runs the long version; `npm run soak` prints the figures.
import assert from 'node:assert/strict';
import path from 'node:path';
import { EngineClient } from '../../src/host/engineClient';
import type { EngineMemory } from '../../src/shared/engineProtocol';
import { answerTimes, countByKind, expectedTensors, runSoak, SOAK_KINDS, type SoakReport } from '../../scripts/soak/soakSession';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { buildHostileFixtures, soakHostileJob } from '../support/hostileCases';

const RUNS = Number(process.env.CONVSCOPE_SOAK_RUNS ?? 30);
const MIB = 2 ** 20;
/** Resident memory the process may gain from the warm point to the end: room for the garbage collector's timing, not for a leak that grows with every job. */
const RSS_GROWTH_LIMIT = 64 * MIB;
/** The WASM backend's memory never shrinks, so what a job leaks there stays: it may grow by a few pages at most once warm. */
const WASM_GROWTH_LIMIT = 4 * MIB;

const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / MIB).toFixed(1)} MiB`);
const describeMemory = (memory: EngineMemory) => `${memory.tensors} tensors, RSS ${mib(memory.rssBytes)}, worker heap ${mib(memory.heapUsedBytes)}, WASM memory ${mib(memory.wasmHeapBytes)}`;

describe('a long session through the engine worker', function () {
  this.timeout(Math.max(60_000, RUNS * 3_000));
  let engine: EngineClient;
  let report: SoakReport;
  let scratch: string;

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    scratch = await makeTempDir('convscope-soak-');
    const fixtures = await buildHostileFixtures(scratch);
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false });
    report = await runSoak(engine, {
      runs: RUNS,
      exampleFolder: path.join(REPO_ROOT, 'examples', 'shapes'),
      hostile: { every: 10, next: (n) => soakHostileJob(scratch, fixtures, n) },
    });
    console.log(`      start: ${describeMemory(report.start)}`);
    console.log(`      warm:  ${describeMemory(report.warm)}`);
    console.log(`      end:   ${describeMemory(report.end)}; peak RSS ${mib(report.end.peakRssBytes)}`);
    const times = answerTimes(report.jobs);
    console.log(`      answers (median / p95 / max ms): ${SOAK_KINDS.map((kind) => `${kind} ${times[kind].median.toFixed(0)}/${times[kind].p95.toFixed(0)}/${times[kind].max.toFixed(0)}`).join(', ')}`);
  });
  after(async () => {
    await engine?.dispose();
    if (scratch) await removeDir(scratch);
  });

  it(`runs ${RUNS} visualizations of every kind, cancelling some while they run`, function () {
    assert.equal(report.jobs.length, RUNS);
    const counts = countByKind(report.jobs);
    for (const kind of SOAK_KINDS) assert.ok(counts[kind].jobs > 0, `no ${kind} job ran`);
    const cancelled = SOAK_KINDS.reduce((sum, kind) => sum + counts[kind].cancelled, 0);
    assert.ok(cancelled > 0, 'no job was cancelled while it ran');
  });

  it('holds the model’s weights and nothing more after every job, finished or cancelled', function () {
    assert.ok(report.start.tensors > 0, 'the model is loaded before the first job');
    // A hostile file takes the cached model's place (a model refused only for its input stays cached); the next job loads the example again.
    const offBaseline = report.jobs
      .filter((job) => job.memory.tensors !== expectedTensors(report, job.index))
      .map((job) => `job ${job.index} (${job.kind}, ${job.outcome}): ${job.memory.tensors} tensors`);
    assert.deepEqual(offBaseline, [], `the baseline is ${report.start.tensors} tensors`);
  });

  it('refuses every hostile file as it should, and answers as quickly after one as before', function () {
    const hostile = report.jobs.filter((job) => job.kind === 'hostile');
    assert.equal(hostile.length, Math.floor(RUNS / 10));
    // The job after a hostile file loads the example model again: that much slower, no more.
    const afterHostile = (index: number) => index > 0 && report.jobs[index - 1].kind === 'hostile';
    const others = answerTimes(report.jobs.filter((job) => !afterHostile(job.index)));
    for (const job of report.jobs.filter((candidate) => candidate.kind !== 'hostile' && afterHostile(candidate.index))) {
      const usual = others[job.kind].max;
      assert.ok(job.ms < 3 * usual + 2000, `job ${job.index} (${job.kind}) after a hostile file took ${job.ms.toFixed(0)} ms; at most ${usual.toFixed(0)} ms otherwise`);
    }
  });

  it('stops growing in memory once every kind of job has run', function () {
    assert.ok(report.end.rssBytes - report.warm.rssBytes < RSS_GROWTH_LIMIT, `RSS grew from ${mib(report.warm.rssBytes)} to ${mib(report.end.rssBytes)}`);
    assert.ok(report.end.wasmHeapBytes !== undefined && report.warm.wasmHeapBytes !== undefined, 'the worker runs on the WASM backend');
    assert.ok(report.end.wasmHeapBytes - report.warm.wasmHeapBytes <= WASM_GROWTH_LIMIT, `WASM memory grew from ${mib(report.warm.wasmHeapBytes)} to ${mib(report.end.wasmHeapBytes)}`);
  });
});
