#!/usr/bin/env node
// Finds or fetches the Apache Kafka broker's jars (KRaft mode: broker and controller in one JVM) that
// `npm start` and the integration tests run with Java. Order: a complete cached copy under the user's cache
// dir (~/.cache/order-saga/kafka/<version>/libs, keyed by version, beside the Temporal CLI) → Maven
// (`mvn dependency:copy-dependencies` on a generated pom: org.apache.kafka:kafka_2.13 plus an slf4j binding,
// from Maven Central) into a staging dir renamed into place when complete → a clear error.
// Used by `npm start`, `npm test` (pretest) and .ci/run; importable as ensureKafka().
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DEFAULT_VERSION = '4.4.0';
const SLF4J_VERSION = '2.0.17';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MIN_JAVA = 17;
/** the one file written last: its presence means the libs directory is complete */
const MARKER = 'complete.json';

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'order-saga', 'kafka');
}

function versionDir(version) {
  return path.join(cacheRoot(), version);
}

function pom(version) {
  const dep = (g, a, v) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.order-saga</groupId>',
    '  <artifactId>kafka-broker</artifactId>',
    '  <version>1</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    // slf4j-api 2 first: Kafka asks for 1.7, which would not find the slf4j 2 binding (no logs at all)
    dep('org.slf4j', 'slf4j-api', SLF4J_VERSION),
    dep('org.apache.kafka', 'kafka_2.13', version),
    dep('org.slf4j', 'slf4j-simple', SLF4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** The major version of `java` on PATH (or JAVA_HOME), or undefined when there is none. */
function javaMajor(java) {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major; // "1.8.0" is Java 8
}

function javaCommand() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function installHelp(extra) {
  return [
    'Could not find or fetch the Kafka broker.',
    extra ? `  ${extra}` : '',
    'Fix it one of these ways:',
    `  - install Java ${MIN_JAVA}+ and Maven (Debian: apt-get install openjdk-17-jre-headless maven) so this script can fetch org.apache.kafka:kafka_2.13:${DEFAULT_VERSION}, or`,
    '  - point KAFKA_BROKERS at a running Kafka cluster (npm start only).',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Reads the cached copy of `version`, or undefined when it is absent or incomplete. */
function cached(version) {
  const dir = versionDir(version);
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
    const jars = fs.readdirSync(path.join(dir, 'libs')).filter((f) => f.endsWith('.jar'));
    if (jars.length !== marker.jars) return undefined;
    return { version, libsDir: path.join(dir, 'libs'), jars: jars.length, bytes: marker.bytes };
  } catch {
    return undefined;
  }
}

function mavenFetch(version, log) {
  return new Promise((resolve) => {
    fs.mkdirSync(cacheRoot(), { recursive: true });
    const staging = fs.mkdtempSync(path.join(cacheRoot(), `${version}.tmp-`));
    fs.writeFileSync(path.join(staging, 'pom.xml'), pom(version));
    log(
      `[kafka] fetching Apache Kafka ${version} (org.apache.kafka:kafka_2.13 and its dependencies, ~45 jars, ~43 MB) with Maven, first time only...`,
    );
    const started = Date.now();
    const child = spawn(
      'mvn',
      [
        '-B',
        '-f',
        path.join(staging, 'pom.xml'),
        `${DEPENDENCY_PLUGIN}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(staging, 'libs')}`,
      ],
      { cwd: staging, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let files = 0;
    let bytes = 0;
    let tail = '';
    let buf = '';
    const onData = (chunk) => {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        tail = (tail + '\n' + line).split('\n').slice(-20).join('\n');
        // "Downloaded from central: https://…/kafka-clients-4.4.0.jar (18 MB at 9.1 MB/s)"
        const m = /^\[INFO\] Downloaded from [^:]+: \S+ \(([\d.]+) (B|kB|MB)/.exec(line);
        if (m) {
          files += 1;
          bytes += Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6 }[m[2]];
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      log(
        `[kafka] still fetching: ${files} files (${(bytes / 1e6).toFixed(1)} MB) downloaded, ${Math.round((Date.now() - started) / 1000)}s elapsed`,
      );
    }, 5000);
    const fail = (reason) => {
      clearInterval(timer);
      fs.rmSync(staging, { recursive: true, force: true });
      resolve({ ok: false, reason });
    };
    child.on('error', (err) =>
      fail(err.code === 'ENOENT' ? 'Maven is not installed (no `mvn` on PATH).' : String(err)),
    );
    child.on('close', (code) => {
      if (code !== 0) return fail(`mvn exited with ${code}:\n${tail}`);
      clearInterval(timer);
      const libs = path.join(staging, 'libs');
      const jars = fs.readdirSync(libs).filter((f) => f.endsWith('.jar'));
      const size = jars.reduce((sum, f) => sum + fs.statSync(path.join(libs, f)).size, 0);
      if (!jars.some((f) => f.startsWith(`kafka_2.13-${version}`)))
        return fail(`no kafka_2.13 jar in ${libs}`);
      fs.writeFileSync(
        path.join(staging, MARKER),
        JSON.stringify({ version, jars: jars.length, bytes: size }),
      );
      try {
        fs.renameSync(staging, versionDir(version)); // atomic: concurrent callers never see half a directory
      } catch {
        // another process finished first: keep its copy
        fs.rmSync(staging, { recursive: true, force: true });
      }
      const found = cached(version);
      if (!found) return resolve({ ok: false, reason: `the cache at ${versionDir(version)} is incomplete` });
      log(
        `[kafka] fetched ${found.jars} jars (${(found.bytes / 1e6).toFixed(1)} MB) in ${Math.round((Date.now() - started) / 1000)}s → ${found.libsDir}`,
      );
      resolve({ ok: true, found });
    });
  });
}

/**
 * @param {{ log?: (msg: string) => void, quietIfCached?: boolean }} [opts]
 * @returns {Promise<{ version: string, libsDir: string, java: string }>} the broker's classpath directory
 *   (every jar in it; `${libsDir}/*` as a Java classpath) and the java command to run it with
 */
async function ensureKafka(opts = {}) {
  const log = opts.log ?? ((msg) => process.stderr.write(msg + '\n'));
  const version = DEFAULT_VERSION;
  const java = javaCommand();
  const major = javaMajor(java);
  if (major === undefined) throw new Error(installHelp(`Java is not installed (no \`${java}\` to run).`));
  if (major < MIN_JAVA)
    throw new Error(installHelp(`Java ${major} found; Kafka ${version} needs ${MIN_JAVA}+.`));
  let found = cached(version);
  if (found) {
    if (!opts.quietIfCached) log(`[kafka] using cached Kafka ${version}: ${found.libsDir}`);
  } else {
    const result = await mavenFetch(version, log);
    if (!result.ok) throw new Error(installHelp(result.reason));
    found = result.found;
  }
  return { version, libsDir: found.libsDir, java };
}

/**
 * The distribution's command-line tools (org.apache.kafka:kafka-tools: ConsoleConsumer, GetOffsetShell) are
 * not part of the broker's classpath; one jar, fetched once with Maven into `<version>-tools/` beside the
 * broker's libs (its dependencies are the broker's). The chaos suite reads topics with them: a Kafka client
 * that is not the project's.
 * @returns {Promise<{ version: string, classpath: string, java: string }>} broker libs + tools jar
 */
async function ensureKafkaTools(opts = {}) {
  const log = opts.log ?? ((msg) => process.stderr.write(msg + '\n'));
  const broker = await ensureKafka({ ...opts, quietIfCached: true });
  const dir = path.join(cacheRoot(), `${broker.version}-tools`);
  const jar = path.join(dir, `kafka-tools-${broker.version}.jar`);
  if (!fs.existsSync(jar)) {
    fs.mkdirSync(cacheRoot(), { recursive: true });
    const staging = fs.mkdtempSync(path.join(cacheRoot(), `${broker.version}-tools.tmp-`));
    log(`[kafka] fetching org.apache.kafka:kafka-tools:${broker.version} (one jar, ~0.8 MB) with Maven...`);
    const r = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        `${DEPENDENCY_PLUGIN}:copy`,
        `-Dartifact=org.apache.kafka:kafka-tools:${broker.version}`,
        `-DoutputDirectory=${staging}`,
      ],
      { cwd: staging, encoding: 'utf8' },
    );
    if (r.error || r.status !== 0 || !fs.existsSync(path.join(staging, path.basename(jar)))) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new Error(installHelp(`fetching kafka-tools failed: ${r.error ?? `${r.stdout}${r.stderr}`}`));
    }
    try {
      fs.renameSync(staging, dir); // atomic, as for the broker's libs
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process finished first
    }
  }
  return {
    version: broker.version,
    classpath: [path.join(broker.libsDir, '*'), jar].join(path.delimiter),
    java: broker.java,
  };
}

module.exports = { ensureKafka, ensureKafkaTools, DEFAULT_VERSION };

if (require.main === module) {
  const quiet = process.argv.includes('--quiet-if-cached');
  ensureKafka({ quietIfCached: quiet }).then(
    (k) => {
      if (!quiet) process.stdout.write(k.libsDir + '\n');
    },
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
