// package.json's `contributes` checked against the source: every command has a title and the
// "Convscope" category, every menu entry and welcome link names a contributed command, every
// when-clause key is one VS Code defines or the extension sets (and every value it compares with is
// one the extension produces), the registered and the contributed commands are the same set, and
// each webview panel type has its activation event and serializer.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

interface CommandContribution {
  command: string;
  title?: string;
  category?: string;
  icon?: string;
}

interface MenuEntry {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

interface PackageJson {
  activationEvents?: string[];
  contributes: {
    commands: CommandContribution[];
    menus: Record<string, MenuEntry[]>;
    views: Record<string, { id: string }[]>;
    viewsContainers?: Record<string, { id: string }[]>;
    viewsWelcome?: { view: string; contents: string; when?: string }[];
    configuration: { properties: Record<string, unknown> };
  };
}

const manifest = JSON.parse(read('package.json')) as PackageJson;
const { contributes } = manifest;
const contributedCommands = new Set(contributes.commands.map((command) => command.command));
const viewIds = new Set(Object.values(contributes.views).flatMap((views) => views.map((view) => view.id)));

/** Context keys VS Code itself sets that these menus may use. */
const VSCODE_CONTEXT_KEYS = new Set([
  'false',
  'true',
  'resource',
  'resourceScheme',
  'resourceFilename',
  'resourceExtname',
  'resourceLangId',
  'resourceDirname',
  'resourcePath',
  'editorLangId',
  'editorFocus',
  'activeEditor',
  'explorerResourceIsFolder',
  'isWorkspaceTrusted',
  'workspaceFolderCount',
  'view',
  'viewItem',
  'focusedView',
  'isWeb',
]);

/** `contextValue = …` strings of the tree items: the values `viewItem` can take. */
function treeItemContextValues(): string[] {
  const source = read('src/host/tree/modelTreeProvider.ts');
  const assignments = source.split('\n').filter((line) => /\.contextValue\s*=/.test(line));
  const values = assignments.flatMap((line) => [...line.matchAll(/'([^']+)'/g)].map((match) => match[1]));
  assert.ok(values.length > 0, 'modelTreeProvider.ts sets contextValue');
  return values;
}

/** Keys the extension sets with `setContext`, from the host's sources. */
function extensionContextKeys(): Set<string> {
  const files = ['src/extension.ts', ...sourceFiles('src/host')];
  const keys = files.flatMap((file) => [...read(file).matchAll(/'setContext',\s*'([^']+)'/g)].map((match) => match[1]));
  return new Set(keys);
}

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(repoRoot, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(repoRoot, path.join(entry.parentPath, entry.name)));
}

interface WhenTerm {
  key: string;
  operator?: '==' | '!=' | '=~';
  value?: string;
}

/** The terms of a when clause (`a && !b || (c == d)`), each a key and what it is compared with. */
function whenTerms(when: string): WhenTerm[] {
  // Regular expressions may hold parentheses and `|`: set them aside while splitting.
  const regexes: string[] = [];
  const masked = when.replace(/=~\s*(\/(?:\\.|[^/\\])*\/[a-z]*)/g, (_match, regex: string) => `=~ @regex${regexes.push(regex) - 1}`);
  return masked
    .replace(/[()]/g, ' ')
    .split(/&&|\|\|/)
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .map((term) => {
      const match = /^!?\s*([A-Za-z_][\w.-]*)\s*(?:(==|!=|=~)\s*(.+))?$/.exec(term);
      assert.ok(match, `"${term}" (in "${when}") is a term this test understands`);
      const value = match[3]?.trim().replace(/^@regex(\d+)$/, (_whole, index: string) => regexes[Number(index)]);
      return { key: match[1], operator: match[2] as WhenTerm['operator'], value };
    });
}

function regexOf(literal: string): RegExp {
  const match = /^\/(.*)\/([a-z]*)$/.exec(literal);
  assert.ok(match, `${literal} is a regular expression literal`);
  return new RegExp(match[1], match[2]);
}

function allMenuEntries(): { menu: string; entry: MenuEntry }[] {
  return Object.entries(contributes.menus).flatMap(([menu, entries]) => entries.map((entry) => ({ menu, entry })));
}

function allWhenClauses(): { where: string; when: string }[] {
  return [
    ...allMenuEntries().flatMap(({ menu, entry }) => (entry.when ? [{ where: `${menu} ${entry.command}`, when: entry.when }] : [])),
    ...(contributes.viewsWelcome ?? []).flatMap((welcome) => (welcome.when ? [{ where: `viewsWelcome ${welcome.view}`, when: welcome.when }] : [])),
  ];
}

describe('package.json contributions', function () {
  it('gives every command a title and the category "Convscope", and ids under convscope.', function () {
    for (const command of contributes.commands) {
      assert.match(command.command, /^convscope\.[a-zA-Z]+$/);
      assert.ok(command.title && command.title.trim() !== '', `${command.command} has a title`);
      assert.equal(command.category, 'Convscope', `${command.command} is in the Convscope category`);
    }
    assert.equal(contributedCommands.size, contributes.commands.length, 'no command is contributed twice');
  });

  it('names an existing command in every menu entry, with an icon where it shows inline', function () {
    for (const { menu, entry } of allMenuEntries()) {
      assert.ok(entry.command, `an entry of ${menu} names a command`);
      assert.ok(contributedCommands.has(entry.command), `${menu}: ${entry.command} is a contributed command`);
      const group = entry.group ?? '';
      const showsAsIcon = menu === 'editor/title' || menu === 'view/title' ? group.startsWith('navigation') : menu === 'view/item/context' && group.startsWith('inline');
      if (showsAsIcon) {
        const command = contributes.commands.find((candidate) => candidate.command === entry.command);
        assert.ok(command?.icon, `${menu}: ${entry.command} shows as an icon, so it has one`);
      }
    }
  });

  it('links only contributed commands from the welcome content', function () {
    const links = (contributes.viewsWelcome ?? []).flatMap((welcome) => [...welcome.contents.matchAll(/\(command:([\w.]+)\)/g)].map((match) => match[1]));
    assert.ok(links.length >= 2, 'the welcome content links commands');
    for (const command of links) assert.ok(contributedCommands.has(command), `welcome link ${command} is a contributed command`);
    assert.ok(links.includes('convscope.openModel') && links.includes('convscope.openExampleModel'), 'open a model and the example model');
    for (const welcome of contributes.viewsWelcome ?? []) assert.ok(viewIds.has(welcome.view), `welcome content for ${welcome.view}, a contributed view`);
  });

  it('uses only context keys that VS Code defines or the extension sets', function () {
    const ownKeys = extensionContextKeys();
    const clauses = allWhenClauses();
    assert.ok(clauses.length > 0);
    for (const { where, when } of clauses) {
      for (const term of whenTerms(when)) {
        const known = VSCODE_CONTEXT_KEYS.has(term.key) || ownKeys.has(term.key) || (term.key.startsWith('config.convscope.') && term.key.slice('config.'.length) in contributes.configuration.properties);
        assert.ok(known, `${where}: context key "${term.key}" is one VS Code defines or the extension sets`);
      }
    }
  });

  it('compares view and viewItem only with values the extension produces', function () {
    const contextValues = treeItemContextValues();
    for (const { where, when } of allWhenClauses()) {
      for (const term of whenTerms(when)) {
        if (term.value === undefined) continue;
        if (term.key === 'view' || term.key === 'focusedView') {
          assert.ok(viewIds.has(term.value), `${where}: ${term.value} is a contributed view`);
        } else if (term.key === 'viewItem') {
          const matches = term.operator === '=~' ? contextValues.filter((value) => regexOf(term.value ?? '').test(value)) : contextValues.filter((value) => value === term.value);
          assert.ok(matches.length > 0, `${where}: viewItem ${term.operator} ${term.value} matches a tree item's contextValue (${contextValues.join(', ')})`);
        }
      }
    }
  });

  it('offers every tree item context a menu, and hides node-only commands from the palette', function () {
    const itemMenus = contributes.menus['view/item/context'] ?? [];
    for (const contextValue of ['convscope.model', 'convscope.layer.conv', 'convscope.layer.spatial', 'convscope.filterPage', 'convscope.filter']) {
      const offered = itemMenus.filter((entry) => whenTerms(entry.when ?? '').some((term) => term.key === 'viewItem' && (term.operator === '=~' ? regexOf(term.value ?? '').test(contextValue) : term.value === contextValue)));
      assert.ok(offered.length > 0, `${contextValue} rows have actions`);
    }
    const hidden = new Set((contributes.menus.commandPalette ?? []).filter((entry) => entry.when === 'false').map((entry) => entry.command));
    for (const nodeOnly of ['convscope.showLayerActivations', 'convscope.showFilterPattern', 'convscope.useAsGradCamLayer', 'convscope.closeModel']) {
      assert.ok(hidden.has(nodeOnly), `${nodeOnly} needs a tree node: hidden from the palette`);
    }
    for (const withPicker of ['convscope.showModelSummary', 'convscope.openExampleModel', 'convscope.openModel', 'convscope.explainPrediction']) {
      assert.ok(!hidden.has(withPicker), `${withPicker} works from the palette`);
    }
  });

  it('contributes exactly the commands src/host/commands.ts registers', function () {
    const source = read('src/host/commands.ts');
    const registered = new Set([...source.matchAll(/register(?:Command)?\(\s*'(convscope\.[\w.]+)'/g)].map((match) => match[1]));
    assert.ok(registered.size > 10, 'the test finds the registrations');
    assert.deepEqual([...registered].filter((id) => !contributedCommands.has(id)), [], 'registered but not contributed');
    assert.deepEqual([...contributedCommands].filter((id) => !registered.has(id)), [], 'contributed but not registered');
    // Commands other sources name (the status bar item, tree item clicks) exist too.
    for (const file of sourceFiles('src/host')) {
      for (const match of read(file).matchAll(/command:\s*'(convscope\.[\w.]+)'/g)) {
        assert.ok(contributedCommands.has(match[1]), `${file} runs ${match[1]}, a contributed command`);
      }
    }
  });

  it('activates for every webview panel type and registers a serializer for each', function () {
    const viewTypes = sourceFiles('src/host/panel').flatMap((file) => [...read(file).matchAll(/export const (\w+_VIEW_TYPE) = '([^']+)'/g)].map((match) => ({ constant: match[1], viewType: match[2] })));
    assert.ok(viewTypes.length >= 4, `the panel modules declare their view types (${viewTypes.map((type) => type.viewType).join(', ')})`);
    const extension = read('src/extension.ts');
    const serialized = /\[([A-Z_,\s]+)\]\.map\(\(viewType\) =>\s*vscode\.window\.registerWebviewPanelSerializer/.exec(extension);
    assert.ok(serialized, 'extension.ts registers the serializers from a list of view types');
    const serializedConstants = serialized[1].split(',').map((name) => name.trim()).filter((name) => name !== '');
    for (const { constant, viewType } of viewTypes) {
      assert.ok(manifest.activationEvents?.includes(`onWebviewPanel:${viewType}`), `activationEvents has onWebviewPanel:${viewType}`);
      assert.ok(serializedConstants.includes(constant), `extension.ts registers a serializer for ${constant}`);
    }
    const declared = (manifest.activationEvents ?? []).filter((event) => event.startsWith('onWebviewPanel:')).map((event) => event.slice('onWebviewPanel:'.length));
    assert.deepEqual(declared.sort(), viewTypes.map((type) => type.viewType).sort(), 'no activation event for a panel type that does not exist');
  });

  it('contributes every setting settings.ts reads', function () {
    const source = read('src/host/settings.ts');
    const keys = [...source.matchAll(/config\.get<[^>]+>\('([\w.]+)'\)/g)].map((match) => `convscope.${match[1]}`);
    assert.ok(keys.length > 10);
    for (const key of keys) assert.ok(key in contributes.configuration.properties, `${key} is a contributed setting`);
  });

  it('understands the when clauses it checks', function () {
    assert.deepEqual(whenTerms('view == convscope.models && viewItem =~ /^convscope\\.layer\\.(spatial|conv)$/'), [
      { key: 'view', operator: '==', value: 'convscope.models' },
      { key: 'viewItem', operator: '=~', value: '/^convscope\\.layer\\.(spatial|conv)$/' },
    ]);
    assert.deepEqual(whenTerms('!isWeb || (false)'), [
      { key: 'isWeb', operator: undefined, value: undefined },
      { key: 'false', operator: undefined, value: undefined },
    ]);
    assert.deepEqual(whenTerms('(resourceExtname =~ /^\\.(png|jpe?g)$/i) && view != convscope.models').map((term) => term.value), ['/^\\.(png|jpe?g)$/i', 'convscope.models']);
  });
});
