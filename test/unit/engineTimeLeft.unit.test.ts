import assert from 'node:assert/strict';
import { TimeLeftEstimate, formatTimeLeft } from '../../src/host/engineTimeLeft';

describe('the time a run has left', () => {
  it('says nothing until enough steps and time are timed, from the first report on', () => {
    const estimate = new TimeLeftEstimate();
    // The first report comes after the model's loading: timing starts there.
    assert.equal(estimate.report(0, 1000, 50_000), undefined);
    assert.equal(estimate.report(4, 1000, 58_000), undefined, 'four steps are too few');
    assert.equal(estimate.report(100, 1000, 51_000), undefined, 'a second is too little');
    // 200 steps in 4 s: 20 ms a step, 800 steps left.
    assert.equal(estimate.report(200, 1000, 54_000), 'about 15 s left');
    // 500 steps in 20 s: 40 ms a step, 500 left.
    assert.equal(estimate.report(500, 1000, 70_000), 'about 20 s left');
  });

  it('starts again when the count goes back, and says nothing once done or without a total', () => {
    const estimate = new TimeLeftEstimate();
    estimate.report(0, 100, 0);
    assert.equal(estimate.report(50, 100, 100_000), 'about 1 min 40 s left');
    assert.equal(estimate.report(10, 100, 200_000), undefined, 'a new count is timed afresh');
    assert.equal(estimate.report(20, 100, 210_000), 'about 1 min 20 s left');
    assert.equal(estimate.report(100, 100, 300_000), undefined);
    assert.equal(new TimeLeftEstimate().report(5, 0, 0), undefined);
  });

  it('rounds as far as an estimate deserves', () => {
    assert.equal(formatTimeLeft(3_000), 'a few seconds');
    assert.equal(formatTimeLeft(12_400), 'about 10 s');
    assert.equal(formatTimeLeft(58_000), 'about 1 min', 'not “60 s”');
    assert.equal(formatTimeLeft(155_000), 'about 2 min 40 s');
    assert.equal(formatTimeLeft(179_000), 'about 3 min');
    assert.equal(formatTimeLeft(22 * 60_000 + 20_000), 'about 22 min');
    assert.equal(formatTimeLeft(2 * 3_600_000 + 5 * 60_000), 'about 2 h 5 min');
    assert.equal(formatTimeLeft(3_600_000), 'about 1 h');
  });
});
