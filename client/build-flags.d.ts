/** Set by vite.config.ts from CITYOPS_TEST_HOOKS=1: the e2e and benchmark builds carry the test hooks. */
declare const __CITYOPS_TEST_HOOKS__: boolean;
