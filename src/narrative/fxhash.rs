//! The one fast hash the core's tables use: multiply-rotate over 64-bit words, as in
//! rustc's FxHash. Deterministic (no random seed), so a story compiles and explores
//! the same way every time.

/// Hashes `words`, starting from `seed`. The last rotation brings the well-mixed high
/// bits down to where a hash table picks its bucket (a product's low bits depend only
/// on the inputs' low bits; without it, similar keys crowd into the same buckets).
pub(crate) fn hash(seed: u64, words: impl IntoIterator<Item = u64>) -> u64 {
    let mut h = seed;
    for w in words {
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    h.rotate_left(26)
}

/// Hashes a string's bytes (in 8-byte little-endian words, the last padded with
/// zeros), seeded with its length.
pub(crate) fn hash_str(s: &str) -> u64 {
    hash(
        s.len() as u64,
        s.as_bytes().chunks(8).map(|chunk| {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(word)
        }),
    )
}
