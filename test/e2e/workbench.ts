// Drives VS Code's workbench in a browser the way a user does: Explorer rows, context menus, quick
// picks, notifications, the Command Palette, and webviews (two nested iframes per webview).
import type { FrameLocator, Locator, Page } from 'playwright-core';

export class Workbench {
  constructor(readonly page: Page) {}

  async waitForWorkbench(timeoutMs: number): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    // The Explorer's tree is the last thing a folder window shows.
    await this.page.locator('.explorer-folders-view .monaco-list').first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Explorer rows (files and folders) whose name is exactly `name`. */
  explorerRow(name: string): Locator {
    return this.page.locator('.explorer-folders-view .monaco-list-row').filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }),
    });
  }

  /** Expands or collapses a top-level folder in the Explorer. */
  async setFolderExpanded(name: string, expanded: boolean): Promise<void> {
    const row = this.explorerRow(name).first();
    await row.waitFor({ state: 'visible' });
    if ((await row.getAttribute('aria-expanded')) !== String(expanded)) {
      await row.click();
      await this.page.waitForFunction(
        ([label, want]) =>
          [...document.querySelectorAll('.explorer-folders-view .monaco-list-row')].some(
            (element) => element.querySelector('.label-name')?.textContent === label && element.getAttribute('aria-expanded') === want,
          ),
        [name, String(expanded)] as const,
      );
    }
  }

  /**
   * Right-clicks an Explorer row and chooses a context menu entry by its label; resolves to how the
   * entry was chosen ('click', or 'enter' when the click left the menu open).
   */
  async explorerContextMenu(row: Locator, entry: string): Promise<'click' | 'enter'> {
    await row.click({ button: 'right' });
    const item = this.contextMenuItem(entry);
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await this.page.waitForTimeout(150);
    await item.click();
    const menu = this.page.locator('.context-view .monaco-menu');
    // A click that lands too soon after the menu opened can be taken for the right-click's release;
    // the hovered entry is then chosen with Enter, as a keyboard user would.
    if (!(await menu.waitFor({ state: 'hidden', timeout: 1500 }).then(() => true, () => false))) {
      await this.page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden' });
      return 'enter';
    }
    return 'click';
  }

  contextMenuItem(label: string): Locator {
    return this.page.locator('.context-view .monaco-menu .action-item:not(.disabled) .action-label', { hasText: new RegExp(`^${escapeRegExp(label)}$`) });
  }

  /** The activity bar's entry (its <li class="action-item">) for a view container, by its title. */
  activityBarItem(title: string): Locator {
    const activityBar = this.page.locator('.part.activitybar');
    return activityBar
      .locator('.action-item')
      .filter({ has: this.page.locator(`.action-label[aria-label^="${title}"]`) })
      .or(activityBar.locator(`.action-item[aria-label^="${title}"]`))
      .first();
  }

  /** Shows a view container in the sidebar with a click on its activity bar entry, unless it is shown already. */
  async openViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ state: 'visible' });
    const isShown = () => item.evaluate((element) => element.classList.contains('checked') || element.getAttribute('aria-selected') === 'true');
    if (!(await isShown()) || !(await this.page.locator('.part.sidebar').isVisible())) await item.click();
    await this.page.waitForFunction((element) => element?.classList.contains('checked') === true, await item.elementHandle());
    await this.page.locator('.part.sidebar').waitFor({ state: 'visible' });
  }

  /** Rows of the sidebar's trees whose label is exactly `label`. */
  sidebarTreeRow(label: string): Locator {
    return this.page.locator('.part.sidebar .monaco-list-row').filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }),
    });
  }

  /** Expands the first sidebar tree row labelled `label` with a click on its twistie (a click on the label runs the row's command). */
  async expandTreeRow(label: string): Promise<void> {
    const row = this.sidebarTreeRow(label).first();
    await row.waitFor({ state: 'visible' });
    if ((await row.getAttribute('aria-expanded')) === 'true') return;
    await row.locator('.monaco-tl-twistie').click();
    await this.page.locator('.part.sidebar .monaco-list-row[aria-expanded="true"]').filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) }).first().waitFor({ state: 'visible' });
  }

  /** Hovers a sidebar tree row and clicks its inline action whose title is `title`. */
  async treeRowInlineAction(row: Locator, title: string): Promise<void> {
    await row.hover();
    const action = row.locator(`.actions .action-label[aria-label="${title}"]`).first();
    await action.waitFor({ state: 'visible' });
    await action.click();
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Rows of the open quick pick. */
  quickPickRows(): Locator {
    return this.quickInput.locator('.quick-input-list .monaco-list-row');
  }

  /** The open quick pick's rows as `label · description · detail` (the rows in view: the list is virtualised). */
  async quickPickRowTexts(): Promise<string[]> {
    return this.quickPickRows().evaluateAll((elements) =>
      elements.map((row) =>
        ['.label-name', '.label-description', '.quick-input-list-label-meta, .monaco-icon-label-description-container + *, .quick-input-list-detail']
          .map((selector) => row.querySelector(selector)?.textContent?.trim() ?? '')
          .filter((text) => text !== '')
          .join(' · '),
      ),
    );
  }

  /** The first row of the open quick pick that names a file (group separators are skipped). */
  firstQuickPickFileRow(): Locator {
    return this.quickPickRows().filter({ has: this.page.locator('.label-name', { hasText: /\.\w+$/ }) }).first();
  }

  /** Types into the open quick input's filter box and accepts the highlighted entry once `label` is the first row. */
  async quickPickChoose(label: string): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible' });
    const input = this.quickInput.locator('.quick-input-box input');
    await input.fill(label);
    const first = this.quickPickRows().first();
    await first.locator('.label-name', { hasText: label }).first().waitFor({ state: 'visible' });
    await input.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Types `filter` into the open quick pick and clicks the first row whose label matches `label` (other rows, such as an always-shown Browse entry, may come first). */
  async quickPickClickRow(filter: string, label: RegExp): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInput.locator('.quick-input-box input').fill(filter);
    const row = this.quickPickRows().filter({ has: this.page.locator('.label-name', { hasText: label }) }).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /**
   * Clicks the row of the open quick pick (titled `title`) whose label is `label` and whose
   * description matches `description` (for lists where several rows share a label, such as
   * model.json files).
   */
  async quickPickChooseRow(title: RegExp, label: string, description: RegExp): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInput.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
    const row = this.quickPickRows()
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
      .filter({ has: this.page.locator('.label-description', { hasText: description }) })
      .first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    await this.quickInput.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'hidden' });
  }

  /**
   * Opens the Command Palette. F1 is pressed again when the palette does not show: a key press
   * can be lost while a webview that has just been created takes the focus.
   */
  private async openCommandPalette(attempts = 5): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // A click on the sidebar's title bar takes the keyboard away from a focused webview.
      await this.page.locator('.part.sidebar .composite.title').first().click();
      await this.page.keyboard.press('F1');
      try {
        await this.quickInput.waitFor({ state: 'visible', timeout: 5_000 });
        return;
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  }

  /** Runs a command from the Command Palette by its full title. */
  async runCommand(title: string): Promise<void> {
    await this.openCommandPalette();
    const input = this.quickInput.locator('.quick-input-box input');
    await input.fill(`>${title}`);
    // The row whose title is exactly `title`: Enter would take the first row, which may be another command.
    const row = this.quickPickRows().filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) }).first();
    await row.waitFor();
    await row.click();
  }

  /** Notification toasts currently shown. */
  notifications(): Locator {
    return this.page.locator('.notifications-toasts .notification-toast');
  }

  errorNotification(text: RegExp): Locator {
    return this.notifications().filter({ has: this.page.locator('.codicon-error') }).filter({ hasText: text });
  }

  /** Closes every notification toast (so later steps' screenshots show what they check). */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Editor tabs whose title contains `text`. */
  tab(text: string | RegExp): Locator {
    return this.page.locator('.tabs-container .tab').filter({ hasText: text });
  }

  /** The content frame of every webview on the page (VS Code hosts each in iframe.webview > iframe#active-frame). */
  async webviewContentFrames(): Promise<FrameLocator[]> {
    const count = await this.page.locator('iframe.webview').count();
    return Array.from({ length: count }, (_, index) => this.page.frameLocator('iframe.webview').nth(index).frameLocator('#active-frame'));
  }

  /**
   * The visible webview whose document has an element matching `selector` with `text`; polls until
   * one appears (the panel's iframe is created a moment after its tab).
   */
  async findWebview(selector: string, text: string | RegExp, timeoutMs: number): Promise<FrameLocator> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const outer = this.page.locator('iframe.webview');
      const count = await outer.count();
      for (let index = 0; index < count; index++) {
        if (!(await outer.nth(index).isVisible().catch(() => false))) continue;
        const frame = this.page.frameLocator('iframe.webview').nth(index).frameLocator('#active-frame');
        const match = frame.locator(selector).filter({ hasText: text });
        if ((await match.count().catch(() => 0)) > 0) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no visible webview shows ${selector} with text ${String(text)} (of ${count} webviews)`);
      await this.page.waitForTimeout(250);
    }
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
