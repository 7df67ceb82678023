//! Standard Webhooks signatures: HMAC-SHA256 over `"{id}.{timestamp}.{body}"` with the key
//! base64-encoded after `whsec_`, sent as space-separated `v1,<base64>` entries.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The prefix of a webhook signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Largest accepted distance between the sender's clock and ours, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

const BLOCK: usize = 64;

/// HMAC-SHA256 of `message` under `key` (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The signing key of a `whsec_...` secret; `None` when it is not one.
pub fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.trim().strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// The base64 signature of one delivery (what a sender puts after `v1,`).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    STANDARD.encode(mac(key, id, timestamp, body))
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    hmac_sha256(key, &message)
}

/// Whether any `v1,<base64>` entry of the `webhook-signature` header signs this delivery.
pub fn verify(key: &[u8], id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = mac(key, id, timestamp, body);
    header
        .split_whitespace()
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, signature)| STANDARD.decode(signature).ok())
        // No short-circuit: every entry is compared, each in constant time.
        .fold(false, |found, candidate| {
            constant_time_eq(&candidate, &expected) | found
        })
}

/// Compares in time that depends only on the lengths, not on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether `timestamp` lies within [`TOLERANCE_SECS`] of `now` (both unix seconds).
pub fn fresh(timestamp: i64, now: i64) -> bool {
    now.checked_sub(timestamp)
        .is_some_and(|age| age.abs() <= TOLERANCE_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231_test_cases() {
        // Test case 1.
        let mac = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(
            hex(&mac),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn matches_the_standard_webhooks_reference_example() {
        // From the Standard Webhooks specification's test vectors.
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn any_one_valid_entry_is_enough() {
        let key = b"key";
        let good = sign(key, "id", 10, b"{}");
        let header = format!("v1,AAAA v2,{good} garbage v1,{good}");
        assert!(verify(key, "id", 10, b"{}", &header));
        assert!(!verify(key, "id", 10, b"{ }", &header));
        assert!(!verify(key, "id", 11, b"{}", &header));
        assert!(!verify(key, "id", 10, b"{}", &format!("v2,{good}")));
        assert!(!verify(key, "id", 10, b"{}", ""));
    }

    #[test]
    fn secrets_need_the_prefix_and_base64() {
        assert!(decode_secret("whsec_c2VjcmV0").is_some());
        assert!(decode_secret("c2VjcmV0").is_none());
        assert!(decode_secret("whsec_not base64!").is_none());
        assert!(decode_secret("whsec_").is_none());
    }

    #[test]
    fn timestamps_are_fresh_within_five_minutes_either_way() {
        assert!(fresh(1_000, 1_300));
        assert!(fresh(1_300, 1_000));
        assert!(!fresh(1_000, 1_301));
        assert!(!fresh(1_301, 1_000));
        assert!(!fresh(i64::MIN, 1_000));
    }
}
