/**
 * A writer of the Prometheus text exposition format 0.0.4: families with
 * their `# HELP` and `# TYPE` lines, escaped label values and Go-style
 * special float values.
 *
 * @module
 */

/** The content type of the text format. */
export const EXPOSITION_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

/** Label names and values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** A metric family's type. */
export type MetricType = "counter" | "gauge";

/** Collects families and renders them as exposition text. */
export class Exposition {
  readonly #lines: string[] = [];
  readonly #names = new Set<string>();

  /**
   * Adds a family: `samples` is one unlabelled value or labelled values (a
   * family may have none). Each name may be added once.
   */
  family(
    name: string,
    type: MetricType,
    help: string,
    samples: number | Iterable<readonly [Labels, number]>,
  ): this {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) || this.#names.has(name)) {
      throw new Error(`bad or repeated metric name "${name}"`);
    }
    this.#names.add(name);
    this.#lines.push(
      `# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`,
      `# TYPE ${name} ${type}`,
    );
    if (typeof samples === "number") {
      this.#lines.push(`${name} ${formatValue(samples)}`);
      return this;
    }
    for (const [labels, value] of samples) {
      this.#lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    }
    return this;
  }

  /** The exposition text, ending in a newline. */
  text(): string {
    return `${this.#lines.join("\n")}\n`;
  }
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) =>
    `${name}="${
      value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll(
        "\n",
        "\\n",
      )
    }"`
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** A sample value as the text format writes it (`NaN`, `+Inf`, `-Inf` or a number). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
