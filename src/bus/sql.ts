/** The schema of a consumer's tables as a quoted identifier (service schemas only: lower-case names). */
export function consumerSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  return `"${schema}"`;
}
