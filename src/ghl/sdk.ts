import { BaseError } from '../errors.js'

/**
 * Interop with GHL's official SDK, `@gohighlevel/api-client`, for its typed services: an optional
 * peer dependency the user installs (we do not: CommonJS, axios and MongoDB, 16 MB), loaded on first
 * use. The SDK gets our current access token as its Private Integration Token — its own OAuth and
 * refresh (one process only) stay off; ours is shared by every process.
 */

const SDK_PACKAGE = '@gohighlevel/api-client'

/** `ctx.ghl.sdk()` without `@gohighlevel/api-client` installed. */
export class GhlSdkMissingError extends BaseError {
  override name = 'GhlSdkMissingError'
}

type SdkConstructor = new (options: { privateIntegrationToken: string }) => unknown

/** A new SDK client using `token` for every call. */
export async function loadGhlSdk(token: string, specifier = SDK_PACKAGE): Promise<unknown> {
  // import() keeps the module once loaded: a second call costs a lookup.
  const HighLevel = await importSdk(specifier)
  return new HighLevel({ privateIntegrationToken: token })
}

async function importSdk(specifier: string): Promise<SdkConstructor> {
  let module: Record<string, unknown>
  try {
    // A variable specifier: TypeScript and bundlers do not try to resolve the optional package.
    module = (await import(specifier)) as Record<string, unknown>
  } catch (error) {
    throw new GhlSdkMissingError(
      `ctx.ghl.sdk() needs ${specifier}, which is not installed: run \`npm install ${specifier}\` (optional; ctx.ghl.request and the helpers need nothing)`,
      { cause: error },
    )
  }
  // CommonJS seen through import(): the class is `default`, or `default.default`, or `HighLevel`.
  const candidates = [
    (module.default as Record<string, unknown> | undefined)?.default,
    module.default,
    module.HighLevel,
  ]
  const found = candidates.find((value) => typeof value === 'function')
  if (!found) throw new GhlSdkMissingError(`${specifier} did not export the HighLevel client class`)
  return found as SdkConstructor
}
