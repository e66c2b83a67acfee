/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Debian's chromium driven by playwright-core, with the flags of STACK.md and a fresh profile;
 * plus the checks every page of the web interface must pass (labels, NFC text, no overflow).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DONDOC_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the browser is installed; the suite skips with a message when it is not. */
export const chromiumAvailable = fs.existsSync(CHROMIUM);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots of the main pages (gitignored; CI keeps them as artefacts). */
export const ARTIFACTS = path.resolve('test-artifacts', 'screenshots');

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    timezoneId: 'America/New_York',
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new tab that fails the test on any script error or CSP violation. */
export async function newPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  return page;
}

/**
 * Saves a full-page screenshot, and with `top` also the first `top` pixels of the page as
 * `<name>-top.png` (the pictures the README shows).
 */
export async function screenshot(page: Page, name: string, top?: number): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (top) {
    const size = await page.evaluate(() => ({
      width: document.documentElement.clientWidth,
      height: document.documentElement.scrollHeight,
    }));
    await page.screenshot({
      path: path.join(ARTIFACTS, `${name}-top.png`),
      fullPage: true,
      clip: { x: 0, y: 0, width: size.width, height: Math.min(top, size.height) },
    });
  }
}

/** Waits until the router has finished rendering a page (main is no longer busy). */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !document.querySelector('main[aria-busy]') && document.querySelector('main h1'),
  );
}

/**
 * The checks every page passes: each form control has a label, the text is NFC, and the page does
 * not scroll sideways (wide tables scroll inside their own region).
 */
export async function expectAccessiblePage(page: Page): Promise<void> {
  const report = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('input, select, textarea')].filter(
      (el) => (el as HTMLInputElement).type !== 'hidden',
    );
    const unlabelled = controls
      .filter(
        (el) =>
          !((el as HTMLInputElement).labels?.length ?? 0) &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby'),
      )
      .map((el) => el.outerHTML.slice(0, 120));
    const text = document.body.innerText;
    return {
      unlabelled,
      nfc: text === text.normalize('NFC'),
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    };
  });
  expect(report.unlabelled).toEqual([]);
  expect(report.nfc).toBe(true);
  expect(report.overflow).toBeLessThanOrEqual(0);
}

/** WCAG contrast ratio of an element's text against its own background colour. */
export async function contrastOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const ch = (v: number) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * ch(r!) + 0.7152 * ch(g!) + 0.0722 * ch(b!);
      };
      const style = getComputedStyle(el);
      const a = lum(rgb(style.color));
      const b = lum(rgb(style.backgroundColor));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
}
