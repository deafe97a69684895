/**
 * Deployment profiles and the defaults they pick (the original design's `getOptimizedConfig`).
 *
 * The profile only changes defaults: any value written in the config file or the environment wins.
 */

/** The profiles, in the order they are documented. */
export const PROFILES = ['production', 'development'] as const;

/** A deployment profile: `production` (larger pools, lenient SQL mode) or `development`. */
export type Profile = (typeof PROFILES)[number];

/** Defaults that depend on the profile. */
export interface ProfileDefaults {
  /** Pool `min` (connections kept open). */
  readonly poolMin: number;
  /** Pool `max` (connections at most). */
  readonly poolMax: number;
  /** Pool `idleTimeoutMs`, milliseconds. */
  readonly poolIdleTimeoutMs: number;
  /** Backend `sqlMode`, applied with `SET SESSION sql_mode`. */
  readonly sqlMode: string;
}

/** The profile table. */
export const PROFILE_DEFAULTS: Readonly<Record<Profile, ProfileDefaults>> = {
  production: {
    poolMin: 5,
    poolMax: 20,
    poolIdleTimeoutMs: 300_000,
    sqlMode: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
  },
  development: {
    poolMin: 1,
    poolMax: 5,
    poolIdleTimeoutMs: 60_000,
    sqlMode:
      'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION',
  },
};

/** A default value that differs by profile. */
export class ByProfile<T> {
  constructor(readonly values: Readonly<Record<Profile, T>>) {}

  /** The default for `profile`. */
  resolve(profile: Profile): T {
    return this.values[profile];
  }
}

/** The profile-dependent default of one {@link ProfileDefaults} entry. */
export function profileDefault<K extends keyof ProfileDefaults>(key: K): ByProfile<ProfileDefaults[K]> {
  return new ByProfile({
    production: PROFILE_DEFAULTS.production[key],
    development: PROFILE_DEFAULTS.development[key],
  });
}

/**
 * The profile a `NODE_ENV` value selects: `production` and `development` select themselves, any
 * other value (`test`, `staging`...) selects nothing, so the file's `profile` or the default applies.
 */
export function profileFromNodeEnv(nodeEnv: string | undefined): Profile | undefined {
  return PROFILES.find((p) => p === nodeEnv);
}
