/** Opaque page cursors: the sequence number of the last row returned, base64url-wrapped. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString('base64url')
}

/** The sequence number in a cursor, or undefined if the text is not a cursor we issued. */
export function decodeCursor(cursor: string): number | undefined {
  const match = /^s:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
  return match ? Number(match[1]) : undefined
}
