/**
 * Shares `free` worker slots among subscribers that could start `cap` deliveries each: everyone
 * gets what they can take when it fits; otherwise equal shares (water-filling), so a subscriber
 * late in the list is never starved by earlier ones that have nothing due. With more subscribers
 * than slots, `turn` rotates who goes first.
 */
export function shareSlots(
  wants: readonly { subscriberId: string; cap: number }[],
  free: number,
  turn = 0,
): { subscriberId: string; limit: number }[] {
  if (free <= 0 || wants.length === 0) return []
  const order = wants.map((_, i) => wants[(i + turn) % wants.length]!)
  const limits = new Map<string, number>(order.map((w) => [w.subscriberId, 0]))
  let left = free
  let open = order.filter((w) => w.cap > 0)
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length))
    const next = []
    for (const want of open) {
      if (left <= 0) break
      const given = limits.get(want.subscriberId)!
      const add = Math.min(share, want.cap - given, left)
      limits.set(want.subscriberId, given + add)
      left -= add
      if (given + add < want.cap) next.push(want)
    }
    open = next
  }
  return order
    .filter((w) => limits.get(w.subscriberId)! > 0)
    .map((w) => ({ subscriberId: w.subscriberId, limit: limits.get(w.subscriberId)! }))
}
