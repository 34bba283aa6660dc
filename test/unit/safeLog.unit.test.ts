import assert from 'node:assert/strict';
import { withSafeLines } from '../../src/host/safeLog';

/** A stand-in for the output channel: records what reaches it. */
class RecordingChannel {
  readonly lines: string[] = [];
  readonly name = 'Convscope';
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  error(message: string | Error): void {
    this.lines.push(`error ${String(message)}`);
  }
  appendLine(message: string): void {
    this.lines.push(`line ${message}`);
  }
  show(): string {
    return `shown ${this.name}`;
  }
}

describe('The output channel with safe lines', function () {
  it('turns control characters from file names into visible text, keeping line breaks', function () {
    const channel = new RecordingChannel();
    const log = withSafeLines(channel);
    log.info('model \u001b[31mred\u001b[0m.json: loaded');
    log.appendLine('layer conv\rOK');
    log.error('failed\n    at stack frame');
    assert.deepEqual(channel.lines, ['info model \ufffd[31mred\ufffd[0m.json: loaded', 'line layer conv\ufffdOK', 'error failed\n    at stack frame']);
  });

  it('leaves the channel’s other members working, bound to the channel', function () {
    const log = withSafeLines(new RecordingChannel());
    assert.equal(log.name, 'Convscope');
    const { show } = log;
    assert.equal(show(), 'shown Convscope');
  });
});
