// The jobs a fuzz case's files go through, each kept small (few filters, few steps) so that hundreds
// of cases stay quick, and each checking that what it returned on success is usable.
import type { FilterPatternParameters } from '../../src/shared/types';
import { runActivationJob } from '../../src/jobs/activationJob';
import { runFilterPatternJob } from '../../src/jobs/filterPatternJob';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import type { EngineLimits } from '../../src/shared/engineProtocol';
import { DEFAULT_FILTER_PATTERN_PARAMETERS } from '../../src/shared/defaults';

export const FUZZ_JOBS = ['activations', 'gradCam', 'filterPatterns'] as const;
export type FuzzJob = (typeof FUZZ_JOBS)[number];

export interface FuzzJobInput {
  modelPath: string;
  imagePath: string;
  limits: EngineLimits;
  /** The filter-pattern job's layer; omitted: FIRST_CONVOLUTION. */
  filterLayer?: string;
}

/** Every fixture of the fuzz names its first convolution so; a case that renames it gets an InputError. */
const FIRST_CONVOLUTION = 'conv2d_1';
const FILTERS = [0, 1];
const FILTER_PARAMETERS: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 16, steps: 3 };

const noCancel = async () => {};
const isPng = (bytes: Uint8Array) => bytes.length > 8 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;

/** Runs `job` on the files; resolves with what is wrong with a successful result (nothing, normally), rejects as the job does. */
export async function runFuzzJob(job: FuzzJob, input: FuzzJobInput): Promise<string[]> {
  const problems: string[] = [];
  if (job === 'activations') {
    let layers = 0;
    await runActivationJob(
      { ...input, layers: {}, colormap: 'viridis', imagesPerRow: 8, thumbnailSize: 64 },
      {
        onLayer: (image) => {
          if (!isPng(image.png)) problems.push(`layer ${image.layerName} came without a PNG`);
          layers++;
        },
        checkCancelled: noCancel,
      },
    );
    if (layers === 0) problems.push('succeeded without a layer image');
  } else if (job === 'gradCam') {
    const result = await runGradCamJob({ ...input, score: 'output', intensity: 0.4, colormap: 'jet' }, { checkCancelled: noCancel });
    if (!isPng(result.heatmapPng) || !isPng(result.overlayPng)) problems.push('succeeded without a heatmap and an overlay PNG');
    if (!result.heatmap.every(Number.isFinite)) problems.push('succeeded with a non-finite heatmap');
  } else {
    let tiles = 0;
    const result = await runFilterPatternJob(
      { modelPath: input.modelPath, layerName: input.filterLayer ?? FIRST_CONVOLUTION, filters: FILTERS, parameters: FILTER_PARAMETERS, limits: { model: input.limits.model } },
      {
        onFilter: (tile) => {
          if (!isPng(tile.png)) problems.push(`filter ${tile.filter} came without a PNG`);
          tiles++;
        },
        checkCancelled: noCancel,
      },
    );
    if (tiles !== FILTERS.length || !isPng(result.grid.png)) problems.push(`succeeded with ${tiles} of ${FILTERS.length} tiles`);
  }
  return problems;
}
