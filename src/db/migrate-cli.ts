/** `node dist/db/migrate-cli.js`: applies migrations to DATABASE_URL (compose runs it as a one-shot job). */
import { ConfigError, loadConfig, requireDatabaseUrl } from '../config';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const url = requireDatabaseUrl(loadConfig(process.env));
  const result = await migrate(url);
  process.stdout.write(
    `migrations: ${result.applied.length} applied (${result.applied.join(', ') || 'none'}), ${result.skipped.length} already in place\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
});
