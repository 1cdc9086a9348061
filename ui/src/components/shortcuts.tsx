import { useEffect, useRef } from 'preact/hooks'
import { href, navigate } from '../router.js'

/** What the keyboard does, in the help dialog's order. Pages that list rows handle j/k/Enter/Esc. */
export const SHORTCUTS: readonly (readonly [keys: string, what: string])[] = [
  ['/', 'Search the events (from any page)'],
  ['j / k', 'Next / previous row'],
  ['Enter', 'Open the selected row'],
  ['Esc', 'Clear the selection, close this help'],
  ['?', 'Show this help'],
]

/** A key typed into a field, or with a modifier, is the field's; the console's keys are the others. */
export function isShortcutKey(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null
  return !(target?.closest('input, select, textarea') || event.metaKey || event.ctrlKey || event.altKey)
}

const SEARCH_ID = 'event-search'

/** Focuses the events page's search box, going to the events page first when elsewhere. */
function focusSearch(): void {
  const box = document.getElementById(SEARCH_ID)
  if (box) {
    box.focus()
    return
  }
  navigate(href('events'))
  // The events page renders on the next frames; give up after a second rather than wait forever.
  const deadline = performance.now() + 1_000
  const tryFocus = () => {
    const rendered = document.getElementById(SEARCH_ID)
    if (rendered) rendered.focus()
    else if (performance.now() < deadline) requestAnimationFrame(tryFocus)
  }
  requestAnimationFrame(tryFocus)
}

/** The console-wide keys (`/`, `?`) and the help dialog `?` opens. */
export function Shortcuts() {
  const dialog = useRef<HTMLDialogElement>(null)

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!isShortcutKey(event)) return
      if (event.key === '/') {
        event.preventDefault()
        dialog.current?.close()
        focusSearch()
      } else if (event.key === '?') {
        event.preventDefault()
        if (dialog.current?.open) dialog.current.close()
        else dialog.current?.showModal()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  return (
    <dialog ref={dialog} class="shortcuts" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table>
        <caption class="offscreen">Keys and what they do</caption>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit" class="small">
          Close
        </button>
      </form>
    </dialog>
  )
}
