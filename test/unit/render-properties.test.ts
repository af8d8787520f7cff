// .properties escaping: our writer and reader agree with each other and with java.util.Properties.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {escapeProperties, parseProperties, renderProperties} from '../../source/steps/render/properties.js';
import {tempDir, tool} from './render-fixtures.js';

const HOSTILE: Record<string, string> = {
  'plain.key': 'plain value',
  'io.personium.core.unicode': 'ユニコード ü é € 😀',
  'with=equals:colon#hash!bang': 'a=b:c#d!e',
  'key with spaces': '  leading and trailing spaces  ',
  'back\\slash': 'C:\\path\\to\\file\\',
  'new\nline': 'line1\nline2\r\nline3\rline4',
  'tab\tand\fform': '\ttab\fform',
  '#looks-like-comment': '!also',
  'latin1.\u00e9\u00ff': '\u00a0nbsp\u00ff',
  'control.\u0001\u007f': '\u0000nul\u0008bs\u007f',
  'empty.value': '',
  'trailing.backslash': '\\',
  'unicode.escape.lookalike': '\\u0041 is not A',
  ' ': 'key is one space',
};

const JAVA_DUMP = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class PropertiesCheck {
    static String hex(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c));
        return b.length() == 0 ? "-" : b.toString();
    }
    static String unhex(String h) {
        if (h.equals("-")) return "";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < h.length(); i += 4) b.append((char) Integer.parseInt(h.substring(i, i + 4), 16));
        return b.toString();
    }
    public static void main(String[] args) throws Exception {
        if (args[0].equals("load")) {
            Properties p = new Properties();
            try (InputStream in = new FileInputStream(args[1])) { p.load(in); } // ISO-8859-1, as the engine and core read
            for (String k : new TreeSet<>(p.stringPropertyNames())) System.out.println(hex(k) + " " + hex(p.getProperty(k)));
        } else {
            Properties p = new Properties();
            BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null && !line.isEmpty();) {
                String[] kv = line.split(" ");
                p.setProperty(unhex(kv[0]), unhex(kv[1]));
            }
            try (OutputStream out = new FileOutputStream(args[1])) { p.store(out, "written by java"); }
        }
    }
}
`;

const hex = (s: string) => (s === '' ? '-' : [...Array(s.length).keys()].map(i => s.charCodeAt(i).toString(16).padStart(4, '0')).join(''));
const unhex = (h: string) => (h === '-' ? '' : String.fromCharCode(...(h.match(/.{4}/g) ?? []).map(x => parseInt(x, 16))));

describe('properties escaping', () => {
  const text = renderProperties([
    {comment: 'hostile strings — with a non-ASCII comment\nand a second line'},
    ...Object.entries(HOSTILE).map(([key, value]) => ({key, value})),
  ]);

  it('writes plain printable ASCII, one physical line per entry', () => {
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(text.split('\n').filter(l => l !== '' && !l.startsWith('#'))).toHaveLength(Object.keys(HOSTILE).length);
  });

  it('parseProperties reads back exactly what was written', () => {
    expect(Object.fromEntries(parseProperties(text))).toEqual(HOSTILE);
  });

  it('escapes the separators, comment starts, backslashes, leading spaces and non-ASCII', () => {
    expect(escapeProperties('a=b:c#d!e')).toBe('a\\=b\\:c\\#d\\!e');
    expect(escapeProperties('  x y')).toBe('\\  x y');
    expect(escapeProperties('a b', {key: true})).toBe('a\\ b');
    expect(escapeProperties('\\')).toBe('\\\\');
    expect(escapeProperties('é😀')).toBe('\\u00E9\\uD83D\\uDE00');
    expect(escapeProperties('a\nb')).toBe('a\\nb');
  });

  it('parses what Java allows: continuation lines, ":" and whitespace separators, "!" comments', () => {
    const parsed = parseProperties('! comment\n  a : 1\nb 2\nc=multi\\\n    line\\\\\nd\\ e=f\n\\u0041=\\u00e9\n');
    expect(Object.fromEntries(parsed)).toEqual({a: '1', b: '2', c: 'multiline\\', 'd e': 'f', A: 'é'});
    expect(() => parseProperties('x=\\u12')).toThrow(/malformed/);
  });

  it('java.util.Properties.load reads our file to the same values, and we read what Properties.store writes', () => {
    const dir = tempDir('props');
    writeFileSync(join(dir, 'PropertiesCheck.java'), JAVA_DUMP);
    writeFileSync(join(dir, 'ours.properties'), text, 'latin1');
    // Running a .java file directly needs the JDK's compiler module, not only the JRE.
    const modules = tool('java', ['--list-modules'], 'openjdk-17-jdk-headless').stdout;
    if (!/^jdk\.compiler@/m.test(modules)) throw new Error('java cannot run source files (no jdk.compiler): run  apt-get install -y openjdk-17-jdk-headless');
    const javaCmd = ['java', '-Dfile.encoding=UTF-8', join(dir, 'PropertiesCheck.java')];
    const loaded = tool(javaCmd[0]!, [...javaCmd.slice(1), 'load', join(dir, 'ours.properties')], 'openjdk-17-jdk-headless');
    expect(loaded.stderr).toBe('');
    expect(loaded.code).toBe(0);
    const fromJava = Object.fromEntries(
      loaded.stdout
        .trim()
        .split('\n')
        .map(line => line.split(' ').map(unhex) as [string, string]),
    );
    expect(fromJava).toEqual(HOSTILE);

    const input = `${Object.entries(HOSTILE)
      .map(([k, v]) => `${hex(k)} ${hex(v)}`)
      .join('\n')}\n\n`;
    const stored = tool(javaCmd[0]!, [...javaCmd.slice(1), 'store', join(dir, 'java.properties')], 'openjdk-17-jdk-headless', {input});
    expect(stored.stderr).toBe('');
    const written = tool('cat', [join(dir, 'java.properties')], 'coreutils').stdout;
    expect(Object.fromEntries(parseProperties(written))).toEqual(HOSTILE);
  });
});
