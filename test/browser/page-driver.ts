// One small interface over the two browser drivers the playground tests use: playwright-core for
// Debian's chromium and puppeteer-core (WebDriver BiDi) for Debian's firefox-esr, whose ESR 153
// playwright-core's BiDi Firefox cannot drive. The scenarios in playground-scenarios.ts are
// written once against it. Page-side code is passed as strings, so these files compile without
// the DOM types.
import { existsSync } from 'node:fs';

/** Debian's browsers. */
export const CHROMIUM = '/usr/bin/chromium';
export const FIREFOX = '/usr/bin/firefox-esr';

/** The data-* attributes of an element. */
export type Dataset = Record<string, string | undefined>;

/** A page in a headless browser, as the playground tests drive it. */
export interface PageDriver {
  /** 'chromium 131.0…' or 'firefox 153.8.0'. */
  readonly version: string;
  /** Uncaught errors the page has thrown so far. */
  readonly errors: string[];
  goto(url: string): Promise<void>;
  /** Wait until an element matches `selector`. */
  waitFor(selector: string, timeoutMs: number): Promise<void>;
  /** Wait until the page-side `expression` is truthy (polled every half second). */
  waitUntil(expression: string, timeoutMs: number): Promise<void>;
  /** Evaluate a page-side expression and return its (JSON-serializable) value. */
  evaluate<T>(expression: string): Promise<T>;
  click(selector: string): Promise<void>;
  hover(selector: string): Promise<void>;
  /** Set a file input's files, as a user picking them would. */
  upload(selector: string, path: string): Promise<void>;
  /** Drag the mouse across the element from one point to another (fractions of its box). */
  stroke(selector: string, from: [number, number], to: [number, number], steps: number): Promise<void>;
  screenshot(path: string): Promise<void>;
  /** Close the browser. */
  close(): Promise<void>;
}

const q = (selector: string): string => `document.querySelector(${JSON.stringify(selector)})`;

/** The text of the first element matching `selector` ('' when it has none). */
export const textOf = (page: PageDriver, selector: string): Promise<string> =>
  page.evaluate<string>(`${q(selector)}.textContent ?? ''`);

/** The data-* attributes of the first element matching `selector`. */
export const dataOf = (page: PageDriver, selector: string): Promise<Dataset> =>
  page.evaluate<Dataset>(`({ ...${q(selector)}.dataset })`);

/** How many elements match `selector`. */
export const countOf = (page: PageDriver, selector: string): Promise<number> =>
  page.evaluate<number>(`document.querySelectorAll(${JSON.stringify(selector)}).length`);

/**
 * Set an input's or select's value and fire 'input' and 'change', as typing or choosing does
 * (the same in both browsers, whatever their drivers' fill helpers do).
 */
export const setValue = (page: PageDriver, selector: string, value: string): Promise<void> =>
  page.evaluate<void>(
    `(() => { const e = ${q(selector)}; e.value = ${JSON.stringify(value)};
      e.dispatchEvent(new Event('input', { bubbles: true }));
      e.dispatchEvent(new Event('change', { bubbles: true })); })()`,
  );

/** Scroll the element to the middle of the viewport (mouse events only reach what is in view). */
const scrollIntoView = (
  page: { evaluate(e: string): Promise<unknown> },
  selector: string,
): Promise<unknown> => page.evaluate(`${q(selector)}.scrollIntoView({ block: 'center' })`);

type Box = { x: number; y: number; width: number; height: number };
interface Mouse {
  move(x: number, y: number, opts?: { steps?: number }): Promise<unknown>;
  down(): Promise<unknown>;
  up(): Promise<unknown>;
}

async function drag(
  mouse: Mouse,
  box: Box | null,
  from: [number, number],
  to: [number, number],
  steps: number,
) {
  if (!box) throw new Error('stroke: the element is not visible');
  await mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await mouse.down();
  await mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps });
  await mouse.up();
}

/** Debian's chromium, headless, through playwright-core. */
export async function launchChromium(): Promise<PageDriver> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    version: `chromium ${browser.version()}`,
    errors,
    goto: async (url) => void (await page.goto(url)),
    waitFor: async (selector, timeout) => void (await page.waitForSelector(selector, { timeout })),
    waitUntil: async (expression, timeout) =>
      void (await page.waitForFunction(expression, null, { timeout, polling: 500 })),
    evaluate: (expression) => page.evaluate(expression),
    click: (selector) => page.click(selector),
    hover: (selector) => page.hover(selector),
    upload: (selector, path) => page.setInputFiles(selector, path),
    stroke: async (selector, from, to, steps) => {
      await scrollIntoView(page, selector);
      await drag(page.mouse, (await (await page.$(selector))?.boundingBox()) ?? null, from, to, steps);
    },
    screenshot: async (path) => void (await page.screenshot({ path, fullPage: true })),
    close: () => browser.close(),
  };
}

/** Debian's firefox-esr, headless, through puppeteer-core over WebDriver BiDi. */
export async function launchFirefox(): Promise<PageDriver> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  const handle = async (selector: string) => {
    const h = await page.$(selector);
    if (!h) throw new Error(`no element matches ${selector}`);
    return h;
  };
  return {
    version: (await browser.version()).replace('/', ' '),
    errors,
    goto: async (url) => void (await page.goto(url)),
    waitFor: async (selector, timeout) => void (await page.waitForSelector(selector, { timeout })),
    waitUntil: async (expression, timeout) =>
      void (await page.waitForFunction(expression, { timeout, polling: 500 })),
    evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    click: (selector) => page.click(selector),
    hover: (selector) => page.hover(selector),
    upload: async (selector, path) => (await handle(selector)).uploadFile(path),
    stroke: async (selector, from, to, steps) => {
      await scrollIntoView(page, selector);
      await drag(page.mouse, await (await handle(selector)).boundingBox(), from, to, steps);
    },
    screenshot: async (path) =>
      void (await page.screenshot({ path: path as `${string}.png`, fullPage: true })),
    close: () => browser.close(),
  };
}

/** Why a browser's tests skip (its binary is missing), or false when it is installed. */
export function browserSkip(binary: string, pkg: string): string | false {
  return existsSync(binary) ? false : `Debian ${pkg} is not installed (${binary}); apt-get install ${pkg}`;
}
