//! The guard every SWC parse in next-graft runs first. SWC's parser (and dropping its AST)
//! recurse once per bracket level, and a stack overflow aborts the process: a file that nests
//! absurdly deep is refused with its position instead. Real code, even minified, stays far below
//! the limits the callers pass (serialized configs and next.config: 256; traced modules: 4,000).

/// The byte offset where `source` first nests `(`/`[`/`{` deeper than `limit`, if it does. A
/// naive byte count: strings and comments are not skipped, which only matters for absurd inputs.
pub fn too_deep(source: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::too_deep;

    #[test]
    fn finds_the_first_byte_past_the_limit() {
        assert_eq!(too_deep("{[()]}", 3), None);
        assert_eq!(too_deep("{[(x)]}", 2), Some(2));
        assert_eq!(too_deep(")))(((", 3), None);
        assert_eq!(too_deep(&"[".repeat(300), 256), Some(256));
    }
}
