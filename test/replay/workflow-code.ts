/**
 * The workflow code a history was captured from, as a hash that is the same on every checkout of the same
 * commit: bundling the workflows (the SDK's webpack bundler) reports every module that goes into the bundle;
 * each is named without absolute paths (a project file by its path from the repository root, a package file
 * as `<name>@<version>/<path in the package>`) and hashed by its contents. The SDK's generated entry module
 * is left out (its text holds the absolute workflows path; it is derived from the other inputs).
 * `npm run replay:capture` writes the hash into test/replay/histories/capture-manifest.json beside the
 * histories; the replay test compares it with the code being tested (staleness below).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';

export const ROOT = path.resolve(__dirname, '..', '..');
export const WORKFLOWS_DIR = path.join(ROOT, 'src', 'workflows');
export const MANIFEST_FILE = 'capture-manifest.json';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** One hash over named module hashes, independent of the order they were found in. */
export function codeHash(modules: Record<string, string>): string {
  const lines = Object.keys(modules)
    .sort()
    .map((name) => `${name} ${modules[name]}\n`);
  return sha256(lines.join(''));
}

/**
 * The checkout-independent name of a module file: inside node_modules, its (innermost) package as
 * `<name>@<version>` and its path in the package; else its path from `root`, `/`-separated.
 */
export function moduleName(
  file: string,
  root: string,
  versionOf: (packageDir: string) => string = readVersion,
): { packageId?: string; path: string } {
  const parts = file.split(path.sep);
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0) {
    const scoped = parts[nm + 1]?.startsWith('@') ?? false;
    const nameParts = parts.slice(nm + 1, nm + (scoped ? 3 : 2));
    const packageDir = parts.slice(0, nm + 1 + nameParts.length).join(path.sep);
    return {
      packageId: `${nameParts.join('/')}@${versionOf(packageDir)}`,
      path: parts.slice(nm + 1 + nameParts.length).join('/'),
    };
  }
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    return { path: `(outside the repository)/${path.basename(file)}` };
  return { path: rel.split(path.sep).join('/') };
}

function readVersion(packageDir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/**
 * Module hashes as the manifest records them: project files one by one, package files summed up per
 * package (`<name>@<version>`); small enough to read in a diff, precise enough to say which file changed.
 */
export function moduleHashes(
  files: { packageId?: string; path: string; hash: string }[],
): Record<string, string> {
  const byPackage = new Map<string, Record<string, string>>();
  const out: Record<string, string> = {};
  for (const f of files) {
    if (f.packageId === undefined) out[f.path] = f.hash;
    else byPackage.set(f.packageId, { ...byPackage.get(f.packageId), [f.path]: f.hash });
  }
  for (const [pkg, group] of byPackage) out[pkg] = codeHash(group);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export interface BundledWorkflows {
  bundle: WorkflowBundle;
  /** module name → sha256 of its contents (project files; one entry per package) */
  modules: Record<string, string>;
  /** codeHash(modules): the workflow code's identity */
  hash: string;
}

interface WebpackModule {
  resource?: string;
}
interface WebpackCompilation {
  hooks: { succeedModule: { tap(name: string, fn: (m: WebpackModule) => void): void } };
}
interface WebpackCompiler {
  hooks: { thisCompilation: { tap(name: string, fn: (c: WebpackCompilation) => void): void } };
}

/** Bundles a workflows folder (which may live outside the repository; packages resolve from the repo). */
export async function bundleWorkflows(workflowsPath = WORKFLOWS_DIR): Promise<BundledWorkflows> {
  const resources = new Set<string>();
  const collect = {
    apply(compiler: WebpackCompiler) {
      compiler.hooks.thisCompilation.tap('replay-code-hash', (compilation) => {
        compilation.hooks.succeedModule.tap('replay-code-hash', (m) => {
          if (m.resource) resources.add(m.resource.replace(/\?.*$/, ''));
        });
      });
    },
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => {
      const modules = config.resolve?.modules ?? ['node_modules'];
      config.resolve = { ...config.resolve, modules: [...modules, path.join(ROOT, 'node_modules')] };
      config.plugins = [...(config.plugins ?? []), collect as never];
      return config;
    },
  });
  const files = [...resources]
    .filter((file) => !file.endsWith('-autogenerated-entrypoint.cjs')) // generated by the SDK, not on disk
    .map((file) => ({ ...moduleName(file, ROOT), hash: sha256(fs.readFileSync(file)) }));
  if (!files.some((f) => f.packageId === undefined))
    throw new Error(`the bundle of ${workflowsPath} reported no module of the project`);
  const modules = moduleHashes(files);
  return { bundle: { code }, modules, hash: codeHash(modules) };
}

/** What `npm run replay:capture` records beside the histories of the current code. */
export interface CaptureManifest {
  about: string;
  /** the workflow code of the newest capture */
  workflowCode: { hash: string; modules: Record<string, string> };
  /** per history (name without .json): the code it was captured from and the hash of its content */
  histories: Record<string, { workflowCode: string; content: string }>;
}

/** The hash of a history's content (its parsed JSON, so whitespace and line endings do not count). */
export const contentHash = (json: unknown): string => sha256(JSON.stringify(json));

export function readManifest(dir: string): CaptureManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CaptureManifest;
}

/** Records a capture of `captured` histories from `code`; histories captured earlier keep their entries. */
export function recordCapture(
  dir: string,
  code: BundledWorkflows,
  captured: { name: string; json: unknown }[],
): CaptureManifest {
  const previous = readManifest(dir);
  const manifest: CaptureManifest = {
    about:
      'Written by `npm run replay:capture`: the workflow code (test/replay/workflow-code.ts) each history ' +
      'here was captured from. The replay test fails when the current code differs.',
    workflowCode: { hash: code.hash, modules: code.modules },
    histories: { ...previous?.histories },
  };
  for (const h of captured)
    manifest.histories[h.name] = { workflowCode: code.hash, content: contentHash(h.json) };
  manifest.histories = Object.fromEntries(
    Object.entries(manifest.histories).sort(([a], [b]) => a.localeCompare(b)),
  );
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/**
 * Why the committed histories of the current code are stale, or [] when they are fresh: a history with no
 * manifest entry, edited after its capture, or captured from other workflow code than `code`; and which
 * modules differ from the newest capture's.
 */
export function staleness(
  manifest: CaptureManifest | undefined,
  code: Pick<BundledWorkflows, 'hash' | 'modules'>,
  histories: { name: string; json: unknown }[],
): string[] {
  if (!manifest) return [`no ${MANIFEST_FILE}: the histories were never captured by npm run replay:capture`];
  const problems: string[] = [];
  for (const h of histories) {
    const entry = manifest.histories[h.name];
    if (!entry) problems.push(`${h.name}: not recorded in ${MANIFEST_FILE}`);
    else if (entry.content !== contentHash(h.json)) problems.push(`${h.name}: edited after its capture`);
    else if (entry.workflowCode !== code.hash) problems.push(`${h.name}: captured from older workflow code`);
  }
  if (manifest.workflowCode.hash !== code.hash) {
    const before = manifest.workflowCode.modules;
    const names = [...new Set([...Object.keys(before), ...Object.keys(code.modules)])].sort();
    for (const n of names) {
      if (!(n in before)) problems.push(`${n}: added to the workflow bundle since the newest capture`);
      else if (!(n in code.modules)) problems.push(`${n}: no longer in the workflow bundle`);
      else if (before[n] !== code.modules[n]) problems.push(`${n}: changed since the newest capture`);
    }
  }
  return problems;
}
