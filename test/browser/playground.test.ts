// The playground in Debian's chromium, headless, driven by playwright-core (the scenarios are in
// playground-scenarios.ts, shared with the Firefox run). Screenshots go to
// test-artifacts/playground/chromium/.
import { browserSkip, CHROMIUM, launchChromium } from './page-driver.js';
import { describePlayground } from './playground-scenarios.js';

describePlayground({
  browser: 'chromium',
  skip: browserSkip(CHROMIUM, 'chromium'),
  launch: launchChromium,
  trainSynthetic: true,
});
