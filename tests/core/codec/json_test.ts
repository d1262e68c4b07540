import assert from "node:assert/strict";
import {
  canonicalJson,
  jsonBytes,
  parseJson,
  parseJsonBytes,
  stringifyJson,
} from "../../../core/codec/json.ts";

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------
// parseJson

Deno.test("parseJson: integers beyond 2^53 become exact bigints", () => {
  // 2^53 + 1 is not representable as a double: Number() would give ...992.
  assert.equal(parseJson("9007199254740993"), 9007199254740993n);
  assert.equal(parseJson("9007199254740992"), 9007199254740992n);
  assert.equal(parseJson("18446744073709551615"), 18446744073709551615n);
  // A realistic UTC nanosecond timestamp keeps every digit.
  assert.equal(parseJson("1700000000123456789"), 1700000000123456789n);
  assert.equal(
    parseJson("123456789012345678901234567890"),
    123456789012345678901234567890n,
  );
});

Deno.test("parseJson: negative integers beyond -2^53 become exact bigints", () => {
  assert.equal(parseJson("-9007199254740993"), -9007199254740993n);
  assert.equal(parseJson("-9223372036854775808"), -9223372036854775808n);
});

Deno.test("parseJson: safe integers stay numbers", () => {
  for (
    const [text, value] of [
      ["0", 0],
      ["1", 1],
      ["-1", -1],
      ["9007199254740991", Number.MAX_SAFE_INTEGER],
      ["-9007199254740991", Number.MIN_SAFE_INTEGER],
    ] as const
  ) {
    const parsed = parseJson(text);
    assert.equal(typeof parsed, "number", text);
    assert.equal(parsed, value);
  }
  assert.ok(Object.is(parseJson("-0"), -0));
});

Deno.test("parseJson: floats and exponent forms stay numbers", () => {
  assert.equal(parseJson("1.5"), 1.5);
  assert.equal(parseJson("-0.25"), -0.25);
  assert.equal(parseJson("1e300"), 1e300);
  assert.equal(parseJson("1E21"), 1e21);
  // Large, but written as floats: not integer literals, so not bigints.
  assert.equal(parseJson("9007199254740993.0"), 9007199254740992);
  assert.equal(typeof parseJson("9007199254740993.0"), "number");
  assert.equal(typeof parseJson("1e20"), "number");
});

Deno.test("parseJson: nested values are converted independently", () => {
  const value = parseJson(
    '{"a":[1,18446744073709551615,{"t":-9007199254740993}],"s":"9007199254740993","f":2.5,"n":null,"b":true}',
  );
  assert.deepEqual(value, {
    a: [1, 18446744073709551615n, { t: -9007199254740993n }],
    s: "9007199254740993",
    f: 2.5,
    n: null,
    b: true,
  });
});

Deno.test("parseJson: invalid JSON throws", () => {
  assert.throws(() => parseJson("{"), SyntaxError);
  assert.throws(() => parseJson("01"), SyntaxError);
  assert.throws(() => parseJson(""), SyntaxError);
});

Deno.test("parseJsonBytes: decodes UTF-8 and rejects invalid UTF-8", () => {
  assert.deepEqual(
    parseJsonBytes(encoder.encode('{"é":9007199254740993}')),
    { "é": 9007199254740993n },
  );
  assert.throws(
    () => parseJsonBytes(new Uint8Array([0x22, 0xff, 0x22])),
    TypeError,
  );
});

// ---------------------------------------------------------------------------
// stringifyJson / jsonBytes

Deno.test("stringifyJson: bigints are bare digits, never strings or exponents", () => {
  assert.equal(
    stringifyJson({ t: 1700000000123456789n }),
    '{"t":1700000000123456789}',
  );
  assert.equal(stringifyJson(10n ** 30n), "1" + "0".repeat(30));
  assert.equal(stringifyJson(-9007199254740993n), "-9007199254740993");
  assert.equal(stringifyJson([0n, 1n, -1n]), "[0,1,-1]");
  const text = stringifyJson({ big: 10n ** 21n });
  assert.equal(text, '{"big":1000000000000000000000}');
  assert.ok(!text.includes("e"), text);
  assert.ok(!text.includes('"1'), text);
});

Deno.test("stringifyJson: compact, insertion order, JSON semantics", () => {
  assert.equal(
    stringifyJson({ b: 1, a: [true, null, "x"], c: { z: 1.5, y: undefined } }),
    '{"b":1,"a":[true,null,"x"],"c":{"z":1.5}}',
  );
});

Deno.test("stringifyJson and parseJson round-trip big values exactly", () => {
  const value = {
    start_ns: 1700000000123456789n,
    neg: -18446744073709551616n,
    small: 42,
    list: [9007199254740993n, 1.25],
  };
  assert.deepEqual(parseJson(stringifyJson(value)), value);
});

