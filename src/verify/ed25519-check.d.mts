/** Which library checks Ed25519 signatures in this process. */
export declare const ed25519Backend: 'libsodium' | 'openssl'
/** Whether `signature` (64 bytes) is a valid Ed25519 signature of `body` by `publicKey` (32 raw bytes). */
export declare function verifyEd25519(body: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
/** libsodium's check (throws when sodium-native did not load). */
export declare function verifyEd25519Sodium(
  body: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean
/** node:crypto's (OpenSSL) check. */
export declare function verifyEd25519OpenSsl(
  body: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean
