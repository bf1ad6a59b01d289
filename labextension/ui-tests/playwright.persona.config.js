/**
 * The @TrainerAgent persona in jupyter-ai 3's chat: Galata in Debian's Chromium against a `jupyter lab` of the
 * jupyter-ai environment (`make persona-env`), started by tests/test_persona_lab.py (TARGET_URL, TAL_TOKEN).
 * Its own folder: the lab of the other specs has no jupyter-ai.
 */
const config = require('./playwright.config.js');

module.exports = { ...config, testDir: './persona', timeout: 600000 };
