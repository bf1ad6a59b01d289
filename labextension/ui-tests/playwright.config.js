/**
 * Galata in Debian's Chromium (no browser download) against a `jupyter lab` started by the caller
 * (benchmarks/lab_latency.py, which tests/test_lab_ui.py runs): TARGET_URL and TAL_TOKEN say where.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

module.exports = {
  ...baseConfig,
  testDir: './tests',
  timeout: 420000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    ...baseConfig.use,
    baseURL: process.env.TARGET_URL,
    extraHTTPHeaders: { Authorization: `token ${process.env.TAL_TOKEN}` },
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
    },
    trace: 'off',
    screenshot: 'only-on-failure',
    video: 'off',
    viewport: { width: 1500, height: 950 }
  },
  webServer: undefined
};
