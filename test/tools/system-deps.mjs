#!/usr/bin/env node
// Before the tests: the Debian tools they run for real (openssl, nginx -t, systemd-analyze,
// xmllint, debootstrap for the test servers, ssh). As root on Debian/Ubuntu, missing ones are
// installed with apt-get; otherwise the exact command is printed and the tests that need a tool
// say so themselves.
import {execFileSync, spawnSync} from 'node:child_process';

const NEEDED = [
  ['openssl', 'openssl'],
  ['nginx', 'nginx-light'],
  ['systemd-analyze', 'systemd'],
  ['xmllint', 'libxml2-utils'],
  ['debootstrap', 'debootstrap'],
  ['ssh', 'openssh-client'],
  ['ssh-agent', 'openssh-client'],
  ['ip', 'iproute2'],
  ['unshare', 'util-linux'],
  // a pseudo-terminal for the wizard's end-to-end test
  ['script', 'bsdutils'],
  ['keytool', 'openjdk-17-jdk-headless'],
  ['javac', 'openjdk-17-jdk-headless'],
  ['certbot', 'certbot'],
  // jlink and the jmods of a JDK 17 (the FIXTURE JDK tarball is a real Java 17 runtime made with them)
  ['jlink', 'openjdk-17-jdk-headless', 'for r in /usr/lib/jvm/*/release; do grep -q "^JAVA_VERSION=\\"17" "$r" && test -f "${r%/release}/jmods/java.base.jmod" && exit 0; done; exit 1'],
];

const has = (command, test) => spawnSync('sh', ['-c', test ?? `command -v ${command} || test -x /usr/sbin/${command}`], {stdio: 'ignore'}).status === 0;
const missing = [...new Set(NEEDED.filter(([command, , test]) => !has(command, test)).map(([, pkg]) => pkg))];
if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
const hasApt = has('apt-get');
if (!isRoot || !hasApt) {
  console.error(`test tools missing: ${missing.join(' ')}\n  install them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(0);
}
console.error(`installing test tools: ${missing.join(' ')}`);
const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'};
// policy-rc.d 101: do not start nginx or any other service just installed on this machine.
execFileSync('sh', ['-c', 'test -e /usr/sbin/policy-rc.d || { printf "#!/bin/sh\\nexit 101\\n" > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; touch /tmp/.personium-setup-policy-rc; }'], {env});
try {
  execFileSync('apt-get', ['update', '-qq'], {stdio: 'inherit', env});
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {stdio: 'inherit', env});
} finally {
  execFileSync('sh', ['-c', 'if [ -e /tmp/.personium-setup-policy-rc ]; then rm -f /usr/sbin/policy-rc.d /tmp/.personium-setup-policy-rc; fi'], {env});
}
