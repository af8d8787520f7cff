// Hosts a and b for executor tests: steps there are plain functions, so the hosts only have to
// exist (every command answers 0, nothing is contacted).
import type {Host} from '../../source/hosts/host.js';

const host = (name: string): Host => ({
  name,
  address: name,
  exec: async () => ({code: 0, stdout: '', stderr: ''}),
  upload: async () => {},
  readFile: async () => Buffer.alloc(0),
  close: async () => {},
});

export const hosts = new Map(['a', 'b'].map(n => [n, host(n)]));
export const os = new Map(['a', 'b'].map(n => [n, {family: 'debian' as const, id: 'debian', versionId: '12'}]));
