// Small DOM helpers. Everything here inserts strings as text, never as markup: layer names, class
// names and file paths come from models and files the user opened, so they are untrusted.

export type AttributeValue = string | number | boolean | null | undefined;
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element. `attributes` are set with `setAttribute` (`true` sets an empty attribute;
 * `false`, `null` and `undefined` leave it out); string children become text nodes.
 * Event-handler (`on…`) and `style` attributes are refused: the panel's CSP blocks inline code and
 * inline style attributes, so set styles with `element.style.x = …` or classes instead.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue> = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('on') || lower === 'style') {
      throw new Error(`el(): attribute "${name}" is not allowed`);
    }
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children, strings and numbers as text nodes. */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces an element's content with the given children (strings as text). */
export function replaceChildren(parent: Element, children: Child[] = []): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/** Sets an element's text, replacing whatever it held. */
export function setText(element: Element, text: string): void {
  element.textContent = text;
}
