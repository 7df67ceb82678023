//! An encoding's token table, and the tokens of one pre-tokenised piece counted the way tiktoken
//! merges it: the adjacent pair of parts with the lowest rank is merged first, the leftmost of
//! equal ranks, until no pair is a token. The table is the compact file `build.rs` writes (each
//! token's bytes in rank order), embedded in the binary and mapped once per process: about
//! 8 MB for `o200k_base`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::LazyLock;

use foldhash::fast::FixedState;

use super::models::Encoding;

static O200K_TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/o200k_base.ranks"));
static CL100K_TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cl100k_base.ranks"));

static O200K: LazyLock<Ranks> = LazyLock::new(|| Ranks::parse(O200K_TABLE));
static CL100K: LazyLock<Ranks> = LazyLock::new(|| Ranks::parse(CL100K_TABLE));

/// No part before this one.
const NONE: usize = usize::MAX;

/// The rank of every token of an encoding. The hash needs no key: the table is fixed, so no
/// input can make its entries collide.
pub struct Ranks {
    ranks: HashMap<&'static [u8], u32, FixedState>,
}

impl Ranks {
    /// The table of `encoding`, loaded on first use.
    pub fn of(encoding: Encoding) -> &'static Ranks {
        match encoding {
            Encoding::O200kBase => &O200K,
            Encoding::Cl100kBase => &CL100K,
        }
    }

    /// Reads a table written by `build.rs`: one length byte, then the token, in rank order.
    fn parse(table: &'static [u8]) -> Self {
        let mut ranks = HashMap::with_capacity_and_hasher(table.len() / 8, FixedState::default());
        let mut at = 0;
        while let Some(&length) = table.get(at) {
            let Some(token) = table.get(at + 1..at + 1 + usize::from(length)) else {
                break;
            };
            let rank = u32::try_from(ranks.len()).unwrap_or(u32::MAX);
            ranks.insert(token, rank);
            at += 1 + usize::from(length);
        }
        Self { ranks }
    }

    /// Number of ordinary tokens.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.ranks.len()
    }

    fn rank(&self, bytes: &[u8]) -> Option<u32> {
        self.ranks.get(bytes).copied()
    }

    /// The number of tokens tiktoken encodes `piece` into. Every byte is a token, so the count
    /// is the number of parts left when no adjacent pair can be merged. The pairs wait in a heap
    /// by (rank, position), so a long piece costs O(n log n), not tiktoken's O(n²) scans; pairs
    /// made stale by a merge are skipped when they come up.
    pub fn count(&self, piece: &[u8]) -> usize {
        let n = piece.len();
        if n <= 1 || self.ranks.contains_key(piece) {
            return n.min(1);
        }
        // Parts are named by their first byte; `next[i]` is where part `i` ends.
        let mut next: Vec<usize> = (1..=n).collect();
        let mut previous: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut alive = vec![true; n];
        let mut pairs = BinaryHeap::with_capacity(n);
        for start in 0..n - 1 {
            if let Some(rank) = self.rank(&piece[start..start + 2]) {
                pairs.push(Reverse((rank, start, start + 1, start + 2)));
            }
        }
        let mut parts = n;
        while let Some(Reverse((_, left, middle, end))) = pairs.pop() {
            let current =
                alive[left] && next[left] == middle && alive[middle] && next[middle] == end;
            if !current {
                continue;
            }
            alive[middle] = false;
            next[left] = end;
            if end < n {
                previous[end] = left;
            }
            parts -= 1;
            let before = previous[left];
            if before != NONE {
                if let Some(rank) = self.rank(&piece[before..end]) {
                    pairs.push(Reverse((rank, before, left, end)));
                }
            }
            if end < n {
                let after = next[end];
                if let Some(rank) = self.rank(&piece[left..after]) {
                    pairs.push(Reverse((rank, left, end, after)));
                }
            }
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiktoken(encoding: Encoding) -> &'static tiktoken_rs::CoreBPE {
        match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        }
    }

    #[test]
    fn the_tables_hold_every_ordinary_token() {
        assert_eq!(Ranks::of(Encoding::O200kBase).len(), 199_998);
        assert_eq!(Ranks::of(Encoding::Cl100kBase).len(), 100_256);
        let ranks = Ranks::of(Encoding::O200kBase);
        let hello = tiktoken(Encoding::O200kBase).encode_ordinary("Hello");
        assert_eq!(ranks.rank(b"Hello"), hello.first().copied());
    }

    #[test]
    fn long_pieces_merge_as_tiktoken_merges_them() {
        // One piece each: letters without spaces, digits of no word, a run of punctuation.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut letter = |alphabet: &[u8]| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize]
        };
        for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
            let ranks = Ranks::of(encoding);
            for (alphabet, length) in [
                (&b"abcdefghijklmnopqrstuvwxyz"[..], 2_000),
                (b"aaab", 1_500),
                (b"!?.,;:-_()[]{}<>", 1_000),
            ] {
                let piece: String = (0..length).map(|_| char::from(letter(alphabet))).collect();
                let expected = tiktoken(encoding).encode_ordinary(&piece).len();
                assert_eq!(ranks.count(piece.as_bytes()), expected, "{:.40}…", piece);
            }
            assert_eq!(ranks.count(b""), 0);
            assert_eq!(ranks.count(b"x"), 1);
            assert_eq!(
                ranks.count(" über".as_bytes()),
                tiktoken(encoding).encode_ordinary(" über").len()
            );
        }
    }
}
