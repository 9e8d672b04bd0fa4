// The playground in Debian's firefox-esr, headless, driven by puppeteer-core over WebDriver BiDi
// (playwright-core's BiDi Firefox cannot drive ESR 153). Same scenarios as in Chromium
// (playground-scenarios.ts) but the synthetic-data training, which one browser covers.
// Screenshots go to test-artifacts/playground/firefox/.
import { browserSkip, FIREFOX, launchFirefox } from './page-driver.js';
import { describePlayground } from './playground-scenarios.js';

describePlayground({
  browser: 'firefox',
  skip: browserSkip(FIREFOX, 'firefox-esr'),
  launch: launchFirefox,
  trainSynthetic: false,
});
