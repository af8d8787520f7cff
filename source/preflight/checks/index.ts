// The per-host checks, all pure functions of (facts, plan host, profile).
import type {HostCheck} from '../types.js';
import {checkLimits, checkMaxMapCount} from './elasticsearch.js';
import {checkHostname, checkUnitDns} from './names.js';
import {checkPrivateAddress} from './network.js';
import {checkPackageLock, checkPackageManager, checkPackageSource, checkProxy} from './packages.js';
import {checkPorts} from './ports.js';
import {checkCpu, checkDisks, checkMemory, checkSwap} from './resources.js';
import {checkExistingInstall, checkFirewall, checkSelinux} from './security.js';
import {checkArch, checkOs, checkSystemd} from './system.js';
import {checkClock} from './time.js';

export const HOST_CHECKS: readonly HostCheck[] = [
  checkOs,
  checkArch,
  checkSystemd,
  checkCpu,
  checkMemory,
  checkDisks,
  checkSwap,
  checkPorts,
  checkMaxMapCount,
  checkLimits,
  checkClock,
  checkHostname,
  checkUnitDns,
  checkPrivateAddress,
  checkPackageManager,
  checkPackageLock,
  checkPackageSource,
  checkProxy,
  checkSelinux,
  checkFirewall,
  checkExistingInstall,
];
