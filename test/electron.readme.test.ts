// The README's code for the main process, the preload and the renderer compiles as written:
// each TypeScript block of those sections, on its own, against the package's sources and the
// real electron and Snowplow typings, with strict settings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

import ts from 'typescript';

const root = resolve(__dirname, '..');

/** The sections these blocks come from, each up to the next section of the same level. */
const SECTIONS = ['## Main process', '## Preload', '## Renderer', '## Operating systems'];

function snippets(): { name: string; code: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const found: { name: string; code: string }[] = [];
  for (const heading of SECTIONS) {
    const start = readme.indexOf(`\n${heading}\n`);
    assert.notEqual(start, -1, `README has a section "${heading}"`);
    const end = readme.indexOf('\n## ', start + heading.length + 2);
    const section = readme.slice(start, end === -1 ? undefined : end);
    let index = 0;
    for (const match of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
      found.push({ name: `${heading.slice(3)} ${++index}`, code: match[1]! });
    }
  }
  return found;
}

function src(path: string): string[] {
  return [join(root, 'src', path)];
}

test('every TypeScript block of the Main process, Preload and Renderer sections compiles', () => {
  const blocks = snippets();
  assert.ok(blocks.length >= 5, `${blocks.length} blocks found`);

  // Virtual files beside the tests, so that imports resolve from the repository's node_modules.
  const files = new Map(
    blocks.map((block, i) => [join(root, 'test', `readme-block-${i}.ts`), block] as const),
  );
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    noUnusedLocals: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    skipLibCheck: true,
    esModuleInterop: true,
    paths: {
      'electron-client-session': src('main/index.ts'),
      'electron-client-session/preload': src('preload/index.ts'),
      'electron-client-session/renderer': src('renderer/index.ts'),
      'electron-client-session/renderer/globals': src('renderer/globals.ts'),
    },
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
  host.readFile = (path) => files.get(path)?.code ?? readFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const block = files.get(path);
    if (block !== undefined) return ts.createSourceFile(path, block.code, language);
    return getSourceFile.call(host, path, language, ...rest);
  };

  const program = ts.createProgram([...files.keys()], options, host);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && files.has(d.file.fileName))
    .map((d) => {
      const block = files.get(d.file!.fileName)!;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      return `${block.name}, line ${line + 1}: ${text}`;
    });
  assert.deepEqual(problems, []);
});
