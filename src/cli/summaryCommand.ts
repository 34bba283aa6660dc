import { loadModelCached } from '../jobs/modelCache';
import { requirePositionals, startBackend, type CliCommand } from './cliSupport';
import { formatSummaryTable } from './summaryTable';
import { DEFAULT_MODEL_LIMITS } from '../shared/defaults';

export const summaryCommand: CliCommand = {
  name: 'summary',
  usage: `convscope summary <model.json> [--json]
  --json              the summary as JSON`,
  options: { json: { type: 'boolean' } },
  async run(positionals, values) {
    const [modelPath] = requirePositionals('summary', positionals, ['model.json']);
    await startBackend('auto');
    const { summary } = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    process.stdout.write(values.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummaryTable(summary) + '\n');
  },
};
