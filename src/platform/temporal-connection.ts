/**
 * Connection options for a Temporal cluster built from config: plain for the local dev server,
 * TLS (optionally mTLS) and/or an API key for a remote cluster or Temporal Cloud.
 */
import fs from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { type Config, temporalAddress } from '../config';

interface TlsSettings {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

function tlsSettings(config: Config): TlsSettings | undefined {
  const t = config.temporal;
  if (!t.tls) return undefined;
  const tls: TlsSettings = {};
  if (t.tlsServerName) tls.serverNameOverride = t.tlsServerName;
  if (t.tlsCaPath) tls.serverRootCACertificate = fs.readFileSync(t.tlsCaPath);
  if (t.tlsCertPath && t.tlsKeyPath) {
    tls.clientCertPair = { crt: fs.readFileSync(t.tlsCertPath), key: fs.readFileSync(t.tlsKeyPath) };
  }
  return tls;
}

export function clientConnectionOptions(config: Config): ConnectionOptions {
  const tls = tlsSettings(config);
  return {
    address: temporalAddress(config),
    ...(tls ? { tls } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

export function nativeConnectionOptions(config: Config): NativeConnectionOptions {
  const tls = tlsSettings(config);
  return {
    address: temporalAddress(config),
    ...(tls ? { tls } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

export async function connectClient(config: Config): Promise<Connection> {
  return Connection.connect(clientConnectionOptions(config));
}

export async function connectNative(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(nativeConnectionOptions(config));
}
