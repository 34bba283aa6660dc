import { loadModelCached } from '../jobs/modelCache';
import { requirePositionals, startBackend, type CliCommand, writeOut, reportReading, jsonForTerminal } from './cliSupport';
import { formatSummaryTable } from './summaryTable';
import { DEFAULT_MODEL_LIMITS } from '../shared/defaults';

export const summaryCommand: CliCommand = {
  name: 'summary',
  usage: `convscope summary <model.json> [--json]
  --json              the summary as JSON`,
  options: { json: { type: 'boolean' } },
  async run(positionals, values) {
    const [modelPath] = requirePositionals('summary', positionals, ['model.json']);
    // Named from the start: a run past its deadline while the engine starts is about this file too.
    reportReading(modelPath);
    await startBackend('auto');
    const { summary } = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    writeOut(values.json ? jsonForTerminal(summary) + '\n' : formatSummaryTable(summary) + '\n');
  },
};
