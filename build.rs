//! Sets `NEXT_GRAFT_COLLECTOR`: a hash of the sources that decide which edges a file has (the
//! SWC collector and evaluator, the parse entry, the extension rules) and of `Cargo.lock` (the
//! SWC version). The edge store (`src/trace/store.rs`) keeps edges across runs under this id, so
//! a binary whose collector differs in any byte never trusts edges another one wrote.

use std::hash::Hasher;

const INPUTS: [&str; 5] = [
    "src/trace/edges.rs",
    "src/trace/eval.rs",
    "src/trace/fsx.rs",
    "src/nesting/mod.rs",
    "Cargo.lock",
];

fn main() {
    // FNV-1a, written out: a build script should not need a dependency for 20 lines.
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        h.write(input.as_bytes());
        // A missing input (Cargo.lock of a crate built from a registry) hashes as empty.
        h.write(&std::fs::read(input).unwrap_or_default());
    }
    println!("cargo:rustc-env=NEXT_GRAFT_COLLECTOR={:016x}", h.finish());
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
