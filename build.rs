//! Writes the token tables of the encodings tuner counts with (`o200k_base`, `cl100k_base`) into
//! compact files the crate embeds (`src/datasets/ranks.rs` reads them): every ordinary token's
//! bytes in rank order, each after its length in one byte. The tables come from tiktoken-rs,
//! which ships the ones OpenAI publishes; at run time only these bytes and a map over them are
//! kept, not tiktoken-rs' encoder, decoder and regex.

use std::collections::HashSet;
use std::env;
use std::fs;
use std::path::PathBuf;

type Loaded = Result<tiktoken_rs::CoreBPE, Box<dyn std::error::Error>>;
/// An encoding's name and how tiktoken-rs loads it.
type Encoding = (&'static str, fn() -> Loaded);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let encodings: [Encoding; 2] = [
        ("o200k_base", || Ok(tiktoken_rs::o200k_base()?)),
        ("cl100k_base", || Ok(tiktoken_rs::cl100k_base()?)),
    ];
    for (name, load) in encodings {
        let bpe = load()?;
        let special: HashSet<&str> = bpe.special_tokens();
        let mut table = Vec::new();
        let mut rank = 0;
        // Ordinary tokens have the ranks 0..n; the special ones come after, or fail to decode.
        while let Ok(token) = bpe.decode_bytes(&[rank]) {
            if std::str::from_utf8(&token).is_ok_and(|text| special.contains(text)) {
                break;
            }
            let length = u8::try_from(token.len())
                .map_err(|_| format!("{name}: token {rank} is longer than 255 bytes"))?;
            table.push(length);
            table.extend_from_slice(&token);
            rank += 1;
        }
        if rank < 100_000 {
            return Err(format!("{name}: only {rank} ordinary tokens were found").into());
        }
        fs::write(out.join(format!("{name}.ranks")), table)?;
    }
    Ok(())
}
