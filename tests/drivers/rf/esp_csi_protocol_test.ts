/**
 * The esp-csi line format: a hand-made `CSI_DATA` line parsed column by
 * column, amplitudes and phases worked out by hand, malformed lines, and
 * the line splitter.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { WifiCsiFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import { csiFrame } from "../../../drivers/rf/esp_csi.ts";
import {
  CSI_COLUMNS,
  formatCsiLine,
  LineSplitter,
  parseCsiLine,
  subcarriers,
} from "../../../drivers/rf/esp_csi_protocol.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

// The README's example line, its buffer cut to 4 subcarriers; the first
// word (2 subcarriers) is invalid. Subcarrier 2: imaginary -3, real 4 (a
// 3-4-5 triangle); subcarrier 3: imaginary 12, real -5 (5-12-13).
const LINE =
  'CSI_DATA,0,ac:67:b2:53:8f:31,-31,11,1,7,1,1,1,0,0,0,0,-89,0,13,2,48079152,0,66,0,8,1,"[66,32,4,0,-3,4,12,-5]"';

Deno.test("esp csi: the 25 columns of a hand-made line", () => {
  assert.equal(CSI_COLUMNS.length, 25);
  const record = parseCsiLine(LINE);
  assert.ok(typeof record !== "string", record as string);
  assert.equal(record.id, 0);
  assert.deepEqual(record.mac, fromSpacedHex("AC 67 B2 53 8F 31"));
  assert.deepEqual(record.fields, {
    rssi: -31,
    rate: 11,
    sig_mode: 1,
    mcs: 7,
    bandwidth: 1,
    smoothing: 1,
    not_sounding: 1,
    aggregation: 0,
    stbc: 0,
    fec_coding: 0,
    sgi: 0,
    noise_floor: -89,
    ampdu_cnt: 0,
    channel: 13,
    secondary_channel: 2,
    local_timestamp: 48079152,
    ant: 0,
    sig_len: 66,
    rx_state: 0,
    len: 8,
    first_word: 1,
  });
  assert.deepEqual(Array.from(record.data), [66, 32, 4, 0, -3, 4, 12, -5]);
  assert.equal(formatCsiLine(record), LINE);
});

Deno.test("esp csi: amplitude and phase per subcarrier, imaginary part first", () => {
  const record = parseCsiLine(LINE);
  assert.ok(typeof record !== "string");
  const { amplitudes, phases } = subcarriers(record);
  assert.ok(Number.isNaN(amplitudes[0]) && Number.isNaN(amplitudes[1]));
  assert.ok(Number.isNaN(phases[0]) && Number.isNaN(phases[1]));
  assert.deepEqual(amplitudes.slice(2), [5, 13]);
  assert.deepEqual(phases.slice(2), [Math.atan2(-3, 4), Math.atan2(12, -5)]);
  const valid = subcarriers({
    ...record,
    fields: { ...record.fields, first_word: 0 },
  });
  assert.equal(valid.amplitudes[0], Math.hypot(66, 32));
  const frame = fromBinary(WifiCsiFrameSchema, csiFrame(record));
  assert.deepEqual(frame.sourceMac, fromSpacedHex("AC 67 B2 53 8F 31"));
  assert.equal(frame.rssiDbm, -31);
  assert.equal(frame.channel, 13);
  assert.deepEqual(frame.amplitudes.slice(2), [5, 13]);
  assert.equal(frame.phasesRad[3], Math.fround(Math.atan2(12, -5)));
});

Deno.test("esp csi: lines that are not CSI records, or broken ones", () => {
  const broken = (line: string) => parseCsiLine(line) as string;
  assert.equal(broken(CSI_COLUMNS.join(",")), "not a CSI_DATA line");
  assert.equal(broken("CSI_DATA,0,ac:67"), "only 3 columns");
  assert.equal(
    broken(LINE.replace('"[66', "[66")),
    "the data column is not a quoted [...] list",
  );
  assert.equal(
    broken(LINE.replace("-89", "-8x")),
    'noise_floor "-8x" is not an integer',
  );
  assert.equal(
    broken(LINE.replace("ac:67:b2", "ac:67:b")),
    'mac "ac:67:b:53:8f:31" is not a MAC address',
  );
  assert.equal(broken(LINE.replace(",8,1,", ",10,1,")), "len 10 but 8 values");
  assert.equal(
    broken(LINE.replace(",8,1,", ",7,1,").replace(",-5]", "]")),
    "an odd number of values (7)",
  );
  assert.equal(
    broken(LINE.replace("66,32", "166,32")),
    "a value is not an int8",
  );
});

Deno.test("esp csi: lines split across reads, CRLF, and overlong lines", () => {
  const splitter = new LineSplitter(20);
  const text = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(splitter.push(text("first li")), { lines: [], overlong: 0 });
  assert.deepEqual(splitter.push(text("ne\r\nsecond\nthi")), {
    lines: ["first line", "second"],
    overlong: 0,
  });
  assert.deepEqual(splitter.push(text("rd is far too long for the limit")), {
    lines: [],
    overlong: 1,
  });
  assert.deepEqual(splitter.push(text(" still\nfourth\n")), {
    lines: ["fourth"],
    overlong: 0,
  });
  assert.deepEqual(splitter.push(fromSpacedHex("FF 0A")).lines, ["\u00ff"]);
});
