/**
 * The ESP32 CSI simulator: its console banner, lines in the examples'
 * format with a known channel, pacing and damaged lines.
 *
 * @module
 */
import assert from "node:assert/strict";
import { espCsiDecoder } from "../../../drivers/rf/esp_csi.ts";
import {
  CSI_COLUMNS,
  parseCsiLine,
} from "../../../drivers/rf/esp_csi_protocol.ts";
import {
  BANNER,
  CSI_LAYOUTS,
  ESP_CSI_SIM_DEFAULTS,
  espCsiRecord,
  EspCsiSim,
  isNullSubcarrier,
  layoutIndices,
} from "../../../drivers/rf/esp_csi_device_sim.ts";

Deno.test("esp csi sim: the banner, then lines the parser reads back", () => {
  const sim = new EspCsiSim();
  const text = new TextDecoder().decode(sim.until(990));
  assert.ok(text.startsWith(BANNER));
  assert.ok(BANNER.includes(`\n${CSI_COLUMNS.join(",")}\n`));
  const lines = text.slice(BANNER.length).split("\n");
  assert.equal(lines.pop(), "", "newline-terminated");
  assert.equal(lines.length, 100, "100 a second");
  lines.forEach((line, i) =>
    assert.deepEqual(parseCsiLine(line), espCsiRecord(ESP_CSI_SIM_DEFAULTS, i))
  );
});

Deno.test("esp csi sim: every row of ESP-IDF's CSI table, its fields and its length", () => {
  // The table's "total bytes" row, left to right: secondary channel none
  // (non-HT, HT, HT STBC), below and above (non-HT, HT20, HT20 STBC, HT40,
  // HT40 STBC).
  assert.deepEqual(
    CSI_LAYOUTS.map((l) => l.totalBytes),
    [128, 256, 384, 128, 256, 380, 384, 612, 128, 256, 376, 384, 612],
  );
  for (const layout of CSI_LAYOUTS) {
    assert.equal(2 * layoutIndices(layout).length, layout.totalBytes);
    const record = espCsiRecord({ ...ESP_CSI_SIM_DEFAULTS, ...layout }, 5);
    assert.equal(record.data.length, layout.totalBytes);
    assert.equal(record.fields.len, layout.totalBytes);
    assert.deepEqual(
      [
        record.fields.secondary_channel,
        record.fields.sig_mode,
        record.fields.bandwidth,
        record.fields.stbc,
      ],
      [
        layout.secondaryChannel,
        layout.sigMode,
        layout.bandwidth,
        layout.stbc ? 1 : 0,
      ],
    );
  }
  const ht = espCsiRecord({ ...ESP_CSI_SIM_DEFAULTS, sigMode: 1 }, 3);
  assert.deepEqual(ht.data.subarray(0, 128), ht.data.subarray(128));
  assert.deepEqual([ht.fields.sig_mode, ht.fields.mcs], [1, 7]);
  assert.throws(
    () => new EspCsiSim({ bandwidth: 1 }),
    /no packet with secondary channel 0, signal mode 0, bandwidth 1/,
  );
});

Deno.test("esp csi sim: a 64-subcarrier LLTF with null DC and guards", () => {
  const record = espCsiRecord(ESP_CSI_SIM_DEFAULTS, 7);
  assert.equal(record.data.length, 128);
  assert.equal(record.fields.len, 128);
  for (let k = 0; k < 64; k++) {
    const zero = record.data[2 * k] === 0 && record.data[2 * k + 1] === 0;
    assert.equal(zero, isNullSubcarrier(k), `subcarrier ${k}`);
  }
  const noisy = espCsiRecord({ ...ESP_CSI_SIM_DEFAULTS, noise: 2 }, 7);
  assert.notDeepEqual(noisy.data, record.data);
});

Deno.test("esp csi sim: damaged lines are counted by the decoder, the rest read", () => {
  const sim = new EspCsiSim({
    faults: { checksum: 0.05, partial: 0.05, garbage: 0.05 },
    seed: 3,
  });
  let damaged = 0;
  let sent = 0;
  sim.onRecord = (_, fault) => {
    sent++;
    if (fault !== "none") damaged++;
  };
  const bytes = sim.until(9_999);
  const { checksum, partial, garbage } = sim.injected;
  assert.ok(checksum > 25 && partial > 25 && garbage > 25);
  const decoded = espCsiDecoder().push(bytes, 0n);
  assert.equal(decoded.valid, sent - damaged);
  assert.ok(
    Math.abs(decoded.corrupt - damaged) <= 2,
    `${decoded.corrupt} counted, ${damaged} damaged`,
  );
});
