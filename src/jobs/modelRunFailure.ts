// How a job reports a failure while the model runs on an input. The model was built from the file's
// config, which TF.js checks only in part: a layer given two inputs where it takes one, say, fails
// only when it runs, so that failure is the file's. TF.js's own error is kept as the `cause`.
import { InputError, JobCancelledError, describeError } from '../shared/errors';

export function asModelRunFailure(modelPath: string, error: unknown): Error {
  if (error instanceof InputError || error instanceof JobCancelledError) return error;
  return new InputError(modelPath, `TF.js could not run the model on this input: ${describeError(error).split('\n')[0]}`, { cause: error });
}
