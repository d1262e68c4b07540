/**
 * A strict parser of the Prometheus text exposition format 0.0.4 for the
 * tests: every family must have `# HELP` and `# TYPE` before its samples,
 * sample names must belong to the family, label values must be correctly
 * escaped, values must be floats, no series may repeat and the text must
 * end in a newline. Any deviation throws naming the line.
 *
 * @module
 */

/** One parsed sample. */
export interface Sample {
  /** Sample name. */
  name: string;
  /** Its labels. */
  labels: Record<string, string>;
  /** Its value. */
  value: number;
}

/** One parsed family. */
export interface Family {
  /** Family name. */
  name: string;
  /** `counter`, `gauge`, `histogram`, `summary` or `untyped`. */
  type: string;
  /** Unescaped help text. */
  help: string;
  /** Its samples. */
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses exposition `text` strictly into families by name. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the text does not end in \\n");
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const at = `line ${i + 1} "${line}"`;
    if (line === "") throw new Error(`${at}: empty line`);
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (match === null) throw new Error(`${at}: not a HELP or TYPE line`);
      const [, keyword, name, rest] = match;
      if (!NAME.test(name)) throw new Error(`${at}: bad metric name`);
      if (keyword === "HELP") {
        if (families.has(name)) throw new Error(`${at}: family repeated`);
        if (/\\[^\\n]/.test(rest.replaceAll("\\\\", ""))) {
          throw new Error(`${at}: bad escape in help`);
        }
        current = {
          name,
          type: "",
          help: rest.replaceAll("\\n", "\n").replaceAll("\\\\", "\\"),
          samples: [],
        };
        families.set(name, current);
      } else {
        if (current?.name !== name || current.type !== "") {
          throw new Error(`${at}: TYPE without its HELP just before`);
        }
        if (!TYPES.has(rest)) throw new Error(`${at}: unknown type`);
        current.type = rest;
      }
      return;
    }
    const sample = parseSample(line, at);
    if (current === undefined || current.type === "") {
      throw new Error(`${at}: sample before its family's HELP and TYPE`);
    }
    const allowed = current.type === "histogram"
      ? ["_bucket", "_sum", "_count"].map((s) => current!.name + s)
      : current.type === "summary"
      ? [current.name, `${current.name}_sum`, `${current.name}_count`]
      : [current.name];
    if (!allowed.includes(sample.name)) {
      throw new Error(`${at}: sample of another family than ${current.name}`);
    }
    const key = `${sample.name}${JSON.stringify(sample.labels)}`;
    if (series.has(key)) throw new Error(`${at}: series repeated`);
    series.add(key);
    current.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === "") throw new Error(`${family.name}: no TYPE`);
  }
  return families;
}

function parseSample(line: string, at: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new Error(`${at}: no metric name`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const labelName = /^[^=]*/.exec(line.slice(i))![0];
      if (!LABEL_NAME.test(labelName)) throw new Error(`${at}: bad label name`);
      if (labelName in labels) throw new Error(`${at}: label repeated`);
      i += labelName.length;
      if (line.slice(i, i + 2) !== '="') throw new Error(`${at}: expected ="`);
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`${at}: unterminated label`);
        if (c === '"') break;
        if (c === "\\") {
          const next = line[i + 1];
          if (next === "n") value += "\n";
          else if (next === "\\" || next === '"') value += next;
          else throw new Error(`${at}: bad escape \\${next}`);
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      labels[labelName] = value;
      i++;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new Error(`${at}: expected , or }`);
    }
    i++;
  }
  const rest = line.slice(i);
  const match = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (match === null) throw new Error(`${at}: expected " VALUE [TIMESTAMP]"`);
  const raw = match[1];
  const value = raw === "NaN"
    ? NaN
    : raw === "+Inf"
    ? Infinity
    : raw === "-Inf"
    ? -Infinity
    : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)
    ? Number(raw)
    : undefined;
  if (value === undefined) throw new Error(`${at}: bad value "${raw}"`);
  return { name, labels, value };
}
