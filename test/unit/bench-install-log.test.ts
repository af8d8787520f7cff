// The install benchmark's reading of a run log: package manager commands and archive uploads
// timed per host, from a command's line to that host's next timestamped line.
import {describe, expect, it} from 'vitest';
import {waitingInLog} from '../bench/install-bench.js';

const log = `2026-11-25T09:54:52.000Z personium-setup install (profile small)
2026-11-25T09:54:54.000Z [a] $ DEBIAN_FRONTEND=noninteractive apt-get update -q
2026-11-25T09:54:54.500Z [b] $ echo other host
2026-11-25T09:54:55.500Z [a] Get:1 http://deb.debian.org bookworm InRelease
Reading package lists...
2026-11-25T09:54:56.000Z [a] $ DEBIAN_FRONTEND=noninteractive apt-get install -y -q unzip
2026-11-25T09:54:58.000Z [a] Setting up unzip
2026-11-25T09:54:58.100Z [b] $ dnf install -y -q unzip
2026-11-25T09:54:59.100Z [b] $ true
2026-11-25T09:55:00.000Z [a] $ install -d -m 755 -- /var/cache/personium-setup/artifacts
2026-11-25T09:55:00.750Z [a] $ file facts (in the shell loop): /var/cache/personium-setup/artifacts/x.tar.gz
2026-11-25T09:55:00.800Z [a] file 644 root root 1234 5d27
`;

describe('waitingInLog', () => {
  it('times package manager commands and uploads, hosts in parallel counted once', () => {
    // a: 54.0-55.5 and 56.0-58.0; b: 58.1-59.1 (no overlap); upload 60.0-60.75.
    expect(waitingInLog(log)).toEqual({packagesMs: 1500 + 2000 + 1000, uploadsMs: 750, totalMs: 5250});
  });
  it('counts time in which two hosts install packages at once only once', () => {
    const parallel = `2026-11-25T10:00:00.000Z [a] $ apt-get install -y x
2026-11-25T10:00:01.000Z [b] $ apt-get install -y x
2026-11-25T10:00:03.000Z [a] done
2026-11-25T10:00:04.000Z [b] done
`;
    expect(waitingInLog(parallel)).toEqual({packagesMs: 4000, uploadsMs: 0, totalMs: 4000});
  });
});
