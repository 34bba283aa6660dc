// Child process of the runner: builds and writes the benchmark models on the cpu backend, so the
// runner's own process (whose memory is measured while the engine worker runs) never holds them.
import * as tf from '@tensorflow/tfjs';
import { writeBenchModels, type BenchModelName } from './benchModels';

async function main(): Promise<void> {
  const [directory, ...names] = process.argv.slice(2);
  await tf.setBackend('cpu');
  await writeBenchModels(directory, names as BenchModelName[]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
