// Checks filter-pattern parameters against FILTER_PATTERN_RANGES, saying each range in words, so
// that no setting or option outside the ranges (where images may stop being finite, or stop making
// sense) reaches the ascent.
import { DEFAULT_FILTER_PATTERN_PARAMETERS, FILTER_PATTERN_RANGES, type ParameterRange } from '../../shared/defaults';
import { FILTER_PATTERN_PRESETS, type FilterPatternParameters, type LucidPresetParameters } from '../../shared/types';

/** One parameter outside its range: its name as the parameters spell it, and the problem in words. */
export interface ParameterProblem {
  parameter: string;
  problem: string;
}

/** "a whole number from 1 to 2000", "a number above 0 and at most 10". */
export function describeRange(range: ParameterRange): string {
  const kind = range.integer ? 'a whole number' : 'a number';
  return range.aboveMin ? `${kind} above ${range.min} and at most ${range.max}` : `${kind} from ${range.min} to ${range.max}`;
}

export function isInRange(value: number, range: ParameterRange): boolean {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.aboveMin ? value > range.min : value >= range.min) &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value))
  );
}

/** The lucid preset's parameters, the defaults where a caller gave none. */
export function lucidParameters(parameters: FilterPatternParameters): LucidPresetParameters {
  return parameters.lucid ?? DEFAULT_FILTER_PATTERN_PARAMETERS.lucid!;
}

/** Every parameter of `parameters` outside its range (the preset's own group only); empty when all are fine. */
export function filterPatternParameterProblems(parameters: FilterPatternParameters): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const check = (parameter: string, value: number, range: ParameterRange) => {
    if (!isInRange(value, range)) problems.push({ parameter, problem: `${parameter} must be ${describeRange(range)} (got ${String(value)})` });
  };
  if (!FILTER_PATTERN_PRESETS.includes(parameters.preset)) {
    problems.push({ parameter: 'preset', problem: `preset must be one of ${FILTER_PATTERN_PRESETS.join(', ')} (got ${String(parameters.preset)})` });
    return problems;
  }
  check('size', parameters.size, FILTER_PATTERN_RANGES.size);
  check('steps', parameters.steps, FILTER_PATTERN_RANGES.steps);
  check('stepSize', parameters.stepSize, parameters.preset === 'lucid' ? FILTER_PATTERN_RANGES.lucidStepSize : FILTER_PATTERN_RANGES.stepSize);
  check('seed', parameters.seed, FILTER_PATTERN_RANGES.seed);
  if (parameters.preset === 'clear') {
    for (const [key, range] of Object.entries(FILTER_PATTERN_RANGES.clear)) check(`clear.${key}`, parameters.clear[key as keyof typeof FILTER_PATTERN_RANGES.clear], range);
  }
  if (parameters.preset === 'lucid') {
    const lucid = lucidParameters(parameters);
    for (const [key, range] of Object.entries(FILTER_PATTERN_RANGES.lucid)) check(`lucid.${key}`, lucid[key as keyof typeof FILTER_PATTERN_RANGES.lucid], range);
  }
  return problems;
}
