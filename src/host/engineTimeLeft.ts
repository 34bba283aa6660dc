// The time a long run has left, from the pace of its steps so far: timed from its first progress
// report (the model's loading and the run's setup come before it and are not steps), said only once
// enough steps are timed for the pace to mean something.

/** Steps that must be timed before an estimate is given. */
const MIN_TIMED_STEPS = 5;
/** Time that must be timed before an estimate is given: a few fast steps say little. */
const MIN_TIMED_MS = 2000;

export class TimeLeftEstimate {
  private first: { done: number; atMs: number } | undefined;
  private lastDone = 0;

  /** Takes a progress report; returns "about 2 min 30 s left", or undefined while too little is timed. */
  report(done: number, total: number, nowMs: number): string | undefined {
    if (!(total > 0) || done >= total) return undefined;
    // A count that goes back is another count (a job started again): timed afresh.
    const countedBack = done < this.lastDone;
    this.lastDone = done;
    if (!this.first || countedBack) {
      this.first = { done, atMs: nowMs };
      return undefined;
    }
    const timedSteps = done - this.first.done;
    const timedMs = nowMs - this.first.atMs;
    if (timedSteps < MIN_TIMED_STEPS || timedMs < MIN_TIMED_MS) return undefined;
    return `${formatTimeLeft(((total - done) * timedMs) / timedSteps)} left`;
  }
}

/** A duration as people say it, rounded as far as an estimate deserves. */
export function formatTimeLeft(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 10) return 'a few seconds';
  const fives = Math.round(seconds / 5) * 5;
  if (fives < 60) return `about ${fives} s`;
  if (seconds < 600) {
    // Rounded to 10 s: 59.6 s is "about 1 min", not "0 min 60 s".
    const tens = Math.round(seconds / 10);
    const minutes = Math.floor(tens / 6);
    const rest = (tens % 6) * 10;
    return rest === 0 ? `about ${minutes} min` : `about ${minutes} min ${rest} s`;
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${hours} h` : `about ${hours} h ${rest} min`;
}
