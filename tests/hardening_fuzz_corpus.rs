//! The bounded fuzzing pass the test suite runs on stable (issue 9 §4): every input of the
//! committed cargo-fuzz corpus (`fuzz/corpus/<target>/`) goes through the same harness as the
//! fuzzer (`fuzz/harness.rs`), then a fixed budget of deterministic mutations (byte
//! flips, truncations, bracket and quote insertions, splices of two inputs). A panic or a broken
//! invariant fails the test. The long runs are `cargo fuzz run` (see docs/hardening.md).
// Unix permissions, ownership, signals and symlinks throughout: Windows is covered by
// src/platform/tests.rs and by scripts/test-platforms (the win32 binary under wine).
#![cfg(unix)]

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|p| fs::read(p).unwrap()).collect();
    assert!(inputs.len() >= 5, "{target}: corpus too small");
    inputs
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: [&[u8]; 12] = [
    b"{",
    b"}",
    b"(",
    b"[",
    b"\"",
    b"'",
    b"`",
    b"\\",
    b"\xef\xbb\xbf",
    b"/*",
    b"\n",
    b"${",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.truncate(at),
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            3 if !other.is_empty() => {
                let from = rng.below(other.len());
                let to = (from + rng.below(256)).min(other.len());
                out.splice(at..at, other[from..to].iter().copied());
            }
            _ => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
        }
    }
    out
}

/// Every committed input, then `budget` mutated inputs spread over the corpus (bounded time
/// however large the corpus grows).
fn replay(target: &str, harness: fn(&[u8]), budget: usize) {
    let inputs = corpus(target);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
    for input in &inputs {
        harness(input);
    }
    for _ in 0..budget {
        let input = &inputs[rng.below(inputs.len())];
        let other = &inputs[rng.below(inputs.len())];
        harness(&mutate(&mut rng, input, other));
    }
}

#[test]
fn config_eval_corpus_and_mutations() {
    replay("config_eval", harness::config_eval, 3_000);
}

#[test]
fn literal_splice_corpus_and_mutations() {
    replay("literal_splice", harness::literal_splice, 3_000);
}

#[test]
fn trace_edges_corpus_and_mutations() {
    replay("trace_edges", harness::trace_edges, 500);
}
