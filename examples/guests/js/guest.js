// guest.js: the JavaScript member of the guest matrix
// (examples/guests/README.md), a WASI preview 2 component with an embedded
// JS engine (StarlingMonkey). It prints its arguments ("arg[i]=...") and
// GUEST_GREETING, then ends through wasi:cli/run's result: ok when
// GUEST_EXIT is unset or "0", err otherwise.
//
// Build: jco componentize guest.js --wit wit --world-name guest -o js.wasm
import { getArguments, getEnvironment } from "wasi:cli/environment@0.2.12";

export const run = {
  run() {
    getArguments().forEach((a, i) => console.log(`arg[${i}]=${a}`));
    const env = new Map(getEnvironment());
    const greeting = env.get("GUEST_GREETING");
    console.log(greeting === undefined ? "env GUEST_GREETING unset" : `env GUEST_GREETING=${greeting}`);
    const code = env.get("GUEST_EXIT") ?? "0";
    if (code !== "0") {
      // A throw is run's err: the caller sees a failure, not this code.
      throw new Error(`GUEST_EXIT=${code}`);
    }
  },
};
