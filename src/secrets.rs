//! Encryption of secrets at rest (provider API keys) with AES-256-GCM and a server key.

use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{Error, Result};

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts secrets with the server key. Never prints the key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box for a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)),
        }
    }

    /// A box with a fresh random key (tests, throwaway setups).
    pub fn random() -> Self {
        Self::new(&Aes256Gcm::generate_key(OsRng).into())
    }

    /// The key given in base64, or else the one in `file`, which is created (readable by its
    /// owner only) with a new random key when it does not exist.
    pub fn load_or_create(key: Option<&str>, file: &Path) -> anyhow::Result<(Self, bool)> {
        if let Some(key) = key {
            return Ok((
                Self::new(&decode_key(key).context("TUNER_SECRET_KEY")?),
                false,
            ));
        }
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let key = decode_key(&text)
                    .with_context(|| format!("secret key file {}", file.display()))?;
                Ok((Self::new(&key), false))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
                write_private(file, &STANDARD.encode(key))
                    .with_context(|| format!("cannot create secret key file {}", file.display()))?;
                Ok((Self::new(&key), true))
            }
            Err(err) => {
                Err(err).with_context(|| format!("cannot read secret key file {}", file.display()))
            }
        }
    }

    /// Encrypts `plaintext`; the result is base64 of nonce and ciphertext.
    pub fn encrypt(&self, plaintext: &str) -> Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| Error::Internal(anyhow::anyhow!("encryption failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what [`SecretBox::encrypt`] produced with the same key.
    pub fn decrypt(&self, encoded: &str) -> Result<String> {
        let undecryptable = || {
            Error::Internal(anyhow::anyhow!(
                "cannot decrypt a stored secret: was the server's secret key changed?"
            ))
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| undecryptable())?;
        if bytes.len() <= NONCE_LEN {
            return Err(undecryptable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| undecryptable())?;
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce), sealed)
            .map_err(|_| undecryptable())?;
        String::from_utf8(plain).map_err(|_| undecryptable())
    }
}

fn decode_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(text.trim())
        .context("the key is not base64")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the key must be 32 bytes (44 base64 characters)"))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_ciphertexts_differ() {
        let secrets = SecretBox::random();
        let a = secrets.encrypt("sk-test-1234").expect("encrypt");
        let b = secrets.encrypt("sk-test-1234").expect("encrypt");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("sk-test"));
        assert_eq!(secrets.decrypt(&a).expect("decrypt"), "sk-test-1234");
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let sealed = SecretBox::random().encrypt("sk-test").expect("encrypt");
        assert!(SecretBox::random().decrypt(&sealed).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tuner.key");
        let (first, created) = SecretBox::load_or_create(None, &path).expect("create");
        assert!(created);
        let sealed = first.encrypt("secret").expect("encrypt");
        let (second, created) = SecretBox::load_or_create(None, &path).expect("load");
        assert!(!created);
        assert_eq!(second.decrypt(&sealed).expect("decrypt"), "secret");
    }
}
