import {homedir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {computeSshConfig, parseJumpHop} from '../../source/hosts/ssh-config.js';

const CONFIG = `
Host web
  HostName 10.0.0.5
  user deploy
  Port 2222
  IdentityFile ~/.ssh/id_web
  ProxyJump admin@bastion:2200

Host %h-alias
  HostName %h.internal

Host *
  User fallback
  IdentityFile ~/.ssh/id_default
`;

describe('ssh config', () => {
  it('computes HostName, User, Port, IdentityFile (~ expanded) and ProxyJump for an alias', () => {
    expect(computeSshConfig(CONFIG, 'web')).toEqual({
      hostName: '10.0.0.5',
      user: 'deploy',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh/id_web'), join(homedir(), '.ssh/id_default')],
      proxyJump: 'admin@bastion:2200',
    });
  });

  it('falls back to Host * and leaves unknown aliases without a HostName', () => {
    expect(computeSshConfig(CONFIG, 'other')).toEqual({user: 'fallback', identityFiles: [join(homedir(), '.ssh/id_default')]});
  });

  it('parses ProxyJump hops', () => {
    expect(parseJumpHop('admin@bastion:2200')).toEqual({user: 'admin', host: 'bastion', port: 2200});
    expect(parseJumpHop('bastion')).toEqual({host: 'bastion'});
    expect(parseJumpHop('[2001:db8::1]:22')).toEqual({host: '2001:db8::1', port: 22});
  });
});
