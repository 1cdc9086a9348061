import { usePrefs, type Zone } from '../prefs.js'

/**
 * One chart of the overview, drawn as SVG by hand (no chart library): bars for what happened in a
 * bucket (received, delivered, failed), a filled line for a level at each bucket's end (backlog,
 * DLQ size). Colours come from classes (the CSP allows no style attributes; dark mode is the
 * stylesheet's). For screen readers the SVG is one labelled image, and every number is in a
 * visually hidden table beside it.
 */

export interface ChartProps {
  /** Unique on the page: ids of the title and the table derive from it. */
  id: string
  title: string
  /** What each number is, for the table's column: "events per second". */
  unit: string
  values: readonly number[]
  /** The first bucket's start (epoch ms) and each bucket's width. */
  start: number
  bucketMs: number
  shape: 'bars' | 'level'
  /** A class naming the colour: received, delivered, failed, backlog, dead. */
  tone: string
  /** How a number reads in the summary, the axis and the table. */
  format: (value: number) => string
  /** Whole numbers only (counts): the axis goes up to at least 2, so its middle line is whole. */
  whole?: boolean
  /** The sentence under the title: "now 0.2/s, peak 1.5/s". */
  summary: string
}

const WIDTH = 600
const HEIGHT = 180
const LEFT = 56
const RIGHT = 10
const TOP = 10
const BOTTOM = 30
const PLOT_W = WIDTH - LEFT - RIGHT
const PLOT_H = HEIGHT - TOP - BOTTOM

/** 1, 2 or 5 times a power of ten, at least `value`: an axis top that reads well. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power
  return 10 * power
}

const pad = (n: number) => String(n).padStart(2, '0')

/** A bucket edge on the time axis, in the viewer's zone: `14:05`, or `11-28 14:05` over days. */
export function axisTime(ms: number, zone: Zone, withDate: boolean): string {
  const d = new Date(ms)
  const [month, day, hours, minutes] =
    zone === 'utc'
      ? [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
      : [d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()]
  const time = `${pad(hours)}:${pad(minutes)}`
  return withDate ? `${pad(month)}-${pad(day)} ${time}` : time
}

export function Chart(props: ChartProps) {
  const { zone } = usePrefs()
  const { values, start, bucketMs, format } = props
  const count = values.length
  const top = Math.max(props.whole ? 2 : 0, niceCeiling(Math.max(0, ...values)))
  const withDate = bucketMs * count > 24 * 3_600_000
  const x = (i: number) => LEFT + (i / count) * PLOT_W
  const y = (value: number) => TOP + PLOT_H - (value / top) * PLOT_H
  const slot = PLOT_W / count
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * count))
  const zoneName = zone === 'utc' ? 'UTC' : 'local time'
  const titleId = `${props.id}-title`

  // A level holds from its bucket's start to its end: a step line, and the area under it.
  const steps = values.map((v, i) => `${x(i)},${y(v)} ${x(i + 1)},${y(v)}`).join(' ')
  const area = `${x(0)},${y(0)} ${steps} ${x(count)},${y(0)}`

  return (
    <figure class={`chart ${props.tone}`} aria-labelledby={titleId}>
      <figcaption id={titleId}>
        <span class="chart-title">{props.title}</span> <span class="muted">{props.summary}</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={titleId}
        aria-describedby={`${props.id}-table`}
      >
        <title>{`${props.title}: ${props.summary}`}</title>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={LEFT - 6} y={y(top * f) + 5} text-anchor="end">
              {format(top * f)}
            </text>
          </g>
        ))}
        {props.shape === 'bars' ? (
          values.map((v, i) =>
            v > 0 ? (
              <rect
                key={i}
                class="mark"
                x={x(i) + slot * 0.1}
                y={y(v)}
                width={slot * 0.8}
                height={Math.max(1, y(0) - y(v))}
              />
            ) : null,
          )
        ) : (
          <>
            <polygon class="mark area" points={area} />
            <polyline class="mark line" points={steps} />
          </>
        )}
        {ticks.map((i) => (
          <g key={i}>
            <line class="grid" x1={x(i)} x2={x(i)} y1={y(0)} y2={y(0) + 4} />
            <text
              class="axis"
              x={x(i)}
              y={HEIGHT - 8}
              text-anchor={i === 0 ? 'start' : i === count ? 'end' : 'middle'}
            >
              {axisTime(start + i * bucketMs, zone, withDate)}
            </text>
          </g>
        ))}
      </svg>
      <table class="offscreen" id={`${props.id}-table`}>
        <caption>
          {props.title}, per bucket of {Math.round(bucketMs / 60_000)} minutes ({zoneName})
        </caption>
        <thead>
          <tr>
            <th scope="col">Bucket start</th>
            <th scope="col">{props.unit}</th>
          </tr>
        </thead>
        <tbody>
          {values.map((v, i) => (
            <tr key={i}>
              <td>{axisTime(start + i * bucketMs, zone, withDate)}</td>
              <td>{format(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}
