// vitest globalSetup: one set of test hosts for the whole run (test files then reuse it through
// upTestHosts, which finds it up). Skips quietly where the machine cannot make hosts.
import {downTestHosts, testHostsAvailable, upTestHosts} from './testhosts.js';

// PDS_TEST_HOSTS_COUNT=0: no shared hosts (a quick run of unit tests).
const HOSTS = Number(process.env.PDS_TEST_HOSTS_COUNT || 3);

export async function setup(): Promise<void> {
  if (HOSTS === 0 || !(await testHostsAvailable()).ok) return;
  await upTestHosts(HOSTS);
}

export async function teardown(): Promise<void> {
  if (HOSTS === 0) return;
  await downTestHosts();
}
