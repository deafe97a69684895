/** A principal's settings for auth unit tests: no credential, every permission, no limit, then `extra`. */
export function principalSettings<T extends Record<string, unknown>>(extra: T = {} as T) {
  return {
    tokenSha256: [],
    certIdentities: [],
    clusters: ['*'],
    readOnly: false,
    admin: false,
    maxConcurrentCalls: 0,
    maxConcurrentTransactions: 0,
    requestsPerSecond: 0,
    burst: 0,
    ...extra,
  };
}
