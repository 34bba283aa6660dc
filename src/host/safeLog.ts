// The Convscope output channel with every line made safe first: host log lines quote paths, layer
// names and error messages that come from the user's files, and a control character in one (an
// escape sequence, a carriage return that overwrites the line) must show as text, not act.
import type * as vscode from 'vscode';
import { safeForTerminal } from '../shared/errors';

const WRITING_METHODS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/** `channel`, whose writing methods pass their text through safeForTerminal (line breaks kept: stacks). */
export function withSafeLines<Channel extends Pick<vscode.LogOutputChannel, 'info'>>(channel: Channel): Channel {
  return new Proxy(channel, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!WRITING_METHODS.has(property)) return value.bind(target);
      return (message: unknown, ...rest: unknown[]) =>
        value.call(target, typeof message === 'string' ? safeForTerminal(message, { keepLineBreaks: true }) : message, ...rest);
    },
  });
}
