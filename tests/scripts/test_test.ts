import assert from "node:assert/strict";
import { countJunit, summaryLine } from "../../scripts/test.ts";

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="6" failures="1" errors="0" time="0.010">
    <testsuite name="./a_test.ts" tests="6" disabled="1" errors="0" failures="1">
        <testcase name="passes" classname="./a_test.ts" time="0.001" line="1" col="6">
        </testcase>
        <testcase name="skipped" classname="./a_test.ts" time="0.000" line="2" col="6">
            <skipped/>
        </testcase>
        <testcase name="fails" classname="./a_test.ts" time="0.001" line="3" col="6">
            <failure message="Uncaught Error: x">Error: x</failure>
        </testcase>
        <testcase name="steps" classname="./a_test.ts" time="0.001" line="4" col="6">
        </testcase>
        <testcase name="steps &gt; s1" classname="./a_test.ts" time="0.000" line="4" col="43">
        </testcase>
        <testcase name="width &gt; 0 is required" classname="./a_test.ts" time="0.000" line="9" col="6">
        </testcase>
    </testsuite>
</testsuites>`;

Deno.test("countJunit counts top-level test cases, not steps", () => {
  assert.deepEqual(countJunit(REPORT), { passed: 3, failed: 1, skipped: 1 });
});

Deno.test("summaryLine prints skipped only when some were", () => {
  assert.equal(
    summaryLine({ passed: 3, failed: 0, skipped: 0 }),
    "3 passed, 0 failed",
  );
  assert.equal(
    summaryLine({ passed: 3, failed: 1, skipped: 2 }),
    "3 passed, 1 failed, 2 skipped",
  );
});
