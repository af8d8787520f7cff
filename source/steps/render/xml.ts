// XML text and attribute escaping for the rendered configuration files.

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Text for inside an XML comment: `--` is not allowed there. */
export function xmlComment(text: string): string {
  return text.replace(/--/g, '- -').replace(/-$/, '- ');
}
