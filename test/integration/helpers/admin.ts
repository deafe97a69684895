/** A real client of the Admin service. */
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES } from '../../../src/wire/proto.js';
import { type AnyMessage, type ConnectOpts, stubOptions } from './client.js';

/** Connects to the Admin service (with the credentials and token of `opts`). */
export function connectAdmin(
  port: number,
  opts: ConnectOpts = {},
): {
  getStatus(req?: AnyMessage): Promise<AnyMessage>;
  getQueryStats(req?: AnyMessage): Promise<AnyMessage>;
  close(): void;
} {
  const pkg = loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as AnyMessage;
  const client = new pkg.mysqlgateway.v1.Admin(
    `127.0.0.1:${port}`,
    opts.credentials ?? credentials.createInsecure(),
    stubOptions(opts),
  );
  return {
    getStatus: (req = {}) =>
      new Promise((resolve, reject) =>
        client.GetStatus(req, (err: unknown, res: AnyMessage) => (err ? reject(err) : resolve(res))),
      ),
    getQueryStats: (req = {}) =>
      new Promise((resolve, reject) =>
        client.GetQueryStats(req, (err: unknown, res: AnyMessage) => (err ? reject(err) : resolve(res))),
      ),
    close: () => client.close(),
  };
}
