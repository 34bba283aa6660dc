// The webview's DOM helper inserts strings as text only and refuses attributes the panel's CSP forbids.
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { el, replaceChildren } from '../../webview-ui/dom';

describe('webview dom helpers', () => {
  let dom: JSDOM;
  const globals = globalThis as { document?: Document };
  let previousDocument: Document | undefined;

  before(() => {
    dom = new JSDOM('<!DOCTYPE html><body></body>');
    previousDocument = globals.document;
    globals.document = dom.window.document;
  });

  after(() => {
    if (previousDocument === undefined) delete globals.document;
    else globals.document = previousDocument;
    dom.window.close();
  });

  it('inserts string children as text nodes', () => {
    const element = el('p', { class: 'x', title: '<b>"t"</b>' }, ['<img src=x onerror=alert(1)>', 3, null, false, undefined]);
    assert.equal(element.childNodes.length, 2);
    assert.equal(element.textContent, '<img src=x onerror=alert(1)>3');
    assert.equal(element.querySelector('img'), null);
    assert.equal(element.getAttribute('title'), '<b>"t"</b>');
    assert.equal(element.className, 'x');
  });

  it('sets boolean attributes and leaves out false and missing ones', () => {
    const element = el('button', { disabled: true, hidden: false, 'aria-label': undefined, tabindex: 0 });
    assert.equal(element.getAttribute('disabled'), '');
    assert.equal(element.hasAttribute('hidden'), false);
    assert.equal(element.hasAttribute('aria-label'), false);
    assert.equal(element.getAttribute('tabindex'), '0');
  });

  it('refuses event-handler and style attributes', () => {
    assert.throws(() => el('img', { onerror: 'alert(1)' }), /not allowed/);
    assert.throws(() => el('div', { OnClick: 'x' }), /not allowed/);
    assert.throws(() => el('div', { style: 'color: red' }), /not allowed/);
  });

  it('replaces children with text', () => {
    const parent = el('div', {}, [el('span'), 'old']);
    replaceChildren(parent, ['<i>new</i>']);
    assert.equal(parent.innerHTML, '&lt;i&gt;new&lt;/i&gt;');
  });
});
