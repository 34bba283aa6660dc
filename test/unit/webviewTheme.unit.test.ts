// The panels' stylesheet takes every colour from VS Code's theme (--vscode-* variables), so the
// panels follow light, dark and high-contrast themes; a literal colour would not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/engineFixtures';

const COLOUR_PROPERTIES = /^(color|background(-color)?|border(-(top|right|bottom|left))?(-color)?|outline(-color)?|fill|stroke|box-shadow|text-decoration-color|accent-color|caret-color)$/;
const KEYWORDS_WITHOUT_COLOUR = new Set(['inherit', 'initial', 'unset', 'transparent', 'currentcolor', 'none', 'solid', 'dashed', 'dotted', 'double', 'inset']);

/** Every `property: value` declaration of the stylesheet, comments removed. */
function declarations(css: string): { property: string; value: string; line: number }[] {
  const withoutComments = css.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '));
  const found: { property: string; value: string; line: number }[] = [];
  for (const match of withoutComments.matchAll(/([a-z-]+)\s*:\s*([^;{}]+);/g)) {
    found.push({ property: match[1], value: match[2].trim(), line: withoutComments.slice(0, match.index).split('\n').length });
  }
  return found;
}

describe('webview theme', function () {
  it('uses no literal colour: only theme variables and colour-free keywords', function () {
    const css = readFileSync(path.join(REPO_ROOT, 'webview-ui', 'styles.css'), 'utf8');
    const colourDeclarations = declarations(css).filter((declaration) => COLOUR_PROPERTIES.test(declaration.property));
    assert.ok(colourDeclarations.length > 20, `found ${colourDeclarations.length} colour declarations`);
    for (const { property, value, line } of colourDeclarations) {
      // A theme colour mixed with transparency is still the theme's.
      const withoutVariables = value
        .replace(/var\(--vscode-[A-Za-z0-9.-]+/g, '')
        .replace(/color-mix\(\s*in\s+[a-z-]+/gi, '')
        .replace(/[(),]/g, ' ');
      assert.doesNotMatch(withoutVariables, /#[0-9a-f]{3,8}\b|\b(rgba?|hsla?|hwb|lab|lch)\s*\(/i, `styles.css:${line} ${property}: ${value}`);
      for (const word of withoutVariables.split(/\s+/).filter((part) => /^[a-z]+$/i.test(part))) {
        assert.ok(KEYWORDS_WITHOUT_COLOUR.has(word.toLowerCase()), `styles.css:${line} ${property}: ${value} names the colour “${word}”`);
      }
    }
  });
});
