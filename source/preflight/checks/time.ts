// Clock skew against the operator machine. The fact script prints the remote clock when it
// starts and how long it ran; the operator clock is read just before and just after the exec,
// so the remote start lies in [before, after − run time]. Only what is outside that window counts.
import {resultsFor, type CheckResult, type HostCheckContext} from '../types.js';

/** Above this, tokens, certificates and logs disagree: error. */
export const CLOCK_SKEW_ERROR_MS = 30_000;
/** Above this: warning (time sync is not working well). */
export const CLOCK_SKEW_WARN_MS = 2_000;

export interface ClockSkew {
  /** Remote minus operator, in ms (the middle of the window). */
  offsetMs: number;
  /** Half the uncertainty window, in ms. */
  toleranceMs: number;
  /** |offset| beyond the tolerance, in ms (0 when within it). */
  skewMs: number;
}

export function measureSkew(remoteStartS: number, remoteElapsedS: number, precise: boolean, before: number, after: number): ClockSkew {
  const latestStart = Math.max(before, after - remoteElapsedS * 1000);
  const mid = (before + latestStart) / 2;
  // Whole seconds from `date` (no %N) lose up to one second.
  const toleranceMs = (latestStart - before) / 2 + (precise ? 0 : 1000);
  const offsetMs = remoteStartS * 1000 - mid;
  return {offsetMs, toleranceMs, skewMs: Math.max(0, Math.abs(offsetMs) - toleranceMs)};
}

export function checkClock({spec, facts, operatorBefore, operatorAfter}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'time')('ClockSkew', 'error');
  if (facts.clockStart === undefined || operatorBefore === undefined || operatorAfter === undefined) {
    return [r.warn('cannot read the server clock (date +%s)')];
  }
  const skew = measureSkew(facts.clockStart, facts.clockElapsed ?? 0, facts.clockPrecise, operatorBefore, operatorAfter);
  const s = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;
  const direction = skew.offsetMs > 0 ? 'ahead of' : 'behind';
  const measured = `${s(Math.abs(skew.offsetMs))} ${direction} this machine (±${s(skew.toleranceMs)})`;
  const fix = 'enable time sync on every server and this machine (timedatectl set-ntp true; chrony or systemd-timesyncd)';
  if (skew.skewMs > CLOCK_SKEW_ERROR_MS) {
    return [r.fail(`clock is ${measured}: tokens, TLS certificates and Elasticsearch need agreeing clocks`, fix)];
  }
  if (skew.skewMs > CLOCK_SKEW_WARN_MS) return [r.warn(`clock is ${measured}`, fix)];
  return [r.pass(`clock within ${s(Math.max(skew.skewMs, skew.toleranceMs))} of this machine`)];
}
