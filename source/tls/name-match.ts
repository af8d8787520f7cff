// Which host names a certificate covers, by the rules browsers and Java apply to subjectAltName
// dNSName entries (RFC 6125 §6.4.3, as narrowed by the CA/Browser Forum): a wildcard stands for
// exactly one whole left-most label. The CN is not looked at: clients ignore it when a SAN is
// present and modern ones ignore it always. Plain strings only, so the install path can use it
// without loading the X.509 library.

function labels(name: string): string[] {
  return name.toLowerCase().replace(/\.$/, '').split('.');
}

/**
 * Does the certificate name `pattern` (a SAN dNSName) cover `name`?
 * `*.example.com` covers `a.example.com`, but neither `example.com` nor `a.b.example.com`.
 * A required name that is itself a wildcard (`*.example.com`, for per-cell URLs) is covered only
 * by the same wildcard: a list of single names cannot stand for every cell.
 */
export function nameCovers(pattern: string, name: string): boolean {
  const p = labels(pattern);
  const n = labels(name);
  if (p.length !== n.length || p.some(label => label === '') || n.some(label => label === '')) return false;
  if (p.join('.') === n.join('.')) return true;
  if (p[0] !== '*' || n[0] === '*') return false;
  // Only a full-label wildcard on the left; partial ones (f*.example.com) are not honoured here.
  return p.slice(1).join('.') === n.slice(1).join('.');
}

/** The required names no SAN entry covers. */
export function uncoveredNames(sans: readonly string[], required: readonly string[]): string[] {
  return required.filter(name => !sans.some(san => nameCovers(san, name)));
}
