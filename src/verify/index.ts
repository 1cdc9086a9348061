export { safeEqual } from './constant-time.js'
export { fingerprint } from './fingerprint.js'
export { createGhlVerifier, type GhlVerifierKeys } from './ghl.js'
export { verifyGhlEd25519 } from './ghl-ed25519.js'
export { GHL_ED25519_PUBLIC_KEY_SPKI_BASE64, GHL_RSA_PUBLIC_KEY_PEM } from './ghl-keys.js'
export { verifyGhlRsa } from './ghl-rsa.js'
export { GHL_SIGNATURE_HEADER, type GhlSigner, readGhlSigner } from './ghl-signer.js'
export { createHmacVerifier, type HmacVerifierOptions } from './hmac.js'
export { KeyConfigError, type KeyConfigErrorOptions } from './key-config-error.js'
export type { KeyMatch } from './key-match.js'
export { ghlTrustedKeys, keyId, type PublicKeyKind, parsePublicKeyList } from './keys.js'
export { createSecretUrlVerifier, type SecretUrlVerifierOptions } from './secret-url.js'
export {
  createStandardWebhooksVerifier,
  decodeStandardSecret,
  type StandardWebhooksVerifierOptions,
  signStandardWebhook,
} from './standard-webhooks.js'
export { createTokenVerifier, type TokenVerifierOptions } from './token.js'
export type * from './types.js'