Deno.test("jsonBytes: UTF-8 of stringifyJson", () => {
  const value = { "ä": 1n << 60n, s: "😀" };
  assert.deepEqual(jsonBytes(value), encoder.encode(stringifyJson(value)));
  assert.equal(
    new TextDecoder().decode(jsonBytes(value)),
    '{"ä":1152921504606846976,"s":"😀"}',
  );
});

// ---------------------------------------------------------------------------
// canonicalJson (RFC 8785)

Deno.test("canonicalJson: keys sorted by UTF-16 code units", () => {
  assert.equal(
    canonicalJson({ b: 1, a: 2, A: 3, _: 4, "10": 5, "2": 6 }),
    '{"10":5,"2":6,"A":3,"_":4,"a":2,"b":1}',
  );
  // RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before
  // U+FB33 by UTF-16 code units, although its code point is larger.
  const value = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
  };
  assert.equal(
    canonicalJson(value),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

Deno.test("canonicalJson: nested objects are sorted, arrays keep order", () => {
  assert.equal(
    canonicalJson({ z: [3, 1, { y: 1, x: 2 }], a: { d: null, c: false } }),
    '{"a":{"c":false,"d":null},"z":[3,1,{"x":2,"y":1}]}',
  );
});

Deno.test("canonicalJson: string escaping per RFC 8785", () => {
  // RFC 8785 section 3.2.2.2 example.
  assert.equal(
    canonicalJson("\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/"),
    '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"',
  );
  assert.equal(
    canonicalJson("\b\t\n\f\r\u0000\u001f\u007f"),
    '"\\b\\t\\n\\f\\r\\u0000\\u001f\u007f"',
  );
  // Non-ASCII is written as UTF-8, never \u-escaped; '/' is not escaped.
  assert.equal(canonicalJson("ö/😀"), '"ö/😀"');
});

Deno.test("canonicalJson: ECMAScript number formatting", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [400.0, "400"],
    [4.5, "4.5"],
    [0.1, "0.1"],
    [0.002, "0.002"],
    [0.000001, "0.000001"],
    [1e-7, "1e-7"],
    [1e21, "1e+21"],
    [1e20, "100000000000000000000"],
    [1e30, "1e+30"],
    [333333333.33333329, "333333333.3333333"],
    [1e-27, "1e-27"],
    [5e-324, "5e-324"],
    [-1.7976931348623157e308, "-1.7976931348623157e+308"],
    [9007199254740992, "9007199254740992"],
  ];
  for (const [value, text] of cases) {
    assert.equal(canonicalJson(value), text, `${value}`);
  }
});

Deno.test("canonicalJson: bigints are digits", () => {
  assert.equal(
    canonicalJson({ t: 1700000000123456789n, n: -5n }),
    '{"n":-5,"t":1700000000123456789}',
  );
});

Deno.test("canonicalJson: undefined members omitted, null kept", () => {
  assert.equal(
    canonicalJson({ a: undefined, b: null, c: { d: undefined } }),
    '{"b":null,"c":{}}',
  );
  assert.equal(canonicalJson({}), "{}");
  assert.equal(canonicalJson([]), "[]");
  assert.equal(canonicalJson(true), "true");
  assert.equal(canonicalJson(false), "false");
  assert.equal(canonicalJson(null), "null");
});

Deno.test("canonicalJson: rejects lone surrogates in values and keys", () => {
  assert.throws(() => canonicalJson("\ud800"), TypeError);
  assert.throws(() => canonicalJson("a\udc00b"), TypeError);
  assert.throws(() => canonicalJson({ v: ["\ud83d"] }), TypeError);
  assert.throws(() => canonicalJson({ "\udfff": 1 }), TypeError);
});

Deno.test("canonicalJson: rejects non-finite numbers and non-JSON types", () => {
  assert.throws(() => canonicalJson(NaN), TypeError);
  assert.throws(() => canonicalJson({ x: Infinity }), TypeError);
  assert.throws(() => canonicalJson([-Infinity]), TypeError);
  assert.throws(() => canonicalJson(undefined), TypeError);
  assert.throws(() => canonicalJson(() => 1), TypeError);
  assert.throws(() => canonicalJson(Symbol("s")), TypeError);
});

Deno.test("canonicalJson: parse then canonicalize is stable", () => {
  const text =
    '{"b":[1,2.5,"x"],"a":{"t":1700000000123456789,"u":null},"c":1E21}';
  const canonical = canonicalJson(parseJson(text));
  assert.equal(
    canonical,
    '{"a":{"t":1700000000123456789,"u":null},"b":[1,2.5,"x"],"c":1e+21}',
  );
  assert.equal(canonicalJson(parseJson(canonical)), canonical);
});
