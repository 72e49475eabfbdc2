//! Lining up two sequences (layers of two models, printed rows and a file's rows) so that one
//! item added or removed does not shift the rest: a longest common subsequence of the pairs
//! that match, with a greedy pass above a size where the table would be too large.

/// Above this many cells (`a × b`), the table is not built: each item takes the first
/// unused matching one, in order.
const MAX_TABLE: usize = 16_000_000;

/// Matched index pairs `(i, j)`, increasing in both, of a longest common subsequence of
/// `0..n` and `0..m` under `matches(i, j)`.
pub fn longest_common_subsequence(
    n: usize,
    m: usize,
    matches: impl Fn(usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    if n.saturating_mul(m) > MAX_TABLE {
        let mut pairs = Vec::new();
        let mut next = 0;
        for i in 0..n {
            if let Some(j) = (next..m).find(|&j| matches(i, j)) {
                pairs.push((i, j));
                next = j + 1;
            }
        }
        return pairs;
    }
    // lcs[i][j]: the longest common subsequence of i.. and j..
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if matches(i, j) {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < n && j < m {
        if matches(i, j) {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if lcs[at(i + 1, j)] >= lcs[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_item_removed_does_not_shift_the_rest() {
        let a = ["in", "d1", "d2", "out"];
        let b = ["in", "d2", "out"];
        let pairs = longest_common_subsequence(a.len(), b.len(), |i, j| a[i] == b[j]);
        assert_eq!(pairs, [(0, 0), (2, 1), (3, 2)]);
        assert!(longest_common_subsequence(0, 3, |_, _| true).is_empty());
    }
}
