//! Random public identifiers in OpenAI's styles (`file-…`, `ftjob-…`, 8-character model ids).

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random letters and digits.
pub fn alnum(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut n = uuid::Uuid::new_v4().as_u128();
        for _ in 0..16 {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[(n % 62) as usize]));
            n /= 62;
        }
    }
    out
}

/// `prefix` followed by 24 random letters and digits.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", alnum(24))
}

/// A random seed in OpenAI's range (0 to 2^31 - 1).
pub fn random_seed() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0 % 2_147_483_648
}
