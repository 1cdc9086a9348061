/** Token buckets shared by every gateway process on one database (destination rate limits). */
export interface RateBucketStore {
  /**
   * Takes up to `want` whole tokens from the shared bucket `key` (refilled at `perSecond`, holding
   * at most `burst`), atomically across every process on this database; returns how many it got.
   * `now` is the caller's clock for SQLite; PostgreSQL uses its own.
   */
  takeRateTokens(
    key: string,
    want: number,
    limit: { perSecond: number; burst: number },
    now: number,
  ): Promise<number>
}
